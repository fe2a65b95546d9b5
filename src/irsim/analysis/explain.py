"""Why: how much of the change in an outcome each pathway accounts for (exact Shapley decomposition).

Pathways are the model's switches (:class:`irsim.models.progression.Mechanisms`): switching one off removes its term
from every equation it enters. For an outcome ``y`` and a set ``S`` of pathways left on, ``v(S)`` is the change of
``y`` from year 0 to the horizon in that counterfactual run (for event hazards: the cumulative hazard). The Shapley
value of pathway ``i`` averages ``v(S + i) - v(S)`` over all orders in which pathways can be switched on; by
construction the values plus ``v(none)`` (what changes with every pathway off: ageing, weight, the person's
starting state) add up to the total change ``v(all)``. All ``2^k`` counterfactuals run in batches through the same
JAX program as a cohort (k <= 14).

Heart and stroke outcomes (:data:`RISK_FACTOR_OUTCOMES`) add the classic risk factors as pathways of their own
(:data:`RISK_FACTORS`: age, smoking, blood pressure, LDL cholesterol). Such a pathway is "off" when the person's value
is replaced by its reference (``parameters/data/explain.yaml``: a non-smoker, 120 mmHg untreated, LDL 100 mg/dL, the
risk equation reading at most age 40), or kept where it is already at or below it; the same Shapley sum then gives
each factor's share next to the mechanisms', and "everything else" is what a reference person would still have.

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

from .. import parameters as _parameters
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
    "hypoglycaemia": ("hazard_hypoglycaemia", "hazard", "substantive hypoglycaemia"),
}

CORE = tuple(mc.CORE.switches)
LIVER = tuple(om.BY_NAME["liver"].switches)
#: Pathways examined by default for an outcome column (the core triad plus the organ pathways it passes through).
ORGAN_PATHWAYS: dict[str, tuple[str, ...]] = dict(mc.PATHWAYS)


#: Classic risk factors: pathway -> (label, what setting it to its reference means). Reference values and their
#: sources: ``parameters/data/explain.yaml`` (``risk_factors``); each is examined by default for the outcomes below.
RISK_FACTORS: dict[str, tuple[str, str]] = {
    "age": ("age (not modifiable)", "age above the reference age in the risk equation, now and through the horizon"),
    "smoking": ("smoking", "current smoking, against a non-smoker"),
    "blood_pressure": ("blood pressure", "systolic blood pressure above the optimal level, and its treatment"),
    "ldl_cholesterol": ("LDL cholesterol", "LDL cholesterol above the optimal level"),
}

_VESSELS = om.BY_NAME["vessels"]
#: Outcome columns computed from the heart-risk equation (PREVENT), which reads the classic risk factors.
RISK_FACTOR_OUTCOMES: tuple[str, ...] = (*_VESSELS.hazards, *_VESSELS.expected, "cvd_risk_percent")

#: At most this many pathways (2^k counterfactual runs), and at most this many runs in one batch (memory).
MAX_PATHWAYS = 14
LANES_PER_BATCH = {"year": 4096, "month": 1024}
#: Draws of what the labs leave unknown behind a T2D explanation without an onset on the projected path.
ONSET_DRAWS = 40


def default_pathways(column: str, scenario=None) -> tuple[str, ...]:
    """The classic risk factors (heart and stroke outcomes), the core's pathways, the organ pathways ``column`` passes
    through and those of the scenario's medicines."""
    drugs = []
    for iv in (scenario.interventions if scenario is not None else ()):
        types = iv.steps if iv.type == "usual_care" else [iv.type]
        drugs += [p for t in types for p in mc.med.PATHWAYS_OF.get(t, ()) if p not in drugs]
    factors = tuple(RISK_FACTORS) if column in RISK_FACTOR_OUTCOMES else ()
    return factors + CORE + ORGAN_PATHWAYS.get(column, mc.CORE.pathways) + tuple(drugs)


def reference_values() -> dict[str, float]:
    """The risk factors' reference values (``parameters/data/explain.yaml``), keyed as in that file."""
    ps = _parameters.parameter_set("explain")
    return {k.split(".", 1)[1]: float(ps.value(k)) for k in ps if k.startswith("risk_factors.")}


def _counterfactuals(op) -> dict[str, dict[str, float]]:
    """Risk factor -> {organ constant: its value in a run with the factor at its reference} for one person (``op``:
    the organ constants at year 0): the reference, or the person's own value where that is already at or below it.
    Age: the risk equation reads at most the reference age (vessels ``risk_age_cap``)."""
    ref = reference_values()
    own = lambda f: float(np.asarray(getattr(op, f)).ravel()[0])  # noqa: E731
    return {"age": {"risk_age_cap": ref["age"]},
            "smoking": {"smoker": min(own("smoker"), ref["smoking"])},
            "blood_pressure": {"sbp0": min(own("sbp0"), ref["systolic_bp"]),
                               "bp_medication": min(own("bp_medication"), ref["bp_medication"])},
            "ldl_cholesterol": {"ldl0": min(own("ldl0"), ref["ldl_cholesterol"])}}


def _factor_detail(factor: str, op, age0: float, years: float) -> str:
    """What the factor's pathway holds for this person, with the person's value and the reference."""
    ref = reference_values()
    own = lambda f: float(np.asarray(getattr(op, f)).ravel()[0])  # noqa: E731
    mmol = lambda mg: mg * _parameters.load("prevent")["mmol_per_mg_dl"]  # noqa: E731  (cholesterol)
    if factor == "age":
        return (f"age {age0:.0f} at year 0 and {age0 + years:.0f} at year {years:g}, against {ref['age']:.0f} "
                "in the heart-risk equation")
    if factor == "smoking":
        return "current smoker, against a non-smoker" if own("smoker") > 0.5 else "non-smoker, as the reference"
    if factor == "blood_pressure":
        treated = " on treatment" if own("bp_medication") > 0.5 else ""
        return (f"systolic {own('sbp0'):.0f} mmHg{treated} at year 0, against {ref['systolic_bp']:.0f} mmHg "
                "untreated")
    if factor == "ldl_cholesterol":
        return (f"{own('ldl0'):.0f} mg/dL ({mmol(own('ldl0')):.1f} mmol/L) at year 0, against "
                f"{ref['ldl_cholesterol']:.0f} mg/dL ({mmol(ref['ldl_cholesterol']):.1f} mmol/L)")
    return RISK_FACTORS[factor][1]


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
    method: str = "Shapley over pathway knock-outs"

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "column": self.column, "kind": self.kind, "years": self.years,
                "start": self.start, "total": self.total, "outcome_note": self.note, "onset_year": self.onset_year,
                "method": self.method,
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
    values = np.asarray(values, dtype=float)
    masks = np.arange(2 ** k)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0
                       for s in range(k + 1)])
    phi = np.zeros(k)
    for i in range(k):
        without = masks[(masks >> i & 1) == 0]
        phi[i] = np.sum(weight[size[without]] * (values[without | 1 << i] - values[without]))
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
    # "Age (not modifiable)" with what it holds: "Age (not modifiable; what)"
    name = f"{name[:-1]}; {what})" if name.endswith(")") else f"{name} ({what})"
    if abs(share) < 0.05:  # under 0.05 % of the total change
        return f"{name} makes no material difference to {outcome} here."
    if kind == "onset":
        verb = "brings" if contribution > 0 else "puts off"
        return (f"{name} {verb} {outcome} {abs(contribution):.3g} years "
                f"{'earlier' if contribution > 0 else 'later'}: {share:.0f} % of {unit_total}.")
    verb = "raises" if contribution > 0 else "lowers"
    if kind == "hazard":
        return (f"{name} {verb} the cumulative hazard of {outcome} by {abs(contribution):.3g}: {share:.0f} % of the "
                "total.")
    return f"{name} {verb} {outcome} by {abs(contribution):.3g}: {share:.0f} % of {unit_total}."


def explain(person, outcome: str, years: float = 20.0, scenario=None, pathways=None) -> Explanation:
    """Attribute the change of ``outcome`` over ``years`` to pathways (and, for glycaemia, to tissues)."""
    from ..cohort import progression as cp
    from ..scenarios.schema import BASELINE

    col, kind, name = resolve_outcome(outcome, cp.COLUMNS)
    known = (*RISK_FACTORS, *pm.Mechanisms._fields)
    names = [p for p in (pathways or default_pathways(col, scenario)) if p in known]
    unknown = [p for p in (pathways or []) if p not in known]
    if unknown or not names or len(names) > MAX_PATHWAYS or len(set(names)) < len(names):
        raise InputError([Problem("pathways", f"{unknown or names} must be 1-{MAX_PATHWAYS} different ones of "
                                              f"{', '.join(known)}")])
    k = len(names)
    start = cp.initialise(cp.persons_columns(person))
    if len(start.assumed) != 1:
        raise InputError([Problem("person", "explain takes one person")])
    step = "month" if kind == "onset" else "year"
    lanes = 2 ** k
    counterfactual = _counterfactuals(start.organ_params)
    idx = {c: i for i, c in enumerate(cp.COLUMNS)}
    note, onset_year, base, energy = "", None, start, None
    if kind == "onset":
        path = cp.run(start, years, scenario or BASELINE, step)
        onset = _onset(path[:, [idx[col]], :], 0, path[:, idx["year"], 0])
        onset_year = None if np.isnan(onset[-1]) else float(onset[-1])
        if onset_year == 0.0:
            note = "already in the diabetes range at year 0, so the change in HbA1c is explained instead"
            col, kind, name, step = "hba1c_percent", "level", "HbA1c (%)", "year"
        elif onset_year is None:
            # no onset on the projected path: the expected years with diabetes over draws of what the labs leave
            # unknown (the twin's prior at the person's labs), i.e. the chance of diabetes year by year
            from ..inference import twin
            from ..schemas.history import History

            post = twin.fit(History.of(person), "laplace", draws=ONSET_DRAWS, seed=0)
            base, energy = twin.start_of(post), twin.ENERGY_SD * post.draws[:, 3]
            note = (f"no onset of type 2 diabetes within {years:g} years on the projected path, so the expected years "
                    f"with diabetes over {ONSET_DRAWS} people with these labs (what the labs leave unknown drawn "
                    "from the population) are explained")
    draws = len(base.assumed)

    def run(masks):
        """The runs of ``masks`` (bit i on: pathway i as the person has it; off: knocked out or at its reference),
        each for every draw of ``base`` (lane = mask x draw)."""
        n = len(masks)
        tile = lambda tree: type(tree)(*(np.tile(np.broadcast_to(np.asarray(x, dtype=float), (draws,)), n)  # noqa: E731
                                         for x in tree))
        bit = {p: np.repeat((masks >> i) & 1, draws).astype(float) for i, p in enumerate(names)}
        organ_params = tile(base.organ_params)._asdict()
        for factor in set(names) & set(RISK_FACTORS):
            for field, value in counterfactual[factor].items():
                organ_params[field] = np.where(bit[factor] > 0, organ_params[field], value)
        batch = dataclasses.replace(base, params=tile(base.params), state=tile(base.state),
                                    assumed=base.assumed * n, organ_params=type(base.organ_params)(**organ_params),
                                    organ_state=tile(base.organ_state))
        mech = pm.Mechanisms(**{f: bit.get(f, np.ones(n * draws)) for f in pm.Mechanisms._fields})
        inputs = None if energy is None else twin.inputs_with_energy(scenario or BASELINE, base.carb_share,
                                                                     np.tile(energy, n))
        return cp.run(batch, years, scenario or BASELINE, step, mech, inputs=inputs)

    # all 2^k runs, in batches of equal size (one compiled program); kept: the outcome of every run (its mean over
    # the draws), and the whole of the full model's run (the last; its first draw)
    size = min(lanes, 2 ** int(np.log2(max(LANES_PER_BATCH[step] // draws, 1))))  # equal batches: one program
    keep = [idx[col]]
    parts = []
    for a in range(0, lanes, size):
        out = run(np.arange(a, a + size))
        parts.append(out[:, keep, :])
    full = (out[:, :, -draws] if draws == 1 else path[:, :, 0]).copy()  # the projected path
    del out
    t = full[:, idx["year"]]
    kept = np.concatenate(parts, axis=2)  # (times, 1, 2^k x draws)
    v = _value(kept, 0, kind, t).reshape(lanes, draws).mean(axis=1)  # Shapley is linear: mean over draws
    phi = shapley(v, k)
    total, other = float(v[-1]), float(v[0])
    what = {"hazard": f"the cumulative hazard of {name}", "onset": f"the {total:.3g} years with {name} within "
            f"{years:g} years"}.get(kind, f"the change in {name}")
    age0 = float(np.asarray(start.params.age0).ravel()[0])
    rows = []
    for pathway, contribution in zip(names, phi):
        factor = pathway in RISK_FACTORS
        label, detail = RISK_FACTORS[pathway] if factor else PATHWAYS.get(pathway, (pathway, pathway))
        if factor:
            detail = _factor_detail(pathway, start.organ_params, age0, years)
        share = 100.0 * contribution / total if total else 0.0
        rows.append({"pathway": pathway, "label": label, "kind": "risk factor" if factor else "mechanism",
                     "contribution": float(contribution), "share_percent": share,
                     "sentence": _sentence(label, detail, float(contribution), share, name, what, kind)})
    share = 100.0 * other / total if total else 0.0
    factors = [p for p in names if p in RISK_FACTORS]
    off = "switched off or at its reference value" if factors else "switched off"
    rest = (f"With every pathway above {off} from year 0, the years with {name} within {years:g} years would be "
            f"{other:.3g}" if kind == "onset" else
            f"With every pathway above {off} from year 0, the cumulative hazard of {name} would be {other:.3g}"
            if kind == "hazard" else f"With every pathway above {off} from year 0, {name} would change by {other:.3g}")
    held = ("sex, HDL cholesterol, kidney function, diagnosed diabetes, " if factors else "")
    rows.append({"pathway": "other", "label": "everything else", "kind": "other", "contribution": other,
                 "share_percent": share,
                 "sentence": f"{rest} ({share:.0f} % of the total): {held}"
                             f"{'weight change' if 'age' in names else 'ageing and weight change'}, less what these "
                             "pathways already contributed at year 0."})
    method = ("Shapley over pathway knock-outs and risk factors at their reference values" if factors
              else "Shapley over pathway knock-outs")
    glycaemic = ("hba1c_percent", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "glycemic_status")
    tissues = _tissues(full, idx) if col in glycaemic else {}
    start = 0.0 if kind == "onset" else float(full[0, idx[col]])
    return Explanation(outcome, col if kind != "onset" else "years_with_t2d", kind, float(years), start, total,
                       pd.DataFrame(rows), tissues, note, onset_year, method)


def _tissues(full: np.ndarray, idx: dict) -> dict[str, pd.DataFrame]:
    """Shapley over the fast model's knobs between year 0 and the horizon (full model), for fasting and 2-h glucose."""
    from ..cohort.progression import GLUCOSE_MG_DL_PER_MMOL_L
    from ..models import meal_surrogate

    groups = (("muscle_insulin_sensitivity_rel",), ("liver_insulin_sensitivity_rel",),
              ("beta_cell_mass_rel", "beta_cell_function_rel", "beta_cell_responsivity_rel", "incretin_effect_rel"))
    combos = list(itertools.product((0, 1), repeat=len(groups)))
    cols = {c: np.array([full[-1 if on[g] else 0, idx[c]] for on in combos])
            for g, grp in enumerate(groups) for c in grp}
    # the progression model evaluates the fast model at the year-0 body size (meals scale with intake)
    knobs = pm.record_knobs(cols.__getitem__)
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
