"""Pure clinical formulas shared by the calculators and the organ models. Importing this module registers no
calculator; array functions take numpy arrays (``xp=jax.numpy`` where noted, inside the progression scan)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..parameters import load

# ADA Standards of Care in Diabetes 2025, Section 2 (Diagnosis and Classification), Table 2.1/2.2:
# (input, prediabetes lower limit, diabetes lower limit, unit).
ADA_2025_CUTOFFS: tuple[tuple[str, float, float, str], ...] = (
    ("fasting_glucose", 100.0, 126.0, "mg/dL"),
    ("glucose_2h", 140.0, 200.0, "mg/dL"),
    ("hba1c", 5.7, 6.5, "%"),
)

# KDIGO 2012 / 2024 GFR category edges (mL/min/1.73 m2).
GFR_EDGES = [15.0, 30.0, 45.0, 60.0, 90.0]


def _c() -> dict:
    return load("ckd_epi_2021")


def _sexed(pair: dict, female: np.ndarray) -> np.ndarray:
    return np.where(female == 1.0, pair["female"], pair["male"])


def egfr_ckd_epi_2021_cr(creatinine, age, female) -> np.ndarray:
    """CKD-EPI 2021 creatinine eGFR (mL/min/1.73 m2); NaN where an input is missing,
    creatinine <= 0, or age < 18."""
    c = _c()
    p = c["creatinine"]
    scr, age, female = (np.asarray(a, dtype=float) for a in (creatinine, age, female))
    ok = (scr > 0) & (age >= c["min_age"]) & ~np.isnan(female)
    r = np.where(ok, scr, 1.0) / _sexed(p["kappa"], female)
    v = (p["a"] * np.minimum(r, 1.0) ** _sexed(p["alpha"], female) * np.maximum(r, 1.0) ** p["beta"]
         * p["age_base"] ** age * np.where(female == 1.0, p["female_factor"], 1.0))
    return np.where(ok, v, np.nan)


def egfr_ckd_epi_2021_cr_cys(creatinine, cystatin_c, age, female) -> np.ndarray:
    """CKD-EPI 2021 creatinine-cystatin C eGFR (mL/min/1.73 m2); NaN where not defined."""
    c = _c()
    p = c["creatinine_cystatin"]
    scr, cys, age, female = (np.asarray(a, dtype=float) for a in (creatinine, cystatin_c, age, female))
    ok = (scr > 0) & (cys > 0) & (age >= c["min_age"]) & ~np.isnan(female)
    r = np.where(ok, scr, 1.0) / _sexed(p["kappa"], female)
    q = np.where(ok, cys, 1.0) / p["cys_kappa"]
    v = (p["a"] * np.minimum(r, 1.0) ** _sexed(p["alpha"], female) * np.maximum(r, 1.0) ** p["beta"]
         * np.minimum(q, 1.0) ** p["cys_lo"] * np.maximum(q, 1.0) ** p["cys_hi"]
         * p["age_base"] ** age * np.where(female == 1.0, p["female_factor"], 1.0))
    return np.where(ok, v, np.nan)


def fib4_index(age, ast, alt, platelets):
    """FIB-4 (Sterling RK et al., Hepatology 2006;43:1317-25): age x AST / (platelets [10^9/L] x sqrt(ALT));
    array-module agnostic (numpy here, jax.numpy in the progression scan)."""
    return age * ast / (platelets * alt ** 0.5)


@lru_cache(maxsize=None)
def _mh_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]:
    d = load("martin_hopkins")
    rows = d["original"]["rows"]
    tg_lo = np.array([r[0] for r in rows], dtype=float)
    orig = np.array([r[2] for r in rows], dtype=float)
    ext = np.array(d["extended"]["rows"], dtype=float)
    edges = np.array(d["non_hdl_edges"], dtype=float)
    return tg_lo, orig, ext, edges, float(d["extended"]["tg_start"]), float(d["extended"]["tg_step"])


def martin_hopkins_factor(tg: np.ndarray, non_hdl: np.ndarray) -> np.ndarray:
    """Adjustable TG:VLDL-C factor F for each row (NaN at TG >= 800 or missing inputs).

    TG strata are closed on their lower edge (TG 49.5 lies in the 7-49 stratum, 50
    starts the next). TG 400-799 uses the extended 10 mg/dL table; TG below 7 uses
    the first stratum.
    """
    tg_lo, orig, ext, edges, ext_start, ext_step = _mh_tables()
    tg = np.asarray(tg, dtype=float)
    col = np.searchsorted(edges, np.nan_to_num(non_hdl), side="right")
    tgz = np.nan_to_num(tg)
    row_o = np.clip(np.searchsorted(tg_lo, tgz, side="right") - 1, 0, len(tg_lo) - 1)
    row_e = np.clip(((tgz - ext_start) // ext_step).astype(np.int64), 0, ext.shape[0] - 1)
    f = np.where(tgz >= ext_start, ext[row_e, col], orig[row_o, col])
    bad = np.isnan(tg) | np.isnan(non_hdl) | (tg >= ext_start + ext_step * ext.shape[0])
    return np.where(bad, np.nan, f)


@lru_cache(maxsize=None)
def prevent_params() -> dict:
    return load("prevent")


def prevent_terms(age, total_cholesterol, hdl_cholesterol, systolic_bp, diabetes, smoker,
                  on_bp_medication, on_statin, egfr, bmi, xp=np) -> dict[str, np.ndarray]:
    """Transformed PREVENT predictors (Khan 2024 Supplement), keyed as in ``prevent.yaml`` (``xp``: numpy, or
    jax.numpy inside the progression scan)."""
    k = prevent_params()["mmol_per_mg_dl"]
    a = {n: xp.asarray(v, dtype=float) for n, v in dict(
        age=age, tc=total_cholesterol, hdl=hdl_cholesterol, sbp=systolic_bp, dm=diabetes, smoker=smoker,
        antihtn=on_bp_medication, statin=on_statin, egfr=egfr, bmi=bmi).items()}
    return {
        "cage": (a["age"] - 55.0) / 10.0,
        "cnhdl": (a["tc"] - a["hdl"]) * k - 3.5,
        "chdl": (a["hdl"] * k - 1.3) / 0.3,
        "sbp_lo": (xp.minimum(a["sbp"], 110.0) - 110.0) / 20.0,
        "sbp_hi": (xp.maximum(a["sbp"], 110.0) - 130.0) / 20.0,
        "egfr_lo": (xp.minimum(a["egfr"], 60.0) - 60.0) / -15.0,
        "egfr_hi": (xp.maximum(a["egfr"], 60.0) - 90.0) / -15.0,
        "bmi_lo": (xp.minimum(a["bmi"], 30.0) - 25.0) / 5.0,
        "bmi_hi": (xp.maximum(a["bmi"], 30.0) - 30.0) / 5.0,
        "dm": a["dm"], "smoker": a["smoker"], "antihtn": a["antihtn"], "statin": a["statin"],
    }


def prevent_risk(model: str, female: np.ndarray, terms: dict[str, np.ndarray], xp=np) -> np.ndarray:
    """10-year risk in percent for ``model`` in {"cvd", "ascvd", "hf"} (logistic, sex-specific)."""
    coefs = prevent_params()["models"][model]
    female = xp.asarray(female, dtype=float)
    xb = {}
    for sex in ("female", "male"):
        c = coefs[sex]
        s = xp.full(female.shape, float(c["constant"]))
        for name, beta in c.items():
            if name == "constant":
                continue
            t = xp.ones(female.shape)
            for part in name.split("*"):
                t = t * terms[part]
            s = s + float(beta) * t
        xb[sex] = s
    x = xp.where(female == 1.0, xb["female"], xb["male"])
    return 100.0 / (1.0 + xp.exp(-x))
