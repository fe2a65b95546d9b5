"""Batched progression runs: persons' input columns, runs in chunks of persons, study measurements, frames.

`irsim.simulate(person, years, scenarios)` and `irsim simulate` call :func:`simulate`; cohorts call
:func:`initialise` and :func:`run` directly. One `lax.scan` steps a whole chunk (batch on every leaf). The core's
start from labs, its observation and the scan of core and organs are :mod:`irsim.models.core`'s (re-exported here).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..models import core
from ..models import organs as om
from ..models import progression as pm
from ..models.core import (  # noqa: F401  (the core's start, observation and scan live in models/core.py)
    HOMA1_BETA_FLOOR_MMOL_L, INSULIN_PMOL_PER_UIU, Start, _fit_fasting, _fit_fasting_jit, _inputs0, _jnp_tree, _scan,
    _steady_start, homa1, initialise, observe, without_glycation_offset)
from ..scenarios.schema import BASELINE, Scenario, Schedule
from ..solvers._jax import jnp, release_compiled
from ..solvers.batching import BUCKETED, bucket  # noqa: F401  (BUCKETED re-exported)
from ..units import GLUCOSE_MG_DL_PER_MMOL_L  # noqa: F401  (re-exported)

#: Output columns of a trajectory (stable names): the core's, then the organs' (models/core.py, models/organs).
COLUMNS = core.COLUMNS

#: Persons per compiled batch: bounds memory (the surrogate lookups gather 32 grid corners per person).
CHUNK = 25_000


def batch_size(n: int) -> int:
    """Persons per compiled batch for ``n`` persons: up to :data:`BUCKETED`, padded to a bucket
    (:func:`irsim.solvers.batching.bucket`: at least 256, then 2 sizes per doubling) so that runs of nearby sizes share
    one compiled program (such batches also run record by record, one program for every horizon:
    ``models.core._scan``); above it ``n`` itself (a large run's own compute dominates), at most :data:`CHUNK`."""
    n = max(int(n), 1)
    return min(n, CHUNK) if n > BUCKETED else bucket(n)


def persons_columns(persons) -> dict[str, np.ndarray]:
    """Canonical input columns (see :meth:`irsim.schemas.Person.to_row`) for one or many persons."""
    from ..schemas.person import Person

    if isinstance(persons, (Person, dict)):
        persons = [persons]
    rows = [(p if isinstance(p, Person) else Person.parse(p)).to_row() for p in persons]
    keys = sorted({k for r in rows for k in r})
    return {k: np.array([r.get(k, np.nan) for r in rows], dtype=float) for k in keys}


#: Step options of :func:`run`: the step, years, and steps per output record.
STEPS = {"week": (7.0 / 365.25, 1), "month": (None, 1), "year": (None, 12)}  # None: time.step_years (one month)


def run(start: Start, years: float, scenario: Scenario = BASELINE, step: str = "year",
        mechanisms: pm.Mechanisms | None = None, t0: float = 0.0, final: bool = False,
        inputs: Callable[[np.ndarray], dict] | None = None, per_record: int | None = None):
    """Simulate a started batch; returns an array ``(n_times, n_columns, N)`` in :data:`COLUMNS` order.

    ``step``: "year" (monthly steps, yearly records), "month" or "week" (steps and records). ``t0``: years since
    the batch's year 0 at which ``start`` stands (a continued run; the scenario's dates count from ``t0``); one
    number, or one per person (persons continued from different years, as :func:`gather` makes them).
    ``final=True`` also returns the :class:`Start` at the end, to continue from. ``inputs``: a function of the step
    times giving the input table (default: the scenario's :class:`Schedule`); a column of shape ``(n_times, N)``
    gives each person their own inputs (a trial's per-person draws and adherence). ``per_record``: steps per record
    instead of the step option's (e.g. monthly steps recorded every 6 months)."""
    if step not in STEPS:
        raise InputError([Problem("step", f"{step!r} is not one of {', '.join(STEPS)}")])
    dt, default_per_record = STEPS[step]
    per_record = default_per_record if per_record is None else int(per_record)
    dt = float(pm.c("time.step_years") if dt is None else dt)
    n_records = int(round(years / dt)) // per_record
    if n_records < 1 or years > 100:
        raise InputError([Problem("years", f"{years} must be between {per_record * dt:.3g} and 100")])
    times = np.arange(n_records * per_record + 1) * dt
    release_compiled()  # a process that has compiled many horizons and batch sizes stays below the kernel's map limit
    table = (Schedule(scenario, start.carb_share).table if inputs is None else inputs)(times)
    n = len(start.assumed)
    t0 = np.broadcast_to(np.asarray(t0, dtype=float), (n,))
    mech = pm.Mechanisms() if mechanisms is None else mechanisms
    mech = pm.Mechanisms(*(np.broadcast_to(np.asarray(m, dtype=float), (n,)) for m in mech))
    ref = {k: jnp.asarray(v) for k, v in pm.reference().items()}
    size = batch_size(n)
    # an input the same for every person is one column, broadcast inside the model (memory: no per-person copy)
    table = [np.asarray(table[f], dtype=float) for f in pm.Inputs._fields]
    shared = all(x.ndim == 1 for x in table)
    columns = tuple(x[:, None] for x in table) if shared else None
    out = np.empty((n_records + 1, len(COLUMNS), n))  # filled chunk by chunk (no second copy)
    ends = []
    for a in range(0, n, size):  # chunks of persons bound the memory; the last (or only) one is padded
        idx = np.arange(a, a + size) % n
        take = lambda tree: type(tree)(*(jnp.asarray(np.asarray(x, dtype=float)[idx]) for x in tree))  # noqa: E731
        chunk_inputs = columns if shared else tuple(x[:, None] if x.ndim == 1 else x[:, idx] for x in table)
        m = min(size, n - a)
        _, s_end, o_end = _scan(take(start.params), take(start.state), chunk_inputs, take(mech), ref,
                                take(start.organ_params), take(start.organ_state), jnp.asarray(t0[idx]),
                                n_records=n_records, per_record=per_record, dt=dt,
                                per_call=1 if size <= BUCKETED else None, into=out[:, :, a: a + m])
        if final:
            ends.append((s_end, o_end))
    if not final:
        return out
    cat = lambda i, tree_type: tree_type(*(np.concatenate([np.asarray(e[i][j]) for e in ends])[:n]  # noqa: E731
                                           for j in range(len(tree_type._fields))))
    end = Start(start.params, cat(0, pm.State), start.assumed, start.carb_share, start.organ_params,
                cat(1, om.OrganState))
    return out, end


def gather(starts: Sequence[Start], which: np.ndarray, persons: np.ndarray | None = None) -> Start:
    """The batch of ``persons`` (default: all), person ``persons[j]`` taken where ``starts[which[j]]`` has them: each
    person continued from their own year (e.g. their diagnosis) of a run saved year by year (``run(final=True)``)."""
    first = starts[0]
    persons = np.arange(len(first.assumed)) if persons is None else np.asarray(persons)
    which = np.asarray(which)
    pick = lambda get, tree_type: tree_type(*(np.stack([np.asarray(get(st)[f], dtype=float) for st in starts])  # noqa: E731
                                              [which, persons] for f in range(len(tree_type._fields))))
    sub = lambda tree: type(tree)(*(np.asarray(x)[persons] for x in tree))  # noqa: E731
    return Start(sub(first.params), pick(lambda s: s.state, pm.State), [first.assumed[i] for i in persons],
                 first.carb_share, sub(first.organ_params), pick(lambda s: s.organ_state, om.OrganState))


#: Columns a study visit measures, with their within-person variation (progression.yaml `measurement`).
MEASURED = {"fasting_glucose_mmol_l": "measurement.fasting_glucose_cv", "glucose_2h_mmol_l": "measurement.glucose_2h_cv",
            "fasting_insulin_uiu_ml": "measurement.fasting_insulin_cv", "hba1c_percent": "measurement.hba1c_cv"}


def measured(out: np.ndarray, seed: int) -> np.ndarray:
    """A run's array as a study would measure it: fasting glucose, 2-h glucose, fasting insulin and HbA1c of every
    record carry independent within-person variation (log-normal with the CVs of Mooy 1996 and Ricos 1999), and the
    HOMA1 indices are recomputed from the measured values. The model's own array stays deterministic."""
    rng = np.random.default_rng(seed)
    shape = (out.shape[0], out.shape[2])
    return with_noise(out, np.stack([rng.standard_normal(shape) for _ in MEASURED], axis=1))


def with_noise(out: np.ndarray, z: np.ndarray) -> np.ndarray:
    """:func:`measured` with given standard normal draws ``z``, ``(n_times, len(MEASURED), N)``."""
    res = out.copy()
    for name in (*MEASURED, "homa1_ir", "homa1_beta_percent"):
        res[:, COLUMNS.index(name)] = measured_column(out, z, name)
    return res


def measured_column(out: np.ndarray, z: np.ndarray, name: str) -> np.ndarray:
    """One column of :func:`with_noise` (``(n_times, N)``), computing only what it needs: a measured value with its
    noise, a HOMA1 index from the measured glucose and insulin, any other column as it is."""
    col = lambda key: out[:, COLUMNS.index(key)]  # noqa: E731
    if name in MEASURED:
        return col(name) * np.exp(pm.c(MEASURED[name]) * z[:, list(MEASURED).index(name)])
    if name in ("homa1_ir", "homa1_beta_percent"):
        with np.errstate(divide="ignore", invalid="ignore"):
            ir, beta = homa1(measured_column(out, z, "fasting_insulin_uiu_ml"),
                             measured_column(out, z, "fasting_glucose_mmol_l"))
        return ir if name == "homa1_ir" else beta
    return col(name)


def to_frame(out: np.ndarray, person: int = 0) -> pd.DataFrame:
    df = pd.DataFrame(out[:, :, person], columns=COLUMNS)
    df["year"] = df["year"].round(6)
    df["age"] = df["age"].round(6)
    for col, labels in core.LABELS.items():  # categorical columns: codes -> labels
        df[col] = np.asarray(labels, dtype=object)[df[col].to_numpy().astype(int)]
    return df


#: Columns :func:`simulate` adds to the model's: (unit, description).
ADDED_COLUMNS = {
    "diagnosis_year": ("year", "first record with glycemic_status T2D (NaN: none)"),
    "homa2_ir": ("HOMA2-IR", "HOMA2 insulin resistance from the record's fasting glucose and insulin (Levy 1998; Oxford "
                             "calculator grid; NaN outside its range: glucose 3-25 mmol/L, insulin 20-400 pmol/L)"),
    "homa2_beta_percent": ("%", "HOMA2-%B beta-cell function from the record's fasting glucose and insulin (as homa2_ir)"),
    "homa2_s_percent": ("%", "HOMA2-%S insulin sensitivity from the record's fasting glucose and insulin (as homa2_ir)"),
}


def with_homa2(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the HOMA2 columns of :data:`ADDED_COLUMNS` computed from its fasting glucose and insulin (the scale
    published studies such as Whitehall II report; the model's own columns keep HOMA1, defined at any insulin)."""
    from ..assessment.homa2_grid import homa2

    r = homa2(df["fasting_glucose_mmol_l"].to_numpy(), df["fasting_insulin_uiu_ml"].to_numpy() * INSULIN_PMOL_PER_UIU,
              invalid="nan")
    return df.assign(homa2_ir=r.ir, homa2_beta_percent=r.beta_percent, homa2_s_percent=r.s_percent)


def simulate(persons, years: float = 30, scenarios: Sequence[Scenario] | Scenario | None = None,
             step: str = "year", mechanisms: pm.Mechanisms | None = None) -> pd.DataFrame:
    """Trajectories of one or many persons under one or several scenarios (long format: one row per
    person, scenario and time). Columns: ``person``, ``scenario``, then :data:`COLUMNS`, then
    :data:`ADDED_COLUMNS` (``diagnosis_year`` and HOMA2)."""
    columns = persons_columns(persons)
    start = initialise(columns)
    n = len(columns["age"])
    if scenarios is None:
        scenarios = [BASELINE]
    elif isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    frames = []
    for sc in scenarios:
        out = run(start, years, sc, step, mechanisms)
        for i in range(n):
            df = to_frame(out, i)
            df.insert(0, "scenario", sc.name)
            df.insert(0, "person", i)
            t2d = df.index[df["glycemic_status"] == "T2D"]
            df["diagnosis_year"] = df.loc[t2d[0], "year"] if len(t2d) else np.nan
            frames.append(df)
    result = with_homa2(pd.concat(frames, ignore_index=True))
    result.attrs["assumed"] = start.assumed
    result.attrs["female"] = columns["female"].tolist()
    return result
