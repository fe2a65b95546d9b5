"""A personal twin (issue #14): the progression model fitted to a person's dated visits, projected with bands.

Research and education software, not a medical device. Design and numbers: docs/twin.md.

Unknowns ``theta ~ N(0, I)`` (standard normal latents, :data:`NAMES`):

* the progression model's between-person random effects, mapped exactly as
  :func:`irsim.cohort.synthetic.progression_effects` maps a virtual cohort's draws (one prior for a twin and a trial);
* a constant change of energy intake (kcal/day, prior SD :data:`ENERGY_SD`) that lets the weights across visits
  move the body's energy balance;
* the true first-visit labs as log offsets from those measured (fasting glucose, fasting insulin, 2-h OGTT glucose,
  HbA1c, weight): prior SD the published within-person CV of a measured lab (``cohort.progression.MEASURED``; the
  first visit's measurement is the flat-prior likelihood of the true value), a population spread for a lab the first
  visit lacks (:data:`MISSING_SD`). The start state is the model's start fit (``models.core.initialise``) at the
  measured labs, expanded to second order (no cross terms) in the log labs by one batched ``initialise`` at
  +-1 prior SD of each lab (in the log of positive leaves).

The organ modules' random effects (``cohort.synthetic.organ_factors``) are drawn from their prior for each draw of the
projection: the glycaemic labs of the visits say little about them, so they are not inferred.

Likelihood: every later visit's measured fasting glucose, fasting insulin, 2-h glucose, HbA1c and weight, log-normal
around the model's value at that month with the CVs of ``cohort.progression.MEASURED`` (weight :data:`WEIGHT_CV`).
The forward model runs the monthly steps (``models.core.scan_core_columns``) from the first visit to now only.

:func:`log_posterior` is one JAX program over a batch of ``theta`` shared by both methods: ``laplace`` (MAP by
Levenberg-Marquardt, Gauss-Newton Hessian, Gaussian draws) and ``nuts`` (NumPyro, chains in lockstep, in the space
whitened by the Laplace fit). Gradients come from central differences evaluated as one batch of the same program
(reverse mode through the scan compiles for minutes and runs slower than the batch): HMC stays exact with any
position-dependent force, since its accept step uses the exact log-posterior.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..schemas.history import History
from ..solvers._jax import jax, jnp, kept_jit
from ..units import GLUCOSE_MG_DL_PER_MMOL_L as _MGDL

#: Standard normal latents, in order.
NAMES = ("z_capacity_susceptibility", "z_sensitivity_drift", "z_capacity_decline", "z_energy_intake",
         "z_fasting_glucose", "z_fasting_insulin", "z_glucose_2h", "z_hba1c", "z_weight")
#: The measured labs: Person field, trajectory column, factor from the field's canonical unit to the column's.
LABS = (("fasting_glucose", "fasting_glucose_mmol_l", 1 / _MGDL),
        ("fasting_insulin", "fasting_insulin_uiu_ml", 1.0),
        ("ogtt_glucose_120", "glucose_2h_mmol_l", 1 / _MGDL),
        ("hba1c", "hba1c_percent", 1.0),
        ("weight", "weight_kg", 1.0))
#: Body weight measured at a visit: day-to-day fluctuation and clothing, about 1 kg at 80 kg (irsim choice; the
#: within-week fluctuation of body weight is 0.3-1 %, Turicchi J et al. Obesity 2020;28:1060-7, plus clinic scales).
WEIGHT_CV = 0.01
#: Prior SD of a first-visit lab the visit lacks (log scale; population spreads of populations.yaml, irsim choice):
#: fasting glucose, fasting insulin (insulin_log_sd 0.45-0.5), 2-h glucose (17-23 mg/dL around 110-130 within a
#: population; at given fasting labs about the spread cohorts draw, progression.yaml heterogeneity.ogtt_split_sd 0.7
#: x 0.275 = 0.19 of the log), HbA1c beyond what fasting glucose predicts, weight (BMI SD 3.5-6.7 around 27-34).
MISSING_SD = (0.10, 0.5, 0.2, 0.06, 0.2)
#: Prior SD of the person's constant change of energy intake, kcal/day (irsim choice): about +-4.4 kg of weight at
#: balance for one SD (Hall 2011: 100 kcal/day ~ 4.4 kg for the reference man).
ENERGY_SD = 100.0
#: Step of the central differences of the log-posterior (latent units).
FD_STEP = 1e-4
#: NUTS settings (chains run in lockstep; draws are split between them).
CHAINS = 4
WARMUP = 150
MAX_TREE_DEPTH = 5
THIN = 2  # each chain runs THIN x its share of the draws and keeps every THIN-th (fewer correlated draws)
#: Importance-sampling proposals per round of the Laplace method (0: plain Gaussian draws).
IS_PROPOSALS = 2000
#: Event probability years ("5", "10", "20" and the horizon).
EVENT_YEARS = (5.0, 10.0, 20.0)

_MEASUREMENT_KEYS = {"fasting_glucose": "measurement.fasting_glucose_cv",
                     "fasting_insulin": "measurement.fasting_insulin_cv",
                     "ogtt_glucose_120": "measurement.glucose_2h_cv", "hba1c": "measurement.hba1c_cv"}
_ORGAN_FACTORS = ("triglyceride_factor", "hdl_factor", "filtration_factor", "liver_export_factor",
                  "testosterone_factor", "shbg_factor")


def lab_cv(field_name: str) -> float:
    """Within-person CV of a measured lab (progression.yaml ``measurement``; weight :data:`WEIGHT_CV`)."""
    from ..models import progression as pm

    return WEIGHT_CV if field_name == "weight" else float(pm.c(_MEASUREMENT_KEYS[field_name]))


# ------------------------------------------------------------------ the setup: start linearisation and data

@dataclass
class Setup:
    """What the log-posterior of one history needs (arrays only: one compiled program serves every history with
    the same shapes)."""

    history: History
    columns: dict                 # the first visit's input columns (one person)
    lab0: np.ndarray              # (5,) first-visit labs the start is linearised at (measured, else the model's)
    measured0: np.ndarray         # (5,) which of them the first visit measured
    lab_sd: np.ndarray            # (5,) prior SD of their log offsets
    base: np.ndarray              # (L,) start leaves at lab0 (params, state, organ params, organ state)
    slope: np.ndarray             # (L, 11) d leaf / d log input (log-linear where ``logleaf``)
    curvature: np.ndarray         # (L, 11) its second derivative along each input (no cross terms)
    logleaf: np.ndarray           # (L,) bool
    carb_share: float
    female: float
    assumed: list[str]
    months: np.ndarray            # (n_visits,) month of each visit since the first
    obs_month: np.ndarray         # (n_obs,) padded likelihood terms: month, column index, log value, sd, mask
    obs_col: np.ndarray
    obs_y: np.ndarray
    obs_sd: np.ndarray
    obs_mask: np.ndarray
    n_records: int                # months the likelihood's scan runs (a multiple of 12, >= the last visit's)

    @property
    def span_months(self) -> int:
        return int(self.months[-1])

    @property
    def has_likelihood(self) -> bool:
        return bool(self.obs_mask.sum() > 0)


def _tree_fields():
    from ..models import organs as om
    from ..models import progression as pm

    return (pm.Params, pm.State, om.OrganParams, om.OrganState)


def _flatten(start) -> np.ndarray:
    """(L, N) leaves of a :class:`~irsim.models.core.Start` in :func:`_tree_fields` order."""
    n = len(start.assumed)
    rows = []
    for tree in (start.params, start.state, start.organ_params, start.organ_state):
        rows += [np.broadcast_to(np.asarray(x, dtype=float), (n,)) for x in tree]
    return np.stack(rows)


def _visit_labs(person) -> np.ndarray:
    """(5,) the visit's labs in the fields' canonical units (NaN where not measured)."""
    row = person.to_row()
    return np.array([row.get(f, np.nan) for f, _, _ in LABS], dtype=float)


def setup(history: History) -> Setup:
    """Linearise the start fit at the first visit and collect the later visits' measurements."""
    from ..cohort import progression as cp
    from ..models import core
    from ..models import progression as pm

    if not isinstance(history, History) or not history.visits:
        raise InputError([Problem("history", "needs at least one visit")])
    years = np.array([v.years for v in history.visits], dtype=float)
    if np.any(np.diff(years) < 0) or abs(years[-1]) > 1e-9:
        raise InputError([Problem("visits", "must be in time order with the last one at year 0")])
    first = history.visits[0].person
    cols = cp.persons_columns([first])
    k = len(LABS) + len(_ORGAN_FACTORS)
    n = 1 + 2 * k
    # both start fits below run on batches of the same shape: initialise's eager operations then compile once
    try:
        base_start = core.initialise({key: np.repeat(np.asarray(v, dtype=float), n) for key, v in cols.items()})
    except InputError as exc:  # the same person n times: one problem, named as the first visit's
        raise InputError([Problem("visits[0]", exc.problems[0].message)]) from None
    assumed = list(base_start.assumed[0])
    # first-visit labs: measured, else what the start fit put there (defaults for glucose and insulin, the model's
    # 2-h glucose and HbA1c, the default weight)
    measured = _visit_labs(first)
    ref = {k: jnp.asarray(v) for k, v in pm.reference().items()}
    d = pm.derive_at_start(base_start.state, base_start.params, core._inputs0(n), pm.Mechanisms(), ref)
    model = np.array([float(np.asarray(d.fast["fasting_glucose_mg_dl"])[0]),
                      float(np.asarray(d.fast["fasting_insulin_pmol_l"])[0]) / core.INSULIN_PMOL_PER_UIU,
                      float(np.asarray(d.fast["ogtt_glucose_120"])[0]),
                      float(np.asarray(base_start.state.hba1c)[0]), float(np.asarray(base_start.state.weight)[0])])
    is_measured = np.isfinite(measured)
    lab0 = np.where(is_measured, measured, model)
    lab_sd = np.array([lab_cv(f) if m else s for (f, _, _), m, s in zip(LABS, is_measured, MISSING_SD)])
    # the start fit at lab0 and at lab0 * exp(+-h) for each lab, and at organ factors exp(+-h): one batch
    batch = {key: np.repeat(np.asarray(v, dtype=float), n) for key, v in cols.items()}
    steps = np.clip(np.concatenate([lab_sd, _organ_sd()]), 0.01, 0.1)  # one prior SD (within 0.01-0.1)
    logs = np.zeros((n, k))
    for i in range(k):
        logs[1 + 2 * i, i], logs[2 + 2 * i, i] = steps[i], -steps[i]
    for i, (f, _, _) in enumerate(LABS):
        batch[f] = lab0[i] * np.exp(logs[:, i])
    for j, f in enumerate(_ORGAN_FACTORS):
        batch[f] = np.exp(logs[:, len(LABS) + j])
    start = core.initialise(batch, explain=False)
    leaves = _flatten(start)  # (L, n)
    base = leaves[:, 0]
    plus, minus = leaves[:, 1::2], leaves[:, 2::2]
    logleaf = np.all(leaves > 0, axis=1) & np.all(np.isfinite(leaves), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = lambda x: np.where(logleaf[:, None], np.log(np.abs(x)), x)  # noqa: E731
        slope = (f(plus) - f(minus)) / (2 * steps)
        curvature = (f(plus) - 2 * f(base[:, None]) + f(minus)) / steps ** 2
    slope = np.where(np.isfinite(slope), slope, 0.0)
    curvature = np.where(np.isfinite(curvature), curvature, 0.0)
    # likelihood terms: every later visit's measured labs
    dt = float(pm.c("time.step_years"))
    months = np.round((years - years[0]) / dt).astype(int)
    terms = []
    for v, m in zip(history.visits[1:], months[1:]):
        labs = _visit_labs(v.person)
        for i, (f, column, factor) in enumerate(LABS):
            if np.isfinite(labs[i]) and labs[i] > 0:
                terms.append((m, i, math.log(labs[i] * factor), lab_cv(f)))
    n_obs = max(8, -(-len(terms) // 8) * 8)
    obs = np.zeros((n_obs, 5))
    obs[:, 3] = 1.0
    for i, t in enumerate(terms):
        obs[i] = (*t, 1.0)
    n_records = max(12, -(-int(months[-1]) // 12) * 12)
    return Setup(history=history, columns=cols, lab0=lab0, measured0=is_measured, lab_sd=lab_sd, base=base,
                 slope=slope, curvature=curvature, logleaf=logleaf, carb_share=float(base_start.carb_share),
                 female=float(cols["female"][0]), assumed=assumed, months=months,
                 obs_month=obs[:, 0].astype(np.int32), obs_col=obs[:, 1].astype(np.int32), obs_y=obs[:, 2],
                 obs_sd=obs[:, 3], obs_mask=obs[:, 4], n_records=n_records)


# ------------------------------------------------------------------ latents -> start, forward model, log-posterior

def effects(z):
    """The progression random effects from standard normal draws ``z`` (..., 3): the mapping of
    :func:`irsim.cohort.synthetic.progression_effects`, in JAX."""
    from ..models import progression as pm

    return (jnp.exp(pm.c("heterogeneity.capacity_susceptibility_log_sd") * z[..., 0]),
            pm.c("heterogeneity.sensitivity_drift_sd") * z[..., 1],
            pm.c("heterogeneity.capacity_decline_median") * jnp.exp(pm.c("heterogeneity.capacity_decline_log_sd")
                                                                     * z[..., 2]))


def _start_trees(theta, organ_z, lin):
    """The start (params, state, organ params, organ state) of a batch of latents ``theta`` (P, 9) with organ
    draws ``organ_z`` (P, 6); ``lin`` = (base, slope, logleaf, lab_sd, organ_sd)."""
    base, slope, curvature, logleaf, lab_sd, organ_sd = lin
    dlog = jnp.concatenate([theta[:, 4:9] * lab_sd, organ_z * organ_sd], axis=1)  # (P, 11)
    lin_part = dlog @ slope.T + 0.5 * (dlog ** 2) @ curvature.T  # (P, L)
    leaves = jnp.where(logleaf, base * jnp.exp(jnp.where(logleaf, lin_part, 0.0)), base + lin_part)
    trees, k = [], 0
    for tree_type in _tree_fields():
        n = len(tree_type._fields)
        trees.append(tree_type(*(leaves[:, k + i] for i in range(n))))
        k += n
    params, state, oparams, ostate = trees
    sus, drift, decline = effects(theta[:, :3])
    params = params._replace(capacity_susceptibility=sus, sensitivity_drift=drift, capacity_decline=decline)
    return params, state, oparams, ostate


def _lin(s: Setup) -> tuple:
    return tuple(jnp.asarray(x) for x in (s.base, s.slope, s.curvature, s.logleaf, s.lab_sd, _organ_sd()))


def _organ_sd() -> np.ndarray:
    from .. import parameters as _parameters
    from ..cohort.synthetic import ORGAN_FACTORS

    h = _parameters.flat_values("organs")
    return np.array([h[f"heterogeneity.{ORGAN_FACTORS[f]}"] for f in _ORGAN_FACTORS])


@kept_jit(static_argnames=("n_records",))
def _log_posterior(theta, lin, inputs, ref, obs, *, n_records: int):
    """Log-posterior (up to a constant) and standardised residuals of a batch ``theta`` (P, 9)."""
    from ..models import core
    from ..models import progression as pm

    p = theta.shape[0]
    params, state, oparams, ostate = _start_trees(theta, jnp.zeros((p, len(_ORGAN_FACTORS))), lin)
    ins = tuple(x if name != "energy" else x + ENERGY_SD * theta[None, :, 3]
                for name, x in zip(pm.Inputs._fields, inputs))
    mech = pm.Mechanisms(*(jnp.ones(p) for _ in pm.Mechanisms._fields))
    out = core.scan_core_columns(params, state, ins, mech, ref, oparams, ostate, jnp.zeros(p),
                                 columns=tuple(core.COLUMNS.index(c) for _, c, _ in LABS), n_steps=n_records + 1,
                                 dt=float(pm.c("time.step_years")))
    month, col, y, sd, mask = obs
    pred = jnp.log(jnp.maximum(out[month, col, :], 1e-12))  # (n_obs, P)
    resid = jnp.where(mask[:, None] > 0, (y[:, None] - pred) / sd[:, None], 0.0).T  # (P, n_obs)
    lp = -0.5 * jnp.sum(theta ** 2, axis=1) - 0.5 * jnp.sum(resid ** 2, axis=1)
    lp = jnp.where(jnp.isfinite(lp), lp, -jnp.inf)
    return lp, resid


class Model:
    """The log-posterior of one history as a function of latent batches (numpy in, numpy out)."""

    def __init__(self, s: Setup):
        from ..models import progression as pm
        from ..scenarios.schema import BASELINE, Schedule

        self.setup = s
        dt = float(pm.c("time.step_years"))
        times = np.arange(s.n_records + 1) * dt
        table = Schedule(BASELINE, s.carb_share).table(times)
        self.inputs = tuple(jnp.asarray(np.asarray(table[f], dtype=float).reshape(len(times), -1)[:, :1])
                            for f in pm.Inputs._fields)
        self.ref = {k: jnp.asarray(v) for k, v in pm.reference().items()}
        self.lin = _lin(s)
        self.obs = (jnp.asarray(s.obs_month), jnp.asarray(s.obs_col), jnp.asarray(s.obs_y), jnp.asarray(s.obs_sd),
                    jnp.asarray(s.obs_mask))
        self.calls = 0

    def __call__(self, theta: np.ndarray):
        """(log-posterior (P,), residuals (P, n_obs)) of latents ``theta`` (P, 9)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        self.calls += 1
        if not self.setup.has_likelihood:
            return -0.5 * np.sum(theta ** 2, axis=1), np.zeros((len(theta), 0))
        lp, r = _log_posterior(jnp.asarray(theta), self.lin, self.inputs, self.ref, self.obs,
                               n_records=self.setup.n_records)
        return np.asarray(lp), np.asarray(r)[:, self.setup.obs_mask > 0]

    def with_gradient(self, theta: np.ndarray, directions: np.ndarray | None = None):
        """Log-posterior, residuals and their central-difference derivatives along ``directions`` (rows; default
        the axes) at each row of ``theta`` (B, 9), all B x (2 d + 1) points in one batch."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        b, d = theta.shape
        dirs = np.eye(d) if directions is None else np.asarray(directions, dtype=float)
        k = len(dirs)
        pts = np.concatenate([theta[:, None, :], theta[:, None, :] + FD_STEP * dirs[None],
                              theta[:, None, :] - FD_STEP * dirs[None]], axis=1).reshape(-1, d)
        lp, r = self(pts)
        lp, r = lp.reshape(b, 2 * k + 1), r.reshape(b, 2 * k + 1, -1)
        with np.errstate(invalid="ignore"):  # -inf - -inf where the model fails: NaN, refused by the caller
            grad = (lp[:, 1:k + 1] - lp[:, k + 1:]) / (2 * FD_STEP)
            jac = (r[:, 1:k + 1] - r[:, k + 1:]) / (2 * FD_STEP)  # (B, k, n_obs)
        return lp[:, 0], r[:, 0], grad, jac


def log_posterior(history_or_setup, theta) -> np.ndarray:
    """The log-posterior (up to a constant) of latents ``theta`` (P, 9) for a history."""
    s = history_or_setup if isinstance(history_or_setup, Setup) else setup(history_or_setup)
    return Model(s)(theta)[0]


# ------------------------------------------------------------------ posterior and the two methods

@dataclass
class Posterior:
    """Draws of the latents (``draws``: (n, 9), :data:`NAMES`), the organ effects' prior draws (``organ_z``),
    the method's diagnostics and what the projection needs."""

    setup: Setup
    draws: np.ndarray
    organ_z: np.ndarray
    diagnostics: dict
    mode: np.ndarray
    covariance: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return NAMES

    def parameters(self) -> dict[str, np.ndarray]:
        """The draws on the model's scales: random effects, energy intake change and the true first-visit labs."""
        s = self.setup
        z = self.draws
        sus, drift, decline = (np.asarray(x) for x in effects(jnp.asarray(z[:, :3])))
        out = {"capacity_susceptibility": sus, "sensitivity_drift_per_year": drift,
               "capacity_decline_per_year": decline, "energy_intake_change_kcal_day": ENERGY_SD * z[:, 3]}
        for i, (f, column, factor) in enumerate(LABS):
            out[f"first_visit_{column}"] = s.lab0[i] * factor * np.exp(s.lab_sd[i] * z[:, 4 + i])
        return out


def fit(history: History, method: str = "laplace", draws: int = 400, seed: int = 0) -> Posterior:
    """The person's posterior: ``method`` "laplace" (fast) or "nuts" (NumPyro, the reference)."""
    if method not in ("laplace", "nuts"):
        raise InputError([Problem("--method", f"{method!r} is not one of laplace, nuts")])
    if not 1 <= int(draws) <= 100_000:
        raise InputError([Problem("--draws", f"{draws} must be between 1 and 100,000")])
    t = time.perf_counter()
    s = setup(history)
    model = Model(s)
    mode, cov = _laplace(model)
    rng = np.random.default_rng(seed)
    z, diagnostics, cov_w = _laplace_draws(model, mode, cov, draws, rng)
    if method == "nuts":
        z, diagnostics = _nuts(model, mode, cov_w, draws, seed)
    organ_z = np.random.default_rng([seed, 1]).standard_normal((len(z), len(_ORGAN_FACTORS)))
    diagnostics["model_evaluations"] = model.calls
    return Posterior(s, z, organ_z, diagnostics, mode, cov, time.perf_counter() - t)


def _laplace(model: Model, iterations: int = 60):
    """MAP by Levenberg-Marquardt on the standardised residuals and the prior, and the Gauss-Newton covariance
    ``(I + J'J)^-1`` there. Without later visits the posterior is the prior: mode 0, covariance I."""
    d = len(NAMES)
    if not model.setup.has_likelihood:
        return np.zeros(d), np.eye(d)
    theta = np.zeros(d)
    lp, r, _, jac = (x[0] for x in model.with_gradient(theta[None]))
    if not np.isfinite(lp):
        raise InputError([Problem("visits", "the model cannot start from the first visit's labs")])
    lam = 1e-2
    for _ in range(iterations):
        J = jac.T  # (n_obs, d): d r / d theta
        H = np.eye(d) + J.T @ J
        g = theta + J.T @ r  # gradient of -log posterior
        step = np.linalg.solve(H + lam * np.diag(np.diag(H)), -g)
        cand = theta + step
        lp_c, r_c, _, jac_c = (x[0] for x in model.with_gradient(cand[None]))
        if np.isfinite(lp_c) and lp_c >= lp - 1e-12:
            gain = lp_c - lp
            theta, lp, r, jac = cand, lp_c, r_c, jac_c
            lam = max(lam / 3.0, 1e-6)
            if np.max(np.abs(step)) < 1e-4 or gain < 1e-8:
                break
        else:
            lam *= 5.0
            if lam > 1e8:
                break
    J = jac.T
    H = np.eye(d) + J.T @ J
    return theta, np.linalg.inv(H)


def _mvn_logpdf(x, mean, cov):
    chol = np.linalg.cholesky(cov)
    y = np.linalg.solve(chol, (x - mean).T)
    return -0.5 * np.sum(y ** 2, axis=0) - np.sum(np.log(np.diag(chol))) - 0.5 * len(mean) * np.log(2 * np.pi)


def _laplace_draws(model: Model, mode: np.ndarray, cov: np.ndarray, draws: int, rng: np.random.Generator):
    """Draws of the Laplace fit, corrected by importance sampling where the model allows it: the posterior of a
    random effect is skewed (the capacity decline's log-normal: a glucose rise is either a fast decline or a drift
    of sensitivity, with a long flat tail towards no decline), which the Gaussian at the mode misses. Proposals
    (:data:`IS_PROPOSALS`, one batched evaluation of :func:`_log_posterior` per round): half from the Laplace
    Gaussian (covariance x 1.5^2), half with the random effects from their prior and the other latents from the
    Laplace conditional given them; a second round from the weighted mean and covariance of the first (x 1.2^2,
    mixed with the first round's proposal). ``draws`` are resampled (systematic) from the last round's weights;
    diagnostics give its effective sample size (Kish). ``IS_PROPOSALS = 0``: plain Gaussian draws."""
    d = len(NAMES)
    diagnostics = {"method": "laplace", "rhat_max": None, "ess_min": None, "divergences": None}
    if IS_PROPOSALS <= 0 or not model.setup.has_likelihood:
        return mode + rng.standard_normal((draws, d)) @ np.linalg.cholesky(cov).T, diagnostics, cov
    m = IS_PROPOSALS
    re, rest = np.arange(3), np.arange(3, d)
    c_rr, c_ro = cov[np.ix_(rest, rest)], cov[np.ix_(rest, re)]
    gain = c_ro @ np.linalg.inv(cov[np.ix_(re, re)])
    schur = (c_rr - gain @ c_ro.T) * 1.5 ** 2
    wide = cov * 1.5 ** 2

    def q0_logpdf(x):
        a = _mvn_logpdf(x, mode, wide)
        b = _cond_logpdf(x, mode, gain, schur, re, rest)
        return np.logaddexp(a, b) - np.log(2.0)

    def _q0_sample(k):
        half = k // 2
        x_a = mode + rng.standard_normal((half, d)) @ np.linalg.cholesky(wide).T
        x_b = np.empty((k - half, d))
        x_b[:, re] = rng.standard_normal((k - half, 3))
        x_b[:, rest] = (mode[rest] + (x_b[:, re] - mode[re]) @ gain.T
                        + rng.standard_normal((k - half, len(rest))) @ np.linalg.cholesky(schur).T)
        return np.concatenate([x_a, x_b])

    x = _q0_sample(m)
    logq = q0_logpdf(x)
    lp = model(x)[0]
    logw = np.where(np.isfinite(lp), lp - logq, -np.inf)
    w = np.exp(logw - np.max(logw))
    w /= w.sum()
    mean1 = w @ x
    cov1 = ((x - mean1).T * w) @ (x - mean1) * 1.2 ** 2 + 1e-6 * np.eye(d)
    # second round: the weighted Gaussian, defensively mixed with the first proposal
    x1 = mean1 + rng.standard_normal((m, d)) @ np.linalg.cholesky(cov1).T
    pick = rng.random(m) < 0.25
    if pick.any():
        x1[pick] = _q0_sample(int(pick.sum()))
    logq1 = np.logaddexp(np.log(0.75) + _mvn_logpdf(x1, mean1, cov1), np.log(0.25) + q0_logpdf(x1))
    lp1 = model(x1)[0]
    logw1 = np.where(np.isfinite(lp1), lp1 - logq1, -np.inf)
    w1 = np.exp(logw1 - np.max(logw1))
    w1 /= w1.sum()
    ess = float(1.0 / np.sum(w1 ** 2))
    u = (rng.random() + np.arange(draws)) / draws
    idx = np.minimum(np.searchsorted(np.cumsum(w1), u), m - 1)
    diagnostics.update({"importance_ess": ess, "importance_proposals_per_round": m, "importance_rounds": 2})
    mean_w = w1 @ x1
    cov_w = ((x1 - mean_w).T * w1) @ (x1 - mean_w) + 1e-6 * np.eye(d)
    return x1[rng.permutation(idx)], diagnostics, cov_w


def _cond_logpdf(x, mode, gain, schur, re, rest):
    """Log density of the second proposal component: prior random effects, Laplace conditional for the rest."""
    mean = mode[rest] + (x[:, re] - mode[re]) @ gain.T
    chol = np.linalg.cholesky(schur)
    y = np.linalg.solve(chol, (x[:, rest] - mean).T)
    return (-0.5 * np.sum(x[:, re] ** 2, axis=1) - 1.5 * np.log(2 * np.pi)
            - 0.5 * np.sum(y ** 2, axis=0) - np.sum(np.log(np.diag(chol))) - 0.5 * len(rest) * np.log(2 * np.pi))


def _nuts(model: Model, mode: np.ndarray, cov: np.ndarray, draws: int, seed: int):
    """NUTS (NumPyro) on the latents, chains in lockstep, the (dense) mass matrix the importance-weighted
    covariance of the Laplace method (``cov``; not adapted: the warm-up adapts the step size only), started around
    the Laplace mode (spread 0.5 in every latent: over-dispersed against the posterior for R-hat).
    The potential and its gradient come from one batched evaluation of :func:`_log_posterior` per leapfrog step
    for all chains (a host callback; central differences)."""
    import numpyro
    from numpyro.infer import MCMC, NUTS

    d = len(NAMES)

    def host(u):
        u = np.asarray(u, dtype=float)
        shape = u.shape[:-1]
        lp, _, grad, _ = model.with_gradient(u.reshape(-1, d))
        pot, g = -lp, -grad
        bad = ~np.isfinite(pot) | ~np.all(np.isfinite(g), axis=1)
        pot = np.where(bad, np.inf, pot)
        g = np.where(bad[:, None], 0.0, g)
        return pot.reshape(shape), g.reshape(*shape, d)

    def callback(u):
        shapes = (jax.ShapeDtypeStruct(u.shape[:-1], jnp.float64), jax.ShapeDtypeStruct(u.shape, jnp.float64))
        return jax.pure_callback(host, shapes, u, vmap_method="broadcast_all")

    @jax.custom_jvp
    def potential(u):
        return callback(u)[0]

    @potential.defjvp
    def _jvp(primals, tangents):
        (u,), (du,) = primals, tangents
        pot, g = callback(u)
        return pot, jnp.sum(g * du, axis=-1)

    per_chain = max(1, -(-draws // CHAINS))
    kernel = NUTS(potential_fn=potential, max_tree_depth=MAX_TREE_DEPTH, target_accept_prob=0.8,
                  dense_mass=True, inverse_mass_matrix=jnp.asarray(cov), adapt_mass_matrix=False)
    mcmc = MCMC(kernel, num_warmup=WARMUP, num_samples=per_chain * THIN, num_chains=CHAINS, thinning=THIN,
                chain_method="vectorized", progress_bar=False)
    init = mode + 0.5 * np.random.default_rng([seed, 2]).standard_normal((CHAINS, d))
    numpyro.enable_x64()
    mcmc.run(jax.random.PRNGKey(seed), init_params=jnp.asarray(init), extra_fields=("diverging", "num_steps"))
    theta = np.asarray(mcmc.get_samples(group_by_chain=True))  # (chains, per_chain, d)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    rhat, ess = _chain_diagnostics(theta)
    diagnostics = {"method": "nuts", "rhat_max": rhat, "ess_min": ess,
                   "divergences": int(np.asarray(extra["diverging"]).sum()), "chains": CHAINS,
                   "warmup": WARMUP, "thinning": THIN, "leapfrog_steps_mean": float(np.asarray(extra["num_steps"]).mean())}
    return theta.reshape(-1, d)[:draws], diagnostics


def _chain_diagnostics(theta: np.ndarray) -> tuple[float, float]:
    """Largest rank-normalised split R-hat and smallest bulk ESS over the latents (ArviZ; NumPyro's split R-hat
    and ESS where ArviZ is missing)."""
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import arviz as az

        ds = az.convert_to_dataset({"theta": theta})
        rhat = float(np.nanmax(az.rhat(ds)["theta"].values))
        ess = float(np.nanmin(az.ess(ds)["theta"].values))
    except ImportError:  # pragma: no cover
        from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

        rhat = float(np.nanmax(split_gelman_rubin(theta)))
        ess = float(np.nanmin(effective_sample_size(theta)))
    return rhat, ess


# ------------------------------------------------------------------ projection

#: Trajectory columns with bands (numeric ones; not year, age or categorical codes).
def band_columns() -> list[str]:
    from ..models import core

    return [c for c in core.COLUMNS if c not in ("year", "age") and c not in core.LABELS]


@dataclass
class Projection:
    """Bands (long: scenario, year, variable, q05..q95), event probabilities, visit fit and the draws' arrays."""

    bands: pd.DataFrame
    probability: dict
    visits_fit: list
    trajectories: dict  # scenario -> (n_years + 1, n_columns, n_draws), the true values
    history: np.ndarray | None  # (months + 1, n_columns, n_draws): first visit to now, monthly


def start_of(posterior: Posterior):
    """The :class:`~irsim.models.core.Start` of every draw (at the first visit)."""
    from ..models import core

    s = posterior.setup
    lin = _lin(s)
    trees = _start_trees_jit(jnp.asarray(posterior.draws), jnp.asarray(posterior.organ_z), lin)
    params, state, oparams, ostate = (type(t)(*(np.asarray(x) for x in t)) for t in trees)
    n = len(posterior.draws)
    return core.Start(params, state, [list(s.assumed) for _ in range(n)], s.carb_share, oparams, ostate)


_start_trees_jit = kept_jit(_start_trees)


def inputs_with_energy(scenario, carb_share, energy, shift: float = 0.0):
    """The scenario's input table with each draw's constant change of energy intake added (kcal/day)."""
    from ..scenarios.schema import Schedule

    def table(times):
        out = dict(Schedule(scenario, carb_share).table(np.asarray(times) - shift))
        e = np.asarray(out["energy"], dtype=float)
        out["energy"] = (e if e.ndim == 2 else e[:, None]) + energy[None, :]
        return out

    return table


def simulate(posterior: Posterior, years: float = 20, scenarios: Sequence = (), predictive: bool = False,
             seed: int = 0) -> Projection:
    """Every draw from the first visit to now (baseline, monthly), then ``years`` from now under baseline and each
    scenario from the same end states (common random numbers); bands, event probabilities and the visits' fit."""
    from ..cohort import progression as cp
    from ..models import progression as pm
    from ..scenarios.schema import BASELINE

    scenarios = [BASELINE, *scenarios]
    names = [sc.name for sc in scenarios]
    if len(set(names)) != len(names):
        raise InputError([Problem("--scenario", f"scenario names must differ (baseline is built in): {names}")])
    if not 1 <= years <= 100:
        raise InputError([Problem("--years", f"{years} must be between 1 and 100")])
    s = posterior.setup
    dt = float(pm.c("time.step_years"))
    energy = ENERGY_SD * posterior.draws[:, 3]
    start = start_of(posterior)
    span = s.span_months
    hist = None
    if span > 0:
        hist, start = cp.run(start, span * dt, BASELINE, step="month", final=True,
                             inputs=inputs_with_energy(BASELINE, s.carb_share, energy))
    n = len(posterior.draws)
    noise = np.random.default_rng([seed, 3]).standard_normal((int(years) + 2, len(cp.MEASURED) + 1, n))
    trajectories, frames = {}, []
    year_idx = cp.COLUMNS.index("year")
    variables = band_columns()
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    for sc in scenarios:
        out = cp.run(start, years, sc, step="year", t0=span * dt, inputs=inputs_with_energy(sc, s.carb_share, energy))
        out[:, year_idx] = np.arange(out.shape[0])[:, None]
        trajectories[sc.name] = out
        shown = _with_noise(out, noise[: out.shape[0]]) if predictive else out
        idx = [cp.COLUMNS.index(v) for v in variables]
        q = np.nanquantile(shown[:, idx, :], qs, axis=2)  # (5, T, V)
        t_n, v_n = q.shape[1], q.shape[2]
        frames.append(pd.DataFrame({"scenario": sc.name, "year": np.repeat(out[:, year_idx, 0], v_n),
                                    "variable": np.tile(variables, t_n),
                                    **{f"q{int(round(100 * p)):02d}": q[k].reshape(-1) for k, p in enumerate(qs)}}))
    bands = pd.concat(frames, ignore_index=True)
    probability = {name: event_probabilities(out, s.female, years, seed) for name, out in trajectories.items()}
    fit_rows = visits_fit(posterior, hist, trajectories["baseline"], seed)
    return Projection(bands, probability, fit_rows, trajectories, hist)


def project(posterior: Posterior, years: float = 20, scenarios: Sequence = (), predictive: bool = False,
            seed: int = 0) -> pd.DataFrame:
    """Bands of every numeric trajectory column: columns ``scenario, year, variable, q05, q25, q50, q75, q95``
    (``scenario`` "baseline" plus each scenario's name; ``year`` since the last visit)."""
    return simulate(posterior, years, scenarios, predictive, seed).bands


def _with_noise(out: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The measured values (``cohort.progression.with_noise``) and weight with :data:`WEIGHT_CV`."""
    from ..cohort import progression as cp

    res = cp.with_noise(out, z[:, :len(cp.MEASURED)])
    w = cp.COLUMNS.index("weight_kg")
    res[:, w] = out[:, w] * np.exp(WEIGHT_CV * z[:, len(cp.MEASURED)])
    return res


def event_sample(out: np.ndarray, female: float, seed: int = 0, samples_per_draw: int = 10):
    """Event and death times over the draws' trajectories ``out`` (T, n_columns, N; yearly records from now) as one
    :class:`irsim.analysis.events.EventSample` of ``N x samples_per_draw`` histories: onsets where each draw's
    trajectory crosses the event's threshold, hazards and competing death sampled as :mod:`irsim.analysis.events`
    samples them. ``prevalent`` is the share of draws with the event at the start. The same seed gives every
    scenario the same random numbers."""
    from ..analysis import events as ev
    from ..cohort import progression as cp
    from ..models import core

    rng = np.random.default_rng([seed, 4])
    t = out[:, cp.COLUMNS.index("year"), 0].astype(float)
    t = t - t[0]
    big = np.repeat(out, samples_per_draw, axis=2)
    col = lambda name: big[:, cp.COLUMNS.index(name)]  # noqa: E731

    def values(column):
        if column not in cp.COLUMNS:
            return None
        if column in core.LABELS:
            return np.asarray(core.LABELS[column], dtype=object)[np.rint(col(column)).astype(int)]
        return col(column)

    diabetic = values("glycemic_status") == "T2D"
    times, death, first = ev.sample_times(t, col("age"), diabetic, female, big.shape[2], rng, values)
    return ev.EventSample(horizon=float(t[-1]), times=times, death=death,
                          prevalent={name: float(np.mean(hit)) for name, hit in first.items()})


def event_probabilities(out: np.ndarray, female: float, years: float, seed: int = 0,
                        samples_per_draw: int = 10) -> dict:
    """``{event: {year: probability}}`` by :data:`EVENT_YEARS` (and the horizon) of :func:`event_sample`."""
    es = event_sample(out, female, seed, samples_per_draw)
    grid = sorted({y for y in EVENT_YEARS if y <= es.horizon + 1e-9} | {es.horizon})
    return {name: {f"{y:g}": float(np.mean(np.isfinite(x) & (x <= y + 1e-9))) for y in grid}
            for name, x in es.times.items()}


def visits_fit(posterior: Posterior, hist: np.ndarray | None, now: np.ndarray, seed: int = 0) -> list[dict]:
    """Each visit's measured labs beside the posterior predictive median and 90 % interval (the model's value at
    the visit's month with measurement noise)."""
    from ..cohort import progression as cp

    s = posterior.setup
    rows = []
    rng = np.random.default_rng([seed, 5])
    for k, v in enumerate(s.history.visits):
        m = int(s.months[k])
        rec = now[0] if hist is None or m >= hist.shape[0] else hist[m]  # (n_columns, N)
        labs = _visit_labs(v.person)
        entry = {"visit": k, "years": float(v.years), "date": v.date, "labs": {}}
        for i, (f, column, factor) in enumerate(LABS):
            if not np.isfinite(labs[i]):
                continue
            true = rec[cp.COLUMNS.index(column)]
            pred = true * np.exp(lab_cv(f) * rng.standard_normal(true.shape))
            entry["labs"][column] = {"measured": float(labs[i] * factor), "median": float(np.median(pred)),
                                     "q05": float(np.quantile(pred, 0.05)), "q95": float(np.quantile(pred, 0.95))}
        rows.append(entry)
    return rows


def parameter_summary(posterior: Posterior) -> dict:
    """``{name: {mean, sd, q05, q95}}`` of :meth:`Posterior.parameters`."""
    return {k: {"mean": float(np.mean(x)), "sd": float(np.std(x, ddof=1)) if len(x) > 1 else 0.0,
                "q05": float(np.quantile(x, 0.05)), "q95": float(np.quantile(x, 0.95))}
            for k, x in posterior.parameters().items()}
