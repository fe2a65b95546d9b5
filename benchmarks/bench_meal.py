"""Benchmark: N persons' 7-hour Dalla Man 2007 meal, irsim (JAX RK4 lax.scan) vs libroadrunner (CVODE).

Persons: knobs drawn log-normally around the normal mean subject (sd 0.2 in log space for each of the
five knobs, body weight uniform 55-110 kg), one 78 g meal at t=0, glucose and insulin saved every
minute for 420 min. irsim runs the whole batch (in chunks) with the batch on the trailing axis,
sharded over every local device of JAX's default backend (on a 2-core CPU: 2 host devices, the same
2 cores roadrunner gets). libroadrunner simulates the exported SBML of each person in a loop in a
2-process pool; for large N it is timed on a subset (printed) and its persons/s extrapolated.

Prints persons/s for each, the ratio, peak memory (max RSS of this process + children) and, last,
``speedup_vs_libroadrunner: X``. Exits 1 if, at N = 100,000, irsim is < 5x roadrunner or the peak
memory is >= 4 GiB. ``--quick``: N = 1,000 and 20,000 (floor not enforced), under a minute.
Device-agnostic: JAX picks the device (CPU / GPU); ``jax.devices()`` is printed.
"""

from __future__ import annotations

import os

# Expose the CPU cores as separate XLA host devices so the batch can be sharded over them (XLA's CPU
# backend runs one fused loop on one core). Only affects the CPU platform; must precede the JAX import.
if "--xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={os.cpu_count() or 1}").strip()

import argparse  # noqa: E402
import datetime  # noqa: E402
import multiprocessing as mp  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

if __name__ == "__main__" or __name__ == "bench_meal":
    # not in the spawned roadrunner workers (module name __mp_main__): they need no JAX
    from irsim.models import meal as M  # noqa: E402
    from irsim.solvers._jax import jax  # noqa: E402

MINUTES = 420
DOSE_G = 78.0
FLOOR_SPEEDUP = 5.0
FLOOR_MEM_GIB = 4.0
KNOB_SD = 0.2
BW_RANGE = (55.0, 110.0)


def draw_people(n: int, seed: int = 0) -> M.MealParams:
    rng = np.random.default_rng(seed)
    kn = {k: np.exp(rng.normal(0.0, KNOB_SD, n)) for k in M.KNOBS}
    return M.knobs_to_params("normal", **kn, body_weight=rng.uniform(*BW_RANGE, n))


# ------------------------------------------------------------------------------------------ roadrunner
_RR = None
_RR_IDX = None


def _rr_init(sbml: str, names: list[str]) -> None:
    global _RR, _RR_IDX
    import roadrunner

    _RR = roadrunner.RoadRunner(sbml)
    integ = _RR.getIntegrator()
    # Adams (non-stiff): CVODE's stiff BDF mode can stall at t=0+ on the max(dG/dt, 0) switch.
    integ.setValue("stiff", False)
    integ.setValue("relative_tolerance", 1e-6)
    integ.setValue("absolute_tolerance", 1e-8)
    _RR.timeCourseSelections = ["G", "I"]
    ids = list(_RR.model.getGlobalParameterIds())
    _RR_IDX = np.array([ids.index(n) for n in names], dtype=np.int32)


def _rr_run(rows: np.ndarray) -> np.ndarray:
    """rows: (k, n_params) values for the settable parameters, in _settable_ids() order."""
    idx = _RR_IDX
    out = np.empty((rows.shape[0], 2, MINUTES + 1))
    for j, row in enumerate(rows):
        _RR.reset()
        _RR.model.setGlobalParameterValues(idx, row)
        res = _RR.simulate(0, MINUTES, MINUTES + 1)
        out[j] = np.asarray(res).T
    return out


def _settable_ids() -> list[str]:
    return list(M.MealParams._fields) + list(M.STATE_NAMES)


def _rr_rows(p: M.MealParams) -> np.ndarray:
    cols = [np.asarray(getattr(p, f), dtype=float) for f in M.MealParams._fields]
    y0 = [np.asarray(a, dtype=float) for a in M.initial_state(p)]
    y0[M.QSTO1] = y0[M.QSTO1] + DOSE_G * M.MG_PER_G
    return np.stack(cols + y0, axis=1)


def start_roadrunner_pool(procs: int):
    """Start the worker pool before JAX allocates anything: a child's max RSS includes the parent's
    pages between fork and exec, so a late spawn would count the parent's memory twice."""
    from irsim.sbml.export import to_sbml_string

    sbml = to_sbml_string(M.subject("normal"), dose_g=DOSE_G)  # every parameter is overwritten per person
    pool = mp.get_context("spawn").Pool(procs, initializer=_rr_init, initargs=(sbml, _settable_ids()))
    pool.map(_rr_run, [_rr_rows(draw_people(2))] * procs)  # load + JIT the model, untimed
    return pool


def bench_roadrunner(pool, p: M.MealParams, procs: int = 2):
    rows = _rr_rows(p)
    chunks = np.array_split(rows, max(procs * 8, 1))
    t0 = time.perf_counter()
    parts = pool.map(_rr_run, chunks)
    el = time.perf_counter() - t0
    return np.concatenate(parts), el


# ------------------------------------------------------------------------------------------ irsim
def bench_irsim(p: M.MealParams, chunk: int):
    n = p.batch_shape[0]
    times = np.arange(0.0, MINUTES + 1.0)
    sched = M.Schedule.meal(DOSE_G)
    outs = ("glucose_mg_dl", "insulin_pmol_l")
    first = p.take(slice(0, min(chunk, n)))
    t0 = time.perf_counter()
    M.simulate_meal(first, sched, times, outputs=outs)  # compile for this chunk shape
    compile_s = time.perf_counter() - t0
    G = np.empty((n, MINUTES + 1))
    I = np.empty((n, MINUTES + 1))  # noqa: E741
    t0 = time.perf_counter()
    for a in range(0, n, chunk):
        sl = slice(a, min(a + chunk, n))
        q = p.take(sl)
        if q.batch_shape[0] < chunk and n > chunk:  # keep shapes static: pad the last chunk
            pad = chunk - q.batch_shape[0]
            q = M.stack([q, p.take(np.zeros(pad, dtype=int))])
        r = M.simulate_meal(q, sched, times, outputs=outs)
        k = sl.stop - sl.start
        G[sl] = r["glucose_mg_dl"][:k]
        I[sl] = r["insulin_pmol_l"][:k]
    el = time.perf_counter() - t0
    return G, I, el, compile_s


def _vmhwm_gib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 2**30
    except OSError:
        pass
    return 0.0


def peak_mem_gib(pool=None) -> tuple[float, float]:
    """(this process, children) peak RSS in GiB. getrusage maxrss (KiB on Linux) for this process and
    for finished children; live pool workers (not yet counted by getrusage) via /proc VmHWM, summed."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**30
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 2**30
    if pool is not None:
        kids = max(kids, sum(_vmhwm_gib(w.pid) for w in getattr(pool, "_pool", [])))
    return own, kids


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 1,000 and 20,000; about a minute")
    ap.add_argument("--n", type=int, nargs="*", help="population sizes (default 1000 100000)")
    ap.add_argument("--rr-max", type=int, default=4000, help="persons timed with roadrunner at most (subset)")
    ap.add_argument("--chunk", type=int, default=10000, help="irsim persons per call")
    ap.add_argument("--procs", type=int, default=2, help="roadrunner worker processes")
    args = ap.parse_args(argv)
    sizes = args.n or ([1000, 20000] if args.quick else [1000, 100000])
    rr_max = min(args.rr_max, 2000) if args.quick else args.rr_max

    print(f"irsim meal benchmark {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()} "
          f"({platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()})")
    print(f"jax {jax.__version__}; default backend {jax.default_backend()}; jax.devices() = {jax.devices()}")
    print(f"model: Dalla Man 2007, {MINUTES} min, {DOSE_G:g} g at t=0, knobs lognormal(sd {KNOB_SD}) around "
          f"the normal subject; irsim RK4 dt {M.DEFAULT_DT} min; roadrunner CVODE Adams rtol 1e-6, "
          f"{args.procs} processes")
    speedup = float("nan")
    failed = False
    pool = start_roadrunner_pool(args.procs)
    for n in sizes:
        p = draw_people(n, seed=n)
        G, I, el, comp = bench_irsim(p, chunk=min(args.chunk, n))
        ir_rate = n / el
        k = min(n, rr_max)
        sub = p.take(slice(0, k))
        rr_out, rr_el = bench_roadrunner(pool, sub, procs=args.procs)
        rr_rate = k / rr_el
        # difference relative to each person's peak (insulin can dip to ~0 in a late undershoot)
        err_g = np.max(np.abs(G[:k] - rr_out[:, 0]) / np.max(rr_out[:, 0], axis=1, keepdims=True))
        err_i = np.max(np.abs(I[:k] - rr_out[:, 1]) / np.max(rr_out[:, 1], axis=1, keepdims=True))
        speedup = ir_rate / rr_rate
        own, kids = peak_mem_gib(pool)
        mem = own + kids
        note = "" if k == n else f" (timed on the first {k:,} persons, rate extrapolated)"
        print(f"N={n:,}: irsim {ir_rate:,.0f} persons/s ({el:.2f} s, compile {comp:.1f} s, chunk {min(args.chunk, n):,}); "
              f"libroadrunner {rr_rate:,.0f} persons/s{note}; ratio {speedup:.1f}x; "
              f"max diff vs roadrunner / person's peak: glucose {err_g:.1e}, insulin {err_i:.1e}; peak memory {mem:.2f} GiB "
              f"(this process {own:.2f} + roadrunner workers {kids:.2f})")
        if n >= 100_000 and (speedup < FLOOR_SPEEDUP or mem >= FLOOR_MEM_GIB):
            print(f"FLOOR MISSED at N={n:,}: need >= {FLOOR_SPEEDUP}x and < {FLOOR_MEM_GIB} GiB")
            failed = True
    pool.close()
    pool.join()
    if max(sizes) < 100_000:
        print("floor (>= 5x at N = 100,000, < 4 GiB) not checked: no N >= 100,000 in this run")
    print(f"speedup_vs_libroadrunner: {speedup:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
