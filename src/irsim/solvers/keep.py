"""Whether this process keeps traced programs on disk (``solvers._jax.kept_jit``): a switch that imports no JAX, so
the command line can set it before anything heavy loads (``import jax`` alone costs about a second)."""

from __future__ import annotations

import os

_KEEP = False


def keep_programs(on: bool = True) -> None:
    """Turn keeping traced programs on (or off) for this process; never on with ``IRSIM_JAX_CACHE=0``."""
    global _KEEP
    _KEEP = bool(on) and os.environ.get("IRSIM_JAX_CACHE", "1") != "0"


def keeping() -> bool:
    return _KEEP
