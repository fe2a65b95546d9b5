"""Import JAX with 64-bit floats enabled (irsim's numerical code needs float64), keep compiled programs on disk so a
second command does not compile them again, and keep a long-lived process (test worker, web service, validation
run) able to compile."""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import inspect
import os
import pickle
import re
from pathlib import Path

import jax
import numpy as np

from .keep import keep_programs, keeping

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

__all__ = ["jax", "jnp", "release_compiled", "cache_dir", "kept_jit", "keep_programs"]

#: Traced programs are kept on disk (``cache_dir()/programs``) by :func:`kept_jit` only in processes that ask for it
#: (:func:`keep_programs`; the CLI does), as they pay where a process runs a few programs once (a command) and cost
#: a long-lived process with many shapes (tests, validation) about 4 s and 40 MB more per new shape.
#: Least recently used programs are deleted above this size (a progression program is about 24 MB: the meal
#: surrogate's tables are constants in it).
PROGRAMS_MAX_BYTES = 1024**3
#: Programs each kept function holds in memory (one per shape; a long run with many shapes drops the oldest).
PROGRAMS_IN_MEMORY = 4
#: Arrays of at least this many elements that a kept function closes over are passed to its exported program.
LIFTED_MIN_SIZE = 1024
_LOADED: list[dict] = []  # each kept function's loaded programs (release_compiled empties them)
try:  # JAX's thread-local context for its constants flag
    from jax._src.config import use_simplified_jaxpr_constants as _simplified_constants
except ImportError:  # a JAX without the flag keeps closed-over arrays as constants anyway
    _simplified_constants = lambda _: contextlib.nullcontext()  # noqa: E731


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of everything a traced program can depend on besides its arguments: irsim's source and parameter files
    (the parameters are constants in the programs), the JAX version and the backend."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{jax.__version__} {jax.default_backend()} {jax.config.jax_enable_x64}".encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def kept_jit(fn=None, *, static_argnames: tuple[str, ...] = ()):
    """``jax.jit`` whose traced program is also kept on disk (``jax.export``), keyed by the function, its static
    arguments, the shapes and dtypes of the others, the code and the parameter values in force: a new process that
    calls it with the same shapes loads the program instead of tracing it again (tracing the progression model takes
    seconds per command; compiling is already kept by JAX's persistent cache). Large arrays the function closes over
    are stored with the program and passed to it, so the compiled program stays small. Inside another trace, or with
    the cache off, it is the plain ``jax.jit``."""
    if fn is None:
        return functools.partial(kept_jit, static_argnames=static_argnames)
    jitted = jax.jit(fn, static_argnames=static_argnames)
    loaded: dict[str, tuple] = {}
    _LOADED.append(loaded)
    names = list(inspect.signature(fn).parameters)
    first_static = min((names.index(k) for k in static_argnames if k in names), default=len(names))

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if len(args) > first_static:  # a static argument given by position: it and those after it by name
            kwargs.update(zip(names[first_static:], args[first_static:]))
            args = args[:first_static]
        static = {k: kwargs.pop(k) for k in list(kwargs) if k in static_argnames}
        leaves, in_tree = jax.tree.flatten((args, kwargs))
        if not keeping() or any(isinstance(x, jax.core.Tracer) for x in leaves):
            return jitted(*args, **kwargs, **static)
        from .. import parameters

        specs = [jax.ShapeDtypeStruct(np.shape(x), jnp.result_type(x)) for x in leaves]
        key = hashlib.sha256(repr((fn.__module__, fn.__qualname__, sorted(static.items()), str(in_tree),
                                   [(s.shape, str(s.dtype)) for s in specs], sorted(parameters._OVERRIDES.items()),
                                   _code_fingerprint())).encode()).hexdigest()[:40]
        if key not in loaded:
            while len(loaded) >= PROGRAMS_IN_MEMORY:
                loaded.pop(next(iter(loaded)))
            loaded[key] = _load_or_export(fn, static, in_tree, specs, key)
        program, out_tree = loaded[key]
        return jax.tree.unflatten(out_tree, program(*leaves))

    return call


def _load_or_export(fn, static, in_tree, specs, key):
    """The program from ``cache_dir()/programs/<key>``, or traced, exported and written there."""
    folder = cache_dir() / "programs"
    path = folder / f"{key}.jaxexport"
    if path.exists():
        try:
            os.utime(path)  # recently used: evicted last
            blob = path.read_bytes()
            n = int.from_bytes(blob[:8], "little")
            tree, tables = pickle.loads(blob[8:8 + n])
            # jitted, so its compiled program lives (and is freed) with this entry
            return _with_tables(jax.jit(jax.export.deserialize(bytearray(blob[8 + n:])).call), tables), tree
        except Exception:  # a damaged or foreign file: trace again and overwrite it
            pass
    holder = []

    def flat(*xs):
        a, k = jax.tree.unflatten(in_tree, xs)
        out, tree = jax.tree.flatten(fn(*a, **k, **static))
        holder.append(tree)
        return out

    # large arrays the function closes over (the meal surrogate's tables) become arguments of the exported program,
    # stored beside it: embedded, they made each compiled entry of JAX's cache about 60 MB. With the constants flag on
    # they are literals inside the equations, so trace with it off (in this thread only: a server traces in several)
    with _simplified_constants(False):
        closed = jax.make_jaxpr(flat)(*specs)
    lifted = [i for i, x in enumerate(closed.consts) if np.size(x) >= LIFTED_MIN_SIZE]
    tables = [np.asarray(closed.consts[i]) for i in lifted]

    def program(*xs):
        consts = list(closed.consts)
        for i, x in zip(lifted, xs):
            consts[i] = x
        return jax.core.eval_jaxpr(closed.jaxpr, consts, *xs[len(lifted):])

    args = (*(jax.ShapeDtypeStruct(t.shape, t.dtype) for t in tables), *specs)
    try:
        exp = jax.export.export(jax.jit(program))(*args)
    except ValueError:
        # library calls (LAPACK's QR in a least-squares fit) have no cross-version guarantee; a kept program is only
        # read back by the same JAX version on the same backend (the key holds both), so their check is not needed.
        # Looked for only when export refuses: the progression programs have none, and lowering again costs time
        targets = sorted(set(re.findall(r"custom_call @(\w+)", jax.jit(program).lower(*args).as_text())))
        checks = [jax.export.DisabledSafetyCheck.custom_call(t) for t in targets]
        exp = jax.export.export(jax.jit(program), disabled_checks=checks)(*args)
    tree = pickle.dumps((holder[0], tables))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(len(tree).to_bytes(8, "little") + tree + bytes(exp.serialize()))
        os.replace(tmp, path)
        _evict(folder)
    except OSError:  # a read-only cache folder only costs the next process its trace
        pass
    return _with_tables(jax.jit(exp.call), tables), holder[0]


def _with_tables(call, tables):
    """The exported program with its lifted arrays passed ahead of the caller's (put on the device once)."""
    tables = [jnp.asarray(t) for t in tables]
    return lambda *leaves: call(*tables, *leaves)


def _evict(folder: Path, limit: int | None = None) -> None:
    """Delete the least recently used programs until the folder holds at most ``limit`` bytes."""
    limit = PROGRAMS_MAX_BYTES if limit is None else limit
    files = sorted(folder.glob("*.jaxexport"), key=lambda f: f.stat().st_mtime)
    total = sum(f.stat().st_size for f in files)
    for f in files[:-1]:  # never the one just written
        if total <= limit:
            break
        total -= f.stat().st_size
        f.unlink(missing_ok=True)

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
    for loaded in _LOADED:
        loaded.clear()
    gc.collect()  # the executables' code regions are unmapped when they are collected
    return True
