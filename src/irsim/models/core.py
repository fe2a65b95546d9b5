"""The progression core next to the organs: its description (:data:`CORE`, an :class:`irsim.models.organ.Organ`
without hooks), the model's lists derived from it and the organ registry (output columns with units, pathway switches
with labels, events, the pathways ``irsim explain`` examines, report panels, categorical labels), and the core's
start from labs (:func:`initialise`), its observation (:func:`observe`) and the monthly scan of core and organs
(:func:`_scan`). Equations: :mod:`.progression`; batching and chunking: :mod:`irsim.cohort.progression`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..solvers._jax import jax, jnp, kept_jit
from ..solvers.batching import padded
from ..units import GLUCOSE_MG_DL_PER_MMOL_L
from .. import parameters as _parameters
from . import meal_surrogate
from . import medicines as med
from . import organs as om
from . import progression as pm
from .meal_surrogate import KNOB_RANGE
from .organ import Organ

#: Parameter files the decades model reads (core, organs, medicines): ``Trajectory.sources()`` and the report cite
#: them, and ``parameters={...}`` (``irsim validate --set``) may change their entries (their sections differ).
PARAMETER_FILES = ("progression", "organs", "medicines")


# ------------------------------------------------------------------ parameter values other than the files'

def _like(value, old) -> bool:
    """Finite numbers of the file value's shape."""
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool) and x.shape == np.shape(old) and bool(np.all(np.isfinite(x)))


def _file_of(key: str) -> str | None:
    return next((f for f in PARAMETER_FILES if key in _parameters.parameter_set(f)), None)


def parameter_changes(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"section.name": value}`` (entries of :data:`PARAMETER_FILES`) -> ``{file: {key: value}}``; every problem
    is reported at once. Entries the meal surrogate table is built from are refused (the table would be stale)."""
    problems, out = [], {}
    for key, v in values.items():
        file = _file_of(key)
        if file is None:
            problems.append(Problem(f"parameters.{key}", f"not an entry of {' or '.join(PARAMETER_FILES)}.yaml"))
        elif key in meal_surrogate.TABLE_PARAMETERS:
            problems.append(Problem(f"parameters.{key}", "the meal surrogate table is built from it; change the "
                                                         "file and let the table rebuild"))
        elif not _like(v, old := _parameters.parameter_set(file).value(key)):
            problems.append(Problem(f"parameters.{key}", f"{v!r} must be finite numbers shaped like {old!r}"))
        else:
            out.setdefault(file, {})[key] = v
    if problems:
        raise InputError(problems)
    return out


@contextlib.contextmanager
def parameters_in_force(values: dict[str, Any]):
    """Run the model with ``values`` in force: compiled programs and the cached reference person are dropped
    before and after (they hold the values they were built with)."""
    if not values:
        yield
        return
    changes = parameter_changes(values)

    def reset():
        jax.clear_caches()
        pm.reference.cache_clear()

    try:
        with _parameters.overridden(changes):
            reset()
            yield
    finally:
        reset()


CORE = Organ(
    name="core", order=0,
    columns={
        "year": ("year", "years since the start"), "age": ("year", "age"), "weight_kg": ("kg", "body weight"),
        "bmi": ("kg/m2", "body-mass index"), "fasting_glucose_mmol_l": ("mmol/L", "fasting plasma glucose"),
        "glucose_2h_mmol_l": ("mmol/L", "2-h OGTT plasma glucose"), "hba1c_percent": ("%", "HbA1c"),
        "fasting_insulin_uiu_ml": ("uIU/mL", "fasting insulin"),
        "homa1_ir": ("1", "HOMA1 insulin resistance (Matthews 1985)"),
        "homa1_beta_percent": ("%", "HOMA1 beta-cell function (Matthews 1985)"),
        "beta_cell_mass_rel": ("x reference", "functional beta-cell mass: cells that keep their identity and are not "
                                              "stunned"),
        "beta_cell_function_rel": ("x reference", "beta-cell secretory function"),
        "muscle_insulin_sensitivity_rel": ("x reference", "muscle insulin sensitivity"),
        "liver_insulin_sensitivity_rel": ("x reference", "hepatic insulin sensitivity"),
        "adipose_insulin_sensitivity_rel": ("x reference", "adipose insulin sensitivity"),
        "inflammation_index": ("index", "inflammatory tone (0 = lean reference)"),
        "mitochondrial_capacity_rel": ("x reference", "mitochondrial oxidative capacity"),
        "er_stress_index": ("index", "ER stress (0 = none)"),
        "visceral_fat_rel": ("x reference", "visceral fat"), "ffa_flux_rel": ("x reference", "free fatty-acid flux"),
        "glycemic_status": ("", "ADA class: NGT, IFG, IGT, IFG+IGT or T2D"),
        "beta_cell_capacity_rel": ("x reference", "beta-cell functional capacity: identity kept x reserve left by the "
                                                  "glucose-independent decline (1 = intact)"),
        "pancreatic_fat_rel": ("x reference", "pancreatic (islet) fat"),
        "beta_cell_responsivity_rel": ("x reference",
                                       "stimulated (first-phase) responsivity of secretion to intravenous glucose, "
                                       "x reference"),
        "incretin_effect_rel": ("x reference", "endogenous incretin potentiation of secretion stimulated by oral "
                                               "glucose (meals, OGTT), 1 = normal tolerance's; lost with chronic "
                                               "hyperglycaemia"),
        "drug_intake_change_percent": ("%", "energy intake changed by appetite-lowering drugs, net of the body's "
                                            "feedback on weight lost to them or to glycosuria (drug-induced or "
                                            "hyperglycaemic), % of maintenance intake"),
        "urinary_glucose_g_day": ("g/day", "glucose lost in urine because of an SGLT2 inhibitor (at the day's mean "
                                           "glucose)"),
        "basal_insulin_iu_day": ("IU/day", "basal insulin dose acting (titrated, fixed or added by usual care; 0 "
                                           "without, or with its pathway switched off)"),
        "beta_cell_stunning": ("fraction", "reversible stunning of the remaining beta cells' secretion (set at the "
                                           "start of a person with diabetes from the years since diagnosis; lifts "
                                           "when the cells rest)")},
    hazards={"hazard_hypoglycaemia": ("1/year", "annual hazard of substantive hypoglycaemia (UKPDS grades 2-4) caused "
                                                "by a sulfonylurea or basal insulin")},
    switches={
        "inflammation": ("inflammation",
                         "adipose and systemic inflammatory tone (TNF-a, IL-6 -> JNK/IKK; NLRP3 -> IL-1b)"),
        "mitochondria": ("mitochondrial distress", "falling oxidative capacity and ROS"),
        "er_stress": ("ER stress", "the unfolded protein response (JNK, CHOP apoptosis)"),
        "lipotoxicity": ("lipid intermediates", "DAG/ceramide from fatty-acid supply exceeding oxidation (PKC)"),
        "glucotoxicity": ("glucotoxicity", "damage from high glucose to beta cells and tissues")},
    pathways=("androgens",),
    events={"t2d": {"column": "glycemic_status", "op": "==", "threshold": "T2D", "name": "T2D",
                    "label": "type 2 diabetes", "source": "ADA 2025 (glycemic_status)"},
            "hypoglycaemia": {"rate": "hazard_hypoglycaemia", "name": "hypoglycaemia",
                              "label": "substantive hypoglycaemia (first episode)",
                              "source": "UKPDS 73 (Wright 2006) rates by treatment (medicines.yaml hypoglycaemia)"}},
    panels=(("fasting_glucose_mmol_l", "Fasting glucose (mmol/L)"), ("glucose_2h_mmol_l", "2-h OGTT glucose (mmol/L)"),
            ("hba1c_percent", "HbA1c (%)"), ("weight_kg", "Weight (kg)"), ("homa1_ir", "HOMA1-IR")),
    labels={"glycemic_status": pm.STATUS})

#: Output columns of a trajectory: the core's, then the organs' (stable names).
COLUMNS = tuple(CORE.all_columns()) + om.COLUMNS

#: (unit, description) of every output column.
COLUMN_INFO = {**CORE.all_columns(), **om.COLUMN_INFO}

#: Pathway switch -> (label, what switching it off removes), in :class:`~.progression.Mechanisms` order.
SWITCHES = {**CORE.switches, **{s: label for o in om.ORGANS for s, label in o.switches.items()}, **med.SWITCHES}

#: Events: the organs' threshold events, the core's diagnosis, then the hazards (the order events are sampled in).
EVENTS = {k: e for hazards in (False, True) for defs in (om.EVENTS, CORE.events) for k, e in defs.items()
          if ("rate" in e) == hazards}

#: Pathways `irsim explain` examines by default for an organ column (besides the core's switches).
PATHWAYS = {c: o.pathways for o in om.ORGANS for c in o.all_columns()}

#: Report panels: the core's, then the organs' in column order.
PANELS = CORE.panels + tuple(sorted((p for o in om.ORGANS for p in o.panels), key=lambda p: COLUMNS.index(p[0])))

#: Labels of categorical columns (numeric codes in the arrays).
LABELS = {**CORE.labels, **om.LABELS}


# ------------------------------------------------------------------ start, observation, scan

INSULIN_PMOL_PER_UIU = 6.0         # Heinemann 2010 (the meal model's convention)


@dataclass
class Start:
    """Starting point of a batch: per-person parameters and states, and which inputs were assumed."""

    params: pm.Params
    state: pm.State
    assumed: list[list[str]]
    carb_share: float = 0.5
    organ_params: om.OrganParams | None = None  # organ constants and states (models/organs.initialise)
    organ_state: om.OrganState | None = None


def initialise(columns: dict[str, np.ndarray], iterations: int = 40, explain: bool = True) -> Start:
    """Starting states from labs: fasting glucose and insulin set sensitivity and beta-cell mass; a 2-h OGTT
    glucose, when given, sets beta-cell function; the cellular triad starts at its steady state for the person's
    body composition. Missing inputs get population defaults, listed in ``assumed`` (left empty with
    ``explain=False``: cohorts that never show them skip a Python call per person)."""
    n = len(columns["age"])
    col = lambda key: np.asarray(columns.get(key, np.full(n, np.nan)), dtype=float)  # noqa: E731
    female = col("female")
    age = col("age")
    assumed = om.Assumptions(n, keep=explain)

    def fill(values, default, name):
        miss = np.isnan(values)
        assumed.add(miss, name)
        return np.where(miss, default, values)

    height = fill(col("height"), np.where(female > 0.5, pm.c("defaults.height_cm_female"),
                                                 pm.c("defaults.height_cm_male")), "height (average for sex)")
    weight = fill(col("weight"), np.where(female > 0.5, pm.c("defaults.weight_kg_female"),
                                                 pm.c("defaults.weight_kg_male")), "weight (average for sex)")
    bmi = weight / (height / 100.0) ** 2
    cls = np.digitize(bmi, [25.0, 30.0])
    fpg = fill(col("fasting_glucose"), np.asarray(pm.c("defaults.fasting_glucose_mg_dl"))[cls],
               "fasting glucose (typical for BMI)")
    fpi = fill(col("fasting_insulin"), np.asarray(pm.c("defaults.fasting_insulin_uiu_ml"))[cls],
               "fasting insulin (typical for BMI)")
    g2h = col("ogtt_glucose_120")
    a1c = col("hba1c")
    activity = fill(col("physical_activity"), 0.0, "physical activity (none)")

    fat = np.asarray(pm.fat_mass(weight, age, female, height))
    rho, tau = (np.asarray(x) for x in pm.hall_rho_tau(weight, fat, pm.rmr(weight, age, female, height)))
    ones = np.ones(n)
    # between-person random effects (cohorts draw them, cohort.synthetic); one person gets the population median
    susceptibility = np.where(np.isnan(col("capacity_susceptibility")), 1.0, col("capacity_susceptibility"))
    drift = np.where(np.isnan(col("sensitivity_drift")), 0.0, col("sensitivity_drift"))
    split = np.where(np.isnan(col("ogtt_split")), 0.0, col("ogtt_split"))  # used only without an OGTT
    decline = np.where(np.isnan(col("capacity_decline")), pm.c("heterogeneity.capacity_decline_median"),
                       col("capacity_decline"))
    onset0, width0 = pm.decline_onset_default(n)
    drawn = ~np.isnan(col("decline_onset_age"))
    onset = np.where(drawn, col("decline_onset_age"), onset0)
    width = np.where(drawn, pm.DRAWN_ONSET_WIDTH, width0)
    params = pm.Params(female=female, height_cm=height, age0=age, w_set0=weight, rho=rho, tau_w=tau,
                       muscle0=ones, liver0=ones, adipose0=ones, fat_ref=np.asarray(pm.reference_fat(female)),
                       activity0=activity, a1c_offset=np.zeros(n), capacity_susceptibility=susceptibility,
                       sensitivity_drift=drift, capacity_decline=decline, decline_onset_age=onset,
                       decline_onset_width=width, responsivity=ones,
                       filtration=np.full(n, pm.med.c("sglt2.egfr_reference")), mean_glucose0=np.zeros(n),
                       stunning0=np.zeros(n), workload0=np.ones(n))
    ref = pm.reference()
    s_fit, bm_fit, fpg_model, fpi_model = _fit_fasting(fpg, fpi * INSULIN_PMOL_PER_UIU, weight)
    bad = ~(np.isfinite(s_fit) & np.isfinite(bm_fit) & np.isfinite(fpg_model))
    if bad.any():
        raise InputError([Problem(f"person[{i}]", f"fasting glucose {fpg[i]:.0f} mg/dL with fasting insulin {fpi[i]:.1f} "
                                  "uIU/mL lies outside what the meal model can reproduce (sensitivity and beta-cell "
                                  f"mass within {KNOB_RANGE['muscle_si']} x normal)") for i in np.flatnonzero(bad)])
    fpi_model = fpi_model / INSULIN_PMOL_PER_UIU
    assumed.add(np.abs(fpg_model / fpg - 1.0) >= 1e-3, lambda i: (
        f"fasting glucose {fpg[i]:.0f} mg/dL with fasting insulin {fpi[i]:.1f} uIU/mL is beyond the meal model's "
        f"range: started at {fpg_model[i]:.0f} mg/dL"))
    assumed.add(np.abs(fpi_model / fpi - 1.0) > 0.05, lambda i: (
        f"fasting insulin {fpi[i]:.1f} uIU/mL is beyond the meal model's range for this glucose: started at "
        f"{fpi_model[i]:.1f} uIU/mL"))
    # capacity left after a known diabetes duration (no OGTT): lost at the maximal glucotoxic rate since the onset of
    # detectable diabetes, which precedes its clinical diagnosis by the undiagnosed years (Harris 1992); a person who
    # meets the diabetes criteria with no duration given is taken to be diagnosed now, after those years
    duration = col("diabetes_duration_years")
    diabetic = np.asarray(pm.status_code(fpg, g2h, a1c)) == 4
    unknown = np.isnan(duration) & diabetic
    since_diagnosis, with_diabetes = np.where(unknown, 0.0, duration), diabetic | ~np.isnan(duration)
    undiagnosed = pm.c("beta.undiagnosed_duration")
    duration = since_diagnosis + undiagnosed
    assumed.add(unknown, f"diabetes duration 0 years since diagnosis, after {undiagnosed:g} undiagnosed years "
                         "(undiagnosed diabetes precedes diagnosis; Harris 1992)")
    capacity0 = np.where(np.isnan(duration), 1.0, np.asarray(pm.residual_capacity(
        1.0, pm.c("beta.capacity_glucose_rate") * susceptibility * np.nan_to_num(duration),
        pm.c("beta.capacity_glucose_floor"))))
    state = pm.State(weight=weight, inflammation=np.zeros(n), mitochondria=ones, er_stress=np.zeros(n),
                     beta_mass=bm_fit / capacity0 ** pm.c("beta.capacity_mass_exponent"), beta_function=ones,
                     hba1c=np.full(n, 5.5), insulin=fpi_model * INSULIN_PMOL_PER_UIU, capacity=capacity0,
                     energy=np.zeros(n), islet_fat=ones, glucotoxic=np.zeros(n), drug_weight=np.zeros(n),
                     insulin_dose=np.zeros(n), care_step=np.zeros(n), diagnosed=diabetic.astype(float),
                     urine_kcal=np.zeros(n), reserve=ones, beta_er=np.zeros(n), stunning=np.zeros(n))
    u = _inputs0(n)
    mech = pm.Mechanisms()
    labs = jnp.log(jnp.stack([jnp.asarray(fpg_model), jnp.asarray(fpi_model * INSULIN_PMOL_PER_UIU)]))
    assumed.add(np.isnan(g2h), "2-h OGTT glucose: what people with these fasting labs typically have (NHANES 2009-2016)")
    params, state = padded(_steady_start, n)(_jnp_tree(params), _jnp_tree(state), jnp.asarray(s_fit),
                                             jnp.asarray(g2h), jnp.asarray(split), _jnp_tree(u),
                                             {k: jnp.asarray(v) for k, v in ref.items()}, labs, iterations=iterations)
    params, state = pm.Params(*(np.asarray(x) for x in params)), pm.State(*(np.asarray(x) for x in state))
    bad = ~(np.all([np.isfinite(x) for x in params], axis=0) & np.all([np.isfinite(x) for x in state], axis=0))
    if bad.any():
        raise InputError([Problem(f"person[{i}]", f"fasting glucose {fpg[i]:.0f} mg/dL with fasting insulin {fpi[i]:.1f} "
                                  "uIU/mL has no starting state in the meal model (meals would drive glucose to zero)")
                          for i in np.flatnonzero(bad)])
    # the fitted functional mass split into the mass a duration leaves and reversible stunning (same fasting knob)
    stun, factor = pm.stunning_start(np.asarray(pm.functional_mass(state)), since_diagnosis, with_diabetes)
    state = state._replace(beta_mass=state.beta_mass * factor, stunning=stun)
    d = pm.derive_at_start(state, params, u, mech, ref)
    params = params._replace(stunning0=stun, workload0=np.asarray(d.workload))
    a1c_model = np.asarray(pm.adag_hba1c(pm.mean_glucose(d.fast)))
    state = state._replace(hba1c=np.where(np.isnan(a1c), a1c_model, a1c))
    params = params._replace(a1c_offset=np.where(np.isnan(a1c), 0.0, a1c - a1c_model),
                             mean_glucose0=np.asarray(pm.mean_glucose(d.fast)))
    assumed.add(np.isnan(a1c), "HbA1c (from the model's day-mean glucose)")
    organ_params, organ_state = om.initialise(columns, params, state, assumed)
    return Start(params, state, assumed, organ_params=organ_params, organ_state=organ_state)


def without_glycation_offset(start: Start) -> Start:
    """The start with no persistent glycation offset (``a1c_offset`` 0): the measured HbA1c still starts the HbA1c
    state, which then relaxes to the model's own day-mean glucose. For HbA1c measured on glucose-lowering treatment
    that stops at baseline (Steven S et al. Diabetes Care 2016;39:808-15: "all oral agents or insulins were stopped
    at baseline"): its gap to the drug-free fasting state is the treatment's, not a trait of the person's glycation."""
    return replace(start, params=start.params._replace(a1c_offset=np.zeros_like(start.params.a1c_offset)))


def _fasting_logs(tab, log_liver, log_mass, muscle_offset, weight):
    """Log fasting glucose and insulin of the surrogate for log liver sensitivity, log fasting mass knob and muscle
    sensitivity ``exp(muscle_offset)`` times the liver's (the stimulated responsivity does not act at fasting)."""
    f = tab.lookup({"muscle_si": jnp.exp(log_liver + muscle_offset), "liver_si": jnp.exp(log_liver),
                    "beta_mass": jnp.exp(log_mass), "beta_function": jnp.ones_like(log_liver)}, weight)
    return jnp.stack([jnp.log(f["fasting_glucose_mg_dl"]), jnp.log(f["fasting_insulin_pmol_l"])])


def _solve2(J, r):
    """``J^-1 r`` for a batch of 2 x 2 systems (``J``: (2, 2, N), ``r``: (2, N)) and the determinant."""
    det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
    return jnp.stack([J[1, 1] * r[0] - J[0, 1] * r[1], -J[1, 0] * r[0] + J[0, 0] * r[1]]), det


def _fit_fasting(fpg, fpi_pmol, weight, iterations: int = 40):
    x, got = padded(_fit_fasting_jit, np.size(fpg))(np.asarray(fpg, dtype=float), np.asarray(fpi_pmol, dtype=float),
                                                    np.asarray(weight, dtype=float), iterations=iterations)
    s, bm = np.exp(np.asarray(x))
    got = np.asarray(got)
    return s, bm, got[0], got[1]


@kept_jit(static_argnames=("iterations",))
def _fit_fasting_jit(fpg, fpi_pmol, weight, *, iterations: int):
    """Muscle = liver sensitivity ``s`` and beta-cell mass so the fasting state matches the labs (projected Newton
    in log space, within the surrogate's grid). Where the pair lies beyond what the meal model can produce (very
    high insulin for the glucose), ``s`` stops at the grid's lower edge and beta-cell mass matches the glucose;
    the insulin actually reproduced is returned so the caller can say so."""
    tab = meal_surrogate.table()
    lo = jnp.log(jnp.array([KNOB_RANGE["muscle_si"][0], KNOB_RANGE["beta_mass"][0]]))[:, None]
    hi = jnp.log(jnp.array([KNOB_RANGE["muscle_si"][1], KNOB_RANGE["beta_mass"][1]]))[:, None]

    def fasting(x, w):
        return _fasting_logs(tab, x[0], x[1], 0.0, w)

    f_all = jax.vmap(fasting, in_axes=(1, 0), out_axes=1)
    jac = jax.vmap(jax.jacfwd(fasting), in_axes=(1, 0), out_axes=2)
    target = jnp.stack([jnp.log(fpg), jnp.log(fpi_pmol)])
    x = jnp.zeros((2, fpg.shape[0]))
    w = weight

    def newton(_, x):
        r = f_all(x, w) - target
        J = jac(x, w)  # (2, 2, N)
        num, det = _solve2(J, r)
        return jnp.clip(x - jnp.clip(num / det, -0.5, 0.5), lo, hi)

    x = jax.lax.fori_loop(0, iterations, newton, x)
    # where sensitivity sits on a grid edge, match the glucose alone with beta-cell mass (1-D Newton)
    at_bound = (x[0] <= lo[0]) | (x[0] >= hi[0])

    def newton1(_, x):
        r = f_all(x, w) - target
        J = jac(x, w)
        step_bm = r[0] / jnp.where(jnp.abs(J[0, 1]) > 1e-12, J[0, 1], -1e-12)
        return x.at[1].set(jnp.where(at_bound, jnp.clip(x[1] - jnp.clip(step_bm, -0.5, 0.5), lo[1, 0], hi[1, 0]), x[1]))

    x = jax.lax.fori_loop(0, iterations, newton1, x)
    return x, jnp.exp(f_all(x, w))


def _jnp_tree(t):
    return type(t)(*(jnp.asarray(x, dtype=jnp.float64) for x in t))


@kept_jit(static_argnames=("iterations",))
def _steady_start(params, state, s_fit, g2h, split, u, ref, labs, *, iterations: int):
    """Fixed point at year 0: the triad and secretory function at their steady state for the person's body
    composition, intrinsic sensitivities and beta-cell mass that keep the fasting labs (``labs``: log fasting glucose
    and insulin the fasting fit reproduced), and (with an OGTT) the 2-h glucose: its distance from what the fasting
    labs predict is shared between the stimulated responsivity and muscle insulin resistance relative to the liver's
    (share ``sensitivity.ogtt_muscle_share``; Abdul-Ghani 2006: IGT is muscular, IFG hepatic). Newton on log 2-h
    glucose for that one unknown ``x`` (responsivity exp((1 - share) x), muscle / liver exp(share x)); a Newton step
    on (log liver sensitivity, log fasting mass knob) keeps the fasting labs. Without an OGTT x stays at the typical
    person's, ``sensitivity.ogtt_absent_offset`` (NHANES 2009-2016), not the meal model's reference subject's 0, plus
    the person's drawn deviation ``split`` (0 for one person; cohorts draw it, ``heterogeneity.ogtt_split_sd``)."""
    mech = pm.Mechanisms()
    has_ogtt = ~jnp.isnan(g2h)
    ones = jnp.ones_like(s_fit)
    share = pm.c("sensitivity.ogtt_muscle_share")
    tab = meal_surrogate.table()
    lo_si, hi_si = (float(np.log(v)) for v in KNOB_RANGE["muscle_si"])
    lo_mass, hi_mass = (float(np.log(v)) for v in KNOB_RANGE["beta_mass"])
    lo_x, hi_x = (float(np.log(v)) for v in KNOB_RANGE["beta_function"])

    def fasting(z, w):  # z = (log liver sensitivity, log fasting mass knob, muscle offset share x x)
        return _fasting_logs(tab, z[0], z[1], z[2], w)

    jac = jax.vmap(jax.jacfwd(fasting), in_axes=(1, 0), out_axes=2)
    f_all = jax.vmap(fasting, in_axes=(1, 0), out_axes=1)

    def triad_factors(pr, st):
        """Muscle and liver sensitivity per unit of intrinsic sensitivity for the current triad states."""
        d1 = pm.derive(0.0, st, pr._replace(muscle0=ones, liver0=ones), u, mech, ref)
        return d1.muscle_si, d1.liver_si

    def set_person(pr, st, fac, lliv, lmass, x):
        # adipose tissue shares the liver's intrinsic sensitivity: the fasting labs that show hepatic insulin resistance
        # show the resistance of lipolysis to insulin too (Gastaldelli A et al. Gastroenterology 2007;133:496-506)
        liver0 = jnp.exp(lliv) / fac[1]
        pr = pr._replace(muscle0=jnp.exp(lliv + share * x) / fac[0], liver0=liver0, adipose0=liver0,
                         responsivity=jnp.exp((1.0 - share) * x))
        st = st._replace(beta_mass=jnp.exp(lmass) / pm.total_capacity(st) ** pm.c("beta.capacity_mass_exponent")
                         / (1.0 - st.stunning) / st.beta_function ** pm.c("beta.function_basal_share"))  # knob kept
        return pr, st

    def body(_, carry):
        pr, st, lliv, lmass, x = carry  # pr and st already set for (lliv, lmass, x) and the current triad states
        d = pm.derive(0.0, st, pr, u, mech, ref)
        tg = pm.targets(st, pr, u, mech, d)
        damp = lambda old, new: 0.5 * old + 0.5 * new  # noqa: E731
        st = st._replace(inflammation=damp(st.inflammation, tg["inflammation"]),
                         mitochondria=damp(st.mitochondria, tg["mitochondria"]),
                         er_stress=damp(st.er_stress, tg["er_stress"]),
                         beta_er=damp(st.beta_er, tg["beta_er"]),
                         islet_fat=damp(st.islet_fat, tg["islet_fat"]),
                         beta_function=damp(st.beta_function, tg["beta_function"]),
                         glucotoxic=damp(st.glucotoxic, tg["glucotoxic"]))
        # fasting labs: one Newton step on (log liver sensitivity, log mass knob) with the muscle offset held
        z = jnp.stack([lliv, lmass, share * x])
        J = jac(z, pr.w_set0)
        num, det = _solve2(J, f_all(z, pr.w_set0) - labs)
        ok = jnp.abs(det) > 1e-12
        step = jnp.where(ok, num / jnp.where(ok, det, 1.0), 0.0)
        lliv = jnp.clip(lliv - jnp.clip(step[0], -0.5, 0.5), lo_si, hi_si)
        lmass = jnp.clip(lmass - jnp.clip(step[1], -0.5, 0.5), lo_mass, hi_mass)
        # 2-h glucose: one Newton step on x
        fac = triad_factors(pr, st)

        def g120(xx):
            pr_x, st_x = set_person(pr, st, fac, lliv, lmass, xx)
            return jnp.log(pm.derive(0.0, st_x, pr_x, u, mech, ref).fast["ogtt_glucose_120"])

        val, grad = jax.jvp(g120, (x,), (jnp.ones_like(x),))
        tgt = jnp.log(jnp.where(has_ogtt, g2h, 100.0))
        step = jnp.clip((val - tgt) / jnp.where(jnp.abs(grad) > 1e-9, grad, -1e-9), -0.5, 0.5)
        x = jnp.where(has_ogtt, x - step, x)
        # within the meal model's grid: the oral responsivity knob (x's share times the suppressions and the
        # endogenous incretin effect, at this iteration's states), the muscle offset as muscle sensitivity
        other = jnp.log(pm.stimulated(st, pr._replace(responsivity=ones), mech) * pm.incretin_effect(st))
        x = jnp.clip(x, (lo_x - other) / (1.0 - share), (hi_x - other) / (1.0 - share))
        if share > 0:
            x = jnp.clip(x, (lo_si - lliv) / share, (hi_si - lliv) / share)
        pr, st = set_person(pr, st, fac, lliv, lmass, x)
        return pr, st, lliv, lmass, x

    lliv0, x0 = jnp.log(s_fit), jnp.where(has_ogtt, 0.0, pm.c("sensitivity.ogtt_absent_offset") + split)
    lmass0 = jnp.log(pm.functional_mass(state) * state.beta_function ** pm.c("beta.function_basal_share"))
    pr, st = set_person(params, state, triad_factors(params, state), lliv0, lmass0, x0)
    pr, st, *_ = jax.lax.fori_loop(0, iterations, body, (pr, st, lliv0, lmass0, x0))
    return pr, st


def _inputs0(n: int) -> pm.Inputs:
    z = np.zeros(n)
    return pm.Inputs(energy=z, weight_target=np.full(n, np.nan), activity=z, metformin=z,
                     carb_share=np.full(n, pm.c("triad.dnl_carb_reference")), cortisol=np.ones(n))


#: HOMA1-%B's denominator (glucose - 3.5 mmol/L) is held at this floor: the index is undefined at fasting glucose
#: <= 3.5 mmol/L (63 mg/dL), where it would be infinite or negative; trajectories report the floor's value there.
HOMA1_BETA_FLOOR_MMOL_L = 0.1


def homa1(fpi_uiu_ml, fpg_mmol_l):
    """HOMA1-IR and HOMA1-%B (Matthews DR et al. Diabetologia 1985;28:412-9)."""
    xp = jnp if isinstance(fpg_mmol_l, jax.Array) else np
    return (fpi_uiu_ml * fpg_mmol_l / 22.5,
            20.0 * fpi_uiu_ml / xp.maximum(fpg_mmol_l - 3.5, HOMA1_BETA_FLOOR_MMOL_L))


def observe(s: pm.State, d: pm.Derived, p: pm.Params, t) -> tuple:
    f = d.fast
    fpg = f["fasting_glucose_mg_dl"]
    fpi = f["fasting_insulin_pmol_l"] / INSULIN_PMOL_PER_UIU
    fpg_mmol = fpg / GLUCOSE_MG_DL_PER_MMOL_L
    g2h = f["ogtt_glucose_120"]
    return (
        jnp.zeros_like(fpg) + t, d.age, s.weight + d.weight_offset, (s.weight + d.weight_offset) / (p.height_cm / 100.0) ** 2,
        fpg_mmol,
        g2h / GLUCOSE_MG_DL_PER_MMOL_L, s.hba1c, fpi,
        *homa1(fpi, fpg_mmol),
        pm.functional_mass(s), s.beta_function, d.muscle_si, d.liver_si, d.adipose_si, s.inflammation, s.mitochondria,
        s.er_stress, d.visceral, d.ffa, pm.status_code(fpg, g2h, s.hba1c).astype(jnp.float64), pm.total_capacity(s),
        s.islet_fat,
        d.stimulated, d.incretin_effect, d.intake_change, d.urinary_glucose, d.insulin_dose, s.stunning, d.hypoglycaemia,
    )


def _advance(params, inputs, mech, ref, oparams, t0, dt, s, o, k, k0=0):
    """Step ``k0 + k`` at time ``t0 + (k0 + k) dt``, with row ``k`` of ``inputs``: the new states, and what the step
    derived (time, inputs, coupled parameters, derived)."""
    t = t0 + (k0 + k) * dt
    u = pm.Inputs(*(col[k] for col in inputs))
    p = om.coupled_params(params, o, oparams, mech)
    s2, d = pm.step(t, s, p, u, mech, ref, dt)
    o2 = om.step(t, om.drivers(t, s, d, p, ref), o, oparams, mech, dt)
    return (s2, o2), (t, u, p, d)


def _observe_all(s, o, t, u, p, d, ref, oparams, mech) -> tuple:
    """Every output column of states ``s`` (core) and ``o`` (organs) at time ``t``, from what that step derived."""
    return observe(s, d, p, t) + om.observe(t, om.drivers(t, s, d, p, ref), o, oparams, mech)


@kept_jit(static_argnames=("count", "per_record", "dt"))
def _records(params, state, ostate, inputs, mech, ref, oparams, t0, k0, *, count: int, per_record: int, dt: float):
    """``count`` output records of ``per_record`` steps from ``state`` at step ``k0`` (time ``t0 + k0 dt``): the
    observation at each record's first step, ``(count, n_cols, *batch)``, and the states after the last step.
    ``inputs``: the rows of the input columns for these steps (row ``k`` is step ``k0 + k``)."""
    step = partial(_advance, params, inputs, mech, ref, oparams, t0, dt)

    def record(carry, r):
        s, o = carry
        # the record's first step: its derived quantities serve the observation too (one derive fewer per record)
        carry, (t, u, p, d) = step(s, o, r * per_record, k0)
        obs = _observe_all(s, o, t, u, p, d, ref, oparams, mech)
        month = lambda c, k: (step(*c, k, k0)[0], None)  # noqa: E731
        carry, _ = jax.lax.scan(month, carry, r * per_record + 1 + jnp.arange(per_record - 1))
        return carry, jnp.stack(obs)

    (s, o), obs = jax.lax.scan(record, (state, ostate), jnp.arange(count))
    return obs, s, o


@kept_jit
def _observe_at(params, state, ostate, inputs, mech, ref, oparams, t0, k, dt):
    """The observation of ``state`` at step ``k`` (time ``t0 + k dt``) with input row 0 of ``inputs`` (a run's last
    record)."""
    t = t0 + k * dt
    u = pm.Inputs(*(col[0] for col in inputs))
    p = om.coupled_params(params, ostate, oparams, mech)
    d = pm.derive(t, state, p, u, mech, ref)
    return jnp.stack(_observe_all(state, ostate, t, u, p, d, ref, oparams, mech))


def _scan(params, state, inputs, mech, ref, oparams, ostate, t0, *, n_records: int, per_record: int, dt: float,
          per_call: int | None = None, into: np.ndarray | None = None):
    """``n_records`` records of ``per_record`` steps (:func:`_records`) and the observation after the last:
    ``(n_records + 1, n_cols, *batch)``, with the states at the end. ``inputs``: the input columns, one row per step
    and one more (``n_records x per_record + 1``). ``per_call``: records per compiled call, default all of them (one
    program per horizon, the fastest for a large batch); 1 makes one program serve every horizon (a small batch,
    where compiling costs more than running; about 20 % slower per person-year). ``into``: a host array
    ``(n_records + 1, n_cols, m)`` that receives the first ``m`` persons' records directly (one copy fewer than
    concatenating: for a 10,000-person trial shard each copy of its records costs about 0.2 s) and is returned."""
    rows = [np.asarray(col) for col in inputs]  # host arrays: each call takes its own rows
    per_call = n_records if per_call is None else int(per_call)
    obs, s, o = [], state, ostate
    for k0 in range(0, n_records * per_record, per_call * per_record):
        count = min(per_call, n_records - k0 // per_record)
        ob, s, o = _records(params, s, o, tuple(jnp.asarray(x[k0: k0 + count * per_record]) for x in rows), mech,
                            ref, oparams, t0, np.int64(k0), count=count, per_record=per_record, dt=dt)
        obs.append(np.asarray(ob))
    k = n_records * per_record
    obs.append(np.asarray(_observe_at(params, s, o, tuple(jnp.asarray(x[k: k + 1]) for x in rows), mech, ref,
                                      oparams, t0, np.int64(k), np.float64(dt)))[None])
    if into is None:
        return np.concatenate(obs), s, o  # (n_records + 1, n_cols, *batch)
    r = 0
    for ob in obs:
        into[r: r + len(ob)] = ob[..., : into.shape[-1]]
        r += len(ob)
    return into, s, o


@partial(jax.jit, static_argnames=("columns", "n_steps", "dt"))
def scan_core_columns(params, state, inputs, mech, ref, oparams, ostate, t0, *, columns: tuple[int, ...],
                      n_steps: int, dt: float):
    """The monthly steps of :func:`_scan` (the same :func:`_advance`), recording only the core columns ``columns``
    (indices into :data:`COLUMNS`, all core ones) of every step's start: ``(n_steps, len(columns), *batch)``, the
    observation of month ``k`` in row ``k``. A cheap forward model for the personal twin's likelihood
    (``irsim.inference.twin``): no organ observation and no record bookkeeping."""
    def month(carry, k):
        (s2, o2), (t, u, p, d) = _advance(params, inputs, mech, ref, oparams, t0, dt, *carry, k)
        obs = observe(carry[0], d, p, t)
        return (s2, o2), jnp.stack([obs[i] for i in columns])

    _, obs = jax.lax.scan(month, (state, ostate), jnp.arange(n_steps))
    return obs
