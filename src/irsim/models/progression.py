"""Years-scale progression of insulin resistance: body weight, the cellular triad, tissue sensitivities, beta cells.

Pure functions of (state, parameters, inputs); one monthly step for a whole batch of persons (batch on every
leaf, any shape). Equations and their sources: docs/progression.md; numbers: parameters/data/progression.yaml.

Multi-rate coupling: each month the slow states set the fast (Dalla Man) model's knobs, and the fast model's
answer (fasting glucose and insulin, OGTT glucose, the representative day's mean glucose and secretion) comes
from :mod:`irsim.models.meal_surrogate`, a table of full fast-model simulations.

States (all per person):
  weight          body weight, kg (Hall 2011 energy balance, or prescribed during a weight-loss programme)
  inflammation    adipose/systemic inflammatory tone (TNF-a, IL-6, NLRP3 -> IL-1b), index, 0 = lean reference
  mitochondria    oxidative capacity relative to a 30-year-old reference
  er_stress       unfolded-protein-response load of the insulin-target tissues (liver, muscle, adipose), index, 0 = none
  beta_er         the beta cells' own UPR load, index, 0 = none: the tissues' drivers plus secretory demand
  beta_mass       beta-cell mass relative to the Dalla Man normal subject
  beta_function   secretory function (Ha 2016 sigma): scales basal and stimulated secretion, relative to the same
  hba1c           %, lagging the glycated-haemoglobin mean glucose (ADAG)
  insulin         fasting insulin of the previous step, pmol/L (drives de novo lipogenesis)
  capacity        beta-cell functional capacity (identity/reserve), 1 = intact; lost irreversibly to glucotoxic
                  dedifferentiation (down to a plateau, Cinti 2016), ER stress and a person's glucose-independent
                  decline: the slow decompensation that leads to diabetes
  energy          energy balance of the previous step, kcal/day (negative while losing weight; Hall 2011 rho x dW/dt)
  islet_fat       pancreatic (islet) triglyceride relative to the lean reference: the reversible lipotoxic part of
                  beta-cell dysfunction (Taylor's twin cycle; Lim 2011)
  glucotoxic      reversible glucotoxic suppression of glucose-stimulated secretion, fraction (Weir 2001; the acute
                  response is lost first as glucose rises, Brunzell 1976, and returns when glucose is lowered)

Beta-cell secretion has four separate components, each applied once: beta_mass (slow, Topp 2000 set point),
capacity (irreversible loss of functional mass), beta_function (fast adaptive secretory function that scales basal
and stimulated secretion, months; its target carries compensation; Ha 2016) and the stimulated responsivity (a person
constant set by the 2-h glucose, reversibly suppressed by islet fat and by glucotoxicity).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from .. import parameters as _parameters
from ..solvers._jax import jax, jnp, kept_jit
from ..solvers.batching import padded
from . import meal_surrogate
from . import medicines as med

STATUS = ("NGT", "IFG", "IGT", "IFG+IGT", "T2D")


def constants() -> dict[str, float]:
    """Flat ``section.name -> value`` map of progression.yaml (its ParameterSet keeps units and sources)."""
    return _parameters.flat_values("progression")


c = _parameters.lookup("progression")


class Params(NamedTuple):
    """Per-person constants (arrays of the batch shape)."""

    female: Any      # 1.0 / 0.0
    height_cm: Any
    age0: Any        # age at year 0
    w_set0: Any      # body-weight set point at year 0, kg
    rho: Any         # kcal per kg of weight change (Hall 2011)
    tau_w: Any       # weight time constant, years (Hall 2011)
    muscle0: Any     # intrinsic muscle insulin sensitivity (knob multiplier at zero triad load)
    liver0: Any      # intrinsic hepatic insulin sensitivity
    adipose0: Any    # intrinsic adipose insulin sensitivity
    fat_ref: Any     # fat mass of the lean reference of the same sex, kg
    activity0: Any   # habitual activity at year 0, min/week
    a1c_offset: Any  # measured HbA1c minus the model's glycation estimate at year 0 (held constant), %
    capacity_susceptibility: Any  # multiplier of the glucotoxic capacity-loss rate (1: population median)
    sensitivity_drift: Any        # drift of log intrinsic insulin sensitivity, 1/year (0: none beyond the model's)
    capacity_decline: Any         # glucose-independent loss of beta-cell functional capacity, 1/year (random effect)
    decline_onset_age: Any        # age (years) at which that decline begins (random effect)
    decline_onset_width: Any      # years over which it reaches its full rate (one person: the onset spread)
    responsivity: Any             # stimulated (first-phase and proportional) responsivity of secretion to glucose,
                                  # 1 = reference; set from the 2-h OGTT glucose (1 without one)
    filtration: Any               # kidney filtration capacity this month, mL/min/1.73 m2 (the kidney organ couples it
                                  # in; medicines.yaml sglt2.egfr_reference before): scales SGLT2-inhibitor glycosuria
    mean_glucose0: Any            # day-mean glucose at year 0, mg/dL (its glycosuria is in the starting weight's balance)
    stunning0: Any                # stunning at year 0 (0 without diabetes at the start): the most the person's can be
    workload0: Any                # secretory load per secreting cell at year 0 (the stunning target's reference)


class State(NamedTuple):
    weight: Any
    inflammation: Any
    mitochondria: Any
    er_stress: Any
    beta_mass: Any
    beta_function: Any
    hba1c: Any
    insulin: Any
    capacity: Any
    energy: Any
    islet_fat: Any
    glucotoxic: Any
    drug_weight: Any      # weight change caused by the energy terms of medicines and glycosuria, kg (weight_update)
    insulin_dose: Any     # titrated basal insulin dose, IU/day (0: none)
    care_step: Any        # usual care: how many of its steps have been added
    diagnosed: Any        # 1 with diabetes by the labs at year 0 or once found at a yearly check (usual care starts)
    urine_kcal: Any       # calories lost in urine in the last step beyond year 0's (drug-induced and untreated),
                          # kcal/day: part of the energy balance that does not lower glucose production (deficit_drive)
    reserve: Any          # beta-cell reserve left by the person's glucose-independent decline, 1 = intact
    beta_er: Any          # unfolded-protein-response load of the beta cells, index, 0 = none (er_stress: the tissues')
    stunning: Any         # reversible suppression of the remaining beta cells' secretion, fraction (0 = none): set at the
                          # start of a person with diabetes from their duration (stunning_start), lifts when they rest


class Inputs(NamedTuple):
    """Inputs of one month (arrays broadcastable to the batch). Medicines: models/medicines.py."""

    energy: Any           # change in energy intake, kcal/day (calorie_change)
    weight_target: Any    # prescribed weight fraction of the set point (NaN: free energy balance)
    activity: Any         # extra activity, min/week
    metformin: Any        # mg/day
    carb_share: Any       # carbohydrate share of energy
    cortisol: Any         # cortisol tone, 1 = normal
    semaglutide: Any = 0.0          # mg/week
    tirzepatide: Any = 0.0          # mg/week
    pioglitazone: Any = 0.0         # mg/day
    sulfonylurea: Any = 0.0         # fraction of the drug's maximal licensed dose
    sglt2: Any = 0.0                # SGLT2 inhibitor, fraction of the drug's maximal licensed dose
    insulin: Any = 0.0              # fixed basal insulin dose, IU/day
    insulin_target: Any = np.nan    # fasting glucose basal insulin is titrated to, mg/dL (NaN: not titrated)
    care_target: Any = np.nan       # usual care's HbA1c target, % (NaN: no usual care; inf: none, a glucose limit)
    care_fasting_limit: Any = np.inf  # usual care: fasting glucose above which a step is added, mg/dL
    care_checks: Any = 1.0          # usual care: checks a year
    care_metformin: Any = 0.0       # usual care: the step that adds each drug (0: not one of its steps)
    care_sulfonylurea: Any = 0.0
    care_pioglitazone: Any = 0.0
    care_semaglutide: Any = 0.0
    care_basal_insulin: Any = 0.0
    care_sglt2_inhibitor: Any = 0.0


class Mechanisms(NamedTuple):
    """Pathway switches (1 = on, 0 = knocked out; floats so they can be batched)."""

    inflammation: Any = 1.0
    mitochondria: Any = 1.0
    er_stress: Any = 1.0
    lipotoxicity: Any = 1.0
    glucotoxicity: Any = 1.0
    # organ pathways (models/organs, docs/organs.md)
    ffa_influx: Any = 1.0      # liver: FFA influx from unsuppressed adipose lipolysis
    lipogenesis: Any = 1.0     # liver: de novo lipogenesis (insulin, carbohydrate)
    vldl_export: Any = 1.0     # liver: saturating VLDL export (0: export not saturated)
    endothelial: Any = 1.0     # vessels: loss of insulin -> PI3K/Akt -> eNOS (NO)
    dyslipidemia: Any = 1.0    # lipids/vessels: TG excess, low HDL, small dense LDL -> plaque
    androgens: Any = 1.0       # hormones: insulin on Leydig/theca cells and SHBG; low T -> muscle sensitivity
    brain_insulin: Any = 1.0   # brain: brain insulin resistance
    # medicines (models/medicines.py, docs/medicines.md)
    appetite: Any = 1.0            # GLP-1/GIP: lower energy intake
    incretin: Any = 1.0            # GLP-1/GIP: glucose-dependent insulin secretion
    insulin_sensitizer: Any = 1.0  # pioglitazone: PPAR-gamma insulin sensitisation
    gip_adipose: Any = 1.0         # tirzepatide: GIP-receptor adipose insulin sensitisation
    secretagogue: Any = 1.0        # sulfonylurea: secretion at any glucose, beta-cell wear
    exogenous_insulin: Any = 1.0   # injected basal insulin
    glycosuria: Any = 1.0          # SGLT2 inhibitor: urinary glucose and calories, less hyperfiltration, natriuresis
    gluconeogenesis: Any = 1.0     # metformin: less hepatic gluconeogenesis, more liver and muscle insulin action
    gdf15: Any = 1.0               # metformin: GDF15-mediated fall in energy intake


# ------------------------------------------------------------------ body composition

def fat_mass(weight, age, female, height_cm):
    """Fat mass, kg (Hall 2011 Web Appendix eq. 4, Jackson-type, from BMI and age), never below essential fat."""
    bmi = weight / (height_cm / 100.0) ** 2
    a = jnp.where(female > 0.5, c("body.fat_lnbmi_female"), c("body.fat_lnbmi_male"))
    b = jnp.where(female > 0.5, c("body.fat_const_female"), c("body.fat_const_male"))
    pct = c("body.fat_age") * age + a * jnp.log(bmi) - b
    # the regression is fitted on adults of ordinary build; at very low BMI it falls below essential fat
    floor = jnp.where(female > 0.5, c("body.essential_fat_female"), c("body.essential_fat_male"))
    return weight * jnp.maximum(pct, floor) / 100.0


def rmr(weight, age, female, height_cm):
    """Resting metabolic rate, kcal/day (Mifflin-St Jeor 1990)."""
    sex = jnp.where(female > 0.5, c("body.rmr_female"), c("body.rmr_male"))
    return c("body.rmr_weight") * weight + c("body.rmr_height") * height_cm - c("body.rmr_age") * age + sex


def hall_rho_tau(weight, fat, rmr_kcal):
    """Energy density of weight change (kcal/kg) and time constant (years): Hall 2011 eq. 14 (linearised)."""
    forbes = c("body.forbes_C") / fat
    beta = c("body.beta_AT") + c("body.beta_TEF")
    delta = ((1.0 - c("body.beta_TEF")) * c("body.pal") - 1.0) * rmr_kcal / weight
    num = c("body.nu_F") + c("body.rho_F") + forbes * (c("body.nu_L") + c("body.rho_L"))
    rho = num / ((1.0 - beta) * (1.0 + forbes))
    tau_days = num / (c("body.gamma_F") + delta + forbes * (c("body.gamma_L") + delta))
    return rho, tau_days / 365.25


def reference_fat(female):
    """Fat mass of the lean reference person (BMI 22, reference age, mean height) of each sex."""
    h = jnp.where(female > 0.5, c("defaults.height_cm_female"), c("defaults.height_cm_male"))
    w = c("visceral.reference_bmi") * (h / 100.0) ** 2
    return fat_mass(w, c("visceral.reference_age"), female, h)


def visceral_rel(fat, age, female, fat_ref):
    """Visceral fat relative to the lean reference (share of fat mass rising with age; Kuk 2009)."""
    share = jnp.where(female > 0.5, c("visceral.share_female"), c("visceral.share_male"))
    age_f = 1.0 + c("visceral.share_age_slope") * (age - c("visceral.reference_age"))
    return fat * share * jnp.maximum(age_f, 0.5) / (fat_ref * share)


def activity_level(minutes):
    """0 at none, 1 at 150 min/week, saturating towards 2."""
    m50 = c("triad.activity_half_minutes")
    return 2.0 * minutes / (minutes + m50)


# ------------------------------------------------------------------ one month

def _saturate(z, top):
    """z for small drives, bounded by ``top`` (Michaelis-Menten form): keeps the triad's loops from running away."""
    return z / (1.0 + z / top)


def _relax(x, target, tau, dt):
    return target + (x - target) * jnp.exp(-dt / tau)


def _relax_implicit(x, target, slope, tau, dt):
    """Exact step of ``dx/dt = (T(x) - x) / tau`` with ``T`` linearised at ``x`` (``slope = dT/dx <= 0``): ``x`` relaxes
    to the linearised fixed point ``x + (T - x) / (1 - slope)`` at the rate ``(1 - slope) / tau``. Stable for any
    ``dt / tau`` (a time constant of days in monthly steps); at ``slope = 0`` it is :func:`_relax`."""
    gain = 1.0 - jnp.minimum(slope, 0.0)
    return x + (target - x) / gain * (1.0 - jnp.exp(-gain * dt / tau))


def meal_knobs(muscle_si, liver_si, functional, function, stimulated) -> dict:
    """The fast (Dalla Man) model's knobs for the slow states. Secretory function scales the whole secretion rate,
    basal and stimulated (Ha 2016: ISR = sigma x M(G)), by ``function ** basal_share`` on the mass knob; the
    stimulated responsivity (``stimulated``, first phase) scales only the meal model's derivative and proportional
    gains, and carries the 2-h glucose information and the reversible lipotoxic (islet fat) suppression of first-phase
    secretion (Lim 2011). Each component is applied once (docs/progression.md)."""
    phi = c("beta.function_basal_share")
    return {"muscle_si": muscle_si, "liver_si": liver_si, "beta_mass": functional * function ** phi,
            "beta_function": function ** (1.0 - phi) * stimulated}


def record_knobs(get) -> dict:
    """The fast model's knobs from a run's recorded columns (``get(name)``): the oral stimulated responsivity is the
    recorded (intravenous) responsivity times the endogenous incretin effect."""
    return meal_knobs(get("muscle_insulin_sensitivity_rel"), get("liver_insulin_sensitivity_rel"),
                      get("beta_cell_mass_rel"), get("beta_cell_function_rel"),
                      get("beta_cell_responsivity_rel") * get("incretin_effect_rel"))


def stimulated(s: State, p: Params, mech: Mechanisms):
    """Stimulated responsivity of secretion: the person's constant, suppressed reversibly by islet triglyceride above
    the lean reference (Taylor's twin cycle: first-phase insulin recovered as pancreatic fat fell; Lim 2011) and by
    glucotoxicity (the ``glucotoxic`` state; Brunzell 1976, Weir 2001)."""
    lipo = 1.0 + mech.lipotoxicity * c("beta.islet_fat_suppression") * jnp.maximum(s.islet_fat - 1.0, 0.0)
    return p.responsivity * (1.0 - s.glucotoxic) / lipo


def incretin_effect(s: State):
    """Oral-to-intravenous potentiation of stimulated secretion relative to normal tolerance's (1: intact; 1 /
    ``incretin_potentiation``: none left). It follows the same relaxed glycaemic exposure as the glucotoxic state: the
    day-mean glucose that state implies, through a steep Hill around ``incretin_loss_half`` (Mari 2013, Muscelli 2008)."""
    h = jnp.clip(s.glucotoxic / c("beta.gluco_tox_max"), 1e-9, 1.0 - 1e-9)
    g = c("beta.gluco_tox_half") * (h / (1.0 - h)) ** (1.0 / c("beta.gluco_tox_hill"))
    q = 1.0 / (1.0 + (c("beta.incretin_loss_half") / g) ** c("beta.incretin_loss_hill"))
    pot = c("beta.incretin_potentiation")
    return (1.0 + (pot - 1.0) * (1.0 - q)) / pot


def total_capacity(s: State):
    """Functional capacity: the identity kept (``capacity``: glucose-driven dedifferentiation, ER stress, wear by
    secretagogues) times the reserve left by the person's glucose-independent decline (``reserve``). The two losses are
    separate: the plateau of dedifferentiation (Cinti 2016) is a share of the cells that remain, whatever the decline
    has taken."""
    return s.capacity * s.reserve


def functional_mass(s: State):
    """Beta-cell mass that keeps its identity and secretes: mass x capacity ** exponent (dedifferentiated cells
    stop secreting; Talchai 2012) x the share not stunned (reversibly silent; :func:`stunning_target`)."""
    return s.beta_mass * total_capacity(s) ** c("beta.capacity_mass_exponent") * (1.0 - s.stunning)


def stunning_target(p: Params, load, mech: Mechanisms):
    """Target of the reversible stunning at a secretory load per secreting cell ``load`` (workload relative to the
    reference): the start's stunning times a steep Hill in the load relative to the start's, ``1 / (1 + (r / x)^m)``
    with ``x = load / p.workload0`` and ``r = beta.stunning_rest``, taken relative to its value at ``x = 1`` and never
    above the start's. It lifts when the beta cells rest (their load falls to a fraction of the start's, as with
    exogenous insulin: Kramer 2013) and stays lifted while the cells it gives back share the load."""
    r, m = c("beta.stunning_rest"), c("beta.stunning_hill")
    hill = lambda x: 1.0 / (1.0 + (r / jnp.maximum(x, 1e-6)) ** m)  # noqa: E731
    share = jnp.minimum(hill(load / jnp.maximum(p.workload0, 1e-9)) / hill(1.0), 1.0)
    return mech.glucotoxicity * p.stunning0 * share


def stunning_start(functional, since_diagnosis, diabetic):
    """(stunning, factor on beta-cell mass) at the start: a person with diabetes keeps the beta-cell mass autopsy
    series give for their years since diagnosis (Rahier 2008: 24 % below controls' within 5 years, 54 % after 15; the
    controls' mass is the reference subject's, mass rising only slightly with BMI), and the rest of the fitted
    functional mass's deficit is stunning, so the fasting knob (mass x (1 - stunning)) is unchanged."""
    e0, e1 = c("beta.stunning_early_years"), c("beta.stunning_late_years")
    share = np.clip((np.nan_to_num(since_diagnosis) - e0) / (e1 - e0), 0.0, 1.0)
    deficit = c("beta.stunning_deficit_early") + (c("beta.stunning_deficit_late") - c("beta.stunning_deficit_early")) * share
    prior = 1.0 - deficit
    stun = np.where(diabetic & (functional < prior), 1.0 - functional / prior, 0.0)
    return stun, 1.0 / (1.0 - stun)


class Derived(NamedTuple):
    age: Any
    fat: Any
    visceral: Any
    ffa: Any
    lipid: Any            # lipid intermediates (DAG/ceramide) excess, muscle
    liver_lipid: Any      # hepatic lipid intermediates (DAG-PKCe) from the triglyceride flux through the liver
    muscle_si: Any
    liver_si: Any
    adipose_si: Any
    fast: dict            # surrogate outputs
    workload: Any         # insulin secretion per functional beta-cell mass, relative to the reference (ER load)
    set_point: Any        # fasting glucose relative to the common set point G* (the reference subject's): what
                          # secretory function compensates and beta-cell mass regulates towards (Topp 2000, Ha 2016)
    glucose_excess: Any   # day-mean glucose / reference - 1 (>= 0)
    ros: Any              # ROS excess
    hepatic_supply: Any   # net hepatic triglyceride supply relative to the lean reference (1)
    stimulated: Any       # stimulated responsivity of secretion (stimulated() x the incretin drugs' gain)
    exposure: Any         # medicines in effect (models.medicines.Exposure)
    insulin_dose: Any     # basal insulin acting, IU/day (0 with its pathway switched off)
    weight_offset: Any    # weight the medicines add outside the energy balance, kg (observed weight = state + this)
    appetite_drop: Any    # fall of energy intake caused by appetite-lowering drugs before the feedback, kcal/day
    intake_change: Any    # the drugs' net change of energy intake (their fall less the feedback), % of maintenance
    urinary_glucose: Any  # glucose lost in urine because of SGLT2 inhibition at the day's mean glucose, g/day
    glycosuria_kcal: Any  # its calories, kcal/day (an energy deficit, with the appetite drugs' intake feedback)
    glycosuria_change_kcal: Any  # calories of untreated glycosuria beyond year 0's (at the day-mean glucose), kcal/day
    hypoglycaemia: Any    # annual hazard of substantive hypoglycaemia caused by a sulfonylurea or basal insulin, 1/year
    fasting_elasticity: Any  # d ln fasting glucose / d ln secretory function (<= 0): the loop step() closes implicitly
    incretin_effect: Any  # endogenous incretin potentiation of oral stimulated secretion, x normal tolerance's
    hepatic_oxidation: Any  # medicines' gain on hepatic fatty-acid oxidation (1: none; medicines.hepatic_oxidation)


def lipolysis_factor(adipose_si):
    """Fatty-acid release relative to the reference's suppressed flux at adipose insulin sensitivity ``a``: adipose
    resistance releases more (``1 + f (1 - a)``, at most ``1 + f`` when insulin no longer restrains lipolysis), more
    sensitivity than the reference's restrains the suppressible part further (``1 - f + f / a``, never below the
    non-suppressible ``1 - f``: insulin suppresses lipolysis by about 80-90 % at most, Jensen 1989). The two branches
    meet with the same slope at ``a = 1`` (``f``: ``visceral.ffa_adipose``)."""
    f = c("visceral.ffa_adipose")
    a = jnp.maximum(adipose_si, 1e-9)
    return jnp.where(a <= 1.0, 1.0 + f * (1.0 - a), 1.0 - f + f / a)


def excess(x, switch):
    """``x`` with its part above the reference (1) scaled by a pathway switch: knocking the pathway out (0) keeps
    the driver at most at the reference, so a knock-out never raises what the driver raises."""
    return jnp.minimum(x, 1.0) + switch * jnp.maximum(x - 1.0, 0.0)


def energy_term(energy):
    """Factor of the energy balance (kcal/day) on the hepatic triglyceride supply: ``1 + gain x energy / 1000``,
    floored at ``hepatic.energy_floor`` (a deficit cuts the supply at once; Lim 2011)."""
    return jnp.maximum(1.0 + c("hepatic.energy_gain") * energy / 1000.0, c("hepatic.energy_floor"))


def hepatic_supply(ffa, carb_rel, insulin_rel, mitochondria, energy, mech, oxidation=1.0):
    """Net hepatic triglyceride supply relative to the lean reference (1): FFA influx from adipose lipolysis, de novo
    lipogenesis (carbohydrate and insulin) and diet in Donnelly 2005's shares, net of fatty-acid oxidation; an energy
    deficit cuts it at once, beyond what the lower weight does (less DNL and dietary fat, more oxidation; Lim 2011).
    The liver's fat stock (organs.liver), its DAG-PKCe hepatic insulin resistance and pancreatic fat all follow it.
    ``oxidation`` multiplies the hepatic fatty-acid oxidation (a medicine's gain, :func:`medicines.hepatic_oxidation`)."""
    ffa = excess(ffa, mech.ffa_influx)
    dnl = excess(carb_rel * insulin_rel ** c("hepatic.dnl_insulin_exponent"), mech.lipogenesis)
    x = c("hepatic.share_ffa") * ffa + c("hepatic.share_dnl") * dnl + c("hepatic.share_diet")
    ox = c("hepatic.oxidation_share")
    return energy_term(energy) * x * (1.0 - jnp.minimum(ox * mitochondria * oxidation, 0.9)) / (1.0 - ox)


def deficit_drive(energy):
    """Factor (<= 1) on the glucose-production drive during an energy deficit (``energy`` < 0, kcal/day): caloric
    restriction lowers hepatic glucose output and fasting glucose within days, before weight is lost, and the effect
    goes at energy balance (Henry 1985, Kelley 1993). The supply's :func:`energy_term` of the deficit
    raised to ``hepatic.egp_deficit_exponent``; 1 at balance or in surplus."""
    return energy_term(jnp.minimum(energy, 0.0)) ** c("hepatic.egp_deficit_exponent")


def adipocyte_size(fat, fat_start):
    """Factor (<= 1) on the adipose fatty-acid flux from adipocyte size: below the fat mass of the person's year-0 body
    (``fat_start``, at the same age) the cells have shrunk, their number staying after weight loss (Spalding KL et al.
    Nature 2008;453:783-7), and release fewer fatty acids than fat mass says across people. Fat gained above it is
    left to fat mass alone, as before v2.8 (no term above 1; the symmetric form was measured and not adopted,
    docs/progression.md). ``(fat / fat_start)^visceral.ffa_adipocyte_exponent`` (DiRECT-calibrated)."""
    return jnp.minimum(fat / fat_start, 1.0) ** c("visceral.ffa_adipocyte_exponent")


def mean_glucose(fast: dict):
    """24-h mean glucose, mg/dL, on the scale HbA1c reads (ADAG): fasting glucose plus the representative day's
    postprandial excess, saturating at ``glycaemia.postprandial_excess_max``. The meal model's excess is right near
    normal tolerance (12 mg/dL for the reference subject) but grows to 100-190 mg/dL at low beta-cell function, where
    measured mean glucose stays 5-15 mg/dL above fasting (ADAG data, Wei 2014). Under basal insulin the excess is
    raised towards ``glycaemia.basal_insulin_day_excess`` by insulin's share of the fasting knob (Rosenstock 2008)."""
    fpg = fast["fasting_glucose_mg_dl"]
    x = jnp.maximum(fast["day_mean_glucose_mg_dl"] - fpg, 0.0)
    e = c("glycaemia.postprandial_excess_max")
    excess = e * x / (e + x)
    # under basal insulin the fasting state is held down and the meals' excursions stay (with_fasting_secretion)
    basal = fast.get("basal_insulin_share", 0.0) * jnp.maximum(c("glycaemia.basal_insulin_day_excess") - excess, 0.0)
    return fpg + excess + basal


def derive(t, s: State, p: Params, u: Inputs, mech: Mechanisms, ref: dict) -> Derived:
    """Everything that follows algebraically from the states in month ``t`` (years since start)."""
    age = p.age0 + t
    x = med.exposure(u, s)
    g_adipose, g_liver, g_muscle = med.sensitivity_gains(x, mech)
    fat = fat_mass(s.weight, age, p.female, p.height_cm)
    act = activity_level(p.activity0 + u.activity)
    vis = visceral_rel(fat, age, p.female, p.fat_ref) * (1.0 - c("visceral.activity_reduction") * act)
    s_adipose = mech.inflammation * c("triad.irs_jnk") * s.inflammation + mech.er_stress * c("triad.irs_er") * s.er_stress
    adipose_si = p.adipose0 * g_adipose / (1.0 + s_adipose)
    ffa = (adipocyte_size(fat, fat_mass(p.w_set0, age, p.female, p.height_cm))
           * (fat / p.fat_ref) ** c("visceral.ffa_fat_exponent")
           * (1.0 + c("visceral.ffa_visceral_weight") * (vis - 1.0))
           * lipolysis_factor(adipose_si))
    # lipid intermediates (DAG/ceramide): log excess of fatty-acid supply over oxidative capacity
    lipid = mech.lipotoxicity * jnp.log(jnp.maximum(ffa / s.mitochondria, 1.0))
    # hepatic DAG: log excess of the triglyceride flux through the liver (follows an energy deficit within days)
    oxidation = med.hepatic_oxidation(x, mech)
    supply = hepatic_supply(ffa, u.carb_share / c("triad.dnl_carb_reference"), s.insulin / ref["insulin"],
                            s.mitochondria, s.energy, mech, oxidation)
    liver_lipid = mech.lipotoxicity * jnp.log(jnp.maximum(supply, 1.0))
    jnk = mech.inflammation * c("triad.irs_jnk") * s.inflammation
    er = mech.er_stress * c("triad.irs_er") * s.er_stress
    cort = jnp.maximum(u.cortisol - 1.0, 0.0)
    # adiposity beyond the triad's pathways (adipokines, ectopic fat): sensitivity follows weight relative to year 0
    size = (s.weight / p.w_set0) ** (-c("sensitivity.weight_elasticity"))
    drift = jnp.exp(-p.sensitivity_drift * t)
    met_share = mech.gluconeogenesis * med.metformin_occupancy(x)
    muscle_si = (g_muscle * p.muscle0 * drift * size * (1.0 + c("sensitivity.muscle_activity_gain") * act)
                 * (1.0 + c("sensitivity.metformin_muscle") * met_share)
                 / (1.0 + c("sensitivity.cortisol_muscle") * cort) / (1.0 + jnk + er + c("triad.irs_pkc") * lipid))
    met = 1.0 + c("sensitivity.metformin_emax") * met_share
    liver_si = (g_liver * p.liver0 * drift * size * met / (1.0 + c("sensitivity.cortisol_liver") * cort)
                / (1.0 + jnk + er + c("triad.irs_pkc") * c("triad.liver_lipid_weight") * liver_lipid))
    incretin = med.stimulated_gain(x, mech)
    resp = stimulated(s, p, mech) * incretin
    endogenous = incretin_effect(s)
    knobs = meal_knobs(muscle_si, liver_si, functional_mass(s) * med.secretion_gain(x, mech), s.beta_function,
                       resp * endogenous)
    # meals scale with intake, which scales with weight: the fast model keeps the year-0 body size
    fast = meal_surrogate.table().lookup(knobs, p.w_set0)
    dose = med.insulin_dose(u, s, x)
    # basal insulin's knob at the treated glucose (its plasma appearance does not depend on glucose), and the secretory
    # knob without it: endogenous, potentiated by incretin drugs
    insulin = lambda g, m=1.0: m * med.mass_equivalent(dose, s.weight, g, mech)  # noqa: E731  (m: dose multiple)
    endo = lambda g: knobs["beta_mass"] + med.incretin_mass_increment(knobs["beta_mass"], incretin - 1.0, g)  # noqa: E731
    extra = lambda g, m=1.0: insulin(g, m) + endo(g) - knobs["beta_mass"]  # noqa: E731
    # SGLT2 inhibition: urinary glucose at fasting glucose G is a sink, i.e. a lower glucose-production drive
    # (non-increasing in G: the sink grows with G, and the drive falls as the mass knob rises with extra(G)); an energy
    # deficit lowers the drive too (deficit_drive)
    # the liver answers a deficit of intake, not calories lost in urine: SGLT2 inhibition raises glucose production
    # (Ferrannini E et al. JCI 2014;124:499-508; Merovci A et al. JCI 2014;124:509-14)
    fasted = deficit_drive(s.energy + s.urine_kcal)
    sink = lambda g: med.egp_factor(med.glycosuria(x, g, p.filtration, mech) / s.weight  # noqa: E731
                                    + med.gluconeogenic_sink(x, g, mech),
                                    meal_surrogate.egp_drive_mg_kg_min(endo(g), knobs["liver_si"]))
    # the table's mass knob also suppresses glucagon (the drive falls as mass ** -glucagon_mass_exponent), an
    # intra-islet action that subcutaneous insulin lacks: basal insulin's part of the knob gives it back
    glucagon = lambda g, m=1.0: (1.0 + insulin(g, m) / endo(g)) ** c("sensitivity.glucagon_mass_exponent")  # noqa: E731
    egp = lambda g, m=1.0: jnp.maximum(fasted * sink(g), meal_surrogate.KNOB_RANGE["egp"][0]) * glucagon(g, m)  # noqa: E731
    fast = with_fasting_secretion(fast, knobs, extra, egp, insulin)
    # d ln FPG / d ln sigma at the treated state: the knob's slope through the medicines' feedback on G
    elasticity = jnp.where(jnp.isnan(fast["function_elasticity"]),
                           fasting_elasticity(knobs, extra(fast["fasting_glucose_mg_dl"])), fast["function_elasticity"])
    workload = fast["day_mean_secretion_pmol_kg_min"] / (functional_mass(s) * ref["secretion"])
    set_point = fast["fasting_glucose_mg_dl"] / ref["fasting_glucose"]
    day = mean_glucose(fast)
    gx = mech.glucotoxicity * jnp.maximum(day / ref["glucose"] - 1.0, 0.0)
    ros = mech.mitochondria * jnp.log(jnp.maximum((ffa / s.mitochondria) * (1.0 + c("triad.ros_glucose") * gx), 1.0))
    maintenance = c("body.pal") * rmr(s.weight, age, p.female, p.height_cm)  # PAL x Mifflin-St Jeor RMR, kcal/day
    drop = med.intake_reduction(x, maintenance, s.diagnosed, mech)
    urine = med.glycosuria(x, day, p.filtration, mech) * 1440.0 / 1000.0  # mg/min -> g/day
    # untreated glycosuria beyond year 0's, at this month's filtration (g/day)
    urine0 = (med.untreated_glycosuria(day, p.filtration)
              - med.untreated_glycosuria(p.mean_glucose0, p.filtration)) * 1440.0 / 1000.0
    urine_kcal, urine0_kcal = (g * med.c("sglt2.kcal_per_g") for g in (urine, urine0))
    feed, _ = intake_feedback(s.drug_weight, drop + urine_kcal + urine0_kcal)
    return Derived(age, fat, vis, ffa, lipid, liver_lipid, muscle_si, liver_si, adipose_si, fast, workload, set_point,
                   gx, ros, supply, resp, x, dose * mech.exogenous_insulin, med.weight_offset(x, mech), drop,
                   100.0 * (-drop + feed) / maintenance, urine, urine_kcal, urine0_kcal,
                   med.hypoglycaemia_hazard(x, dose, mech), elasticity, endogenous, oxidation)


def derive_at_start(s: State, p: Params, u: Inputs, mech: Mechanisms, ref: dict) -> Derived:
    """:func:`derive` at t = 0 as one compiled program (starting states of a batch; op-by-op it dispatches ~1000
    small kernels)."""
    return padded(_derive_jit, np.shape(s.weight)[-1])(0.0, s, p, u, mech, ref)


_derive_jit = kept_jit(derive)


def with_fasting_secretion(fast: dict, knobs: dict, extra, egp=lambda g, m=1.0: 1.0,
                           insulin=lambda g, m=1.0: 0.0) -> dict:
    """The fast model's answer with medicines' fasting effects: ``extra(G, m)``, the increment of the secretory mass
    knob at fasting glucose ``G`` (basal insulin, ``insulin(G, m)`` from :func:`.medicines.mass_equivalent`,
    non-increasing in ``G``, plus :func:`.medicines.incretin_mass_increment`, non-decreasing), and ``egp(G, m)``, a
    factor on the glucose-production drive (below 1 for a glucose sink, SGLT2-inhibitor glycosuria,
    :func:`.medicines.egp_factor`; above it for the glucagon suppression that basal insulin's knob does not carry);
    ``m`` is a multiple of the insulin dose (1: the dose). The fasting state is read at the raised knob and the drive,
    at the glucose they give: the root of ``h(G) = F(knob + extra(G), egp(G)) - G``, at or below the untreated ``fpg0``
    (``h(fpg0) <= 0``). With basal insulin's knob at the treated glucose the root is the steady state of secretion plus
    a constant insulin appearance, which is unique (tissue glucose falls with insulin, secretion rises with glucose).
    It is found by ``fasting.secant_steps`` secant steps started at ``fpg0`` and ``F(knob + extra(fpg0),
    egp(fpg0))``. The day keeps its postprandial excess over fasting, and the OGTT curve scales with fasting glucose.
    Neither effect: unchanged.

    Basal insulin holds the fasting state down while the meals' excursions stay: its share of the added knob at the
    treated glucose is returned as ``basal_insulin_share``, with which :func:`mean_glucose` raises the day's excess over
    fasting towards ``glycaemia.basal_insulin_day_excess``. The loops that step() closes through this state get their
    slopes at the root, each divided by ``-h'(G)`` (the last secant's slope, which carries the medicines' feedback
    through ``G``): the dose's, ``d ln F / d ln m``, as ``insulin_dose_elasticity`` (with insulin's share of the knob,
    ``insulin_knob_share``) for the titration, and secretory function's, ``d ln F / d ln knob`` times the endogenous
    share, as ``function_elasticity`` (NaN without medicines: :func:`fasting_elasticity` then)."""
    table = meal_surrogate.table()

    def fasting(g, m=1.0, scale=1.0):  # the treated fasting state at G, a dose multiple m and a factor on the knob
        return table.lookup_fasting({**knobs, "beta_mass": (knobs["beta_mass"] + extra(g, m)) * scale,
                                     "egp": egp(g, m) * jnp.ones_like(g)})

    a, fpi = fast["fasting_glucose_mg_dl"], fast["fasting_insulin_pmol_l"]
    on = (extra(a) > 0) | (egp(a) != 1.0)
    floor = 0.1 * a  # keeps an extrapolating step positive; the root lies far above it

    def solve(_):
        def secant(pair, _):
            (g0, h0), (g1, h1) = pair
            den = h1 - h0
            ok = jnp.abs(den) > 1e-9
            g2 = jnp.clip(jnp.where(ok, g1 - h1 * (g1 - g0) / jnp.where(ok, den, 1.0), g1), floor, a)
            return ((g1, h1), (g2, fasting(g2)["fasting_glucose_mg_dl"] - g2)), None

        b = fasting(a)["fasting_glucose_mg_dl"]
        start = ((a, b - a), (b, fasting(b)["fasting_glucose_mg_dl"] - b))
        ((g0, h0), (g, h)), _ = jax.lax.scan(secant, start, None, length=int(c("fasting.secant_steps")))
        moved = jnp.abs(g - g0) > 1e-6
        fall = jnp.where(moved, (h - h0) / jnp.where(moved, g - g0, 1.0), -1.0)  # h'(G) <= 0
        # the treated state, linearised once at the root (forward mode) in the whole added knob (z_knob, d ln knob) and
        # in the dose (z_dose: its knob and the glucagon suppression given back with it; extra, egp and insulin take a
        # multiple of the dose as their second argument)
        def state(z_knob, z_dose):
            out = fasting(g, jnp.exp(z_dose), jnp.exp(z_knob))
            return jnp.log(out["fasting_glucose_mg_dl"]), out["fasting_insulin_pmol_l"]

        zero, one = jnp.zeros_like(g), jnp.ones_like(g)
        (log_fpg, treated_fpi), tangent = jax.linearize(state, zero, zero)
        slope, by_dose = tangent(one, zero)[0], tangent(zero, one)[0]
        dose = jnp.minimum(by_dose, 0.0) / jnp.maximum(-fall, 1e-3)
        total = knobs["beta_mass"] + extra(g)
        function = slope * c("beta.function_basal_share") * knobs["beta_mass"] / total / jnp.maximum(-fall, 1e-3)
        return (jnp.where(on, jnp.exp(log_fpg), a),
                jnp.where(on, treated_fpi, fpi), jnp.where(on, dose, 0.0),
                jnp.where(on, jnp.minimum(function, 0.0), jnp.nan))

    # a batch on no such medicine this month skips the lookups (the usual case: no cost without medicines)
    fpg, fpi, dose_slope, function_slope = jax.lax.cond(
        jnp.any(on), solve, lambda _: (a, fpi, jnp.zeros_like(a), jnp.full_like(a, jnp.nan)), None)
    out = dict(fast)
    out["fasting_glucose_mg_dl"] = fpg
    out["fasting_insulin_pmol_l"] = fpi
    out["day_mean_glucose_mg_dl"] = fast["day_mean_glucose_mg_dl"] - (a - fpg)
    ins, added = insulin(fpg), extra(fpg)
    out["insulin_dose_elasticity"] = dose_slope * jnp.ones_like(fpg)
    out["insulin_knob_share"] = ins / (knobs["beta_mass"] + added)
    out["function_elasticity"] = function_slope * jnp.ones_like(fpg)  # NaN without medicines
    out["basal_insulin_share"] = jnp.where(on, ins / jnp.maximum(added, 1e-12), 0.0) * jnp.ones_like(fpg)
    for k in ("ogtt_glucose_30", "ogtt_glucose_60", "ogtt_glucose_120"):
        out[k] = fast[k] * fpg / a
    return out


def fasting_elasticity(knobs: dict, extra_knob):
    """``d ln FPG / d ln sigma`` (<= 0), the slope with which step() closes the loop of secretory function through
    fasting glucose implicitly: forward mode through the fasting table at the mass knob (secretory function scales it
    by ``sigma ** function_basal_share``); a medicine's added knob (basal insulin, incretin drugs) does not scale with
    sigma. The slope sets how the step converges, not where."""
    table = meal_surrogate.table()
    base, phi = knobs["beta_mass"], c("beta.function_basal_share")
    sens = {k: knobs[k] for k in ("muscle_si", "liver_si")}

    def log_fpg(z):
        return jnp.log(table.lookup_fasting({**sens, "beta_mass": base * jnp.exp(phi * z)})["fasting_glucose_mg_dl"])

    _, slope = jax.jvp(log_fpg, (jnp.zeros_like(base),), (jnp.ones_like(base),))
    return jnp.minimum(slope, 0.0) * base / (base + extra_knob)


def targets(s: State, p: Params, u: Inputs, mech: Mechanisms, d: Derived) -> dict:
    """Quasi-steady targets of the relaxing states for the current month."""
    act = activity_level(p.activity0 + u.activity)
    drive = (c("triad.infl_visceral") * jnp.maximum(d.visceral - 1.0, 0.0) + c("triad.infl_lipid") * d.lipid
             + c("triad.infl_ros") * d.ros + c("triad.infl_er") * s.er_stress * mech.er_stress
             + c("triad.infl_glucose") * d.glucose_excess)
    infl = (mech.inflammation * _saturate(drive, c("triad.inflammation_max"))
            * jnp.maximum(1.0 - c("triad.infl_activity") * act, 0.0))
    decline = (c("triad.mito_age_decline") * jnp.maximum(d.age - c("triad.mito_age_onset"), 0.0)
               * jnp.maximum(1.0 - c("triad.mito_activity_protection") * act, 0.0))
    damage = c("triad.mito_ros_damage") * d.ros / (1.0 + d.ros)
    mito = (1.0 + c("triad.mito_activity_gain") * act) * (1.0 - mech.mitochondria * jnp.minimum(decline + damage, 0.9))
    # the tissues' UPR (liver, muscle, adipose: lipid and inflammatory load; Ozcan 2004) and the beta cells', which
    # adds their secretory demand (proinsulin folding; Back & Kaufman 2012) and stays in the beta cells
    er_drive = (c("triad.er_lipid") * d.lipid + c("triad.er_inflammation") * s.inflammation * mech.inflammation)
    er = mech.er_stress * _saturate(er_drive, c("triad.er_stress_max"))
    beta_er = mech.er_stress * _saturate(er_drive + c("triad.er_demand") * jnp.maximum(d.workload - 1.0, 0.0),
                                         c("triad.er_stress_max"))
    fmax, fmin, n = c("beta.function_max"), c("beta.function_min"), c("beta.function_glucose_hill")
    w50n = (fmax - fmin) / (1.0 - fmin) - 1.0  # so that the target is 1 at the set point
    compensation = lambda sp: fmin + (fmax - fmin) * sp ** n / (w50n + sp ** n)  # noqa: E731
    g = mean_glucose(d.fast)
    h = c("beta.gluco_tox_hill")
    tox = mech.glucotoxicity * c("beta.gluco_tox_max") / (1.0 + (c("beta.gluco_tox_half") / g) ** h)
    # decline from the person's year-0 function onwards (the year-0 state already holds their history)
    ageing = jnp.maximum(1.0 - c("beta.function_age_decline") * (d.age - p.age0), 0.2)
    # capacity acts once, on the functional mass; lipo- and glucotoxicity act on the stimulated responsivity
    # (stimulated()); the glucotoxic target below is relaxed as its own state
    # d target / d sigma through fasting glucose, i.e. the set point (d sp / d sigma = sp x elasticity / sigma): <= 0,
    # the loop's negative feedback that step() closes implicitly
    up, dup = jax.jvp(compensation, (d.set_point,), (d.set_point * d.fasting_elasticity / s.beta_function,))
    bfun, slope = (v * ageing / (1.0 + c("beta.function_er") * s.beta_er) for v in (up, dup))
    islet = d.hepatic_supply ** c("beta.islet_fat_exponent")
    return {"inflammation": infl, "mitochondria": mito, "er_stress": er, "beta_er": beta_er, "beta_function": bfun,
            "islet_fat": islet,
            "glucotoxic": tox, "beta_function_slope": slope}


def apoptosis(s: State, mech: Mechanisms, d: Derived, ref: dict):
    """Beta-cell apoptosis relative to the reference turnover: basal, glucotoxic (steep, Ha 2016), lipotoxic,
    ER stress (CHOP) and IL-1b."""
    g = mean_glucose(d.fast) / ref["glucose"]
    g = jnp.where(mech.glucotoxicity > 0.5, g, jnp.minimum(g, 1.0))
    n, k = c("beta.apoptosis_glucose_hill"), c("beta.apoptosis_glucose_half")
    hill = lambda x: x ** n / (k ** n + x ** n)  # noqa: E731
    glucose = c("beta.apoptosis_glucose_max") * (hill(g) - hill(1.0))  # 0 at the reference glucose
    return (1.0 + glucose + c("beta.apoptosis_lipid") * d.lipid
            + c("beta.apoptosis_er") * s.beta_er + c("beta.apoptosis_inflammation") * s.inflammation * mech.inflammation)


def proliferation(d: Derived):
    """Beta-cell proliferation relative to the reference turnover, rising steeply with fasting glucose above the
    common physiological set point G* (the reference subject's fasting glucose) and saturating (Topp 2000: mass is
    regulated towards G*; Ha 2016 Hill form). 1 at G*, where it balances basal apoptosis. Nobody starts adapted to
    their own glucose: a person above G* is still compensating, one with excess apoptosis is losing mass."""
    g = d.set_point
    n, k = c("beta.prolif_glucose_hill"), c("beta.prolif_glucose_half")
    return g ** n * (k ** n + 1.0) / (k ** n + g ** n)


def capacity_loss(s: State, p: Params, mech: Mechanisms, d: Derived, ref: dict):
    """Rate of irreversible loss of beta-cell functional capacity, 1/year, on ``C - C_min`` (:func:`residual_capacity`):
    glucotoxic (day-mean glucose above a threshold relative to the reference; Weir 2004 stages of decompensation),
    which stops at the plateau of dedifferentiation (``beta.capacity_glucose_floor``, Cinti 2016), and chronic ER
    stress (Back & Kaufman 2012). The glucose-independent decline acts on the reserve instead (:func:`reserve_loss`)."""
    g = mean_glucose(d.fast) / ref["glucose"]
    x = jnp.maximum(g - c("beta.capacity_glucose_threshold"), 0.0)
    n = c("beta.capacity_glucose_hill")
    rate = c("beta.capacity_glucose_rate") * p.capacity_susceptibility
    glucose = mech.glucotoxicity * rate * x ** n / (x ** n + c("beta.capacity_glucose_half") ** n)
    # written on C - C_min, the glucose-driven loss acts on (C - floor)+
    floor, cmin = c("beta.capacity_glucose_floor"), c("beta.capacity_min")
    glucose = glucose * jnp.maximum(s.capacity - floor, 0.0) / jnp.maximum(s.capacity - cmin, 1e-6)
    return glucose + mech.er_stress * c("beta.capacity_er_rate") * s.beta_er


def reserve_loss(p: Params, d: Derived):
    """Rate of the glucose-independent, person-specific decline of beta-cell reserve, 1/year, on ``R - C_min``
    (inherited beta-cell risk; a random effect that cohorts draw, ``heterogeneity.capacity_decline_*``; one person's
    projection uses the median) from a person's own age (:func:`decline_active`)."""
    return p.capacity_decline * decline_active(d.age, p)


def decline_onset_age(u):
    """Age at which the glucose-independent decline begins, from uniform draws ``u`` in [0, 1): uniform over
    ``heterogeneity.capacity_decline_onset_min..max``."""
    lo, hi = c("heterogeneity.capacity_decline_onset_min"), c("heterogeneity.capacity_decline_onset_max")
    return lo + (hi - lo) * u


def decline_active(age, p: Params):
    """Share of the glucose-independent decline acting at ``age``: 0 before the onset age, rising to 1 over
    ``decline_onset_width`` years. Cohorts draw each person's onset (:func:`decline_onset_age`) and begin it within a
    month; one person's projection starts at the earliest onset and spreads over the whole range, i.e. the share of
    persons of that age in whom the decline has begun (the mean over the onset distribution)."""
    return jnp.clip((age - p.decline_onset_age) / p.decline_onset_width, 0.0, 1.0)


def decline_onset_default(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(onset age, width) of persons without a drawn onset: the mean over the onset distribution."""
    lo, hi = decline_onset_age(0.0), decline_onset_age(1.0)
    return np.full(n, lo), np.full(n, hi - lo)


#: Years over which a drawn onset reaches the full rate (one monthly step).
DRAWN_ONSET_WIDTH = 1.0 / 12.0


def residual_capacity(capacity, loss, floor=None):
    """Capacity after an integrated loss ``loss`` (rate x time): the loss acts on the part above a residual capacity,
    ``C -> C_min + (C - C_min) exp(-loss)`` (exact for ``dC/dt = -rate (C - C_min)``): islets of long-standing type 2
    diabetes keep part of their beta cells (Rahier 2008), so capacity never reaches zero. ``floor`` replaces
    ``C_min`` for a loss that stops above it."""
    floor = c("beta.capacity_min") if floor is None else floor
    return floor + (capacity - floor) * jnp.exp(-loss)


def beta_mass_rate(s: State, p: Params, mech: Mechanisms, d: Derived, ref: dict):
    """Net growth rate of beta-cell mass, 1/year: proliferation minus apoptosis (Topp 2000, Ha 2016)."""
    return (proliferation(d) - apoptosis(s, mech, d, ref)) / c("beta.tau_mass")


def intake_feedback(drug_weight, net):
    """Extra energy intake answering the weight lost to medicines' energy terms or glycosuria, kcal/day: medicines.yaml
    ``appetite.feedback`` per kg lost (Polidori 2016); none for a gain. ``net``: the losses still imposed, kcal/day
    (appetite drop and urinary glucose). The feedback replaces imposed losses in full, but its surplus over them is
    bounded by ``appetite.surplus_max`` (fitted on SURMOUNT-4's regain after stopping): returns (intake, bounded)."""
    feed, imposed = -med.c("appetite.feedback") * jnp.minimum(drug_weight, 0.0), jnp.maximum(net, 0.0)
    top = med.c("appetite.surplus_max")
    bounded = feed - imposed > top
    return jnp.where(bounded, top + imposed, feed), bounded


def weight_update(t, s: State, p: Params, u: Inputs, mech: Mechanisms, dt, d: Derived):
    """Hall 2011 linearised energy balance (exact over the step), or the prescribed programme weight; returns the
    weight and the part of its change due to the energy terms below. An appetite-lowering drug lowers intake by ``D``
    (an SGLT2 inhibitor loses ``D`` in urine; glycosuria above year 0's, as hyperglycaemia worsens, loses it too, and
    better glycaemia makes ``D`` negative) and intake rises again by ``k`` per kg of the loss ``w_d`` (Polidori 2016,
    measured on canagliflozin): ``w_d`` relaxes to ``-D c / (1 + k c)`` with time constant ``tau / (1 + k c)``
    (``c = tau / rho``, kg per kcal/day at equilibrium), the exact linear response of the same energy balance. The
    feedback answers a loss only: a gain (``D < 0`` from ``w_d = 0``) relaxes to ``-D c`` with ``tau`` (intake did not
    fall as weight rose on insulin; Makimattila 1999). The feedback's surplus over the losses still imposed is bounded
    (:func:`intake_feedback`): after a drug stops, ``w_d`` relaxes to the bounded surplus's equilibrium with ``tau``."""
    age = p.age0 + t
    # secular gain, attenuated by habitual activity (Hankinson AL et al. JAMA 2010;304:2603-10)
    slowing = jnp.maximum(1.0 - c("body.secular_gain_activity") * activity_level(p.activity0), 0.0)
    gain = c("body.secular_gain") * slowing * (jnp.minimum(age, c("body.secular_gain_until_age"))
                                               - jnp.minimum(p.age0, c("body.secular_gain_until_age")))
    w_set = p.w_set0 + jnp.maximum(gain, 0.0)
    # the drugs' energy deficit before the intake feedback: appetite (GLP-1/GIP) and urinary glucose (SGLT2)
    x, drop = d.exposure, d.appetite_drop + d.glycosuria_kcal
    metformin = c("body.metformin_energy") * mech.gdf15 * med.metformin_occupancy(x)
    # hyperglycaemia's own glycosuria beyond year 0's (what the starting weight is in balance with) is lost too, so
    # better glycaemia keeps energy (Makimattila 1999); the feedback answers a loss only (intake did not fall as weight
    # rose on insulin, ibid.): it acts while the drug-induced weight is below zero or heads there
    net = drop + d.glycosuria_change_kcal
    loss = (net > 0.0) | (s.drug_weight < 0.0)
    k, cw = jnp.where(loss, med.c("appetite.feedback"), 0.0), p.tau_w * 365.25 / p.rho
    # once the imposed losses end (a drug stopped) the bounded surplus lets the weight return with the body's own
    # time constant tau instead of tau / (1 + k c)
    feed, bounded = intake_feedback(s.drug_weight, net)
    drug_weight = jnp.where(bounded, _relax(s.drug_weight, (feed - net) * cw, p.tau_w, dt),
                            _relax(s.drug_weight, -net * cw / (1.0 + k * cw), p.tau_w / (1.0 + k * cw), dt))
    energy = u.energy - c("body.activity_kcal_per_min") * u.activity / 7.0 - metformin - net + feed
    w_eq = w_set + energy * cw
    free = _relax(s.weight, w_eq, p.tau_w, dt)
    w_next_set = w_set + c("body.secular_gain") * slowing * dt * (age + dt <= c("body.secular_gain_until_age"))
    return jnp.where(jnp.isnan(u.weight_target), free, u.weight_target * w_next_set), drug_weight


def adag_hba1c(mean_glucose_mg_dl):
    """HbA1c (%) of a mean glucose (ADAG: A1c = (eAG + 46.7) / 28.7, Nathan 2008)."""
    return (mean_glucose_mg_dl + c("glycaemia.adag_intercept")) / c("glycaemia.adag_slope")


def step(t, s: State, p: Params, u: Inputs, mech: Mechanisms, ref: dict, dt: float):
    """Advance one step; returns (new state, derived quantities at time ``t``)."""
    d = derive(t, s, p, u, mech, ref)
    tg = targets(s, p, u, mech, d)
    a1c_target = adag_hba1c(mean_glucose(d.fast)) + p.a1c_offset
    weight, drug_weight = weight_update(t, s, p, u, mech, dt, d)
    fpg, g2h = d.fast["fasting_glucose_mg_dl"], d.fast["ogtt_glucose_120"]
    # usual care: at each check (yearly by default), diabetes found starts it, and a step is added while HbA1c is
    # above target or fasting glucose above the policy's limit
    k = u.care_checks
    check = jnp.abs(t * k - jnp.round(t * k)) < 0.25 * dt * k
    diagnosed = jnp.maximum(s.diagnosed, (check & (status_code(fpg, g2h, s.hba1c) == 4)).astype(s.diagnosed.dtype))
    steps = jnp.max(jnp.stack([getattr(u, f"care_{drug}") + 0.0 * s.care_step for drug in med.CARE_STEPS]), axis=0)
    above = (s.hba1c > u.care_target) | (fpg > u.care_fasting_limit)
    advance = ~jnp.isnan(u.care_target) & check & (diagnosed > 0) & above & (s.care_step < steps)
    function = _relax_implicit(s.beta_function, tg["beta_function"], tg["beta_function_slope"], c("beta.tau_function"),
                               dt)
    # trust region: one Newton step on the steep compensation Hill moves at most a factor beta.function_step_max
    # (at the Hill's flat ends the linearised step would cross to the other end and back)
    cap = jnp.log(c("beta.function_step_max"))
    function = s.beta_function * jnp.exp(jnp.clip(jnp.log(function / s.beta_function), -cap, cap))
    # titration reads the fasting glucose that this step's secretory function gives (the two loops in sequence:
    # both correcting the same excess at once overshoots when function is fast), and its step the dose response with
    # function's answer to the change of glucose: d ln FPG / d ln dose / (1 - d target / d sigma)
    fpg_next = fpg * (function / s.beta_function) ** d.fasting_elasticity
    new = State(
        weight=weight,
        inflammation=_relax(s.inflammation, tg["inflammation"], c("triad.tau_inflammation"), dt),
        mitochondria=_relax(s.mitochondria, tg["mitochondria"], c("triad.tau_mitochondria"), dt),
        er_stress=_relax(s.er_stress, tg["er_stress"], c("triad.tau_er_stress"), dt),
        beta_er=_relax(s.beta_er, tg["beta_er"], c("triad.tau_er_stress"), dt),
        beta_mass=s.beta_mass * jnp.exp(beta_mass_rate(s, p, mech, d, ref) * dt),
        beta_function=function,
        hba1c=_relax(s.hba1c, a1c_target, c("glycaemia.tau_hba1c"), dt),
        insulin=d.fast["fasting_insulin_pmol_l"],
        capacity=residual_capacity(s.capacity, (capacity_loss(s, p, mech, d, ref) + med.exhaustion(d.exposure, mech)) * dt),
        reserve=residual_capacity(s.reserve, reserve_loss(p, d) * dt),
        energy=p.rho * (weight - s.weight) / (dt * 365.25),  # stored (+) or drawn (-), kcal/day (Hall 2011)
        islet_fat=_relax(s.islet_fat, tg["islet_fat"], c("beta.tau_islet_fat"), dt),
        glucotoxic=_relax(s.glucotoxic, tg["glucotoxic"], c("beta.tau_glucotoxic"), dt),
        drug_weight=drug_weight,
        insulin_dose=jnp.where(jnp.isnan(d.exposure.insulin_target), 0.0,
                               med.titrate(s.insulin_dose, fpg_next, d.exposure.insulin_target, s.weight, dt,
                                           d.fast["insulin_dose_elasticity"] / (1.0 - tg["beta_function_slope"]),
                                           d.fast["insulin_knob_share"])),
        care_step=s.care_step + advance,
        diagnosed=diagnosed,
        urine_kcal=d.glycosuria_kcal + d.glycosuria_change_kcal,
        stunning=_relax(s.stunning, stunning_target(p, d.workload * function / s.beta_function, mech),
                        c("beta.tau_stunning"), dt),
    )
    return new, d


def status_code(fpg_mg_dl, g2h_mg_dl, hba1c):
    """ADA classes as codes into :data:`STATUS` (0 NGT, 1 IFG, 2 IGT, 3 IFG+IGT, 4 T2D); cutoffs shared with the
    assessment's glycaemic status (:data:`irsim.assessment.glycemia.ADA_2025_CUTOFFS`)."""
    from ..assessment.formulas import ADA_2025_CUTOFFS

    cut = {key: (pre, dm) for key, pre, dm, _ in ADA_2025_CUTOFFS}
    t2d = (fpg_mg_dl >= cut["fasting_glucose"][1]) | (g2h_mg_dl >= cut["glucose_2h"][1]) | (hba1c >= cut["hba1c"][1])
    ifg = fpg_mg_dl >= cut["fasting_glucose"][0]
    igt = g2h_mg_dl >= cut["glucose_2h"][0]
    return jnp.where(t2d, 4, jnp.where(ifg & igt, 3, jnp.where(igt, 2, jnp.where(ifg, 1, 0))))


@lru_cache(maxsize=1)
def reference() -> dict:
    """The reference person's fast-model answer (Dalla Man normal subject, all knobs 1, 78 kg)."""
    one = np.ones(1)
    f = meal_surrogate.table().lookup({k: one for k in meal_surrogate.KNOB_NAMES}, np.array([78.0]))
    return {"glucose": float(mean_glucose(f)[0]), "secretion": float(f["day_mean_secretion_pmol_kg_min"][0]),
            "insulin": float(f["fasting_insulin_pmol_l"][0]), "fasting_glucose": float(f["fasting_glucose_mg_dl"][0])}
