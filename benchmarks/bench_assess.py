"""Benchmark: `irsim assess --batch` on N synthetic persons (CSV in -> Parquet out).

Floor (issue #13, population scale): 1,000,000 persons in under 8 s on the 2-core reference machine (issue #2
had set 30 s), peak memory under 4 GiB. The timed part is the whole batch path: read CSV, convert units, check
ranges, run every calculator, write Parquet. The synthetic CSV is written first (in chunks, not timed).

    python benchmarks/bench_assess.py            # 1,000,000 persons, exits 1 if a floor is missed
    python benchmarks/bench_assess.py --quick    # 100,000 persons, under a minute (floor printed, not enforced:
                                                 # one-off loading, about 0.7 s, weighs on a small batch)

The last line is the key figure: ``persons_per_s: X``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FLOOR_SECONDS_PER_MILLION = 8.0  # issue #13
FLOOR_MEMORY_GIB = 4.0

# Column -> (unit in the header, sampler). Distributions roughly adult-population-like.
COLUMNS = {
    "id": None,
    "age [year]": ("uniform", 25, 85),
    "sex": None,
    "height [cm]": ("normal", 168, 9),
    "weight [kg]": ("normal", 82, 16),
    "waist [cm]": ("normal", 96, 13),
    "systolic_bp [mmHg]": ("normal", 128, 16),
    "diastolic_bp [mmHg]": ("normal", 78, 9),
    "smoker": None, "on_bp_medication": None, "on_statin": None, "diabetes": None,
    "fasting_glucose [mmol/L]": ("lognormal", 5.5, 0.15),
    "fasting_insulin [pmol/L]": ("lognormal", 60, 0.5),
    "hba1c [%]": ("lognormal", 5.6, 0.1),
    "ogtt_glucose_0 [mg/dL]": ("lognormal", 98, 0.15),
    "ogtt_glucose_30 [mg/dL]": ("lognormal", 150, 0.2),
    "ogtt_glucose_60 [mg/dL]": ("lognormal", 155, 0.25),
    "ogtt_glucose_90 [mg/dL]": ("lognormal", 135, 0.25),
    "ogtt_glucose_120 [mg/dL]": ("lognormal", 120, 0.25),
    "ogtt_insulin_0 [uIU/mL]": ("lognormal", 10, 0.5),
    "ogtt_insulin_30 [uIU/mL]": ("lognormal", 60, 0.5),
    "ogtt_insulin_60 [uIU/mL]": ("lognormal", 70, 0.5),
    "ogtt_insulin_90 [uIU/mL]": ("lognormal", 60, 0.5),
    "ogtt_insulin_120 [uIU/mL]": ("lognormal", 50, 0.5),
    "triglycerides [mg/dL]": ("lognormal", 130, 0.45),
    "hdl_cholesterol [mg/dL]": ("lognormal", 52, 0.25),
    "total_cholesterol [mmol/L]": ("lognormal", 5.2, 0.18),
    "ldl_cholesterol [mg/dL]": ("lognormal", 120, 0.25),
    "alt [U/L]": ("lognormal", 25, 0.45),
    "ast [U/L]": ("lognormal", 24, 0.35),
    "ggt [U/L]": ("lognormal", 30, 0.6),
    "platelets [10^9/L]": ("normal", 250, 55),
    "albumin [g/L]": ("normal", 43, 3),
    "creatinine [umol/L]": ("lognormal", 80, 0.25),
    "cystatin_c [mg/L]": ("lognormal", 0.95, 0.2),
    "uacr [mg/g]": ("lognormal", 12, 1.0),
    "total_testosterone [nmol/L]": None,
    "shbg [nmol/L]": ("lognormal", 45, 0.4),
    "lh [IU/L]": ("lognormal", 7, 0.5),
    "fsh [IU/L]": ("lognormal", 7, 0.5),
}


def _sample(rng: np.random.Generator, spec, n: int) -> np.ndarray:
    kind, a, b = spec
    if kind == "uniform":
        return rng.uniform(a, b, n)
    if kind == "normal":
        return rng.normal(a, b, n)
    return a * np.exp(rng.normal(0, b, n))


def make_csv(path: Path, n: int, seed: int = 0, chunk: int = 200_000) -> None:
    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        female = rng.random(m) < 0.5
        cols = {}
        for name, spec in COLUMNS.items():
            if name == "id":
                cols[name] = pa.array(np.char.add("p", np.arange(start, start + m).astype(str)))
            elif name == "sex":
                cols[name] = pa.array(np.where(female, "female", "male"))
            elif spec is None and name.startswith("total_testosterone"):
                cols[name] = pa.array(np.round(np.where(female, 1.2, 16.0) * np.exp(rng.normal(0, 0.4, m)), 2))
            elif spec is None:
                cols[name] = pa.array(np.where(rng.random(m) < 0.2, "true", "false"))
            else:
                cols[name] = pa.array(np.round(_sample(rng, spec, m), 2))
        table = pa.table(cols)
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    writer.close()


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 persons (finishes within a minute)")
    ap.add_argument("-n", type=int, default=None, help="number of persons")
    args = ap.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)

    from irsim.assessment.batch import assess_csv

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "people.csv", Path(tmp) / "results.parquet"
        t0 = time.perf_counter()
        make_csv(src, n)
        print(f"wrote {n:,} synthetic persons in {time.perf_counter() - t0:.1f} s ({src.stat().st_size / 1e6:.0f} MB CSV)")
        rss_before = peak_rss_gib()
        t0 = time.perf_counter()
        counts = assess_csv(src, dst)
        elapsed = time.perf_counter() - t0
        rows = pq.ParquetFile(dst).metadata.num_rows
        assert rows == n == counts["rows"], (rows, n, counts)
        ncols = pq.ParquetFile(dst).metadata.num_columns
    peak = peak_rss_gib()
    rate = n / elapsed
    seconds_per_million = elapsed * 1e6 / n
    print(f"assessed {n:,} persons in {elapsed:.2f} s ({ncols} output columns, "
          f"{counts['rows_with_errors']:,} rows with input errors)")
    print(f"seconds per million persons: {seconds_per_million:.1f} (floor {FLOOR_SECONDS_PER_MILLION:.0f})")
    print(f"peak memory: {peak:.2f} GiB (before the batch: {rss_before:.2f} GiB; floor {FLOOR_MEMORY_GIB:.0f} GiB)")
    ok = seconds_per_million < FLOOR_SECONDS_PER_MILLION and peak < FLOOR_MEMORY_GIB
    if not ok:
        print("FLOOR MISSED")
    print(f"persons_per_s: {rate:.0f}")
    return 0 if ok or n < 1_000_000 else 1


if __name__ == "__main__":
    sys.exit(main())
