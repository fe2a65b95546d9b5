"""Benchmark: the years-scale progression model, 100,000 persons x 30 years in one batch.

Floor (issue #4): at least 50,000 person-years per second on the 2-core reference machine, peak memory under
4 GiB. Persons come from the Whitehall II-like virtual population (irsim.cohort.synthetic); the timed part is
the monthly simulation (`irsim.cohort.progression.run`, yearly records) once its program is compiled; setting the
starting states from the labs and the one-off compile are timed and printed separately. The meal-model surrogate
table is built (or loaded from the cache) first.

    python benchmarks/bench_progression.py           # 100,000 persons x 30 years; exits 1 if a floor is missed
    python benchmarks/bench_progression.py --quick   # 10,000 persons x 30 years, under a minute

The last line is the key figure: ``person_years_per_s: X``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

FLOOR_PERSON_YEARS_PER_S = 50_000
FLOOR_MEMORY_GIB = 4.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 persons (under a minute)")
    ap.add_argument("-n", type=int, default=None, help="persons")
    ap.add_argument("--years", type=float, default=30.0)
    ap.add_argument("--chunk", type=int, default=None, help="persons per compiled batch (default 25,000; larger on a GPU)")
    args = ap.parse_args(argv)
    n = args.n or (10_000 if args.quick else 100_000)

    from irsim.cohort import progression as cp
    from irsim.solvers._jax import jax

    if args.chunk:
        cp.CHUNK = args.chunk
    print(f"jax {jax.__version__}; jax.devices() = {jax.devices()}; chunk {cp.CHUNK:,}")
    from irsim.cohort.synthetic import population
    from irsim.models import meal_surrogate

    t0 = time.perf_counter()
    meal_surrogate.table()
    print(f"meal surrogate ready in {time.perf_counter() - t0:.1f} s")
    cols = population("whitehall_ii", n, seed=0)
    t0 = time.perf_counter()
    start = cp.initialise(cols)
    t_init = time.perf_counter() - t0
    # compile outside the timing: XLA compiles per batch shape, so warm up on one chunk of the same shape (its time,
    # less one chunk's share of the timed run, is the one-off compile; the persistent cache removes it on a rerun)
    size = min(n, cp.CHUNK)
    t0 = time.perf_counter()
    cp.run(cp.gather([start], np.zeros(size, dtype=int), np.arange(size)), args.years)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = cp.run(start, args.years)
    t_run = time.perf_counter() - t0
    assert out.shape[2] == n and np.isfinite(out[:, :-1, :]).all(), "non-finite trajectory values"
    py = n * args.years
    rate = py / t_run
    compile_s = max(t_first - t_run * size / n, 0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    status = out[-1, cp.COLUMNS.index("glycemic_status"), :]
    print(f"{n:,} persons x {args.years:g} years: start states {t_init:.1f} s; simulation {t_run:.1f} s; "
          f"T2D at the end: {np.mean(status == 4):.1%}")
    print(f"one-off compile (or load from the persistent cache): {compile_s:.1f} s; including it "
          f"{py / (t_run + compile_s):,.0f} person-years/s")
    print(f"peak memory: {peak:.2f} GiB (floor {FLOOR_MEMORY_GIB:g} GiB); floor {FLOOR_PERSON_YEARS_PER_S:,} person-years/s")
    ok = rate >= FLOOR_PERSON_YEARS_PER_S and peak < FLOOR_MEMORY_GIB
    if not ok:
        print("FLOOR MISSED")
    print(f"person_years_per_s: {rate:.0f}")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
