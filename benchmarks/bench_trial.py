"""Benchmark: a DPP-like three-arm virtual trial end to end (`irsim.Trial.run`), 100,000 persons x 10 years.

Floor (issue #13): at least 100,000 person-years per second on the 2-core reference machine, in-process. The timed
part is everything a run does once its programs are compiled: baseline draws, starting states from the labs,
the monthly progression with each person's own inputs, visits with measurement noise, events, the Parquet shards,
the summary (no report). The compile is excluded: a one-shard warm-up of the same shard shape runs first and is
printed separately (the persistent compilation cache removes most of it on a rerun).

    python benchmarks/bench_trial.py            # 100,000 persons x 10 years; exits 1 if the floor is missed
    python benchmarks/bench_trial.py --quick    # 20,000 persons x 10 years

The last line is the key figure: ``person_years_per_s: X``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

FLOOR_PERSON_YEARS_PER_S = 100_000
ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 persons")
    ap.add_argument("-n", type=int, default=None, help="persons")
    ap.add_argument("--years", type=float, default=10.0)
    ap.add_argument("--shard-size", type=int, default=None, help="persons per shard (default: irsim's)")
    args = ap.parse_args(argv)
    n = args.n or (20_000 if args.quick else 100_000)

    from irsim import Trial
    from irsim.cohort import trial as T
    from irsim.models import meal_surrogate

    meal_surrogate.table()
    size = args.shard_size or T.SHARD_SIZE
    data = yaml.safe_load((ROOT / "examples" / "trials" / "dpp.yaml").read_text())
    data["follow_up_years"] = args.years
    data["endpoints"] = [e for e in data["endpoints"] if "at_years" not in e or max(e["at_years"]) <= args.years]
    with tempfile.TemporaryDirectory() as tmp:
        data["population"]["n"] = min(n, size)
        t0 = time.perf_counter()
        Trial.parse(data).run(Path(tmp) / "warm", shard_size=size, report=False)
        t_warm = time.perf_counter() - t0
        data["population"]["n"] = n
        trial = Trial.parse(data)
        t0 = time.perf_counter()
        summary = trial.run(Path(tmp) / "run", shard_size=size, report=False)
        elapsed = time.perf_counter() - t0
    rate = n * args.years / elapsed
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    inc = {arm: round(s["incidence"]["T2D"]["per_100py"], 2) for arm, s in summary["arms"].items()}
    print(f"{n:,} persons x {args.years:g} years in shards of {size:,}: {elapsed:.1f} s "
          f"(warm-up, one shard with the compile: {t_warm:.1f} s); peak memory {peak:.2f} GiB")
    print(f"T2D incidence per 100 person-years by arm: {inc}")
    ok = rate >= FLOOR_PERSON_YEARS_PER_S
    print(f"floor {FLOOR_PERSON_YEARS_PER_S:,} person-years/s: {'met' if ok else 'MISSED'}")
    print(f"person_years_per_s: {rate:.0f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
