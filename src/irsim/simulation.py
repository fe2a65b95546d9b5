"""One way to run the decades model from Python: ``irsim.Simulation(person, scenarios=[...], years=30).run()``.

A :class:`Simulation` holds what to run (a person or several, scenarios, years, step, pathway switches); ``run()``
returns a :class:`Trajectory`: the long table of :func:`irsim.cohort.progression.simulate` (``.frame``), the inputs
that were assumed (``.assumed``), each column's unit and meaning (``.columns``) and the source of every parameter the
run used (``.sources()``). ``irsim.simulate`` stays as the one-call shortcut to the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from . import parameters as _parameters
from .cohort import progression as _progression
from .scenarios.schema import Scenario

#: Parameter files the decades model reads (core, then organs).
PARAMETER_FILES = ("progression", "organs")

#: Units by column-name ending (longest first); a column without one is a count, a stage or a ratio (unit "1").
_UNITS = (("_mmol_l", "mmol/L"), ("_uiu_ml", "uIU/mL"), ("_mg_dl", "mg/dL"), ("_nmol_l", "nmol/L"),
          ("_pmol_l", "pmol/L"), ("_10e9_l", "10^9/L"), ("_ml_min", "mL/min/1.73m2"), ("_mg_g", "mg/g"),
          ("_mmhg", "mmHg"), ("_u_l", "U/L"), ("_percent", "%"), ("_kg", "kg"), ("_rel", "x reference"),
          ("_index", "index"))
_SPECIAL = {"year": ("year", "years since the start"), "age": ("year", "age"), "bmi": ("kg/m2", "body-mass index"),
            "glycemic_status": ("", "ADA class: NGT, IFG, IGT, IFG+IGT or T2D"),
            "kdigo_stage": ("", "KDIGO GFR category"), "homa1_ir": ("1", "HOMA1 insulin resistance (Matthews 1985)"),
            "homa1_beta_percent": ("%", "HOMA1 beta-cell function (Matthews 1985)"),
            "hazard_mi": ("1/year", "annual myocardial infarction hazard"),
            "hazard_stroke": ("1/year", "annual stroke hazard"), "hazard_dementia": ("1/year", "annual dementia hazard"),
            "diagnosis_year": ("year", "first record with glycemic_status T2D (NaN: none)")}


def column_info(name: str) -> tuple[str, str]:
    """(unit, description) of an output column, read from its stable name."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    for ending, unit in _UNITS:
        if name.endswith(ending):
            return unit, name[: -len(ending)].replace("_", " ")
    return "1", name.replace("_", " ")


@dataclass
class Trajectory:
    """The result of :meth:`Simulation.run`."""

    frame: pd.DataFrame
    assumed: list[list[str]]
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (unit, description)

    def sources(self) -> dict[str, str]:
        """``file:section.name -> source`` for every parameter of the decades model (what this run read)."""
        out: dict[str, str] = {}
        for file in PARAMETER_FILES:
            for section, entries in _parameters.load(file).items():
                if isinstance(entries, dict):
                    for name, e in entries.items():
                        if isinstance(e, dict) and "value" in e:
                            out[f"{file}:{section}.{name}"] = str(e.get("source", ""))
        return out


@dataclass
class Simulation:
    """What to simulate: ``person`` (a :class:`irsim.Person`, a dict, or a list of them), ``scenarios`` (each a
    :class:`irsim.Scenario` or its dict; none: no intervention), ``years``, ``step`` ("year", "month" or "week") and
    ``mechanisms`` (pathway switches, :class:`irsim.models.progression.Mechanisms`)."""

    person: Any
    scenarios: Sequence[Scenario | dict] | None = None
    years: float = 30
    step: str = "year"
    mechanisms: Any = None

    def run(self) -> Trajectory:
        scenarios = None if self.scenarios is None else [
            s if isinstance(s, Scenario) else Scenario.parse(s) for s in self.scenarios]
        frame = _progression.simulate(self.person, self.years, scenarios, self.step, self.mechanisms)
        return Trajectory(frame, frame.attrs["assumed"], {c: column_info(c) for c in frame.columns
                                                          if c not in ("person", "scenario")})
