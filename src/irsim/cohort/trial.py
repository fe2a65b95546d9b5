"""Virtual trials from a one-page spec (:mod:`.trial_spec`; docs/trials.md): `irsim trial SPEC.yaml --out DIR`.

Persons are numbered 0..n-1 and split over the arms in order of the spec. Every random number a person needs (their
baseline values, their draws of intervention fields, adherence, dropout, measurement noise at visits, clinical events)
comes from a key made of the spec's seed, the purpose and the person's number (threefry ``fold_in``), so results
depend on (spec, seed) only, never on how persons are grouped into shards or on which worker runs them.

A shard (a range of person numbers) is simulated as one batch: starting states from the drawn labs, the monthly
progression model with each person's own inputs, visits with measurement noise, events; it is written to
``DIR/persons/part-NNNNN.parquet`` atomically (temporary file, then rename). Shards run in this process, on a Dask
``LocalCluster`` (``workers``) or on an existing cluster (``scheduler``); a run started again with ``resume`` skips
the shards already written. The summary is computed from the person tables alone.
"""

from __future__ import annotations

import json
import math
import os
import platform
import zlib
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import as_completed as futures_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import special

from .. import __version__
from .. import parameters as _parameters
from ..errors import InputError, Problem
from ..scenarios.schema import BASELINE, Schedule
from .trial_spec import (EVENT_NAMES, Draw, MeanChange, Proportion, TrialSpec, canonical, draw_bounds, field_bounds,
                         parse_where)

#: Persons per shard unless given (memory: mostly the per-person monthly input tables, about 200 MB per 10,000 persons
#: and 10 years; the benchmark's process peaks at 2.2 GiB).
SHARD_SIZE = 10_000

# ------------------------------------------------------------------------------------------------ random numbers


def uniforms(seed: int, stream: str, ids: np.ndarray, k: int) -> np.ndarray:
    """``(len(ids), k)`` uniforms in (0, 1), a function of (seed, stream, person number) only: threefry bits of
    ``fold_in(fold_in(key(seed), stream), id)``, the top 53 bits made a double."""
    from ..solvers._jax import jax, jnp

    key = jax.random.fold_in(jax.random.PRNGKey(seed), zlib.crc32(stream.encode()) & 0x7FFFFFFF)
    bits = np.asarray(_bits(key, jnp.asarray(np.asarray(ids, dtype=np.int64)), k))
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53


def normals(seed: int, stream: str, ids: np.ndarray, k: int) -> np.ndarray:
    return special.ndtri(uniforms(seed, stream, ids, k))


def _bits_impl(key, ids, k):
    from ..solvers._jax import jax, jnp

    return jax.vmap(lambda i: jax.random.bits(jax.random.fold_in(key, i), (k,), jnp.uint64))(ids)


_BITS = {}


def _bits(key, ids, k):
    from ..solvers._jax import jax

    if k not in _BITS:
        _BITS[k] = jax.jit(lambda key, ids: _bits_impl(key, ids, k))
    return _BITS[k](key, ids)


def truncated_normal(u, loc, scale, lo=-np.inf, hi=np.inf):
    """The ``u`` quantile of a normal(loc, scale) truncated to [lo, hi] (no clamping: the draw lies inside)."""
    loc, scale = np.asarray(loc, dtype=float), np.asarray(scale, dtype=float)
    safe = np.where(scale > 0, scale, 1.0)
    a, b = special.ndtr((lo - loc) / safe), special.ndtr((hi - loc) / safe)
    return np.where(scale > 0, loc + safe * special.ndtri(a + u * (b - a)), loc)


# ------------------------------------------------------------------------------------------------ baseline


def baseline(spec: TrialSpec, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Baseline input columns (canonical units) of persons ``ids``: the given distributions, the others from the
    ``population.like`` population, with its correlations (a Gaussian copula of :mod:`.synthetic`'s structure:
    insulin rises with BMI, glucose with insulin, 2-h glucose and HbA1c with fasting glucose)."""
    from . import synthetic

    pop = _parameters.load("populations")["populations"][spec.population.like]
    v = lambda key: pop[key]["value"] if isinstance(pop[key], dict) else pop[key]  # noqa: E731
    given = spec.population.baseline
    n = len(ids)
    z = normals(spec.seed, "baseline", ids, 19)
    u = special.ndtr(z)

    def value(key, zk, loc, scale, lo, hi):
        """Given marginal (its mean, sd, min, max) or the population's conditional one, at latent ``zk``."""
        d = given.get(key)
        if isinstance(d, Draw):
            bounds = [None if x is None else canonical(key, x) for x in (d.min, d.max)]
            return truncated_normal(special.ndtr(zk), canonical(key, d.mean), canonical(key, d.sd, spread=True),
                                    -np.inf if bounds[0] is None else bounds[0], np.inf if bounds[1] is None else bounds[1])
        return truncated_normal(special.ndtr(zk), loc, scale, lo, hi)

    share = given["female"].share if "female" in given else v("female_share")
    female = (u[:, 0] < share).astype(float)
    out = {"female": female,
           "age": value("age", z[:, 1], v("age_mean"), v("age_sd"), v("age_min"), v("age_max"))}
    (fm, fs), (mm, ms) = synthetic.HEIGHT_CM["female"], synthetic.HEIGHT_CM["male"]
    out["height"] = value("height", z[:, 2], np.where(female > 0.5, fm, mm), np.where(female > 0.5, fs, ms),
                          -np.inf, np.inf)
    if "weight" in given:
        out["weight"] = value("weight", z[:, 3], 0.0, 0.0, 0, 0)
        bmi = out["weight"] / (out["height"] / 100.0) ** 2
    else:
        bmi = value("bmi", z[:, 3], v("bmi_mean"), v("bmi_sd"), v("bmi_min"), v("bmi_max"))
        out["weight"] = bmi * (out["height"] / 100.0) ** 2
    # fasting insulin: log-normal around the population median, rising with BMI (latent z4)
    shift = v("insulin_bmi_slope") * (bmi - v("bmi_mean"))
    if "fasting_insulin" in given:
        out["fasting_insulin"] = value("fasting_insulin", z[:, 4], 0, 0, 0, 0)
    else:
        lo = (np.log(v("insulin_min") / v("insulin_median")) - shift) / v("insulin_log_sd")
        hi = (np.log(v("insulin_max") / v("insulin_median")) - shift) / v("insulin_log_sd")
        out["fasting_insulin"] = v("insulin_median") * np.exp(
            shift + v("insulin_log_sd") * truncated_normal(u[:, 4], 0.0, 1.0, lo, hi))
    r = v("glucose_insulin_corr")
    zg = r * z[:, 4] + math.sqrt(1 - r * r) * z[:, 5]
    out["fasting_glucose"] = value("fasting_glucose", zg, v("glucose_mean") + v("glucose_bmi_slope") * (bmi - v("bmi_mean")),
                                   v("glucose_sd"), v("glucose_min"), v("glucose_max"))
    if "ogtt_glucose_120" in given or "glucose_2h_mean" in pop:
        r2 = v("glucose_2h_fasting_corr") if "glucose_2h_fasting_corr" in pop else synthetic.HBA1C_FASTING_CORR
        z2 = r2 * zg + math.sqrt(1 - r2 * r2) * z[:, 6]
        out["ogtt_glucose_120"] = value("ogtt_glucose_120", z2, *(
            (v("glucose_2h_mean"), v("glucose_2h_sd"), v("glucose_2h_min"), v("glucose_2h_max"))
            if "glucose_2h_mean" in pop else (0, 0, 0, 0)))
    if "hba1c" in given or "hba1c_mean" in pop:
        ra = synthetic.HBA1C_FASTING_CORR
        za = ra * zg + math.sqrt(1 - ra * ra) * z[:, 7]
        out["hba1c"] = value("hba1c", za, *((v("hba1c_mean"), v("hba1c_sd"), v("hba1c_min"), v("hba1c_max"))
                                            if "hba1c_mean" in pop else (0, 0, 0, 0)))
    if "diabetes_duration_years" not in given and "duration_min" in pop:
        # years since diagnosis in a population with diabetes: longer with higher fasting glucose (as synthetic)
        r = synthetic.DURATION_FASTING_CORR
        q = special.ndtr(r * zg + math.sqrt(1 - r * r) * normals(spec.seed, "baseline/duration", ids, 1)[:, 0])
        lo, hi = v("duration_min"), v("duration_max")
        out["diabetes_duration_years"] = lo * (hi / lo) ** q if pop.get("duration_log_uniform") else lo + (hi - lo) * q
    out.update(synthetic.progression_effects(z[:, 8], z[:, 9], z[:, 10], special.ndtr(
        normals(spec.seed, "baseline/decline_onset", ids, 1)[:, 0]), normals(spec.seed, "baseline/ogtt_split", ids, 1)[:, 0]))
    p = _parameters.flat_values("organs")["heterogeneity.pnpla3_148m_frequency"]
    out.update(synthetic.organ_factors(female, [z[:, 11 + k] for k in range(6)],
                                       (u[:, 17] < p).astype(float) + (u[:, 18] < p)))
    for key in sorted(set(given) - set(out) - {"bmi"}):  # other given values: independent draws of their own
        out[key] = value(key, normals(spec.seed, f"baseline/{key}", ids, 1)[:, 0], 0, 0, 0, 0)
    out["bmi"] = bmi
    return out


# ------------------------------------------------------------------------------------------------ shards


@dataclass(frozen=True)
class Shard:
    index: int
    first: int
    stop: int

    @property
    def file(self) -> str:
        return f"part-{self.index:05d}.parquet"


def shards(n: int, size: int) -> list[Shard]:
    return [Shard(k, a, min(a + size, n)) for k, a in enumerate(range(0, n, size))]


def arm_of(spec: TrialSpec, ids: np.ndarray) -> np.ndarray:
    """Arm index of each person number (arms take consecutive numbers; numbers past n, padding, the last arm)."""
    return np.minimum(np.searchsorted(np.cumsum(spec.arm_counts()), ids, side="right"), len(spec.arms) - 1)


def _inputs(spec: TrialSpec, ids: np.ndarray, arm: np.ndarray, carb_share: float) -> Callable[[np.ndarray], dict]:
    """The input-table function of a batch: each person's arm with their own draws, or no intervention where they do
    not adhere. Inputs the same for every person stay one column."""
    arms = []
    for a, spec_arm in enumerate(spec.arms):
        scenario, draws = spec.scenario(spec_arm)
        values = {}
        for (i, name), d in draws.items():
            lo, hi = draw_bounds(d, field_bounds(type(scenario.interventions[i]), name))
            uu = uniforms(spec.seed, f"draw/{spec_arm.name}/{i}/{name}", ids, 1)[:, 0]
            values[(i, name)] = truncated_normal(uu, float(d.mean), float(d.sd), lo, hi)
        follows = uniforms(spec.seed, f"adherence/{spec_arm.name}", ids, 1)[:, 0] < spec_arm.adherence
        arms.append((Schedule(scenario, carb_share, values), (arm == a) & follows))

    def table(times):
        base = Schedule(BASELINE, carb_share).table(times)
        # which inputs are per person follows from the spec alone, never from who is in the batch: every shard of
        # a run then has the same input shapes, so one compiled program serves them all
        tabs = [(sched.table(times), mask) for sched, mask in arms]
        out = {}
        for key, b in base.items():
            cols = [(t[key], m) for t, m in tabs]
            if all(c.ndim == 1 and np.array_equal(c, b, equal_nan=True) for c, _ in cols):
                out[key] = b
                continue
            res = np.broadcast_to(b[:, None], (len(times), len(ids))).copy()
            for c, m in cols:
                res[:, m] = np.broadcast_to(c[:, None] if c.ndim == 1 else c, res.shape)[:, m]
            out[key] = res
        return out

    return table


def record_months(spec: TrialSpec) -> int:
    """Months between the run's records: the end of follow-up, every visit and every endpoint year falls on one."""
    months = [max(int(round(spec.follow_up_years * 12)), 1), spec.visits.every_months,
              spec.visits.ogtt_every_months or spec.visits.every_months]
    months += [max(int(round(y * 12)), 1) for ep in spec.endpoints for y in getattr(ep, "at_years", []) if y > 0]
    return math.gcd(*months)


def _diagnosed(col: Callable[[str], np.ndarray], months: np.ndarray, spec: TrialSpec) -> np.ndarray:
    """``(n_times, N)``: diabetes found at a visit by the ADA cut-offs on measured values: fasting glucose; 2-h
    glucose at OGTT visits; HbA1c unless turned off. Month 0 is the screening visit (every test)."""
    from ..assessment.formulas import ADA_2025_CUTOFFS
    from . import progression as P

    v = spec.visits
    fpg_visit = months % v.every_months == 0
    ogtt_visit = v.ogtt & (months % (v.ogtt_every_months or v.every_months) == 0)
    cut = {key: dm for key, _, dm, _ in ADA_2025_CUTOFFS}
    mgdl = P.GLUCOSE_MG_DL_PER_MMOL_L
    hit = (col("fasting_glucose_mmol_l") * mgdl >= cut["fasting_glucose"]) & fpg_visit[:, None]
    hit |= (col("glucose_2h_mmol_l") * mgdl >= cut["glucose_2h"]) & ogtt_visit[:, None]
    if v.hba1c:
        hit |= (col("hba1c_percent") >= cut["hba1c"]) & fpg_visit[:, None]
    return hit


def run_shard(spec: TrialSpec, shard: Shard, size: int, folder: str | Path) -> str:
    """Simulate one shard and write its person table atomically; returns the file's path. The batch is padded to
    ``size`` persons (the numbers after the shard's), so every shard of a run has the same compiled shape."""
    import pandas as pd

    from ..analysis import events as ev
    from ..models import core
    from . import progression as P

    folder = Path(folder)
    ids = np.arange(shard.first, shard.first + size)
    keep = ids < shard.stop
    arm = arm_of(spec, ids)
    cols = baseline(spec, ids)
    start = P.initialise(cols, explain=False)
    years = max(round(spec.follow_up_years * 12), 1) / 12.0  # the run's horizon: whole months
    raw = P.run(start, years, step="month", inputs=_inputs(spec, ids, arm, start.carb_share),
                per_record=record_months(spec))
    n_t = raw.shape[0]
    months = np.rint(raw[:, P.COLUMNS.index("year"), 0] * 12).astype(int)
    times = months / 12.0
    visits = (months > 0) & (months % spec.visits.every_months == 0)

    def measured(stream):
        """Column getter of the run as measured at visits (the baseline record: the labs as given)."""
        z = normals(spec.seed, stream, ids, n_t * len(P.MEASURED)).reshape(len(ids), n_t, len(P.MEASURED))
        z = z.transpose(1, 2, 0) * (months > 0)[:, None, None]
        return lambda name: P.measured_column(raw, z, name)

    seen = measured("visits")
    found = _diagnosed(seen, months, spec)
    if spec.visits.confirm:
        found &= _diagnosed(measured("visits/confirm"), months, spec)
    col = lambda name: raw[:, P.COLUMNS.index(name)]  # noqa: E731

    # follow-up: dropout (exponential at the yearly chance), death (life table, diabetes, fatal MI and stroke)
    first = lambda mask: np.where(mask.any(axis=0), times[mask.argmax(axis=0)], np.nan)  # noqa: E731
    event_t, prevalent = {}, {}
    for name, model_name in EVENT_NAMES.items():
        e = ev.EVENTS[model_name]
        if name == "T2D":
            at0 = found[0]
            event_t[name], prevalent[name] = np.where(at0, 0.0, first(found & visits[:, None])), at0
        elif e.kind == "onset":
            past = e.onset(col(e.column))
            event_t[name] = np.where(past[0], 0.0, first(past & visits[:, None]))
            prevalent[name] = past[0]
        else:
            draw = -np.log(uniforms(spec.seed, f"event/{name}", ids, 1)[:, 0])
            event_t[name], prevalent[name] = ev._invert(times, col(e.column), draw), np.zeros(len(ids), bool)
    diabetic = col("glycemic_status") == core.LABELS["glycemic_status"].index("T2D")
    death = ev._invert(times, ev.death_hazard(col("age"), cols["female"], diabetic),
                       -np.log(uniforms(spec.seed, "death", ids, 1)[:, 0]))
    fatality = _parameters.load("life_tables")["case_fatality"]["value"]
    death = ev.competing(event_t, death, {name: uniforms(spec.seed, f"fatal/{name}", ids, 1)[:, 0]
                                          for name in fatality if name in event_t})
    rate = -math.log1p(-spec.dropout_per_year)
    dropout = (-np.log(uniforms(spec.seed, "dropout", ids, 1)[:, 0]) / rate) if rate > 0 else np.full(len(ids), np.inf)
    end = np.fmin(np.fmin(dropout, death), years)

    table = {"person_id": ids, "arm": np.array([spec.arms[a].name for a in arm], dtype=object)}
    for key in sorted(cols):
        table[f"baseline_{key}"] = cols[key]
    for name, t in event_t.items():
        table[f"{name}_year"] = np.where(prevalent[name], 0.0, np.where(t <= end, t, np.nan))
    table["death_year"] = np.where(death <= end, death, np.nan)
    table["followup_years"] = end
    table["dropped"] = dropout < np.fmin(death, years)
    for ep in spec.endpoints:  # values at the endpoints' years (persons followed that long)
        for y in getattr(ep, "at_years", []):
            k = int(np.argmin(np.abs(times - y)))
            followed = end >= times[k] - 1e-9
            if isinstance(ep, MeanChange):
                x = seen(ep.column)
                table[f"{ep.column}@0"] = x[0]
                table[f"{ep.column}@{y:g}"] = np.where(followed, x[k], np.nan)
            elif isinstance(ep, Proportion):
                ok = np.ones(len(ids), bool)
                for column, op, value in parse_where(ep.where):
                    x = seen(column)[k]
                    if isinstance(value, str):
                        value = float(core.LABELS[column].index(value))
                    ok &= {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                           "==": np.equal, "!=": np.not_equal}[op](x, value)
                table[f"{ep.name}@{y:g}"] = np.where(followed, ok.astype(float), np.nan)
    frame = pd.DataFrame({k: np.asarray(v)[keep] for k, v in table.items()})
    path = folder / shard.file
    tmp = folder / f".{shard.file}.{os.getpid()}.tmp"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return str(path)


# ------------------------------------------------------------------------------------------------ the run (irsim.Trial)


def simulate(spec: TrialSpec, out: str | Path, workers: int | None = None, scheduler: str | None = None,
             shard_size: int | None = None, resume: bool = False,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Write every shard of ``spec`` not yet in ``out/persons`` (``progress(done, total)`` after each); returns the
    run's manifest (also in ``out/manifest.json``). A folder holding another run is refused unless ``resume`` and
    the spec's digest and shard size match."""
    out = Path(out)
    plan = _plan(spec, out, shard_size, resume)
    size = plan["shard_size"]
    todo = [s for s in shards(spec.population.n, size) if not (out / "persons" / s.file).exists()]
    total = len(plan["shards"])
    done = total - len(todo)
    if progress:
        progress(done, total)
    for _ in _execute(spec, todo, min(size, spec.population.n), out / "persons", workers, scheduler):
        done += 1
        if progress:
            progress(done, total)
    return plan


def finish(out: str | Path, plan: dict, summary: dict) -> None:
    """Write ``summary.json`` and mark the manifest complete."""
    out = Path(out)
    _write_json(out / "summary.json", summary)
    _write_json(out / "manifest.json", {**plan, "complete": True})


def _plan(spec: TrialSpec, out: Path, shard_size: int | None, resume: bool) -> dict:
    manifest = out / "manifest.json"
    if manifest.exists():
        old = json.loads(manifest.read_text())
        if not resume:
            raise InputError([Problem("--out", f"{out} already holds a trial run: add --resume to finish it, or "
                                               "choose another folder")])
        if old.get("spec_sha256") != spec.digest():
            raise InputError([Problem("--resume", f"{out} holds a run of another spec (or seed); it cannot be "
                                                  "resumed with this one")])
        if shard_size is not None and shard_size != old["shard_size"]:
            raise InputError([Problem("--shard-size", f"{shard_size} differs from the run's {old['shard_size']}; "
                                                      "resume with the same size (or leave it out)")])
        return old
    size = SHARD_SIZE if shard_size is None else int(shard_size)
    if size < 1:
        raise InputError([Problem("--shard-size", f"{size} must be at least 1")])
    (out / "persons").mkdir(parents=True, exist_ok=True)
    plan = {"name": spec.name, "spec_sha256": spec.digest(), "seed": spec.seed, "spec": spec.model_dump(mode="json"),
            "versions": _versions(), "shard_size": size,
            "shards": [{"index": s.index, "first": s.first, "stop": s.stop, "file": f"persons/{s.file}"}
                       for s in shards(spec.population.n, size)], "complete": False}
    _write_json(manifest, plan)
    return plan


def local_threads() -> int:
    """Shards run at once in this process: one per core this process may use, plus one on a multi-core machine
    (it fills the gaps that a shard's Python and NumPy parts leave; bench_trial on 2 cores: 2 threads 104,708 and
    106,308, 3 threads 109,358 and 108,747, 4 threads 107,424 person-years/s)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores + 1 if cores > 1 else 1


def _execute(spec: TrialSpec, todo: list[Shard], size: int, folder: Path, workers: int | None, scheduler: str | None):
    """Run shards here, on a new LocalCluster of ``workers`` processes, or on the cluster at ``scheduler``; yields
    each written file as it completes."""
    if not todo:
        return
    if workers is None and scheduler is None:
        # here: threads (local_threads); JAX's compiled programs and NumPy release the GIL, so shards overlap
        # (bench_trial: 1.23 -> 0.91 s per 10,000-person shard on 2 cores)
        threads = min(local_threads(), len(todo))
        if threads <= 1:
            for s in todo:
                yield run_shard(spec, s, size, folder)
            return
        pool = ThreadPoolExecutor(threads)
        try:
            for fut in futures_completed([pool.submit(run_shard, spec, s, size, folder) for s in todo]):
                yield fut.result()
        finally:  # stopped (an error, an interrupt): shards not yet started never start; running ones finish
            pool.shutdown(wait=True, cancel_futures=True)
        return
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError([Problem("--workers" if scheduler is None else "--scheduler",
                                  "running on Dask needs the cluster extra: pip install 'irsim[cluster]'")]) from None

    cluster = None
    if scheduler is None:
        # one compute thread per worker process (JAX and BLAS would otherwise each take every core); spawned workers
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                               env={"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
                                    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = [client.submit(run_shard, spec, s, size, str(folder), pure=False, key=f"{spec.name}-{s.file}")
                       for s in todo]
            for fut in as_completed(futures):
                yield fut.result()
    finally:
        if cluster is not None:
            cluster.close()


def read_persons(out: str | Path):
    """The person tables of a run, one row per person, in person order."""
    import pandas as pd

    files = sorted((Path(out) / "persons").glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True).sort_values(
        "person_id", kind="stable").reset_index(drop=True)


def _versions() -> dict:
    import jax
    import pandas

    return {"irsim": __version__, "python": platform.python_version(), "numpy": np.__version__, "jax": jax.__version__,
            "pandas": pandas.__version__}


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False))
    os.replace(tmp, path)
