"""Insulin resistance and secretion indices (see docs/calculators/insulin.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._helpers import add_reason, no_reasons
from .registry import Calculator, Computed, Inputs, categorize, ogtt_minutes, register

# ---------------------------------------------------------------------------
# Calculators
# ---------------------------------------------------------------------------


def _homa1_ir(x: Inputs) -> Computed:
    # Matthews DR et al., Diabetologia 1985;28:412-9: FPI[uIU/mL] x FPG[mg/dL] / 405.
    v = x["fasting_insulin"] * x["fasting_glucose"] / 405.0
    # Cutoff 2.5 is a commonly used, population-dependent threshold (Matthews 1985 reference 1.0).
    return Computed(v, categorize(v, [2.5], ["normal", "insulin_resistant"]))


register(Calculator(
    key="homa1_ir", label='HOMA-IR (insulin resistance)',
    ranges='typical below 2.5', organ="glucose_insulin", unit=None,
    requires=("fasting_glucose", "fasting_insulin"), compute=_homa1_ir,
    formula="HOMA1-IR = fasting insulin [uIU/mL] x fasting glucose [mg/dL] / 405",
    reference="Matthews DR et al. Diabetologia 1985;28:412-9",
    mechanism="Fasting insulin is high for the glucose it holds: the liver and muscle need more insulin than normal to keep glucose in range.",
    abnormal=frozenset({"insulin_resistant"}),
))


def _homa1_beta(x: Inputs) -> Computed:
    g, i = x["fasting_glucose"], x["fasting_insulin"]
    # Matthews 1985: %B = 20 x FPI / (FPG[mmol/L] - 3.5) = 360 x FPI / (FPG[mg/dL] - 63).
    ok = ~(g <= 63.0)
    v = np.where(ok, 360.0 * i / np.where(ok, g - 63.0, 1.0), np.nan)
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "fasting_glucose <= 63 mg/dL: HOMA1-%B is undefined")
    return Computed(v, computable=ok, reason=reason)


register(Calculator(
    key="homa1_beta", label='HOMA1-%B (beta-cell function)',
    ranges='about 100 % in healthy adults', organ="glucose_insulin", unit="%",
    requires=("fasting_glucose", "fasting_insulin"), compute=_homa1_beta,
    formula="HOMA1-%B = 360 x fasting insulin [uIU/mL] / (fasting glucose [mg/dL] - 63); undefined at glucose <= 63 mg/dL",
    reference="Matthews DR et al. Diabetologia 1985;28:412-9",
    mechanism="Beta-cell output runs high to make up for insulin resistance, and the fall from that high level marks beta cells that can no longer keep up.",
))


def _quicki(x: Inputs) -> Computed:
    g, i = x["fasting_glucose"], x["fasting_insulin"]
    # Katz A et al., JCEM 2000;85:2402-10: 1 / (log10 FPI[uIU/mL] + log10 FPG[mg/dL]).
    pos = ~((g <= 0) | (i <= 0))
    s = np.log10(np.where(pos, g * i, 1.0))
    ok = pos & ~(s <= 0)  # insulin x glucose <= 1 gives no finite positive index
    v = np.where(ok, 1.0 / np.where(ok, s, 1.0), np.nan)
    reason = no_reasons(x.n)
    add_reason(reason, ~pos, "fasting_glucose and fasting_insulin must be > 0")
    add_reason(reason, pos & ~ok, "fasting insulin x glucose <= 1: QUICKI undefined")
    # Below 0.339 is the insulin-resistance threshold usually quoted with Katz 2000
    # (healthy non-obese mean 0.366 +/- 0.029 in that paper); population dependent.
    return Computed(v, categorize(v, [0.339], ["insulin_resistant", "normal"]), computable=ok, reason=reason)


register(Calculator(
    key="quicki", label='QUICKI (insulin sensitivity)',
    ranges='insulin resistant below 0.339', organ="glucose_insulin", unit=None,
    requires=("fasting_glucose", "fasting_insulin"), compute=_quicki,
    formula="QUICKI = 1 / (log10 fasting insulin [uIU/mL] + log10 fasting glucose [mg/dL]); < 0.339 insulin resistant",
    reference="Katz A et al. J Clin Endocrinol Metab 2000;85:2402-10",
    mechanism="A low QUICKI means the fasting glucose and insulin product is high, so each unit of insulin is doing less work than it should.",
    abnormal=frozenset({"insulin_resistant"}),
))


def _tyg(x: Inputs) -> Computed:
    tg, g = x["triglycerides"], x["fasting_glucose"]
    ok = ~((tg <= 0) | (g <= 0))
    # Simental-Mendia LE et al., Metab Syndr Relat Disord 2008;6:299-304: ln(TG x FPG / 2), mg/dL.
    v = np.where(ok, np.log(np.where(ok, tg * g, 2.0) / 2.0), np.nan)
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "triglycerides and fasting_glucose must be > 0")
    # Published cutoffs range about 8.5-8.8 by population; 8.8 is a project choice (docs).
    return Computed(v, categorize(v, [8.8], ["normal", "insulin_resistant"]), computable=ok, reason=reason)


register(Calculator(
    key="tyg_index", label='TyG index (triglycerides x glucose)',
    ranges='insulin resistant at 8.8 or more', organ="glucose_insulin", unit=None,
    requires=("triglycerides", "fasting_glucose"), compute=_tyg,
    formula="TyG = ln(triglycerides [mg/dL] x fasting glucose [mg/dL] / 2); >= 8.8 flagged (project choice within the published 8.5-8.8)",
    reference="Simental-Mendia LE et al. Metab Syndr Relat Disord 2008;6:299-304",
    mechanism="Triglycerides and glucose rise together when insulin fails to restrain the liver's output of both fat and sugar.",
    abnormal=frozenset({"insulin_resistant"}),
))


def _tg_hdl(x: Inputs) -> Computed:
    tg, hdl = x["triglycerides"], x["hdl_cholesterol"]
    ok = ~(hdl <= 0)
    v = np.where(ok, tg / np.where(ok, hdl, 1.0), np.nan)
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "hdl_cholesterol must be > 0")
    # McLaughlin T et al., Ann Intern Med 2003;139:802-9: ratio >= 3.0 (mg/dL units) marks insulin resistance.
    return Computed(v, categorize(v, [3.0], ["normal", "insulin_resistant"]), computable=ok, reason=reason)


register(Calculator(
    key="tg_hdl_ratio", label='Triglyceride / HDL ratio',
    ranges='insulin resistant at 3.0 or more (both in mg/dL)', organ="glucose_insulin", unit=None,
    requires=("triglycerides", "hdl_cholesterol"), compute=_tg_hdl,
    formula="TG/HDL-C = triglycerides [mg/dL] / HDL cholesterol [mg/dL]; >= 3.0 insulin resistant",
    reference="McLaughlin T et al. Ann Intern Med 2003;139:802-9",
    mechanism="Insulin resistance floods the blood with triglyceride-rich particles that strip cholesterol from HDL, so the ratio climbs.",
    abnormal=frozenset({"insulin_resistant"}),
))


def _ogtt_matrix(x: Inputs, analyte: str, minutes: list[int]) -> np.ndarray:
    if not minutes:
        return np.full((x.n, 0), np.nan)
    return np.column_stack([x[f"ogtt_{analyte}_{m}"] for m in minutes])


def _row_sums(present: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(number of present samples, sum of the present values)`` of each row, as numpy's row sums give them.

    numpy adds a row of fewer than 8 values one after the other, so for up to 7 samples the sums are built
    column by column (much faster than reducing short rows, and the same numbers).
    """
    k = values.shape[1]
    if not 0 < k <= 7:
        return present.sum(axis=1), np.where(present, values, 0.0).sum(axis=1)
    count = present[:, 0].astype(np.intp)
    total = np.where(present[:, 0], values[:, 0], 0.0)
    for j in range(1, k):
        count += present[:, j]
        total += np.where(present[:, j], values[:, j], 0.0)
    return count, total


def _matsuda(x: Inputs) -> Computed:
    gmin, imin = ogtt_minutes(x, "glucose"), ogtt_minutes(x, "insulin")
    G, I = _ogtt_matrix(x, "glucose", gmin), _ogtt_matrix(x, "insulin", imin)
    g0, i0 = x["ogtt_glucose_0"], x["ogtt_insulin_0"]
    gh, ih = ~np.isnan(G), ~np.isnan(I)
    (gn, gsum), (in_, isum) = _row_sums(gh, G), _row_sums(ih, I)
    gmean = gsum / np.maximum(gn, 1)
    imean = isum / np.maximum(in_, 1)
    have0 = ~np.isnan(g0) & ~np.isnan(i0)
    enough = have0 & (gn >= 2) & (in_ >= 2)
    prod = g0 * i0 * gmean * imean
    ok = enough & (prod > 0)
    # Matsuda M, DeFronzo RA, Diabetes Care 1999;22:1462-70: 10000 / sqrt(G0 x I0 x mean G x mean I).
    v = np.where(ok, 10000.0 / np.sqrt(np.where(ok, prod, 1.0)), np.nan)
    reason = no_reasons(x.n)
    add_reason(reason, have0 & ~((gn >= 2) & (in_ >= 2)), "needs at least one post-load OGTT glucose and insulin sample")
    add_reason(reason, enough & ~ok, "OGTT glucose and insulin must be > 0")
    detail = _matsuda_detail(gh, gmin, ih, imin, ok)
    # Values below about 2.5 are commonly read as insulin resistant (not a formal cutoff; see docs).
    return Computed(v, categorize(v, [2.5], ["insulin_resistant", "normal"]), detail=detail, computable=ok, reason=reason)


def _matsuda_detail(gh: np.ndarray, gmin: list[int], ih: np.ndarray, imin: list[int], rows: np.ndarray) -> np.ndarray:
    """Per-row text naming the samples the means used, on ``rows`` (None elsewhere); one string per pattern."""
    out = np.full(rows.shape[0], None, dtype=object)
    if not rows.any():
        return out
    ng = len(gmin)
    code = np.zeros(rows.shape[0], dtype=np.int64)  # bit k: glucose sample k present; bit ng + k: insulin
    for k in range(ng):
        code |= gh[:, k].astype(np.int64) << k
    for k in range(len(imin)):
        code |= ih[:, k].astype(np.int64) << (ng + k)
    sel = np.flatnonzero(rows)
    inv, uniq = pd.factorize(code[sel])
    texts = np.empty(uniq.size, dtype=object)
    texts[:] = ["means over glucose at " + "/".join(str(m) for k, m in enumerate(gmin) if c >> k & 1) + " min; "
                + "insulin at " + "/".join(str(m) for k, m in enumerate(imin) if c >> (ng + k) & 1) + " min"
                for c in uniq]
    out[sel] = texts[inv]
    return out


register(Calculator(
    key="matsuda_index", label='Matsuda index (insulin sensitivity, OGTT)',
    ranges='insulin resistant below 2.5', organ="glucose_insulin", unit=None,
    requires=("ogtt_glucose_0", "ogtt_insulin_0"), compute=_matsuda,
    formula="Matsuda ISI = 10000 / sqrt(G0 x I0 x mean OGTT glucose x mean OGTT insulin); glucose mg/dL, insulin uIU/mL, means over the samples present; < 2.5 commonly read as insulin resistant",
    reference="Matsuda M, DeFronzo RA. Diabetes Care 1999;22:1462-70",
    mechanism="A low Matsuda index means a glucose drink needs far more insulin than usual to clear it, mostly because muscle takes glucose up poorly.",
    abnormal=frozenset({"insulin_resistant"}),
))


def _insulinogenic(x: Inputs) -> Computed:
    dg = x["ogtt_glucose_30"] - x["ogtt_glucose_0"]
    di = x["ogtt_insulin_30"] - x["ogtt_insulin_0"]
    ok = dg > 0
    # Seltzer HS et al., J Clin Invest 1967;46:323-35 (insulinogenic index); dI30/dG30.
    v = np.where(ok, di / np.where(ok, dg, 1.0), np.nan)
    reason = no_reasons(x.n)
    add_reason(reason, ~np.isnan(dg) & ~ok, "OGTT glucose did not rise by 30 min: index undefined")
    return Computed(v, computable=ok, reason=reason)


register(Calculator(
    key="insulinogenic_index", label='Insulinogenic index (early insulin response)',
    ranges='no single cut-off; lower means a weaker first response', organ="glucose_insulin", unit="uIU/mL per mg/dL",
    requires=("ogtt_glucose_0", "ogtt_glucose_30", "ogtt_insulin_0", "ogtt_insulin_30"), compute=_insulinogenic,
    formula="Insulinogenic index = (insulin 30 min - insulin 0) / (glucose 30 min - glucose 0); uIU/mL per mg/dL; undefined when glucose does not rise",
    reference="Seltzer HS et al. J Clin Invest 1967;46:323-35; see also Phillips DI et al. Diabet Med 1994;11:286-92",
    mechanism="Early insulin release after a glucose load falls as beta cells tire from years of compensating for insulin resistance.",
))
