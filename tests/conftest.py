import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_cli(*args, input=None, cwd=None, env=None):
    """Run the real console entry point in a subprocess (what a user types); ``env`` adds variables."""
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", **(env or {})}
    env.pop("IRSIM_DEBUG", None)
    return subprocess.run([sys.executable, "-c", "from irsim.interfaces.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, input=input, cwd=cwd, env=env, timeout=300)


@pytest.fixture
def cli():
    return run_cli


def calc(key, **cols):
    """Run one registered calculator on columns given as scalars or lists (broadcast to a common length)."""
    from irsim.assessment import REGISTRY, Inputs

    arrs = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in cols.items()}
    n = max(a.size for a in arrs.values())
    arrs = {k: np.broadcast_to(a, (n,)).copy() for k, a in arrs.items()}
    return REGISTRY[key].compute(Inputs(arrs, n))
