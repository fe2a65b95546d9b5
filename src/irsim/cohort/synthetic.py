"""Synthetic (virtual) populations as canonical input columns, for cohorts, trials and validation.

A population is described by a few published summary statistics; persons are drawn so that body size,
fasting glucose and fasting insulin covary the way they do in adults (insulin rises with BMI; glucose a little).
The distributions are documented with each population's entry in ``parameters/data/populations.yaml``.
"""

from __future__ import annotations

import numpy as np

from .. import parameters as _parameters
from ..models import progression as pm


#: Adult height by sex, cm: mean and sd (irsim choice, typical of European adult surveys).
HEIGHT_CM = {"female": (162.0, 6.5), "male": (176.0, 7.0)}
#: Correlation of HbA1c with fasting glucose across persons (project choice).
HBA1C_FASTING_CORR = 0.7
#: Correlation of the years since diagnosis with fasting glucose (project choice).
DURATION_FASTING_CORR = 0.5


def population(name: str, n: int, seed: int = 0, **overrides) -> dict[str, np.ndarray]:
    """Draw ``n`` persons of the named population (``parameters/data/populations.yaml``)."""
    spec = dict(_parameters.load("populations")["populations"][name])
    published = dict(spec)
    spec.update(overrides)
    v = lambda key, s=spec: s[key]["value"] if isinstance(s[key], dict) else s[key]  # noqa: E731
    # insulin and glucose levels belong to the mean BMI they were given at (the population's published one unless the
    # override gives them too): a re-centred BMI moves them along the population's own BMI slopes
    ref = lambda key: v("bmi_mean") if key in overrides else v("bmi_mean", published)  # noqa: E731
    rng = np.random.default_rng(seed)
    female = (rng.random(n) < v("female_share")).astype(float)
    age = np.clip(rng.normal(v("age_mean"), v("age_sd"), n), v("age_min"), v("age_max"))
    height = np.where(female > 0.5, rng.normal(*HEIGHT_CM["female"], n), rng.normal(*HEIGHT_CM["male"], n))
    bmi = np.clip(rng.normal(v("bmi_mean"), v("bmi_sd"), n), v("bmi_min"), v("bmi_max"))
    weight = bmi * (height / 100.0) ** 2
    # fasting insulin: log-normal, rising with BMI; fasting glucose: normal, rising a little with BMI and age
    z = rng.normal(0.0, 1.0, n)
    fpi = v("insulin_median") * np.exp(v("insulin_bmi_slope") * (bmi - ref("insulin_median")) + v("insulin_log_sd") * z)
    fpg = (v("glucose_mean") + v("glucose_bmi_slope") * (bmi - ref("glucose_mean"))
           + v("glucose_insulin_corr") * v("glucose_sd") * z
           + np.sqrt(1.0 - v("glucose_insulin_corr") ** 2) * v("glucose_sd") * rng.normal(0.0, 1.0, n))
    fpg = np.clip(fpg, v("glucose_min"), v("glucose_max"))
    fpi = np.clip(fpi, v("insulin_min"), v("insulin_max"))
    out = {"age": age, "female": female, "height": height, "weight": weight,
           "fasting_glucose": fpg, "fasting_insulin": fpi}
    zf = (fpg - fpg.mean()) / max(float(fpg.std()), 1e-9)
    if "glucose_2h_mean" in spec:
        # 2-h OGTT glucose: normal, correlated with fasting glucose (sets each person's beta-cell capacity)
        r = v("glucose_2h_fasting_corr")
        g2h = v("glucose_2h_mean") + v("glucose_2h_sd") * (r * zf + np.sqrt(1.0 - r ** 2) * rng.normal(0.0, 1.0, n))
        out["ogtt_glucose_120"] = np.clip(g2h, v("glucose_2h_min"), v("glucose_2h_max"))
    if "hba1c_mean" in spec:
        r = HBA1C_FASTING_CORR
        a1c = v("hba1c_mean") + v("hba1c_sd") * (r * zf + np.sqrt(1.0 - r ** 2) * rng.normal(0.0, 1.0, n))
        out["hba1c"] = np.clip(a1c, v("hba1c_min"), v("hba1c_max"))
    if "duration_min" in spec:
        # years since diagnosis of diabetes, longer with higher fasting glucose (project choice r = 0.5), uniform or
        # log-uniform over the study's range
        from math import erf

        r = DURATION_FASTING_CORR
        q = np.vectorize(lambda x: 0.5 * (1.0 + erf(x / np.sqrt(2.0))))(r * zf + np.sqrt(1.0 - r ** 2) * rng.normal(0.0, 1.0, n))
        lo, hi = v("duration_min"), v("duration_max")
        out["diabetes_duration_years"] = (lo * (hi / lo) ** q if spec.get("duration_log_uniform") else lo + (hi - lo) * q)
    # between-person random effects of the progression model (progression.yaml `heterogeneity`)
    out.update(progression_effects(*(rng.normal(0.0, 1.0, n) for _ in range(3)),  # own streams: draws above kept
                                   u_onset=np.random.default_rng([seed, 2]).random(n),
                                   z_split=np.random.default_rng([seed, 3]).standard_normal(n)))
    # the organ modules' (organs.yaml `heterogeneity`), from their own stream: the draws above stay as they are
    out.update(organ_effects(n, female, np.random.default_rng([seed, 1])))
    return out


def progression_effects(z_susceptibility, z_drift, z_decline, u_onset=None, z_split=None) -> dict[str, np.ndarray]:
    """Between-person random effects of the progression model from standard normal draws (progression.yaml
    `heterogeneity`): capacity susceptibility and decline (log-normal), drift of insulin sensitivity (normal); with
    uniform draws ``u_onset``, the age at which the decline begins (without them ``core.initialise`` gives one
    person's mean over the onset ages); with ``z_split``, the deviation from the typical split of an unmeasured 2-h
    glucose (normal; it acts only on persons without an OGTT, ``core.initialise``)."""
    drawn = {} if u_onset is None else {"decline_onset_age": np.asarray(pm.decline_onset_age(np.asarray(u_onset)))}
    if z_split is not None:
        drawn["ogtt_split"] = pm.c("heterogeneity.ogtt_split_sd") * np.asarray(z_split)
    return drawn | {"capacity_susceptibility": np.exp(pm.c("heterogeneity.capacity_susceptibility_log_sd") * z_susceptibility),
            "sensitivity_drift": pm.c("heterogeneity.sensitivity_drift_sd") * z_drift,
            "capacity_decline": pm.c("heterogeneity.capacity_decline_median") * np.exp(
                pm.c("heterogeneity.capacity_decline_log_sd") * z_decline)}


#: The organ effects' log-normal factors, in the order their standard normal draws are taken.
ORGAN_FACTORS = {"triglyceride_factor": "tg_log_sd", "hdl_factor": "hdl_log_sd", "filtration_factor": "filtration_log_sd",
                 "liver_export_factor": "liver_export_log_sd", "testosterone_factor": "testosterone_log_sd",
                 "shbg_factor": "shbg_log_sd"}


def organ_effects(n: int, female: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """:func:`organ_factors` with draws from ``rng``."""
    z = [rng.normal(0.0, 1.0, n) for _ in ORGAN_FACTORS]
    p = _parameters.flat_values("organs")["heterogeneity.pnpla3_148m_frequency"]
    return organ_factors(female, z, rng.binomial(2, p, n).astype(float))


def organ_factors(female: np.ndarray, z, pnpla3_alleles: np.ndarray) -> dict[str, np.ndarray]:
    """Between-person random effects of the organ modules from standard normal draws ``z`` (one per
    :data:`ORGAN_FACTORS` entry): log-normal factors (median 1) for TG and HDL beyond insulin resistance, nephron
    endowment (filtration capacity), hepatic VLDL export capacity and, in men, Leydig output and SHBG; with the PNPLA3
    148M allele counts (Hardy-Weinberg draws). Women keep factor 1 for testosterone and SHBG (men's sources)."""
    h = _parameters.flat_values("organs")
    men = np.asarray(female) < 0.5
    out = {name: np.exp(h[f"heterogeneity.{key}"] * zk) for (name, key), zk in zip(ORGAN_FACTORS.items(), z)}
    for name in ("testosterone_factor", "shbg_factor"):
        out[name] = np.where(men, out[name], 1.0)
    out["pnpla3_148m_alleles"] = np.asarray(pnpla3_alleles, dtype=float)
    return out
