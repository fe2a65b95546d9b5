"""Why: how much of the change in an outcome each pathway accounts for (exact Shapley decomposition).

Pathways are the model's switches (:class:`irsim.models.progression.Mechanisms`): switching one off removes its term
from every equation it enters. For an outcome ``y`` and a set ``S`` of pathways left on, ``v(S)`` is the change of
``y`` from year 0 to the horizon in that counterfactual run (for event hazards: the cumulative hazard). The Shapley
value of pathway ``i`` averages ``v(S + i) - v(S)`` over all orders in which pathways can be switched on; by
construction the values plus ``v(none)`` (what changes with every pathway off: ageing, weight, the person's
starting state) add up to the total change ``v(all)``. All ``2^k`` counterfactuals run as one batch through the same
JAX program as a cohort (k <= 10).

For glycaemic outcomes a second, tissue-level decomposition answers "muscle vs liver vs beta cells": the fast
model's answer is re-evaluated with each tissue's knob moved from its year-0 value to its value at the horizon, in
every combination (Shapley over muscle sensitivity, liver sensitivity and beta cells: functional mass and function),
at the person's year-0 body size as in the progression model. It sums exactly to the change of fasting and 2-h
glucose.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..models import core as mc
from ..models import organs as om
from ..models import progression as pm

#: Pathway -> (label, what switching it off means): the switches of the core and the organs (models/core.py).
PATHWAYS: dict[str, tuple[str, str]] = dict(mc.SWITCHES)

#: Outcome aliases: name -> (column, kind, words) with kind "level" (change of the value) or "hazard" (cumulative
#: hazard); other outcomes are columns, named by :func:`readable`.
OUTCOMES: dict[str, tuple[str, str, str]] = {
    # onset: v = years lived with type 2 diabetes within the horizon (horizon - onset year; 0 without onset), from
    # the model's glycaemic status in monthly steps, so each pathway's share is how much earlier it brings the onset
    "T2D": ("glycemic_status", "onset", "type 2 diabetes"),
    "MI": ("hazard_mi", "hazard", "myocardial infarction"),
    "stroke": ("hazard_stroke", "hazard", "stroke"),
    "dementia": ("hazard_dementia", "hazard", "dementia"),
}

CORE = tuple(mc.CORE.switches)
LIVER = tuple(om.BY_NAME["liver"].switches)
#: Pathways examined by default for an outcome column (the core triad plus the organ pathways it passes through).
ORGAN_PATHWAYS: dict[str, tuple[str, ...]] = dict(mc.PATHWAYS)


def default_pathways(column: str, scenario=None) -> tuple[str, ...]:
    """The core's pathways, the organ pathways ``column`` passes through and those of the scenario's medicines."""
    drugs = []
    for iv in (scenario.interventions if scenario is not None else ()):
        types = iv.steps if iv.type == "usual_care" else [iv.type]
        drugs += [p for t in types for p in mc.med.PATHWAYS_OF.get(t, ()) if p not in drugs]
    return CORE + ORGAN_PATHWAYS.get(column, mc.CORE.pathways) + tuple(drugs)


TISSUES = ("muscle insulin resistance", "hepatic insulin resistance", "beta-cell loss")


@dataclass
class Explanation:
    outcome: str
    column: str
    kind: str
    years: float
    start: float            # value at year 0 (level outcomes)
    total: float            # v(all): the change (or cumulative hazard) in the full model
    pathways: pd.DataFrame  # pathway, label, contribution, share_percent, sentence (plus the 'other' row)
    tissues: dict[str, pd.DataFrame]  # glycaemic outcomes: quantity -> tissue table
    note: str = ""          # e.g. why an onset outcome is explained through HbA1c instead
    onset_year: float | None = None  # onset outcomes: the year of onset in the full model

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "column": self.column, "kind": self.kind, "years": self.years,
                "start": self.start, "total": self.total, "outcome_note": self.note, "onset_year": self.onset_year,
                "method": "Shapley over pathway knock-outs",
                "pathways": self.pathways.to_dict(orient="records"),
                "tissues": {k: v.to_dict(orient="records") for k, v in self.tissues.items()},
                "note": "research and education software, not medical advice"}


def resolve_outcome(outcome: str, columns) -> tuple[str, str, str]:
    """(column, kind, words) of an outcome alias or trajectory column; refused with the known names otherwise."""
    col, kind, words = OUTCOMES.get(outcome, (outcome, "hazard" if outcome.startswith("hazard_") else "level",
                                              readable(outcome)))
    if col not in columns or col in ("year", "age") or (col == "glycemic_status" and kind != "onset"):
        known = sorted(set(OUTCOMES) | {c for c in columns if c not in ("year", "age", "glycemic_status")})
        raise InputError([Problem("--outcome", f"{outcome!r} is not an outcome irsim can explain; one of: {', '.join(known)}")])
    return col, kind, words


def shapley(values: np.ndarray, k: int) -> np.ndarray:
    """Shapley values from ``values[mask]`` (bit i of mask = pathway i on), for k players."""
    phi = np.zeros(k)
    for i in range(k):
        for mask in range(2 ** k):
            if mask >> i & 1:
                continue
            s = bin(mask).count("1")
            w = math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
            phi[i] += w * (values[mask | 1 << i] - values[mask])
    return phi


def _onset(out: np.ndarray, col: int, years: np.ndarray) -> np.ndarray:
    """Year of type 2 diabetes onset per lane (the first record with the model's status T2D); NaN without one."""
    t2d = out[:, col, :] == mc.LABELS["glycemic_status"].index("T2D")
    return np.where(t2d.any(axis=0), years[t2d.argmax(axis=0)], np.nan)


def _value(out: np.ndarray, col: int, kind: str, years: np.ndarray) -> np.ndarray:
    y = out[:, col, :]
    if kind == "onset":  # years with diabetes within the horizon
        return np.nan_to_num(years[-1] - _onset(out, col, years), nan=0.0)
    if kind == "hazard":
        return np.trapezoid(y, years, axis=0) if hasattr(np, "trapezoid") else np.trapz(y, years, axis=0)
    return y[-1] - y[0]


def readable(column: str) -> str:
    """A column name as words with its unit: ``hba1c_percent`` -> ``HbA1c (%)``."""
    units = {"_mmol_l": "mmol/L", "_mg_dl": "mg/dL", "_percent": "%", "_uiu_ml": "uIU/mL", "_ml_min": "mL/min/1.73 m2",
             "_mg_g": "mg/g", "_nmol_l": "nmol/L", "_pmol_l": "pmol/L", "_u_l": "U/L", "_10e9_l": "10^9/L",
             "_mmhg": "mmHg", "_kg": "kg", "_rel": "x reference", "_index": "index"}
    words, unit = column, ""
    for suffix, u in units.items():
        if column.endswith(suffix):
            words, unit = column[: -len(suffix)], u
            break
    words = words.replace("hba1c", "HbA1c").replace("_", " ").replace("homa1", "HOMA1").replace("2h", "2-h")
    return f"{words} ({unit})" if unit else words


def _sentence(label: str, what: str, contribution: float, share: float, outcome: str, unit_total: str,
              kind: str = "level") -> str:
    name = label[0].upper() + label[1:]
    if abs(share) < 0.05:  # under 0.05 % of the total change
        return f"{name} ({what}) makes no material difference to {outcome} here."
    if kind == "onset":
        verb = "brings" if contribution > 0 else "puts off"
        return (f"{name} ({what}) {verb} {outcome} {abs(contribution):.3g} years "
                f"{'earlier' if contribution > 0 else 'later'}: {share:.0f} % of {unit_total}.")
    verb = "raises" if contribution > 0 else "lowers"
    return f"{name} ({what}) {verb} {outcome} by {abs(contribution):.3g}: {share:.0f} % of {unit_total}."


def explain(person, outcome: str, years: float = 20.0, scenario=None, pathways=None) -> Explanation:
    """Attribute the change of ``outcome`` over ``years`` to pathways (and, for glycaemia, to tissues)."""
    from ..cohort import progression as cp
    from ..scenarios.schema import BASELINE

    col, kind, name = resolve_outcome(outcome, cp.COLUMNS)
    names = [p for p in (pathways or default_pathways(col, scenario)) if p in pm.Mechanisms._fields]
    unknown = [p for p in (pathways or []) if p not in pm.Mechanisms._fields]
    if unknown or not names or len(names) > 10:
        raise InputError([Problem("pathways", f"{unknown or names} must be 1-10 of {', '.join(pm.Mechanisms._fields)}")])
    k = len(names)
    start = cp.initialise(cp.persons_columns(person))
    if len(start.assumed) != 1:
        raise InputError([Problem("person", "explain takes one person")])
    lanes = 2 ** k
    tile = lambda tree: type(tree)(*(np.repeat(np.asarray(x, dtype=float), lanes) for x in tree))  # noqa: E731
    batch = dataclasses.replace(start, params=tile(start.params), state=tile(start.state), assumed=start.assumed * lanes,
                                organ_params=tile(start.organ_params), organ_state=tile(start.organ_state))
    masks = np.arange(lanes)
    on = {name: ((masks >> i) & 1).astype(float) for i, name in enumerate(names)}
    mech = pm.Mechanisms(**{f: on.get(f, np.ones(lanes)) for f in pm.Mechanisms._fields})
    out = cp.run(batch, years, scenario or BASELINE, "month" if kind == "onset" else "year", mech)
    idx = {c: i for i, c in enumerate(cp.COLUMNS)}
    t = out[:, idx["year"], 0]
    note, onset_year = "", None
    if kind == "onset":
        onset = _onset(out, idx[col], t)
        onset_year = None if np.isnan(onset[-1]) else float(onset[-1])
        if onset_year is None or onset_year == 0.0:
            # nothing to attribute to the onset's timing: the HbA1c drift, the measure read at 6.5 %, is explained
            note = (f"no onset of type 2 diabetes within {years:g} years in this projection, so the change in HbA1c "
                    "(the diabetes threshold is 6.5 %) is explained instead" if onset_year is None else
                    "already in the diabetes range at year 0, so the change in HbA1c is explained instead")
            col, kind, name = "hba1c_percent", "level", "HbA1c (%)"
    v = _value(out, idx[col], kind, t)
    phi = shapley(v, k)
    total, other = float(v[-1]), float(v[0])
    what = {"hazard": f"the cumulative hazard of {name}", "onset": f"the {total:.3g} years with {name} within "
            f"{years:g} years"}.get(kind, f"the change in {name}")
    rows = []
    for pathway, contribution in zip(names, phi):
        label, detail = PATHWAYS.get(pathway, (pathway, pathway))
        share = 100.0 * contribution / total if total else 0.0
        rows.append({"pathway": pathway, "label": label, "contribution": float(contribution), "share_percent": share,
                     "sentence": _sentence(label, detail, float(contribution), share, name, what, kind)})
    share = 100.0 * other / total if total else 0.0
    rest = (f"With every pathway above switched off from year 0, the years with {name} within {years:g} years would "
            f"be {other:.3g}" if kind == "onset" else
            f"With every pathway above switched off from year 0, {name} would change by {other:.3g}")
    rows.append({"pathway": "other", "label": "everything else", "contribution": other, "share_percent": share,
                 "sentence": f"{rest} ({share:.0f} % of the total): ageing and weight change, less what these "
                             "pathways already contributed at year 0."})
    glycaemic = ("hba1c_percent", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "glycemic_status")
    tissues = _tissues(out[:, :, -1], idx) if col in glycaemic else {}
    start = 0.0 if kind == "onset" else float(out[0, idx[col], -1])
    return Explanation(outcome, col if kind != "onset" else "years_with_t2d", kind, float(years), start, total,
                       pd.DataFrame(rows), tissues, note, onset_year)


def _tissues(full: np.ndarray, idx: dict) -> dict[str, pd.DataFrame]:
    """Shapley over the fast model's knobs between year 0 and the horizon (full model), for fasting and 2-h glucose."""
    from ..cohort.progression import GLUCOSE_MG_DL_PER_MMOL_L
    from ..models import meal_surrogate

    groups = (("muscle_insulin_sensitivity_rel",), ("liver_insulin_sensitivity_rel",),
              ("beta_cell_mass_rel", "beta_cell_function_rel", "beta_cell_responsivity_rel"))
    combos = list(itertools.product((0, 1), repeat=len(groups)))
    cols = {c: np.array([full[-1 if on[g] else 0, idx[c]] for on in combos])
            for g, grp in enumerate(groups) for c in grp}
    # the progression model evaluates the fast model at the year-0 body size (meals scale with intake)
    knobs = pm.meal_knobs(*(cols[c] for g in groups for c in g))
    f = meal_surrogate.table().lookup(knobs, np.full(len(combos), full[0, idx["weight_kg"]]))
    masks = np.array([sum(b << i for i, b in enumerate(on)) for on in combos])
    order = np.argsort(masks)
    res = {}
    for quantity, key in (("fasting_glucose_mmol_l", "fasting_glucose_mg_dl"), ("glucose_2h_mmol_l", "ogtt_glucose_120")):
        v = np.asarray(f[key])[order] / GLUCOSE_MG_DL_PER_MMOL_L
        phi = shapley(v - v[0], len(groups))
        total = float(v[-1] - v[0])
        res[quantity] = pd.DataFrame({"tissue": TISSUES, "contribution": phi,
                                      "share_percent": 100.0 * phi / total if total else 0.0 * phi})
        res[quantity].attrs["total"] = total
    return res
