"""Benchmark: how long a person waits for the everyday commands, the second time they run (issue #15).

Each command runs twice as a fresh process, as a user would type it; the first run fills JAX's persistent
compilation cache (``~/.cache/irsim``, or ``IRSIM_CACHE_DIR``), the second is timed. Floor: every command under 10 s
on the 2-core reference machine: ``irsim simulate`` of one person for 20 years, ``irsim meal``, ``irsim ogtt`` and
``irsim fit-ogtt`` of the example person.

    python benchmarks/bench_cli.py        # exits 1 if a command misses the floor

The last line is the key figure: ``slowest_second_run_s: X``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_S = 10.0
ROOT = Path(__file__).resolve().parents[1]
PERSON = str(ROOT / "examples" / "person.json")


def commands(out: Path) -> dict[str, list[str]]:
    return {
        "simulate 20 y": ["simulate", PERSON, "--years", "20", "--out", str(out / "t.csv")],
        "meal": ["meal", "--subject", PERSON],
        "ogtt": ["ogtt", "--subject", PERSON],
        "fit-ogtt": ["fit-ogtt", PERSON],
    }


def timed(args: list[str]) -> float:
    exe = Path(sys.executable).with_name("irsim")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "irsim"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd + args, cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, COLUMNS="100"))
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"irsim {' '.join(args)} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return elapsed


def main() -> int:
    worst, ok = 0.0, True
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in commands(Path(tmp)).items():
            first = timed(args)
            second = timed(args)
            worst = max(worst, second)
            ok &= second < FLOOR_S
            print(f"irsim {name:<14} first {first:6.1f} s   second {second:6.1f} s   "
                  f"{'ok' if second < FLOOR_S else 'MISSED'} (floor {FLOOR_S:g} s)")
    print(f"slowest_second_run_s: {worst:.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
