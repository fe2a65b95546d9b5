"""Import JAX with 64-bit floats enabled (irsim's numerical code needs float64), and keep a long-lived process
(test worker, web service, validation run) able to compile."""

from __future__ import annotations

import gc
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

__all__ = ["jax", "jnp", "release_compiled"]

#: Memory mappings above which compiled programs are released. XLA's CPU backend maps about 1,000 code regions per
#: compiled progression program (measured: 1,070), and Linux stops a process at vm.max_map_count mappings (65,530 by
#: default): past it, compiling the next program segfaults. Released programs are compiled again when next needed.
MAP_LIMIT = 30_000


def release_compiled(limit: int = MAP_LIMIT) -> bool:
    """Drop JAX's compiled programs if this process holds more than ``limit`` memory mappings; True if it did."""
    maps = Path("/proc/self/maps")
    if not maps.exists():  # not Linux: no such limit to guard
        return False
    with maps.open("rb") as f:
        count = sum(1 for _ in f)
    if count <= limit:
        return False
    jax.clear_caches()
    gc.collect()  # the executables' code regions are unmapped when they are collected
    return True
