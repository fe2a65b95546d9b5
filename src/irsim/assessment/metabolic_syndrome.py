"""Metabolic syndrome by the 2009 harmonized definition (see docs/calculators/metabolic_syndrome.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._helpers import add_reason, finding_lists, joined_text, no_reasons
from .registry import Calculator, Computed, Inputs, register, want_reasons

# Alberti KGMM et al., Circulation 2009;120:1640-5 (joint interim statement), waist cutoffs (cm) as
# (men, women): US AHA/NHLBI, IDF Europid, and Asian (South/Chinese/Japanese, IDF/WHO) populations.
WAIST_CUTOFFS: dict[str, tuple[float, float]] = {
    "us": (102.0, 88.0),
    "idf_europid": (94.0, 80.0),
    "asian": (90.0, 80.0),
}
# Alberti 2009: TG >= 150 mg/dL; HDL < 40 (men) / < 50 (women) mg/dL; SBP >= 130 and/or DBP >= 85 mmHg
# or antihypertensive treatment; fasting glucose >= 100 mg/dL or drug treatment of elevated glucose.
TG_CUT, HDL_CUT_M, HDL_CUT_F, SBP_CUT, DBP_CUT, FPG_CUT = 150.0, 40.0, 50.0, 130.0, 85.0, 100.0


@dataclass
class MetSResult:
    value: np.ndarray       # object array True/False/None
    present: np.ndarray     # bool: decided and present
    absent: np.ndarray      # bool: decided and absent
    n_met: np.ndarray       # criteria met
    detail: np.ndarray      # per-row list of criteria met (decided rows)
    reason: np.ndarray      # per-row reason (undecided rows)


def metabolic_syndrome_status(x: Inputs, waist_cutoffs: str = "us", with_detail: bool = True) -> MetSResult:
    """Evaluate the five harmonized criteria; decided when >= 3 are met or fewer than 3 can still be met.

    Where sex is unknown, the waist and HDL criteria are still decided when both
    sexes' cutoffs agree (e.g. waist >= the men's cutoff is met for either sex).
    Missing on_bp_medication counts as untreated; a missing diabetes flag counts
    as no drug treatment for glucose. ``with_detail=False`` skips the per-row lists.
    The result is computed once per input table and shared: do not modify its arrays.
    """
    return x.memo(("metabolic_syndrome_status", waist_cutoffs, with_detail),
                  lambda: _status(x, waist_cutoffs, with_detail))


def _status(x: Inputs, waist_cutoffs: str, with_detail: bool) -> MetSResult:
    cm, cw = WAIST_CUTOFFS[waist_cutoffs]
    fem = x["female"]
    f, m, u = fem == 1.0, fem == 0.0, np.isnan(fem)
    waist, tg, hdl = x["waist"], x["triglycerides"], x["hdl_cholesterol"]
    sbp, dbp, fpg = x["systolic_bp"], x["diastolic_bp"], x["fasting_glucose"]
    bp_med, dm = x["on_bp_medication"] == 1.0, x["diabetes"] == 1.0

    w_f, w_m, w_u = f & (waist >= cw), m & (waist >= cm), u & (waist >= max(cm, cw))
    waist_met = w_f | w_m | w_u
    waist_known = ~np.isnan(waist) & (~u | waist_met | (waist < min(cm, cw)))
    h_f, h_m, h_u = f & (hdl < HDL_CUT_F), m & (hdl < HDL_CUT_M), u & (hdl < min(HDL_CUT_M, HDL_CUT_F))
    hdl_met = h_f | h_m | h_u
    hdl_known = ~np.isnan(hdl) & (~u | hdl_met | (hdl >= max(HDL_CUT_M, HDL_CUT_F)))
    tg_met, tg_known = tg >= TG_CUT, ~np.isnan(tg)
    bp_high = (sbp >= SBP_CUT) | (dbp >= DBP_CUT)
    bp_met = bp_high | bp_med
    bp_known = bp_met | (~np.isnan(sbp) & ~np.isnan(dbp))
    g_high = fpg >= FPG_CUT
    g_met = g_high | dm
    g_known = g_met | ~np.isnan(fpg)

    mets = (waist_met, tg_met, hdl_met, bp_met, g_met)
    knowns = (waist_known, tg_known, hdl_known, bp_known, g_known)
    n_met = np.sum(mets, axis=0)
    n_unknown = np.sum([~k for k in knowns], axis=0)
    present = n_met >= 3
    absent = ~present & (n_met + n_unknown < 3)
    decided = present | absent
    value = np.full(x.n, None, dtype=object)
    value[present] = True
    value[absent] = False

    detail = np.full(x.n, None, dtype=object) if not with_detail else finding_lists([
        (w_m, f"waist >= {cm:g} cm (men)"), (w_f, f"waist >= {cw:g} cm (women)"), (w_u, f"waist >= {max(cm, cw):g} cm"),
        (tg_met, f"triglycerides >= {TG_CUT:g} mg/dL"),
        (h_m, f"HDL cholesterol < {HDL_CUT_M:g} mg/dL (men)"), (h_f, f"HDL cholesterol < {HDL_CUT_F:g} mg/dL (women)"),
        (h_u, f"HDL cholesterol < {min(HDL_CUT_M, HDL_CUT_F):g} mg/dL"),
        (bp_high, f"blood pressure >= {SBP_CUT:g}/{DBP_CUT:g} mmHg"), (bp_med, "on blood-pressure medication"),
        (g_high, f"fasting glucose >= {FPG_CUT:g} mg/dL"), (dm, "diabetes (treated for high glucose)"),
    ], decided)

    undecided = ~decided
    needs = [
        (~waist_known & np.isnan(waist), "waist"), (~waist_known & ~np.isnan(waist), "female (for the waist cutoff)"),
        (~tg_known, "triglycerides"),
        (~hdl_known & np.isnan(hdl), "hdl_cholesterol"), (~hdl_known & ~np.isnan(hdl), "female (for the HDL cutoff)"),
        (~bp_known & np.isnan(sbp), "systolic_bp"), (~bp_known & np.isnan(dbp), "diastolic_bp"),
        (~g_known, "fasting_glucose"),
    ]
    reason = (joined_text(needs, undecided, prefix="needs ", suffix=" to decide (fewer than 3 criteria met so far)")
              if want_reasons() else no_reasons(x.n))
    return MetSResult(value, present, absent, n_met, detail, reason)


def _mets(x: Inputs) -> Computed:
    r = metabolic_syndrome_status(x, "us")
    ok = r.present | r.absent
    cat = np.full(x.n, None, dtype=object)
    cat[r.present] = "metabolic_syndrome"
    cat[r.absent] = "no_metabolic_syndrome"
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, r.reason)
    return Computed(r.value, cat, detail=r.detail, computable=ok, reason=reason)


register(Calculator(
    key="metabolic_syndrome", label='Metabolic syndrome',
    ranges='3 or more of 5 criteria (waist, triglycerides, HDL, blood pressure, glucose)',
    organ="whole_body", unit=None, requires=(), compute=_mets,
    formula=("Harmonized definition, >= 3 of 5: waist >= 102 cm men / >= 88 cm women (US cutoffs); "
             "triglycerides >= 150 mg/dL; HDL-C < 40 men / < 50 women mg/dL; BP >= 130/85 mmHg or treated; "
             "fasting glucose >= 100 mg/dL or diabetes. Decided when >= 3 are met or fewer than 3 can be met"),
    reference="Alberti KGMM et al. Harmonizing the metabolic syndrome. Circulation 2009;120:1640-5",
    mechanism=("Metabolic syndrome is the cluster insulin resistance produces: visceral fat, high triglycerides, "
               "low HDL, raised blood pressure and raised glucose."),
    abnormal=frozenset({"metabolic_syndrome"}),
))
