"""Organ consequences of insulin resistance, stepped monthly in the same array program as the progression core.

One module per organ (:mod:`.liver`, :mod:`.lipids`, :mod:`.vessels`, :mod:`.kidney`, :mod:`.hormones`,
:mod:`.brain`); each is a set of pure functions of the core's quantities (:class:`Drivers`), the organ states,
per-person constants and the pathway switches (:class:`irsim.models.progression.Mechanisms`). This module builds
the drivers, steps the organ states and reads the output columns (:data:`COLUMNS`). Equations and sources:
docs/organs.md; numbers: parameters/data/organs.yaml.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ...solvers._jax import jnp
from ...units import GLUCOSE_MG_DL_PER_MMOL_L
from .. import progression as pm
from . import brain, hormones, kidney, lipids, liver, vessels
from ._common import c

#: Output columns appended to the core's (stable names; units in the names, docs/organs.md).
COLUMNS = ("liver_fat_percent", "fibrosis_stage", "nash_activity", "alt_u_l", "ast_u_l", "platelets_10e9_l", "fib4",
           "triglycerides_mg_dl", "hdl_mg_dl", "ldl_mg_dl", "non_hdl_mg_dl", "sdldl_share",
           "endothelial_function_rel", "systolic_bp_mmhg", "plaque_burden",
           "egfr_ml_min", "uacr_mg_g", "kdigo_stage",
           "testosterone_nmol_l", "shbg_nmol_l", "androgen_index", "lh_fsh_ratio", "estradiol_pmol_l",
           "brain_insulin_sensitivity_rel", "cognitive_index",
           "hazard_mi", "hazard_stroke", "hazard_dementia", "cvd_events_expected", "dementia_expected")

#: Event definitions on the output columns (for time-to-event sampling): column, comparison, threshold, source.
#: Hazard events ("rate") give the column holding the annual hazard.
EVENTS = {
    "nafld": {"column": "liver_fat_percent", "op": ">=", "threshold": c("liver.nafld_threshold"),
              "source": "Szczepaniak LS et al. Am J Physiol Endocrinol Metab 2005;288:E462-8 (1H-MRS 5.56 %)"},
    "nash": {"column": "nash_activity", "op": ">=", "threshold": c("liver.nash_threshold"),
             "source": "NAS >= 5 (Kleiner DE et al. Hepatology 2005;41:1313-21)"},
    "cirrhosis": {"column": "fibrosis_stage", "op": ">=", "threshold": 4.0, "source": "F4 (NASH CRN staging, Kleiner 2005)"},
    "ckd3": {"column": "egfr_ml_min", "op": "<", "threshold": 60.0, "source": "KDIGO 2012 G3a-G5"},
    "t2d": {"column": "glycemic_status", "op": "==", "threshold": "T2D", "source": "ADA 2025 (glycemic_status)"},
    "mi": {"rate": "hazard_mi", "source": "PREVENT ASCVD x hazard ratios (docs/organs.md)"},
    "stroke": {"rate": "hazard_stroke", "source": "PREVENT ASCVD x hazard ratios (docs/organs.md)"},
    "dementia": {"rate": "hazard_dementia", "source": "Jorm & Jolley 1998 age incidence x brain insulin resistance"},
}

#: Pathway switches of the organ modules (appended to the core's Mechanisms).
SWITCHES = ("ffa_influx", "lipogenesis", "vldl_export", "endothelial", "dyslipidemia", "androgens", "brain_insulin")


class Drivers(NamedTuple):
    """Core quantities the organs read (one month, batch shape)."""

    age: Any
    female: Any
    weight: Any
    bmi: Any
    fat_rel: Any          # fat mass / lean reference of the same sex
    ffa: Any              # FFA flux relative to the lean reference
    insulin_rel: Any      # fasting insulin / reference person's
    fpg_mmol: Any
    glucose_excess: Any   # day-mean glucose / reference - 1 (>= 0; 0 with glucotoxicity knocked out)
    hba1c: Any
    t2d: Any              # 1.0 where glycemic_status is T2D
    muscle_si: Any
    adipose_si: Any
    inflammation: Any
    mitochondria: Any
    er_stress: Any
    ros: Any
    carb_rel: Any         # carbohydrate share / 0.5
    energy: Any           # energy balance, kcal/day (negative while losing weight): rho x dW/dt (Hall 2011)


class OrganState(NamedTuple):
    liver_fat: Any            # %
    fibrosis: Any             # expected stage 0-4
    plaque: Any               # index, 1 = reference person at 55
    filtration: Any           # filtration capacity, mL/min/1.73m2 (eGFR = capacity x hyperfiltration)
    testosterone: Any         # total T of the previous month, nmol/L (the loop reads it)
    cognition: Any            # cognitive index
    cvd_expected: Any         # cumulative MI + stroke hazard since year 0
    dementia_expected: Any    # cumulative dementia hazard since year 0


class OrganParams(NamedTuple):
    """Per-person constants: lab-matching scales and the year-0 values the hazard ratios are relative to."""

    alt_scale: Any
    ast_scale: Any
    platelets_scale: Any
    tg_scale: Any
    hdl_scale: Any
    ldl0: Any
    vldl_factor: Any
    weight0: Any
    sbp0: Any
    loss0: Any
    ln_insulin0: Any
    uacr_offset: Any
    testosterone_scale: Any
    testosterone0: Any
    shbg_scale: Any
    lh_fsh_scale: Any
    smoker: Any
    bp_medication: Any
    statin: Any
    diabetes: Any
    sdldl0: Any
    inflammation0: Any
    endo0: Any
    a1c_excess0: Any
    sd_ref: Any
    fat_export: Any           # relative VLDL export capacity (PNPLA3 genotype; 1 = population mean)


def drivers(t, s: pm.State, d: pm.Derived, p: pm.Params, u: pm.Inputs, ref: dict) -> Drivers:
    f = d.fast
    fpg = f["fasting_glucose_mg_dl"]
    return Drivers(
        age=d.age, female=p.female, weight=s.weight, bmi=s.weight / (p.height_cm / 100.0) ** 2,
        fat_rel=d.fat / p.fat_ref, ffa=d.ffa, insulin_rel=f["fasting_insulin_pmol_l"] / ref["insulin"],
        fpg_mmol=fpg / GLUCOSE_MG_DL_PER_MMOL_L, glucose_excess=d.glucose_excess, hba1c=s.hba1c,
        t2d=(pm.status_code(fpg, f["ogtt_glucose_120"], s.hba1c) == 4).astype(jnp.float64),
        muscle_si=d.muscle_si, adipose_si=d.adipose_si, inflammation=s.inflammation, mitochondria=s.mitochondria,
        er_stress=s.er_stress, ros=d.ros, carb_rel=u.carb_share / pm.c("triad.dnl_carb_reference"),
        energy=s.energy * jnp.ones_like(fpg))


def coupled_params(p: pm.Params, o: OrganState, op: OrganParams, mech) -> pm.Params:
    """The core's parameters for this month with the organ feedback applied (testosterone -> muscle sensitivity)."""
    return p._replace(muscle0=p.muscle0 * hormones.muscle_factor(o.testosterone, op.testosterone0, p.female, mech))


def derive(t, dr: Drivers, o: OrganState, op: OrganParams, mech) -> dict:
    """Every organ quantity of month ``t`` (years since start) that follows from the states."""
    q: dict[str, Any] = {}
    q["supply"] = net = liver.supply(dr, mech)
    nas_act = liver.activity(o.liver_fat, dr)
    q["lobular"] = nas_act
    q["nas"] = nas = liver.steatosis_grade(o.liver_fat) + nas_act
    alt, ast, plt = liver.enzyme_shapes(nas, o.fibrosis)
    q["alt"], q["ast"], q["platelets"] = op.alt_scale * alt, op.ast_scale * ast, op.platelets_scale * plt
    q["tg"] = tg = op.tg_scale * lipids.tg_shape(net, dr, mech)
    q["hdl"] = hdl = op.hdl_scale * lipids.hdl_shape(tg)
    q["ldl"] = ldl = lipids.ldl(op.ldl0, dr.weight, op.weight0)
    q["non_hdl"] = non_hdl = ldl + tg / op.vldl_factor
    q["sdldl"] = sd = lipids.sdldl_share(tg)
    q["loss"] = loss = vessels.no_loss(dr, mech)
    q["endothelial"] = vessels.endothelial(dr.age, loss)
    sbp_risk = vessels.sbp_for_risk(dr, op, loss)
    q["sbp"] = sbp = vessels.sbp(t, dr, op, loss)
    q["plaque_drive"] = vessels.plaque_drive(non_hdl, sd, dr, loss, mech, op.sd_ref)
    q["hyper"] = hyper = kidney.hyperfiltration(dr)
    q["egfr"] = egfr = kidney.egfr(o.filtration, hyper)
    q["uacr"] = jnp.exp(op.uacr_offset + kidney.uacr_log_drive(dr, sbp, hyper))
    q["testosterone"] = tt = op.testosterone_scale * hormones.testosterone_shape(dr, mech)
    q["shbg"] = shbg = op.shbg_scale * hormones.shbg_shape(dr, mech)
    q["fai"] = 100.0 * tt / shbg
    q["lh_fsh"] = op.lh_fsh_scale * hormones.lh_fsh_shape(dr, mech)
    q["estradiol"] = hormones.estradiol(tt, dr)
    q["brain_si"] = bsi = brain.sensitivity(dr, mech)
    mult = vessels.hazard_multiplier(sd, dr, 1.0 / (1.0 + loss), op)
    ascvd = vessels.ascvd_hazard(dr, op, ldl + tg / op.vldl_factor + hdl, hdl, sbp_risk, egfr, mult)
    share = c("vessels.stroke_share")
    q["hazard_mi"], q["hazard_stroke"] = (1.0 - share) * ascvd, share * ascvd
    q["hazard_dementia"] = brain.dementia_hazard(dr, bsi)
    return q


def step(t, dr: Drivers, o: OrganState, op: OrganParams, mech, dt) -> OrganState:
    q = derive(t, dr, o, op, mech)
    return OrganState(
        liver_fat=liver.fat_step(o.liver_fat, q["supply"] / op.fat_export, mech, dt),
        fibrosis=liver.fibrosis_step(o.fibrosis, q["lobular"], dt),
        plaque=o.plaque + q["plaque_drive"] * dt / c("vessels.plaque_span"),
        filtration=o.filtration * jnp.exp(-kidney.loss_rate(dr, q["sbp"], q["hyper"]) * dt),
        testosterone=q["testosterone"],
        cognition=jnp.maximum(o.cognition - brain.decline_rate(dr, q["brain_si"]) * dt, 0.0),  # an index floored at 0
        cvd_expected=o.cvd_expected + (q["hazard_mi"] + q["hazard_stroke"]) * dt,
        dementia_expected=o.dementia_expected + q["hazard_dementia"] * dt,
    )


def observe(t, dr: Drivers, o: OrganState, op: OrganParams, mech) -> tuple:
    """Output columns in :data:`COLUMNS` order."""
    from ...assessment.formulas import fib4_index

    q = derive(t, dr, o, op, mech)
    return (o.liver_fat, o.fibrosis, q["nas"], q["alt"], q["ast"], q["platelets"],
            fib4_index(dr.age, q["ast"], q["alt"], q["platelets"]),
            q["tg"], q["hdl"], q["ldl"], q["non_hdl"], q["sdldl"],
            q["endothelial"], q["sbp"], o.plaque,
            q["egfr"], q["uacr"], kidney.g_index(q["egfr"]),
            q["testosterone"], q["shbg"], q["fai"], q["lh_fsh"], q["estradiol"],
            q["brain_si"], o.cognition,
            q["hazard_mi"], q["hazard_stroke"], q["hazard_dementia"], o.cvd_expected, o.dementia_expected)


# ------------------------------------------------------------------ starting states from labs


def initialise(columns: dict, params: pm.Params, state: pm.State, assumed: list[list[str]],
               carb_share: float = 0.5) -> tuple[OrganParams, OrganState]:
    """Organ constants and states at year 0: measured labs are matched exactly (per-person scales, as the core's
    ``a1c_offset``), missing ones get the model's value for the person's drivers scaled to a population default;
    each default is appended to ``assumed``. Liver fat starts at its steady state, filtration capacity at the
    measured eGFR (or the age default, a capacity the person's hyperfiltration multiplies), plaque at the person's
    cumulative exposure since 20. Between-person random effects (``triglyceride_factor``, ``hdl_factor``,
    ``filtration_factor``, ``liver_export_factor``, ``pnpla3_148m_alleles``, ``testosterone_factor``,
    ``shbg_factor``; cohort.synthetic) scale the defaults; a person without them gets the median."""
    from ...assessment.formulas import egfr_ckd_epi_2021_cr, martin_hopkins_factor

    n = len(assumed)
    col = lambda key: np.asarray(columns.get(key, np.full(n, np.nan)), dtype=float)
    ref = {k: jnp.asarray(v) for k, v in pm.reference().items()}
    u = pm.Inputs(energy=np.zeros(n), weight_target=np.full(n, np.nan), activity=np.zeros(n), metformin=np.zeros(n),
                  carb_share=np.full(n, carb_share), cortisol=np.ones(n))
    mech = pm.Mechanisms()
    d = pm.derive(0.0, state, params, u, mech, ref)
    dr = Drivers(*(np.asarray(x, dtype=float) for x in drivers(0.0, state, d, params, u, ref)))
    female = dr.female > 0.5
    effect = lambda key, median=1.0: np.where(np.isnan(col(key)), median, col(key))  # noqa: E731
    fat_export = np.asarray(liver.export_capacity(effect("pnpla3_148m_alleles",
                                                         2.0 * c("heterogeneity.pnpla3_148m_frequency")))
                            * effect("liver_export_factor"))

    def scaled(key, shape, default, name, unit):
        """Scale so that ``scale x shape`` equals the lab at year 0, or the default where none was measured."""
        lab = col(key)
        shape = np.asarray(shape, dtype=float)
        default = np.broadcast_to(np.asarray(default, dtype=float), (n,))
        for i in np.flatnonzero(np.isnan(lab)):
            assumed[i].append(f"{name} (model: {default[i] * shape[i]:.3g} {unit})")
        return np.where(np.isnan(lab), default, lab / shape)

    fat0 = np.asarray(liver.steady_fat(liver.supply(dr, mech) / fat_export, mech))
    o_tmp = OrganState(liver_fat=fat0, fibrosis=np.zeros(n), plaque=np.zeros(n), filtration=np.zeros(n),
                       testosterone=np.zeros(n), cognition=np.zeros(n), cvd_expected=np.zeros(n),
                       dementia_expected=np.zeros(n))
    # fibrosis: from FIB-4 where AST, ALT and platelets were measured, else F0
    from ...assessment.formulas import fib4_index

    f4 = np.asarray(fib4_index(dr.age, col("ast"), col("alt"), col("platelets")))
    xs, ys = c("liver.fib4_to_stage")
    stage0 = np.where(np.isfinite(f4), np.interp(f4, xs, ys), 0.0)
    for i in np.flatnonzero(~np.isfinite(f4)):
        assumed[i].append("fibrosis stage F0 (no AST, ALT and platelets)")
    nas = np.asarray(liver.steatosis_grade(fat0) + liver.activity(fat0, dr))
    alt, ast, plt = (np.asarray(x) for x in liver.enzyme_shapes(nas, stage0))
    net = np.asarray(liver.supply(dr, mech))
    tg_shape = np.asarray(lipids.tg_shape(net, dr, mech))
    tg_scale = scaled("triglycerides", tg_shape, c("lipids.tg_reference") * effect("triglyceride_factor"),
                      "triglycerides", "mg/dL")
    tg0 = tg_scale * tg_shape
    hdl_shape = np.asarray(lipids.hdl_shape(tg0))
    hdl_default = np.where(female, c("lipids.hdl_reference_female"), c("lipids.hdl_reference_male"))
    hdl_scale = scaled("hdl_cholesterol", hdl_shape, hdl_default * effect("hdl_factor"), "HDL cholesterol", "mg/dL")
    hdl0 = hdl_scale * hdl_shape
    tc, ldl_lab = col("total_cholesterol"), col("ldl_cholesterol")
    non_hdl_lab = tc - hdl0
    # Martin-Hopkins factor (TG/VLDL-C) where its table applies (TG < 400 mg/dL), else Friedewald's 5
    mh = martin_hopkins_factor(np.minimum(tg0, 399.0), np.where(np.isfinite(non_hdl_lab), non_hdl_lab, 130.0))
    mh = np.where(np.isfinite(mh), mh, c("lipids.vldl_factor_default"))
    ldl0 = np.where(np.isfinite(ldl_lab), ldl_lab,
                    np.where(np.isfinite(non_hdl_lab), non_hdl_lab - tg0 / mh, c("lipids.ldl_default")))
    for i in np.flatnonzero(np.isnan(ldl_lab) & np.isnan(tc)):
        assumed[i].append(f"LDL cholesterol (default {c('lipids.ldl_default'):g} mg/dL)")
    vldl_c = np.where(np.isfinite(ldl_lab) & np.isfinite(non_hdl_lab), non_hdl_lab - ldl_lab, tg0 / mh)
    vldl_factor = np.clip(tg0 / np.maximum(vldl_c, 1.0), 3.0, 12.0)
    mech_np = pm.Mechanisms(*(np.ones(n) for _ in pm.Mechanisms._fields))
    loss0 = np.asarray(vessels.no_loss(dr, mech_np))
    sbp_default = np.asarray(c("vessels.sbp_default"))[np.digitize(dr.bmi, [25.0, 30.0])]
    sbp0 = col("systolic_bp")
    for i in np.flatnonzero(np.isnan(sbp0)):
        assumed[i].append(f"systolic blood pressure (default {sbp_default[i]:g} mmHg)")
    sbp0 = np.where(np.isnan(sbp0), sbp_default, sbp0)
    egfr_lab = np.asarray(egfr_ckd_epi_2021_cr(col("creatinine"), dr.age, dr.female))
    hyper0 = np.asarray(kidney.hyperfiltration(dr))
    # without creatinine the age default is the capacity (times the person's nephron endowment); hyperfiltration on top
    ages, values = c("kidney.egfr_default_age")
    capacity_default = np.interp(dr.age, ages, values) * effect("filtration_factor")
    for i in np.flatnonzero(np.isnan(egfr_lab)):
        assumed[i].append(f"eGFR (model: {capacity_default[i] * hyper0[i]:.0f} mL/min/1.73m2 from the default for age; "
                          "no creatinine)")
    egfr0 = np.where(np.isnan(egfr_lab), capacity_default * hyper0, egfr_lab)
    uacr_drive = np.asarray(kidney.uacr_log_drive(dr, sbp0, hyper0))
    # the lean reference's drive is 0 (SBP 120, no glucose excess, hyperfiltration or hyperinsulinaemia)
    uacr_scale = scaled("uacr", np.exp(uacr_drive), c("kidney.uacr_default"), "UACR", "mg/g")
    s_shape = np.asarray(hormones.shbg_shape(dr, mech))
    s_median = np.where(female, c("hormones.shbg_default_female"), c("hormones.shbg_default_male"))
    s_scale = scaled("shbg", s_shape, s_median * np.where(female, 1.0, effect("shbg_factor")), "SHBG", "nmol/L")
    t_shape = np.asarray(hormones.testosterone_shape(dr, mech))
    # men: the person's Leydig output, and total T follows their SHBG at the model's elasticity (binding)
    t_men = (c("hormones.testosterone_default_male") * effect("testosterone_factor")
             * (s_scale / s_median) ** c("hormones.total_shbg_exponent"))
    t_scale = scaled("total_testosterone", t_shape, np.where(female, c("hormones.testosterone_default_female"), t_men),
                     "total testosterone", "nmol/L")
    lh, fsh = col("lh"), col("fsh")
    ratio_lab = np.where(fsh > 0, lh / np.where(fsh > 0, fsh, 1.0), np.nan)
    lf_shape = np.asarray(hormones.lh_fsh_shape(dr, mech))
    lf_scale = np.where(np.isnan(ratio_lab), c("hormones.lh_fsh_default"), ratio_lab / lf_shape)
    for i in np.flatnonzero(np.isnan(ratio_lab) & female):
        assumed[i].append("LH/FSH ratio (model, from the default 1)")
    flag = lambda key: np.nan_to_num(col(key), nan=0.0)
    for key in ("smoker", "on_bp_medication", "on_statin"):
        for i in np.flatnonzero(np.isnan(col(key))):
            assumed[i].append(f"{key}: no")
    sd_ref = float(lipids.sdldl_share(c("lipids.tg_reference")))
    sdldl0 = np.asarray(lipids.sdldl_share(tg0))
    op = OrganParams(
        alt_scale=scaled("alt", alt, c("liver.alt_default"), "ALT", "U/L"),
        ast_scale=scaled("ast", ast, c("liver.ast_default"), "AST", "U/L"),
        platelets_scale=scaled("platelets", plt, c("liver.platelets_default"), "platelets", "10^9/L"),
        tg_scale=tg_scale, hdl_scale=hdl_scale, ldl0=ldl0, vldl_factor=vldl_factor, weight0=dr.weight,
        sbp0=sbp0, loss0=loss0, ln_insulin0=np.log(dr.insulin_rel), uacr_offset=np.log(uacr_scale),
        testosterone_scale=t_scale, testosterone0=t_scale * t_shape, shbg_scale=s_scale, lh_fsh_scale=lf_scale,
        smoker=flag("smoker"), bp_medication=flag("on_bp_medication"), statin=flag("on_statin"),
        diabetes=flag("diabetes"), sdldl0=sdldl0, inflammation0=dr.inflammation, endo0=1.0 / (1.0 + loss0),
        a1c_excess0=np.maximum(dr.hba1c - 6.5, 0.0), sd_ref=np.full(n, sd_ref), fat_export=fat_export)
    non_hdl0 = ldl0 + tg0 / vldl_factor
    drive0 = np.asarray(vessels.plaque_drive(non_hdl0, sdldl0, dr, loss0, mech_np, sd_ref))
    plaque0 = drive0 * np.maximum(dr.age - c("vessels.plaque_onset_age"), 0.0) / c("vessels.plaque_span")
    o = o_tmp._replace(fibrosis=stage0, plaque=plaque0, filtration=egfr0 / hyper0, testosterone=t_scale * t_shape,
                       cognition=np.asarray(brain.index_at_age(dr.age)))
    return op, o



#: Labels of the numeric ``kdigo_stage`` column (KDIGO G category, 0 = G1 ... 5 = G5).
KDIGO_LABELS = ("G1", "G2", "G3a", "G3b", "G4", "G5")
