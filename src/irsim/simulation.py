"""One way to run the decades model from Python: ``irsim.Simulation(person, scenarios=[...], years=30).run()``.

A :class:`Simulation` holds what to run (a person or several, scenarios, years, step, pathway switches); ``run()``
returns a :class:`Trajectory`: the long table of :func:`irsim.cohort.progression.simulate` (``.frame``), the inputs
that were assumed (``.assumed``), each column's unit and meaning (``.columns``) and the source of every parameter the
run used (``.sources()``). ``irsim.simulate`` stays as the one-call shortcut to the same function.

``parameters={"section.name": value}`` runs with other values of entries of progression.yaml, organs.yaml or
medicines.yaml (the sections of the three files differ): the model's lookups return them while the run lasts
(:func:`irsim.parameters.overridden`); compiled programs are dropped before and after, so such a run compiles afresh.
Entries that the meal surrogate table is built from are refused (the table would have to be rebuilt).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import parameters as _parameters
from .cohort import progression as _progression
from .models.core import COLUMN_INFO, PARAMETER_FILES, parameters_in_force
from .scenarios.schema import Scenario


def column_info(name: str) -> tuple[str, str]:
    """(unit, description) of an output column, as the core and the organs declare it (models/core.py)."""
    return COLUMN_INFO.get(name) or _progression.ADDED_COLUMNS[name]


@dataclass
class Trajectory:
    """The result of :meth:`Simulation.run`."""

    frame: pd.DataFrame
    assumed: list[list[str]]
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (unit, description)
    parameters: dict[str, Any] = field(default_factory=dict)  # "section.name" -> value the caller set

    def sources(self) -> dict[str, str]:
        """``file:section.name -> source`` for every parameter of the decades model (what this run read); an entry
        the caller set says so, with the file's value and source."""
        out = {}
        for file in PARAMETER_FILES:
            for key, p in _parameters.parameter_set(file).items():
                out[f"{file}:{key}"] = (f"set by the caller to {self.parameters[key]} (file: {p.value}, {p.source})"
                                        if key in self.parameters else p.source)
        return out


@dataclass
class Simulation:
    """What to simulate: ``person`` (a :class:`irsim.Person`, a dict, or a list of them), ``scenarios`` (each a
    :class:`irsim.Scenario` or its dict; none: no intervention), ``years``, ``step`` ("year", "month" or "week") and
    ``mechanisms`` (pathway switches, :class:`irsim.models.progression.Mechanisms`) and ``parameters`` (other values
    of model parameters, ``{"section.name": value}``)."""

    person: Any
    scenarios: Sequence[Scenario | dict] | None = None
    years: float = 30
    step: str = "year"
    mechanisms: Any = None
    parameters: dict[str, Any] | None = None

    def run(self) -> Trajectory:
        scenarios = None if self.scenarios is None else [
            s if isinstance(s, Scenario) else Scenario.parse(s) for s in self.scenarios]
        values = dict(self.parameters or {})
        with parameters_in_force(values):
            frame = _progression.simulate(self.person, self.years, scenarios, self.step, self.mechanisms)
        columns = {c: column_info(c) for c in frame.columns if c not in ("person", "scenario")}
        return Trajectory(frame, frame.attrs["assumed"], columns, values)
