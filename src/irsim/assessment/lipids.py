"""Non-HDL cholesterol and LDL-C estimating equations (see docs/calculators/lipids.md)."""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, fmt, no_reasons
from .formulas import martin_hopkins_factor
from .registry import Calculator, Computed, Inputs, categorize, register

# NCEP ATP III (Circulation 2002;106:3143-421) LDL-C classes, mg/dL.
LDL_EDGES = [100.0, 130.0, 160.0, 190.0]
LDL_LABELS = ["optimal", "near_optimal", "borderline_high", "high", "very_high"]
# National Lipid Association recommendations part 1 (Jacobson TA et al., J Clin Lipidol
# 2015;9:129-69): non-HDL-C desirable < 130, above desirable 130-159, borderline high
# 160-189, high 190-219, very high >= 220 mg/dL.
NON_HDL_EDGES = [130.0, 160.0, 190.0, 220.0]
NON_HDL_LABELS = ["desirable", "above_desirable", "borderline_high", "high", "very_high"]
ABNORMAL = frozenset({"borderline_high", "high", "very_high"})

LIPID_INPUTS = ("total_cholesterol", "hdl_cholesterol", "triglycerides")
LDL_MECHANISM = ("Insulin resistance makes the liver pour out triglyceride-rich VLDL that is remodelled "
                 "into small dense LDL, so the atherogenic load is high even when LDL-C looks modest.")


def _ldl_result(v, ok, tg, limit: str, detail=None) -> Computed:
    """An LDL estimate, NaN where triglycerides are beyond the equation's range (``limit`` says which)."""
    v = np.where(ok, v, np.nan)
    reason = no_reasons(len(v))
    bad = ~ok
    add_reason(reason, bad, "triglycerides " + fmt(tg[bad]) + " " + limit)
    return Computed(v, categorize(v, LDL_EDGES, LDL_LABELS), detail=detail, computable=ok, reason=reason)


def _non_hdl(x: Inputs) -> Computed:
    v = x["total_cholesterol"] - x["hdl_cholesterol"]
    return Computed(v, categorize(v, NON_HDL_EDGES, NON_HDL_LABELS))


register(Calculator(
    key="non_hdl_cholesterol", label='Non-HDL cholesterol',
    ranges='desirable below 130 mg/dL; high 190 mg/dL or more', analyte="ldl_cholesterol", organ="lipids", unit="mg/dL",
    requires=("total_cholesterol", "hdl_cholesterol"), compute=_non_hdl,
    formula="non-HDL-C = total cholesterol - HDL cholesterol (mg/dL); NLA classes < 130 / 130-159 / 160-189 / 190-219 / >= 220",
    reference="Jacobson TA et al. (National Lipid Association). J Clin Lipidol 2015;9:129-69; NCEP ATP III, Circulation 2002;106:3143-421",
    mechanism="Non-HDL cholesterol counts every atherogenic particle, and insulin resistance raises it mainly through extra VLDL and remnant particles from the liver.",
    abnormal=ABNORMAL,
))


def _friedewald(x: Inputs) -> Computed:
    tc, hdl, tg = (x[k] for k in LIPID_INPUTS)
    ok = ~(tg >= 400.0)
    # Friedewald WT et al., Clin Chem 1972;18:499-502: LDL = TC - HDL - TG/5 (mg/dL), not for TG >= 400.
    return _ldl_result(tc - hdl - tg / 5.0, ok, tg, ">= 400 mg/dL: Friedewald not valid")


register(Calculator(
    key="ldl_friedewald", label='LDL cholesterol (Friedewald)',
    ranges='optimal below 100 mg/dL; high 160 mg/dL or more', analyte="ldl_cholesterol",
    organ="lipids", unit="mg/dL", requires=LIPID_INPUTS, compute=_friedewald,
    formula="LDL-C = total cholesterol - HDL-C - triglycerides / 5 (mg/dL); not valid at triglycerides >= 400 mg/dL",
    reference="Friedewald WT, Levy RI, Fredrickson DS. Clin Chem 1972;18:499-502",
    mechanism=LDL_MECHANISM, abnormal=ABNORMAL,
))


def _martin_hopkins(x: Inputs) -> Computed:
    tc, hdl, tg = (x[k] for k in LIPID_INPUTS)
    nh = tc - hdl
    ok = ~(tg >= 800.0)
    f = martin_hopkins_factor(tg, nh)
    # Martin SS et al., JAMA 2013;310:2061-8: LDL = non-HDL - TG / F.
    detail = np.full(x.n, None, dtype=object)
    detail[ok & (tg >= 400.0)] = "TG 400-799 mg/dL: extended factor table (Sajja 2021)"
    return _ldl_result(nh - tg / f, ok, tg, ">= 800 mg/dL: outside the Martin-Hopkins tables", detail)


register(Calculator(
    key="ldl_martin_hopkins", label='LDL cholesterol (Martin-Hopkins)',
    ranges='optimal below 100 mg/dL; high 160 mg/dL or more', analyte="ldl_cholesterol",
    organ="lipids", unit="mg/dL", requires=LIPID_INPUTS, compute=_martin_hopkins,
    formula=("LDL-C = non-HDL-C - triglycerides / F, F from the 180-cell table by TG and non-HDL-C strata "
             "(extended 240-cell table for TG 400-799 mg/dL); not estimated at TG >= 800 mg/dL"),
    reference="Martin SS et al. JAMA 2013;310:2061-8; extended table: Sajja A et al. JAMA Netw Open 2021;4:e2128817",
    mechanism=LDL_MECHANISM, abnormal=ABNORMAL,
))


def _sampson(x: Inputs) -> Computed:
    tc, hdl, tg = (x[k] for k in LIPID_INPUTS)
    ok = ~(tg > 800.0)
    nh = tc - hdl
    # Sampson M et al., JAMA Cardiol 2020;5:540-8 (NIH equation 2), mg/dL, TG <= 800.
    v = tc / 0.948 - hdl / 0.971 - (tg / 8.56 + tg * nh / 2140.0 - tg * tg / 16100.0) - 9.44
    return _ldl_result(v, ok, tg, "> 800 mg/dL: Sampson equation not valid")


register(Calculator(
    key="ldl_sampson", label='LDL cholesterol (Sampson)',
    ranges='optimal below 100 mg/dL; high 160 mg/dL or more', analyte="ldl_cholesterol",
    organ="lipids", unit="mg/dL", requires=LIPID_INPUTS, compute=_sampson,
    formula=("LDL-C = TC/0.948 - HDL-C/0.971 - (TG/8.56 + TG x non-HDL-C/2140 - TG^2/16100) - 9.44 "
             "(mg/dL); valid for TG <= 800 mg/dL"),
    reference="Sampson M et al. JAMA Cardiol 2020;5:540-8",
    mechanism=LDL_MECHANISM, abnormal=ABNORMAL,
))
