"""AHA PREVENT 10-year risk equations (base model) (see docs/calculators/heart.md).

The equations (and eGFR by the CKD-EPI 2021 creatinine equation the PREVENT models were built on) are in
:mod:`.formulas`.
"""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, egfr_cr, fmt, joined_text, no_reasons
from .formulas import egfr_ckd_epi_2021_cr, prevent_params, prevent_risk, prevent_terms  # noqa: F401 (eGFR via egfr_cr)
from .registry import Calculator, Computed, Inputs, categorize, register, want_reasons

COMMON_INPUTS = ("age", "female", "systolic_bp", "diabetes", "smoker", "on_bp_medication", "creatinine")
MODEL_INPUTS = {
    "cvd": COMMON_INPUTS + ("total_cholesterol", "hdl_cholesterol", "on_statin"),
    "ascvd": COMMON_INPUTS + ("total_cholesterol", "hdl_cholesterol", "on_statin"),
    "hf": COMMON_INPUTS + ("bmi",),
}
# Inputs whose range is checked for each model (the eGFR range is checked on the computed eGFR).
RANGE_CHECKED = {
    "cvd": ("age", "total_cholesterol", "hdl_cholesterol", "systolic_bp"),
    "ascvd": ("age", "total_cholesterol", "hdl_cholesterol", "systolic_bp"),
    "hf": ("age", "systolic_bp", "bmi"),
}
REFERENCE = ("Khan SS et al. Development and validation of the American Heart Association's PREVENT equations. "
             "Circulation 2024;149:430-449 (base 10-year models, Supplement)")


def _prevent_core(x: Inputs, model: str) -> tuple:
    """Numbers and masks of one PREVENT model, computed once per input table (shared, read-only)."""
    def run():
        p = prevent_params()
        egfr = egfr_cr(x)
        terms = x.memo("prevent_terms", lambda: prevent_terms(
            x["age"], x["total_cholesterol"], x["hdl_cholesterol"], x["systolic_bp"], x["diabetes"], x["smoker"],
            x["on_bp_medication"], x["on_statin"], egfr, x["bmi"]))
        risk = prevent_risk(model, x["female"], terms)
        miss_parts = [(np.isnan(x[name]), name) for name in MODEL_INPUTS[model]]
        missing = np.any([mk for mk, _ in miss_parts], axis=0)
        checks = [(name, x[name], *p["validity"][name]) for name in RANGE_CHECKED[model]]
        checks.append(("eGFR", egfr, *p["validity"]["egfr"]))
        egfr_missing = np.isnan(egfr) & ~missing
        bad = np.zeros(x.n, bool)
        outs = []
        for name, v, lo, hi in checks:
            out = ~missing & ((v < lo) | (v > hi))
            outs.append((name, v, lo, hi, out))
            bad |= out
        ok = ~missing & ~bad & ~egfr_missing & np.isfinite(risk)
        return np.where(ok, risk, np.nan), ok, egfr, miss_parts, missing, egfr_missing, outs
    return x.memo(("prevent_10y", model), run)


def prevent_10y(x: Inputs, model: str, reasons: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(risk %, computable, reason, egfr)`` for one PREVENT model over all rows.

    Rows lacking an input, or with an input (or the computed eGFR) outside the
    model's validity range, are not computable and get a reason (all ``None``
    when ``reasons`` is False, which skips building the text). The arrays other
    than ``reason`` are shared between calls on the same inputs: do not modify them.
    """
    risk, ok, egfr, miss_parts, missing, egfr_missing, outs = _prevent_core(x, model)
    if not reasons:
        return risk, ok, no_reasons(x.n), egfr
    reason = joined_text(miss_parts, missing, prefix="needs ")
    add_reason(reason, egfr_missing, "eGFR not computable (creatinine must be > 0 and age >= 18)")
    for name, v, lo, hi, out in outs:
        if out.any():
            add_reason(reason, out, name + " " + fmt(v[out]) + f" outside PREVENT range {lo:g}-{hi:g}")
    return risk, ok, reason, egfr


def risk_category(risk: np.ndarray) -> np.ndarray:
    rc = prevent_params()["risk_categories"]
    return categorize(risk, [float(e) for e in rc["edges"]], list(rc["labels"]))


def _make(model: str):
    def compute(x: Inputs) -> Computed:
        risk, ok, reason, _ = prevent_10y(x, model, reasons=want_reasons())
        return Computed(risk, risk_category(risk), computable=ok, reason=reason)
    compute.__name__ = f"_prevent_{model}_10y"
    return compute


_FORMULA_TAIL = ("; logistic, sex-specific: risk = 1/(1+exp(-x)), x = constant + sum(beta x term) over {terms}, "
                 "with the age interactions of the published model; eGFR from CKD-EPI 2021 creatinine; valid age 30-79, "
                 "{ranges}eGFR 15-140; < 5 % low, 5-<7.5 borderline, 7.5-<20 intermediate, >= 20 high")
_TERMS = {
    False: "centred age, non-HDL-C, HDL-C, piecewise SBP and eGFR, diabetes, smoking, antihypertensive and statin use",
    True: "centred age, piecewise SBP, BMI and eGFR, diabetes, smoking and antihypertensive use",
}

#: Human names of the three PREVENT outcomes (what the text, the page and the report show).
_LABELS = {"cvd": "10-year risk of heart attack, stroke or heart failure (PREVENT)",
           "ascvd": "10-year risk of heart attack or stroke (PREVENT)",
           "hf": "10-year risk of heart failure (PREVENT)"}

for _model, _title, _mech in (
    ("cvd", "10-year total cardiovascular disease (ASCVD + heart failure) risk",
     "Insulin resistance raises blood pressure, atherogenic lipids and glucose together, and each of these adds to cardiovascular risk."),
    ("ascvd", "10-year atherosclerotic cardiovascular disease (heart attack, stroke) risk",
     "Insulin resistance speeds atherosclerosis through small dense LDL, high triglycerides, hypertension and endothelial dysfunction."),
    ("hf", "10-year heart failure risk",
     "Insulin resistance, obesity and hypertension stiffen and thicken the heart muscle, which raises the risk of heart failure."),
):
    _is_hf = _model == "hf"
    register(Calculator(
        key=f"prevent_{_model}_10y", organ="heart", unit="%", label=_LABELS[_model],
        ranges="low below 5 %; borderline 5-7.5 %; intermediate 7.5-20 %; high 20 % or more",
        requires=MODEL_INPUTS[_model], compute=_make(_model),
        formula="PREVENT " + _title + _FORMULA_TAIL.format(
            terms=_TERMS[_is_hf],
            ranges="SBP 90-200, BMI 18.5-39.9, " if _is_hf else "TC 130-320, HDL-C 20-100 mg/dL, SBP 90-200, "),
        reference=REFERENCE, mechanism=_mech,
        abnormal=frozenset({"intermediate", "high"}),
    ))
