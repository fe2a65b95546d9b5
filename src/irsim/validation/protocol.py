"""Validation machinery shared by every protocol module: :class:`StudyResult`, :class:`Protocol`, the
:class:`Cohorts` cache, the measurement helpers (vectorised over the ``(time, column, person)`` run array of
:func:`irsim.cohort.progression.run`) and the registry :data:`PROTOCOLS` that protocol modules add to with
:func:`register`. Nothing here imports a protocol module.

Diagnosis of diabetes follows the studies, all of which predate the HbA1c criterion: fasting glucose
>= 126 mg/dL or 2-h OGTT glucose >= 200 mg/dL (:data:`DIAGNOSIS`).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..cohort import progression as P
from ..cohort import synthetic
from ..scenarios.schema import BASELINE, Scenario
from ..units import GLUCOSE_MG_DL_PER_MMOL_L

MGDL = GLUCOSE_MG_DL_PER_MMOL_L
#: Cohort size per population for the full report, and for ``--quick`` (tests, smoke runs).
FULL_N = 5000
QUICK_N = 600

# Glucose thresholds, mmol/L (ADA 1997 / WHO 1999 values in mg/dL, converted with the model's factor)
FPG_DM = 126.0 / MGDL
G2H_DM = 200.0 / MGDL
G2H_IGT = 140.0 / MGDL
FPG_IFG_WHO = 110.0 / MGDL
FPG_IFG_ADA = 100.0 / MGDL

#: How protocols diagnose diabetes: "glucose" (FPG or 2-h OGTT, as the studies did), "fasting" (FPG only),
#: or "status" (the model's glycemic_status, which adds HbA1c >= 6.5 %).
DIAGNOSIS = "glucose"

_IDX = {name: i for i, name in enumerate(P.COLUMNS)}


# ------------------------------------------------------------------------------------------------ results


@dataclass
class StudyResult:
    """What one protocol measured: a value per target id (NaN with a reason in ``missing`` where it could not be
    measured), group sizes, notes for the report, and arrays for the plots."""

    name: str
    values: dict[str, float] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, dict[str, float]] = field(default_factory=dict)  # group -> summary (see summarise)
    n: int = 0
    seed: int = 0
    seconds: float = 0.0

    def set(self, target_id: str, value, reason_if_missing: str = "not measurable") -> None:
        v = float(value) if value is not None else float("nan")
        self.values[target_id] = v
        if np.isnan(v):
            self.missing[target_id] = reason_if_missing
        else:
            self.missing.pop(target_id, None)


@dataclass(frozen=True)
class Protocol:
    name: str
    title: str
    population: str
    targets: tuple[str, ...]
    description: str                          # markdown for the report: population and protocol ({n} = cohort size)
    fn: Callable[..., StudyResult]
    calibration_keywords: tuple[str, ...] = ()  # parameter sources naming these were calibrated on this study

    def run(self, n: int, seed: int = 0, cohorts: "Cohorts | None" = None) -> StudyResult:
        t0 = time.perf_counter()
        res = self.fn(n, seed, cohorts if cohorts is not None else Cohorts(seed))
        res.n, res.seed, res.seconds = n, seed, time.perf_counter() - t0
        for tid in self.targets:  # every declared target gets an entry
            if tid not in res.values:
                res.set(tid, None, "the protocol did not produce it")
        return res


# ------------------------------------------------------------------------------------------------ cohorts


def population_seed(seed: int, population: str) -> int:
    """Seed of one population's draw within a validation run of seed ``seed``."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(population.encode())]).generate_state(1)[0])


class Cohorts:
    """Initialised virtual cohorts and their runs, shared by the protocols of one validation run (a cohort of
    the same population, size, overrides and seed is initialised once; a scenario is run once).

    ``overrides`` re-centre a population (keywords of :func:`irsim.cohort.synthetic.population`); such a cohort is
    drawn with its own seed."""

    def __init__(self, seed: int = 0):
        self.seed = int(seed)
        self._starts: dict = {}
        self._runs: dict = {}

    def start(self, population: str, n: int, overrides: dict | None = None, glycation_offset: bool = True) -> P.Start:
        """``glycation_offset=False``: HbA1c measured on treatment stopped at baseline
        (:func:`irsim.models.core.without_glycation_offset`)."""
        key = (population, int(n)) + ((tuple(sorted(overrides.items())),) if overrides else ())
        if key not in self._starts:
            tag = population + ("+" if overrides else "")
            cols = synthetic.population(population, int(n), seed=population_seed(self.seed, tag), **(overrides or {}))
            self._starts[key] = P.initialise(cols, explain=False)
        return self._starts[key] if glycation_offset else P.without_glycation_offset(self._starts[key])

    def run(self, population: str, n: int, years: float, scenario: Scenario = BASELINE, step: str = "year",
            overrides: dict | None = None, glycation_offset: bool = True) -> np.ndarray:
        key = (population, int(n), float(years), scenario.model_dump_json(), step,
               tuple(sorted((overrides or {}).items())), glycation_offset)
        if key not in self._runs:
            self._runs[key] = P.run(self.start(population, n, overrides, glycation_offset), years, scenario, step=step)
        return self._runs[key]

    def memo(self, key: tuple, make: Callable[[], Any]) -> Any:
        """A result shared by the protocols of this run (e.g. persons diagnosed during a natural-history run), made
        once per ``key``."""
        if key not in self._runs:
            self._runs[key] = make()
        return self._runs[key]

    def measured(self, population: str, n: int, years: float, scenario: Scenario = BASELINE, step: str = "year",
                 overrides: dict | None = None, draw: int = 0, glycation_offset: bool = True) -> np.ndarray:
        """The run as the study measured it: within-person variation at every visit (:func:`P.measured`); the
        same draws for every arm of a population (virtual twins measured alike). ``draw`` numbers independent
        repeat measurements (a confirming test)."""
        return P.measured(self.run(population, n, years, scenario, step, overrides, glycation_offset),
                          population_seed(self.seed, f"{population}/visits/{draw}"))



# ------------------------------------------------------------------------------------------------ measurement


def column(out: np.ndarray, name: str) -> np.ndarray:
    """One output column over time and persons, ``(n_times, N)``."""
    return out[:, _IDX[name], :]


def homa2_of(out: np.ndarray):
    """HOMA2 (Oxford calculator grid, :func:`irsim.assessment.homa2_grid.homa2`) at every record of a run, from its
    fasting glucose and insulin; NaN outside the calculator's range (insulin < 20 pmol/L), as the calculator gives none."""
    from ..assessment.homa2_grid import homa2

    return homa2(column(out, "fasting_glucose_mmol_l"), column(out, "fasting_insulin_uiu_ml") * P.INSULIN_PMOL_PER_UIU,
                 invalid="nan")


def diabetic(out: np.ndarray, criteria: str = DIAGNOSIS) -> np.ndarray:
    """``(n_times, N)`` mask: diabetic by the given criteria at each recorded time."""
    fpg = column(out, "fasting_glucose_mmol_l")
    if criteria == "glucose":
        return (fpg >= FPG_DM) | (column(out, "glucose_2h_mmol_l") >= G2H_DM)
    if criteria == "fasting":
        return fpg >= FPG_DM
    if criteria == "status":
        return column(out, "glycemic_status") == 4
    raise ValueError(f"unknown diagnosis criteria {criteria!r}")


def first_index(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 0 for each person; -1 where never."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), -1)


def align(values: np.ndarray, index: np.ndarray, offsets) -> np.ndarray:
    """``values[index + k]`` for each offset k (rows) and person (columns); NaN outside the record."""
    offsets = np.asarray(offsets)
    t = index[None, :] + offsets[:, None]
    ok = (t >= 0) & (t < values.shape[0]) & (index[None, :] >= 0)
    res = np.take_along_axis(values, np.clip(t, 0, values.shape[0] - 1), axis=0).astype(float)
    res[~ok] = np.nan
    return res


def trajectory_fit(records: np.ndarray, offsets, basis, covariates=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean trajectory of persons measured at scattered times, as a multilevel (linear mixed) model estimates it:
    ``y_ij = mu + sum_k b_k f_k(t_ij) + a_i + e_ij`` with a random intercept ``a_i`` per person (variance ``lam`` times
    the residual's), fitted by restricted maximum likelihood (REML; SAS PROC MIXED's default): generalised least
    squares for ``mu, b`` at each ``lam``, ``lam`` by a bounded search on its log.
    Persons with a single record inform the shape too, through the levels at which they stand; as ``lam`` grows the fit
    tends to the within-person fit (an intercept per person). ``records``: (offsets, persons), NaN where unmeasured;
    ``basis``: functions of the offset (the published shape); ``covariates``: optional (persons, q) person-level
    adjustments (e.g. age and sex), centred on the persons measured, so the trajectory is the adjusted one at their
    mean. Returns (``mu`` plus the fitted shape at every offset, the number of records at each offset); NaN without
    records that inform the shape."""
    from scipy.optimize import minimize_scalar

    t = np.asarray(offsets, dtype=float)
    y = np.asarray(records, dtype=float)
    ok = np.isfinite(y)
    cnt = ok.sum(axis=1)
    n = ok.sum(axis=0)
    seen = n > 0
    X = np.column_stack([np.ones_like(t)] + [f(t) for f in basis])       # (offsets, k): intercept and shape
    w, yz, n = ok[:, seen].astype(float), np.where(ok, y, 0.0)[:, seen], n[seen].astype(float)
    Z = np.zeros((int(seen.sum()), 0)) if covariates is None else np.asarray(covariates, dtype=float)[seen]
    Z = Z - Z.mean(axis=0) if Z.size else Z
    k, p = X.shape[1], X.shape[1] + Z.shape[1]
    N = float(n.sum())
    if N <= p:
        return np.full(len(t), np.nan), cnt
    cross = X.T @ (w @ Z)                                                # sums over records of x z^T and x x^T
    XtX = np.block([[X.T @ (X * w.sum(axis=1)[:, None]), cross], [cross.T, Z.T @ (Z * n[:, None])]])
    ysum = yz.sum(axis=0)
    Xty = np.concatenate([X.T @ yz.sum(axis=1), Z.T @ ysum])
    s = np.hstack([w.T @ X, Z * n[:, None]])                             # (persons, p): each person's sum of x
    yy = float((yz ** 2).sum())

    def gls(log_lam):
        c = 1.0 / (1.0 / np.exp(log_lam) + n)                            # lam / (1 + n lam): V_i^-1 = I - c J
        A = XtX - (s * c[:, None]).T @ s
        b = Xty - s.T @ (c * ysum)
        sign, logdet = np.linalg.slogdet(A)
        if sign <= 0:
            return None
        beta = np.linalg.solve(A, b)
        rsum = ysum - s @ beta
        rss = yy - 2.0 * beta @ Xty + beta @ XtX @ beta - float((c * rsum ** 2).sum())
        return beta, rss, logdet

    def neg2_reml(log_lam):
        r = gls(log_lam)
        if r is None or r[1] <= 0.0:
            return np.inf
        _, rss, logdet = r
        return (N - p) * np.log(rss / (N - p)) + float(np.log1p(n * np.exp(log_lam)).sum()) + logdet

    fit = minimize_scalar(neg2_reml, bounds=(-12.0, 12.0), method="bounded", options={"xatol": 1e-6})
    r = gls(fit.x)
    if r is None or not np.isfinite(fit.fun):
        return np.full(len(t), np.nan), cnt
    return X @ r[0][:k], cnt


def gmean(x: np.ndarray, axis=None) -> np.ndarray:
    """Geometric mean of the positive finite entries (HOMA indices are log-normal)."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x) & (x > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(ok, np.log(np.where(ok, x, 1.0)), 0.0).sum(axis=axis)
        return np.exp(s / ok.sum(axis=axis))


def nanmean(x, axis=None):
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, x, 0.0).sum(axis=axis) / ok.sum(axis=axis)


def nanmedian(x, axis=None):
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.isfinite(x).any():
        return np.nan if axis is None else np.full(np.delete(x.shape, axis), np.nan)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=axis)


def ols_slope(x, y) -> float:
    """Least-squares slope of y on x over the finite points (NaN with fewer than two)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    xm = x[ok] - x[ok].mean()
    return float((xm * (y[ok] - y[ok].mean())).sum() / (xm ** 2).sum())


def incidence(event_time: np.ndarray, follow_up: float) -> tuple[float, int, float]:
    """Incidence per 100 person-years: ``event_time`` in years (NaN = no event within ``follow_up``)."""
    event_time = np.asarray(event_time, float)
    events = np.isfinite(event_time) & (event_time <= follow_up)
    py = float(np.where(events, event_time, follow_up).sum())
    k = int(events.sum())
    return (100.0 * k / py if py > 0 else float("nan")), k, py


def visit_mask(months: np.ndarray, fpg_every: int = 6, ogtt_every: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Which monthly records are fasting-glucose visits and which are OGTT visits (month 0 is baseline)."""
    months = np.asarray(months)
    return (months > 0) & (months % fpg_every == 0), (months > 0) & (months % ogtt_every == 0)


def event_times_at_visits(out: np.ndarray, fpg_every: int = 6, ogtt_every: int = 12,
                          confirm: np.ndarray | None = None) -> np.ndarray:
    """Years to diagnosis for a monthly run, diabetes checked only at the study's visits (NaN: none). With
    ``confirm`` (an independent repeat measurement of the same run), a visit's diagnosis counts only if the repeat
    test also meets the criterion (DPP, ACT NOW)."""
    months = _months(out)
    visits = visit_mask(months, fpg_every, ogtt_every)

    def hits(a):
        f, g = _visit_hits(a, *visits)
        return f | g

    hit = hits(out) if confirm is None else hits(out) & hits(confirm)
    k = first_index(hit)
    return np.where(k >= 0, months[np.clip(k, 0, None)] / 12.0, np.nan)


def _months(out: np.ndarray) -> np.ndarray:
    return np.rint(column(out, "year")[:, 0] * 12).astype(int)


def _visit_hits(out: np.ndarray, fv: np.ndarray, ov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fasting glucose >= 7.0 mmol/L at a fasting-glucose visit ``fv``, 2-h glucose >= 11.1 mmol/L at an OGTT visit
    ``ov``; :func:`visit_mask`), per record and person."""
    return ((column(out, "fasting_glucose_mmol_l") >= FPG_DM) & fv[:, None],
            (column(out, "glucose_2h_mmol_l") >= G2H_DM) & ov[:, None])


#: What first met a diabetes criterion at a visit (:func:`first_trigger`).
TRIGGERS = ("none", "fasting glucose only", "2-h glucose only", "both")


def first_trigger(out: np.ndarray, fpg_every: int = 6, ogtt_every: int = 12) -> np.ndarray:
    """Per person, which criterion the first visit that met one met, before any confirmation: an index into
    :data:`TRIGGERS` (0: no visit met one)."""
    f, g = _visit_hits(out, *visit_mask(_months(out), fpg_every, ogtt_every))
    k = first_index(f | g)
    cols = np.arange(f.shape[1])
    at = np.clip(k, 0, None)
    return np.where(k >= 0, f[at, cols] * 1 + g[at, cols] * 2, 0)


def insulinogenic_index(out_t: np.ndarray) -> np.ndarray:
    """dI30/dG30 (pmol/L per mmol/L) at one time (``out_t``: ``(n_columns, N)``). The run array has no OGTT
    30-min values, so they are read from the meal-model surrogate at each person's current knobs (muscle and
    liver sensitivity, beta-cell mass, function, stimulated responsivity and the incretin effect) and weight, all of
    which the run array records."""
    from ..models import meal_surrogate as ms
    from ..models import progression as pm

    g = lambda name: out_t[_IDX[name]]  # noqa: E731
    f = ms.table().lookup(pm.record_knobs(g), g("weight_kg"))
    di = np.asarray(f["ogtt_insulin_30"]) - np.asarray(f["fasting_insulin_pmol_l"])
    dg = (np.asarray(f["ogtt_glucose_30"]) - np.asarray(f["fasting_glucose_mg_dl"])) / MGDL
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dg > 0.1, di / dg, np.nan)


def style_axes(axes, xlabel: str | None = None) -> None:
    """The report's panel style: grid and legend on each panel, and a common x label when given."""
    for ax in axes:
        if xlabel is not None:
            ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)


def summarise(out: np.ndarray, mask: np.ndarray, female: np.ndarray, index=0) -> dict[str, float]:
    """Means of a group at one record per person (``index``: a record number, or one per person)."""
    idx = np.broadcast_to(np.asarray(index), mask.shape)[mask]
    pick = lambda name: align(column(out, name)[:, mask], idx, [0])[0]  # noqa: E731
    if not mask.any():
        return {"n": 0}
    return {"n": int(mask.sum()), "women %": 100.0 * float(np.mean(np.asarray(female)[mask] > 0.5)),
            "age": float(nanmean(pick("age"))), "BMI": float(nanmean(pick("bmi"))),
            "FPG mmol/L": float(nanmean(pick("fasting_glucose_mmol_l"))),
            "2-h mmol/L": float(nanmean(pick("glucose_2h_mmol_l"))), "HbA1c %": float(nanmean(pick("hba1c_percent"))),
            "HOMA1-IR": float(nanmedian(pick("homa1_ir")))}


# ------------------------------------------------------------------------------------------------ registry

#: Every registered protocol by name, in registration order (see :mod:`.suite` for the loaded set).
PROTOCOLS: dict[str, Protocol] = {}


def register(*protocols: Protocol) -> None:
    """Add protocols to :data:`PROTOCOLS` (a protocol module calls this once, at import)."""
    for p in protocols:
        if PROTOCOLS.get(p.name, p) is not p:
            raise ValueError(f"protocol {p.name!r} registered twice")
        PROTOCOLS[p.name] = p
