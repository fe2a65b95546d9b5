"""Kidney function: CKD-EPI 2021 eGFR and KDIGO categories (see docs/calculators/kidney.md).

The equations themselves are in :mod:`.formulas` (shared with the organ models without registering calculators).
"""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, egfr_cr, egfr_cr_cys, fmt, no_reasons
from .formulas import GFR_EDGES, egfr_ckd_epi_2021_cr, egfr_ckd_epi_2021_cr_cys  # noqa: F401
from .registry import Calculator, Computed, Inputs, categorize, register

# KDIGO 2012 / 2024 CKD guideline: GFR categories (GFR_EDGES, formulas.py) and albuminuria (mg/g).
GFR_LABELS = ["G5", "G4", "G3b", "G3a", "G2", "G1"]
ALB_LABELS = ["A1", "A2", "A3"]
# KDIGO heat map of CKD prognosis: rows G1..G5 (G1, G2, G3a, G3b, G4, G5), columns A1..A3;
# 0 low, 1 moderately increased, 2 high, 3 very high risk.
KDIGO_HEATMAP = np.array([
    [0, 1, 2],  # G1
    [0, 1, 2],  # G2
    [1, 2, 3],  # G3a
    [2, 3, 3],  # G3b
    [3, 3, 3],  # G4
    [3, 3, 3],  # G5
])

EGFR_REFERENCE = "Inker LA et al. N Engl J Med 2021;385:1737-49"
KDIGO_REFERENCE = ("KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of CKD, Kidney Int Suppl 2013;3:1-150; "
                   "KDIGO 2024 CKD Guideline, Kidney Int 2024;105(4S):S117-S314")


def gfr_category(egfr: np.ndarray) -> np.ndarray:
    """KDIGO G category label (G1, G2, G3a, G3b, G4, G5); a value on a cutoff goes to the better stage."""
    return categorize(np.asarray(egfr, dtype=float), GFR_EDGES, GFR_LABELS)


def gfr_index(egfr: np.ndarray) -> np.ndarray:
    """Heat-map row (0 = G1 ... 5 = G5); -1 where eGFR is missing."""
    egfr = np.asarray(egfr, dtype=float)
    idx = len(GFR_EDGES) - np.digitize(egfr, GFR_EDGES)
    return np.where(np.isnan(egfr), -1, idx)


def albuminuria_index(uacr: np.ndarray) -> np.ndarray:
    """0 = A1 (< 30 mg/g), 1 = A2 (30-300 inclusive), 2 = A3 (> 300); -1 where missing."""
    uacr = np.asarray(uacr, dtype=float)
    idx = np.where(uacr > 300.0, 2, np.where(uacr >= 30.0, 1, 0))
    return np.where(np.isnan(uacr), -1, idx)


def kdigo_risk(g_idx: np.ndarray, a_idx: np.ndarray) -> np.ndarray:
    """KDIGO heat-map risk 0..3 (low..very high); -1 where undecidable.

    A missing albuminuria column is resolved where every column gives the same
    answer (G4-G5 are very high whatever the albuminuria); a missing G row where
    every G1..G5 row gives the same answer (never, so such rows are -1).
    """
    g_idx, a_idx = np.asarray(g_idx), np.asarray(a_idx)
    both = (g_idx >= 0) & (a_idx >= 0)
    risk = np.where(both, KDIGO_HEATMAP[np.clip(g_idx, 0, 5), np.clip(a_idx, 0, 2)], -1)
    g_only = (g_idx >= 0) & (a_idx < 0)
    row_min = KDIGO_HEATMAP.min(axis=1)[np.clip(g_idx, 0, 5)]
    row_max = KDIGO_HEATMAP.max(axis=1)[np.clip(g_idx, 0, 5)]
    return np.where(g_only & (row_min == row_max), row_min, risk)


def staging_egfr(x: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """eGFR used for staging: creatinine-cystatin C where available, else creatinine.

    Returns ``(egfr, uses_cystatin)``, computed once per input table (shared: do not modify them).
    """
    def run():
        cr, crcys = egfr_cr(x), egfr_cr_cys(x)
        use_cys = ~np.isnan(crcys)
        return np.where(use_cys, crcys, cr), use_cys
    return x.memo("staging_egfr", run)


def _adult_reason(x: Inputs, reason: np.ndarray) -> None:
    age = x["age"]
    kid = age < 18
    add_reason(reason, kid, "age " + fmt(age[kid]) + " under 18: CKD-EPI 2021 is for adults")


def _egfr_cr(x: Inputs) -> Computed:
    v = egfr_cr(x)
    reason = no_reasons(x.n)
    _adult_reason(x, reason)
    add_reason(reason, x["creatinine"] <= 0, "creatinine must be > 0")
    return Computed(v, gfr_category(v), computable=~np.isnan(v), reason=reason)


EGFR_MECHANISM = ("Insulin resistance, with the high blood pressure and glucose that travel with it, first drives "
                  "the kidney to hyperfilter and then scars it, so eGFR drifts down over years.")
ABNORMAL_G = frozenset({"G3a", "G3b", "G4", "G5"})

register(Calculator(
    key="egfr_ckd_epi_2021", label='eGFR, kidney filtration (creatinine)',
    ranges='normal 90 or more; reduced below 60', organ="kidney", unit="mL/min/1.73m2",
    requires=("creatinine", "age", "female"), compute=_egfr_cr,
    formula=("eGFR = 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x 1.012 [female]; "
             "k 0.7 F / 0.9 M, a -0.241 F / -0.302 M, Scr mg/dL; adults >= 18 y; category = KDIGO G stage"),
    reference=EGFR_REFERENCE, mechanism=EGFR_MECHANISM, abnormal=ABNORMAL_G,
))


def _egfr_cr_cys(x: Inputs) -> Computed:
    v = egfr_cr_cys(x)
    reason = no_reasons(x.n)
    _adult_reason(x, reason)
    add_reason(reason, (x["creatinine"] <= 0) | (x["cystatin_c"] <= 0), "creatinine and cystatin_c must be > 0")
    return Computed(v, gfr_category(v), computable=~np.isnan(v), reason=reason)


register(Calculator(
    key="egfr_ckd_epi_2021_cr_cys", label='eGFR, kidney filtration (creatinine and cystatin C)',
    ranges='normal 90 or more; reduced below 60', organ="kidney", unit="mL/min/1.73m2",
    requires=("creatinine", "cystatin_c", "age", "female"), compute=_egfr_cr_cys,
    formula=("eGFR = 135 x min(Scr/k,1)^a x max(Scr/k,1)^-0.544 x min(Scys/0.8,1)^-0.323 x max(Scys/0.8,1)^-0.778 "
             "x 0.9961^age x 0.963 [female]; k 0.7 F / 0.9 M, a -0.219 F / -0.144 M; adults >= 18 y"),
    reference=EGFR_REFERENCE, mechanism=EGFR_MECHANISM, abnormal=ABNORMAL_G,
))


def _gfr_cat(x: Inputs) -> Computed:
    egfr, use_cys = staging_egfr(x)
    ok = ~np.isnan(egfr)
    value = gfr_category(egfr)
    detail = np.full(x.n, None, dtype=object)
    detail[ok & use_cys] = "from egfr_ckd_epi_2021_cr_cys (creatinine-cystatin C)"
    detail[ok & ~use_cys] = "from egfr_ckd_epi_2021 (creatinine only)"
    reason = no_reasons(x.n)
    missing = np.isnan(x["creatinine"]) | np.isnan(x["age"]) | np.isnan(x["female"])
    add_reason(reason, missing, "needs creatinine, age and female")
    _adult_reason(x, reason)
    add_reason(reason, ~missing & ~ok & ~(x["age"] < 18), "creatinine must be > 0")
    return Computed(value, value.copy(), detail=detail, computable=ok, reason=reason)


register(Calculator(
    key="kdigo_gfr_category", label='Kidney filtration stage (KDIGO)',
    ranges='G1-G2 normal or mildly decreased; G3a to G5 reduced',
    organ="kidney", unit=None, requires=(), compute=_gfr_cat,
    formula=("KDIGO G category from CKD-EPI 2021 eGFR (creatinine-cystatin C when available, else creatinine): "
             "G1 >= 90, G2 60-89, G3a 45-59, G3b 30-44, G4 15-29, G5 < 15 mL/min/1.73m2"),
    reference=KDIGO_REFERENCE, mechanism=EGFR_MECHANISM, abnormal=ABNORMAL_G,
))


def _alb_cat(x: Inputs) -> Computed:
    idx = albuminuria_index(x["uacr"])
    value = np.asarray(ALB_LABELS + [None], dtype=object)[idx]  # index -1 -> None
    return Computed(value, value.copy())


register(Calculator(
    key="kdigo_albuminuria_category", label='Albumin in urine (KDIGO)',
    ranges='A1 below 30 mg/g; A2 30-300; A3 above 300', organ="kidney", unit=None, requires=("uacr",), compute=_alb_cat,
    formula="KDIGO albuminuria category from urine albumin/creatinine ratio: A1 < 30, A2 30-300, A3 > 300 mg/g",
    reference=KDIGO_REFERENCE,
    mechanism="High insulin levels and glomerular hyperfiltration injure the kidney's filtering barrier, so albumin leaks into the urine early in insulin resistance.",
    abnormal=frozenset({"A2", "A3"}),
))
