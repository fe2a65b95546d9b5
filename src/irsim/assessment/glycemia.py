"""Glycaemic status by ADA criteria and estimated average glucose (see docs/calculators/glycemia.md)."""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, finding_lists, flag, no_reasons
from .formulas import ADA_2025_CUTOFFS
from .registry import Calculator, Computed, Inputs, register

CONFIRM_NOTE = "a single result in the diabetes range needs a repeat test to confirm the diagnosis (ADA 2025)"
CONFIRMED_NOTE = "two different tests in the diabetes range: meets the ADA 2025 confirmation rule if from the same sample or two samples"
DIAGNOSED_NOTE = "diagnosed diabetes reported (diabetes = yes)"


def glycemic_levels(x: Inputs) -> dict[str, np.ndarray]:
    """Per-test masks: ``<test>_pre`` (prediabetes range), ``<test>_dm`` (diabetes range), ``<test>_known``."""
    out: dict[str, np.ndarray] = {}
    for key, pre, dm, _ in ADA_2025_CUTOFFS:
        v = x[key]
        out[f"{key}_known"] = ~np.isnan(v)
        out[f"{key}_dm"] = v >= dm
        out[f"{key}_pre"] = (v >= pre) & (v < dm)
    return out


def _glycemic_status(x: Inputs) -> Computed:
    lv = glycemic_levels(x)
    dx, _ = flag(x, "diabetes")
    any_lab = np.zeros(x.n, bool)
    n_dm = np.zeros(x.n, np.int64)
    any_pre = np.zeros(x.n, bool)
    findings: list[tuple[np.ndarray, str]] = []
    for key, pre, dm, unit in ADA_2025_CUTOFFS:
        any_lab |= lv[f"{key}_known"]
        n_dm += lv[f"{key}_dm"]
        any_pre |= lv[f"{key}_pre"]
        findings.append((lv[f"{key}_dm"], f"{key} >= {dm:g} {unit} (diabetes)"))
        findings.append((lv[f"{key}_pre"], f"{key} {pre:g}-<{dm:g} {unit} (prediabetes)"))
    ok = any_lab | dx
    lab_dm = n_dm > 0
    is_dm = lab_dm | dx
    value = np.full(x.n, None, dtype=object)
    value[ok] = "normal"
    value[ok & any_pre] = "prediabetes"
    value[is_dm] = "diabetes"
    findings.append((dx, DIAGNOSED_NOTE))
    findings.append((lab_dm & (n_dm == 1) & ~dx, CONFIRM_NOTE))
    findings.append((n_dm >= 2, CONFIRMED_NOTE))
    detail = finding_lists(findings, ok)
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "needs fasting_glucose, glucose_2h or hba1c")
    return Computed(value, value.copy(), detail=detail, computable=ok, reason=reason)


register(Calculator(
    key="glycemic_status", label='Glucose status (ADA)',
    ranges=('prediabetes: fasting 100-125 mg/dL, HbA1c 5.7-6.4 %, 2-h 140-199 mg/dL; diabetes: 126 mg/dL, 6.5 %, '
            '200 mg/dL or more'), analyte="fasting_glucose",
    organ="glucose_insulin", unit=None, requires=(), compute=_glycemic_status,
    formula=("Highest ADA 2025 class over the tests present: fasting glucose 100-125 / >= 126 mg/dL, "
             "2-h OGTT glucose 140-199 / >= 200 mg/dL, HbA1c 5.7-6.4 / >= 6.5 % (prediabetes / diabetes); "
             "diagnosed diabetes counts as diabetes; one diabetes-range result needs confirmation"),
    reference="American Diabetes Association Professional Practice Committee. Diagnosis and Classification of Diabetes: Standards of Care in Diabetes-2025. Diabetes Care 2025;48(Suppl 1):S27-S49",
    mechanism="Glucose climbs into the prediabetes or diabetes range once beta cells can no longer secrete enough extra insulin to overcome insulin resistance.",
    abnormal=frozenset({"prediabetes", "diabetes"}),
))


def _eag(x: Inputs) -> Computed:
    # Nathan DM et al. (ADAG), Diabetes Care 2008;31:1473-8: eAG [mg/dL] = 28.7 x A1c - 46.7.
    return Computed(28.7 * x["hba1c"] - 46.7)


register(Calculator(
    key="eag", label='Estimated average glucose (from HbA1c)',
    ranges='HbA1c 5.7 % = 117 mg/dL; 6.5 % = 140 mg/dL', analyte="fasting_glucose",
    organ="glucose_insulin", unit="mg/dL", requires=("hba1c",), compute=_eag,
    formula="eAG [mg/dL] = 28.7 x HbA1c [%] - 46.7",
    reference="Nathan DM et al. (ADAG Study Group). Diabetes Care 2008;31:1473-8",
    mechanism="HbA1c averages glucose over about three months, so a high estimated average glucose reflects insulin resistance that has outrun insulin secretion for weeks to months.",
))
