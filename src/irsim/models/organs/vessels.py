"""Vessels: endothelial function (insulin -> PI3K/Akt -> eNOS arm lost, MAPK arm intact), systolic blood
pressure, plaque burden, and the annual hazards of myocardial infarction and stroke.

The ASCVD hazard is PREVENT (Khan 2024; :mod:`irsim.assessment.heart`, evaluated in jax) at the person's current
risk factors, turned into an instantaneous hazard whose 10-year integral over PREVENT's own age slope equals
PREVENT's 10-year cumulative hazard, times hazard ratios of the pathways PREVENT does not hold (sdLDL share,
inflammation, endothelial function, HbA1c within diabetes), each relative to year 0.
"""

from __future__ import annotations

import numpy as np

from ...assessment.formulas import prevent_risk, prevent_terms
from ...parameters import load
from ...solvers._jax import jnp
from ..organ import Organ, register
from ._common import c


def no_loss(dr, mech):
    """Loss of NO-mediated endothelial function (0 = none): insulin resistance of the PI3K arm, hyperglycaemia,
    inflammation; the ``endothelial`` switch removes it."""
    ir = jnp.maximum(1.0 / jnp.maximum(dr.muscle_si, 0.05) - 1.0, 0.0)
    return mech.endothelial * (c("vessels.endo_ir") * ir + c("vessels.endo_glucose") * dr.glucose_excess
                               + c("vessels.endo_inflammation") * dr.inflammation)


def endothelial(age, loss):
    """Endothelial function relative to a healthy 40-year-old (FMD / 7 %)."""
    return jnp.maximum(1.0 - c("vessels.endo_age") * jnp.maximum(age - 40.0, 0.0), 0.2) / (1.0 + loss)


def sbp_for_risk(dr, op, loss, glycosuria=1.0):
    """Systolic BP without the age drift (PREVENT's age terms carry that): weight, NO loss, MAPK (insulin), and an
    SGLT2 inhibitor's natriuresis (``glycosuria``: its pathway switch; the part of the drugs' blood-pressure effect
    that their weight and insulin changes do not carry)."""
    return (op.sbp0 + c("vessels.sbp_weight") * (dr.weight - op.weight0)
            + c("vessels.sbp_no_loss") * (loss - op.loss0)
            + c("vessels.sbp_insulin") * (jnp.log(dr.insulin_rel) - op.ln_insulin0)
            - c("vessels.sbp_sglt2") * glycosuria * dr.sglt2)


def sbp(t, sbp_risk):
    """Systolic BP: :func:`sbp_for_risk` plus the age drift."""
    return jnp.clip(sbp_risk + c("vessels.sbp_age") * t, 80.0, 240.0)


def plaque_drive(non_hdl, sdldl, dr, loss, mech, sd_ref):
    """Atherogenic exposure per year relative to the reference (non-HDL 130 mg/dL, low TG, no ROS, inflammation or
    NO loss): particles weighted by sdLDL, oxidation (ROS), inflammation and endothelial dysfunction."""
    a = c("vessels.plaque_sdldl")
    sd = (1.0 + a * mech.dyslipidemia * sdldl) / (1.0 + a * sd_ref)
    return ((non_hdl / c("vessels.non_hdl_reference")) * sd * (1.0 + c("vessels.plaque_ros") * dr.ros)
            * (1.0 + c("vessels.plaque_inflammation") * dr.inflammation)
            * (1.0 + c("vessels.plaque_endothelium") * loss / (1.0 + loss)))


def _clip_to_validity(name, x):
    lo, hi = load("prevent")["validity"][name]
    return jnp.clip(x, lo, hi)


def prevent_cumulative(age, female, tc, hdl, sbp_, dm, op, egfr):
    """PREVENT 10-year ASCVD cumulative hazard -ln(1 - risk) at the given risk factors (inputs clipped to the
    model's validity ranges)."""
    hdl_in = _clip_to_validity("hdl_cholesterol", hdl)
    tc_in = _clip_to_validity("total_cholesterol", tc - hdl + hdl_in)  # a clipped HDL keeps non-HDL as it is
    terms = prevent_terms(_clip_to_validity("age", age), tc_in, hdl_in, _clip_to_validity("systolic_bp", sbp_),
                          dm, op.smoker, op.bp_medication, op.statin, _clip_to_validity("egfr", egfr),
                          jnp.full_like(age, 25.0), xp=jnp)
    risk = jnp.clip(prevent_risk("ascvd", female, terms, xp=jnp) / 100.0, 1e-6, 0.99)
    return -jnp.log1p(-risk)


def risk_age(dr, op):
    """The age the risk equation reads: the person's age, or at most ``op.risk_age_cap`` where that is set (> 0; the
    age pathway of ``irsim explain`` holds a counterfactual person at its reference age; 0, the default, is none)."""
    return jnp.where(op.risk_age_cap > 0.0, jnp.minimum(dr.age, op.risk_age_cap), dr.age)


def ascvd_hazard(dr, op, tc, hdl, sbp_risk, egfr, multiplier):
    """Annual MI + stroke hazard: PREVENT at current age and risk factors, spread over its own age slope."""
    lo_age, hi_age = load("prevent")["validity"]["age"]
    step = c("vessels.prevent_age_step")
    dm = jnp.maximum(op.diabetes, dr.t2d)
    age = risk_age(dr, op)
    h10 = lambda a: prevent_cumulative(a, dr.female, tc, hdl, sbp_risk, dm, op, egfr)
    a_lo = jnp.clip(age - step, lo_age, hi_age - 2.0 * step)
    gamma = jnp.clip(jnp.log(h10(a_lo + 2.0 * step) / h10(a_lo)) / (2.0 * step), 0.01, 0.2)
    old = jnp.exp(c("vessels.age_slope_old") * jnp.maximum(age - hi_age, 0.0))
    return h10(age) * gamma / jnp.expm1(10.0 * gamma) * old * multiplier


def hazard_multiplier(sdldl, dr, endo_ir, op):
    """Hazard ratios, relative to year 0, of pathways outside PREVENT (sources in organs.yaml)."""
    a1c = jnp.maximum(dr.hba1c - 6.5, 0.0)
    return jnp.exp(jnp.log(c("vessels.hr_sdldl")) * (sdldl - op.sdldl0) / 0.1
                   + jnp.log(c("vessels.hr_inflammation")) * (dr.inflammation - op.inflammation0)
                   + jnp.log(c("vessels.hr_fmd")) * c("vessels.fmd_reference") * (endo_ir - op.endo0)
                   + jnp.log(c("vessels.hr_hba1c")) * (a1c - op.a1c_excess0))


# ------------------------------------------------------------------ the organ (models/organ.py)


def _initialise(y0):
    dr, col, n = y0.dr, y0.col, y0.n
    loss0 = np.asarray(no_loss(dr, y0.mech_np))
    sbp_default = np.asarray(c("vessels.sbp_default"))[np.digitize(dr.bmi, [25.0, 30.0])]
    sbp0 = col("systolic_bp")
    y0.assume(np.isnan(sbp0), lambda i: f"systolic blood pressure (default {sbp_default[i]:g} mmHg)")
    sbp0 = np.where(np.isnan(sbp0), sbp_default, sbp0)
    flag = lambda key: np.nan_to_num(col(key), nan=0.0)  # noqa: E731
    from ...schemas.person import FLAG_LABELS

    for key in ("smoker", "on_bp_medication", "on_statin"):
        y0.assume(np.isnan(col(key)), f"{FLAG_LABELS.get(key, key)}: no")
    op = y0.params
    non_hdl0 = op["ldl0"] + y0.values["tg0"] / op["vldl_factor"]
    drive0 = np.asarray(plaque_drive(non_hdl0, op["sdldl0"], dr, loss0, y0.mech_np, y0.values["sd_ref"]))
    plaque0 = drive0 * np.maximum(dr.age - c("vessels.plaque_onset_age"), 0.0) / c("vessels.plaque_span")
    params = {"sbp0": sbp0, "loss0": loss0, "ln_insulin0": np.log(dr.insulin_rel), "smoker": flag("smoker"),
              "bp_medication": flag("on_bp_medication"), "statin": flag("on_statin"), "diabetes": flag("diabetes"),
              "inflammation0": dr.inflammation, "endo0": 1.0 / (1.0 + loss0),
              "a1c_excess0": np.maximum(dr.hba1c - 6.5, 0.0), "risk_age_cap": np.zeros(y0.n)}
    return params, {"plaque": plaque0, "cvd_expected": np.zeros(n)}


def _derive(t, dr, o, op, mech, q):
    q["loss"] = loss = no_loss(dr, mech)
    q["endothelial"] = endothelial(dr.age, loss)
    q["sbp_risk"] = sbp_for_risk(dr, op, loss, mech.glycosuria)
    q["sbp"] = sbp(t, q["sbp_risk"])
    q["plaque_drive"] = plaque_drive(q["non_hdl"], q["sdldl"], dr, loss, mech, op.sd_ref)


def _rates(dr, op, q):
    hdl = q["hdl"]
    mult = hazard_multiplier(q["sdldl"], dr, 1.0 / (1.0 + q["loss"]), op)
    ascvd = ascvd_hazard(dr, op, q["ldl"] + q["tg"] / op.vldl_factor + hdl, hdl, q["sbp_risk"], q["egfr"], mult)
    share = c("vessels.stroke_share")
    q["hazard_mi"], q["hazard_stroke"] = (1.0 - share) * ascvd, share * ascvd


def _step(dr, o, op, mech, q, dt):
    return {"plaque": o.plaque + q["plaque_drive"] * dt / c("vessels.plaque_span"),
            "cvd_expected": o.cvd_expected + (q["hazard_mi"] + q["hazard_stroke"]) * dt}


def _observe(dr, o, op, q):
    return {"endothelial_function_rel": q["endothelial"], "systolic_bp_mmhg": q["sbp"], "plaque_burden": o.plaque,
            "cvd_events_expected": o.cvd_expected, "cvd_risk_percent": 100.0 * -jnp.expm1(-o.cvd_expected)}


ORGAN = register(Organ(
    name="vessels", order=30,
    columns={"endothelial_function_rel": ("x reference",
                                          "endothelial function (FMD relative to a healthy 40-year-old)"),
             "systolic_bp_mmhg": ("mmHg", "systolic blood pressure"),
             "plaque_burden": ("1", "plaque burden (1 = reference person at 55)"),
             "cvd_risk_percent": ("%", "chance of a heart attack or stroke since year 0 on this one path: 1 - exp(-expected "
                                       "events) (the chances over people like this person: irsim simulate --events)")},
    hazards={"hazard_mi": ("1/year", "annual myocardial infarction hazard"),
             "hazard_stroke": ("1/year", "annual stroke hazard")},
    expected={"cvd_events_expected": ("1", "expected MI and stroke events since year 0 (cumulative hazard)")},
    switches={"endothelial": ("endothelial dysfunction", "loss of insulin -> PI3K/Akt -> eNOS nitric oxide"),
              "dyslipidemia": ("atherogenic dyslipidaemia", "small dense LDL and low HDL feeding plaque")},
    pathways=("endothelial", "dyslipidemia", "vldl_export"),
    events={"mi": {"rate": "hazard_mi", "name": "MI", "label": "myocardial infarction",
                   "source": "PREVENT ASCVD x hazard ratios (docs/organs.md)"},
            "stroke": {"rate": "hazard_stroke", "name": "stroke", "label": "stroke",
                       "source": "PREVENT ASCVD x hazard ratios (docs/organs.md)"}},
    panels=(("cvd_risk_percent", "Heart attack or stroke risk on this path (%)"),),
    states=("plaque", "cvd_expected"),
    params=("sbp0", "loss0", "ln_insulin0", "smoker", "bp_medication", "statin", "diabetes", "inflammation0", "endo0",
            "a1c_excess0", "risk_age_cap"),
    initialise=_initialise, derive=_derive, rates=_rates, step=_step, observe=_observe))
