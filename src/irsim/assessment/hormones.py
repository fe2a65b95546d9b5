"""Sex hormones: calculated free testosterone and a PCOS-pattern screen (see docs/calculators/hormones.md)."""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, finding_lists, no_reasons
from .registry import Calculator, Computed, Inputs, register

# Vermeulen A, Verdonck L, Kaufman JM, JCEM 1999;84:3666-72 (ISSAM calculator conventions):
K_SHBG = 1.0e9          # L/mol, testosterone-SHBG association constant
K_ALB = 3.6e4           # L/mol, testosterone-albumin association constant
ALBUMIN_MOLAR_MASS = 69000.0  # g/mol (ISSAM convention)
ALBUMIN_DEFAULT = 4.3   # g/dL, used when albumin is not given (ISSAM default)

# Female upper reference limits, LC-MS/MS, women 20-80 y (Haring R et al., JCEM 2012;97:408-15):
# total testosterone 0.35-1.97 nmol/L, calculated free testosterone 0.0025-0.0253 nmol/L.
FEMALE_TT_UPPER = 1.97      # nmol/L
FEMALE_FT_UPPER = 0.0253    # nmol/L
# Male low calculated free testosterone: < 220 pmol/L (EMAS; Wu FCW et al., NEJM 2010;363:123-35).
MALE_FT_LOWER = 0.220       # nmol/L
# LH/FSH ratio >= 2 as a supportive PCOS finding (commonly used; not a Rotterdam criterion).
LH_FSH_CUTOFF = 2.0
# HOMA1-IR >= 2.5 as insulin resistance (the cutoff used by homa1_ir).
HOMA_IR_CUTOFF = 2.5

# PCOS is a diagnosis of the reproductive years: the pattern is read in women younger than the median age at
# natural menopause, 51.3 years (McKinlay SM et al. Maturitas 1992;14:103-15); irsim takes no menopause status.
PCOS_MAX_AGE = 51.0

PCOS_DISCLAIMER = ("consistent with a PCOS pattern; diagnosis needs Rotterdam criteria (ovulation, ultrasound) "
                   "and exclusion of mimics (thyroid disease, hyperprolactinaemia, non-classic CAH, Cushing's, "
                   "androgen-secreting tumours)")


def free_testosterone(tt_nmol: np.ndarray, shbg_nmol: np.ndarray, albumin_g_dl: np.ndarray) -> np.ndarray:
    """Vermeulen calculated free testosterone (nmol/L) from total T and SHBG (nmol/L) and albumin (g/dL)."""
    tt = np.asarray(tt_nmol, dtype=float) * 1e-9
    shbg = np.asarray(shbg_nmol, dtype=float) * 1e-9
    alb = np.asarray(albumin_g_dl, dtype=float) * 10.0 / ALBUMIN_MOLAR_MASS  # g/dL -> g/L -> mol/L
    n = 1.0 + K_ALB * alb
    a = K_SHBG * n
    b = n + K_SHBG * (shbg - tt)
    # Positive root of a FT^2 + b FT - TT = 0, written as 2 TT / (b + sqrt(b^2 + 4 a TT)) for stability.
    ft = 2.0 * tt / (b + np.sqrt(b * b + 4.0 * a * tt))
    return ft * 1e9


def _albumin_or_default(x: Inputs) -> tuple[np.ndarray, np.ndarray]:
    alb = x["albumin"]
    assumed = np.isnan(alb) | (alb <= 0)
    return np.where(assumed, ALBUMIN_DEFAULT, alb), assumed


def _free_t(x: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """``(free testosterone, computable)`` of every row (NaN where total T or SHBG is missing or negative),
    once per input table (shared by the two calculators; read-only)."""
    def run():
        tt, shbg = x["total_testosterone"], x["shbg"]
        alb, _ = _albumin_or_default(x)
        ok = (tt >= 0) & (shbg >= 0)
        return np.where(ok, free_testosterone(np.where(ok, tt, 0.0), np.where(ok, shbg, 0.0), alb), np.nan), ok
    return x.memo("free_testosterone", run)


def _ft(x: Inputs) -> Computed:
    tt, shbg = x["total_testosterone"], x["shbg"]
    _, assumed = _albumin_or_default(x)
    v, ok = _free_t(x)
    female = x["female"]
    cat = np.full(x.n, None, dtype=object)
    f, m = ok & (female == 1.0), ok & (female == 0.0)
    # labels as shared objects (np.where on strings would make one new string per row)
    cat[f] = np.asarray(["normal", "high"], dtype=object)[(v[f] > FEMALE_FT_UPPER).astype(np.intp)]
    cat[m] = np.asarray(["normal", "low"], dtype=object)[(v[m] < MALE_FT_LOWER).astype(np.intp)]
    detail = np.full(x.n, None, dtype=object)
    detail[ok & assumed] = f"albumin not given: {ALBUMIN_DEFAULT:g} g/dL assumed"
    reason = no_reasons(x.n)
    add_reason(reason, ~ok & ~np.isnan(tt) & ~np.isnan(shbg), "total_testosterone and shbg must be >= 0")
    return Computed(v, cat, detail=detail, computable=ok, reason=reason)


register(Calculator(
    key="free_testosterone_vermeulen", label='Free testosterone (calculated)',
    ranges='women: high above 0.0253 nmol/L; men: low below 0.220 nmol/L', organ="hormones", unit="nmol/L",
    requires=("total_testosterone", "shbg"), compute=_ft,
    formula=("FT = (-b + sqrt(b^2 + 4 a TT)) / (2 a), a = K_SHBG N, b = N + K_SHBG (SHBG - TT), N = 1 + K_alb [Alb], "
             "K_SHBG 1e9 L/mol, K_alb 3.6e4 L/mol, albumin 69 kDa (default 4.3 g/dL); "
             "women: high > 0.0253 nmol/L; men: low < 0.220 nmol/L"),
    reference=("Vermeulen A, Verdonck L, Kaufman JM. J Clin Endocrinol Metab 1999;84:3666-72; female range Haring R et al. "
               "J Clin Endocrinol Metab 2012;97:408-15; male cutoff Wu FCW et al. N Engl J Med 2010;363:123-35"),
    mechanism=("High insulin lowers SHBG and, in women, drives the ovary to make androgens, so free testosterone rises "
               "in women; in men, insulin resistance and visceral fat suppress testosterone, so free testosterone falls."),
    abnormal=frozenset({"high", "low"}),
))


def _pcos(x: Inputs) -> Computed:
    female = x["female"]
    tt, shbg = x["total_testosterone"], x["shbg"]
    ft, _ = _free_t(x)
    ft_high, tt_high = ft > FEMALE_FT_UPPER, tt > FEMALE_TT_UPPER
    androgen = ft_high | tt_high
    # Known "not high" needs total T, and free T as well when SHBG was measured.
    androgen_known = androgen | (~np.isnan(tt) & (np.isnan(shbg) | ~np.isnan(ft)))
    lh, fsh = x["lh"], x["fsh"]
    ratio_ok = fsh > 0
    lh_fsh = np.where(ratio_ok, lh / np.where(ratio_ok, fsh, 1.0), np.nan)
    lh_high = lh_fsh >= LH_FSH_CUTOFF
    lh_known = ~np.isnan(lh_fsh)
    homa = x["fasting_insulin"] * x["fasting_glucose"] / 405.0  # Matthews 1985, as homa1_ir
    ir = homa >= HOMA_IR_CUTOFF
    ir_known = ~np.isnan(homa)
    support = lh_high | ir
    support_known = support | (lh_known & ir_known)
    # Project rule: high androgens plus at least one supporting finding (LH/FSH >= 2 or HOMA1-IR >= 2.5).
    after = x["age"] >= PCOS_MAX_AGE  # unknown age: read the pattern
    is_f = (female == 1.0) & ~after
    true_ = is_f & androgen & support
    false_ = is_f & ((androgen_known & ~androgen) | (androgen & support_known & ~support))
    ok = true_ | false_
    value = np.full(x.n, None, dtype=object)
    value[true_] = True
    value[false_] = False
    cat = np.full(x.n, None, dtype=object)
    cat[true_] = "pcos_pattern"
    cat[false_] = "no_pcos_pattern"
    findings = [
        (ft_high, f"calculated free testosterone > {FEMALE_FT_UPPER:g} nmol/L (female upper limit, Haring 2012)"),
        (tt_high, f"total testosterone > {FEMALE_TT_UPPER:g} nmol/L (female upper limit, Haring 2012)"),
        (lh_high, f"LH/FSH ratio >= {LH_FSH_CUTOFF:g}"),
        (ir, f"HOMA1-IR >= {HOMA_IR_CUTOFF:g} (insulin resistance)"),
        (true_, PCOS_DISCLAIMER),
        (false_, "no PCOS pattern in the hormones given; this does not exclude PCOS, which is a clinical diagnosis "
                 "(Rotterdam criteria)"),
    ]
    detail = finding_lists(findings, ok)
    reason = no_reasons(x.n)
    add_reason(reason, female == 0.0, "applies to women")
    add_reason(reason, (female == 1.0) & after, f"applies to women before menopause (irsim reads it below age "
                                                f"{PCOS_MAX_AGE:g}, the median age at natural menopause)")
    add_reason(reason, np.isnan(female), "needs female")
    add_reason(reason, is_f & ~androgen_known, "needs total_testosterone (and shbg for free testosterone)")
    add_reason(reason, is_f & androgen & ~support_known,
               "high androgens; needs lh and fsh, or fasting_glucose and fasting_insulin, to decide")
    return Computed(value, cat, detail=detail, computable=ok, reason=reason)


register(Calculator(
    key="pcos_pattern", label='PCOS-like hormone pattern',
    ranges='women before menopause: high androgens with LH/FSH of 2 or more or HOMA-IR of 2.5 or more',
    organ="hormones", unit=None, requires=(), compute=_pcos,
    formula=(f"Women younger than {PCOS_MAX_AGE:g} (before menopause) only. Pattern = high androgens (calculated "
             "free testosterone > 0.0253 nmol/L or total testosterone > 1.97 nmol/L) AND (LH/FSH >= 2 OR HOMA1-IR >= 2.5). A screen, not a diagnosis: Rotterdam criteria "
             "(ovulation, ultrasound) and exclusion of mimics are needed"),
    reference=("Rotterdam ESHRE/ASRM-Sponsored PCOS Consensus Workshop Group. Fertil Steril 2004;81:19-25; "
               "Teede HJ et al. 2023 International Evidence-based PCOS Guideline, J Clin Endocrinol Metab "
               "2023;108:2447-69; androgen limits Haring R et al. J Clin Endocrinol Metab 2012;97:408-15"),
    mechanism=("High insulin acts with LH on the ovary to raise androgen output and lowers SHBG, which is why "
               "insulin resistance is at the centre of the PCOS pattern."),
    abnormal=frozenset({"pcos_pattern"}),
))
