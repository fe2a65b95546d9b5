"""Import JAX with 64-bit floats enabled (irsim's numerical code needs float64), keep compiled programs on disk so a
second command does not compile them again, and keep a long-lived process (test worker, web service, validation
run) able to compile."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)


def cache_dir() -> Path:
    """irsim's cache folder: ``$IRSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/irsim``, else ``~/.cache/irsim``."""
    root = os.environ.get("IRSIM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "irsim")
    return Path(root)


#: Programs that took longer than this to compile are kept in JAX's persistent compilation cache (``cache_dir()/jax``),
#: so a repeated command loads them instead of compiling (the progression model compiles in about 15 s on 2 cores).
#: 0: every program, also the ~100 single operations a command runs eagerly (about 20 ms each to compile):
#: `irsim simulate` of one person for 20 years, second run, 12.4 -> 9.9-10.1 s (benchmarks/bench_cli.py).
#: ``IRSIM_JAX_CACHE=0`` turns the cache off. Least recently used programs are dropped above the size limit.
PERSISTENT_MIN_COMPILE_S = 0.0
PERSISTENT_MAX_BYTES = 2 * 1024**3
if os.environ.get("IRSIM_JAX_CACHE", "1") != "0":
    jax.config.update("jax_compilation_cache_dir", str(cache_dir() / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", PERSISTENT_MIN_COMPILE_S)
    jax.config.update("jax_compilation_cache_max_size", PERSISTENT_MAX_BYTES)

import jax.numpy as jnp  # noqa: E402

__all__ = ["jax", "jnp", "release_compiled", "cache_dir"]

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
