"""JAX's persistent compilation cache lives in irsim's cache folder, so a second command loads what the first compiled;
``IRSIM_JAX_CACHE=0`` turns it off."""

import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import jax
from irsim.solvers._jax import jnp
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # keep even this quick program
print(float(jax.jit(lambda x: jnp.sin(x) * 3.0 + 1.0)(jnp.arange(7.0)).sum()))
"""


def _run(tmp_path, **env):
    full = {**os.environ, "IRSIM_CACHE_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-c", SCRIPT], env=full, capture_output=True, text=True, check=True)


def test_compiled_program_is_written_to_the_cache_folder(tmp_path):
    _run(tmp_path)
    written = sorted(p.name for p in (tmp_path / "jax").iterdir())
    assert written, "nothing written to the persistent compilation cache"
    _run(tmp_path)  # the second process finds the program: nothing new to write
    assert sorted(p.name for p in (tmp_path / "jax").iterdir()) == written


def test_cache_can_be_turned_off(tmp_path):
    _run(tmp_path, IRSIM_JAX_CACHE="0")
    assert not (tmp_path / "jax").exists()


CLOSED_OVER = """
import numpy as np
import irsim  # noqa: F401  (sets JAX's constants flag before JAX is imported)
from irsim.solvers._jax import jax, jnp
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
from irsim.models.meal_surrogate import interpolate
values = np.arange(500_000.0).reshape(100, 100, 50)  # 4 MB (not one repeated value, which XLA would fold)
axes = [np.linspace(0.0, 1.0, 100)] * 2  # read as the surrogate's tables are
print(float(jax.jit(lambda x: interpolate(axes, jnp.asarray(values), [x, x]).sum())(0.5)))
"""


def _closed_over(tmp_path, script):
    """Run ``script`` (reads a 4 MB table) in a new process: its result and the compile cache's size in bytes."""
    env = {k: v for k, v in os.environ.items() if k != "JAX_USE_SIMPLIFIED_JAXPR_CONSTANTS"}
    out = subprocess.run([sys.executable, "-c", script], env={**env, "IRSIM_CACHE_DIR": str(tmp_path)},
                         capture_output=True, text=True, check=True)
    # values[i, j, k] = (100 i + j) 50 + k, read at grid point (49.5, 49.5) and summed over the 50 outputs
    expected = sum((100 * 49.5 + 49.5) * 50 + k for k in range(50))
    assert abs(float(out.stdout.strip().splitlines()[-1]) - expected) < 1e-6 * expected
    return sum(p.stat().st_size for p in (tmp_path / "jax").iterdir())


def test_closed_over_arrays_are_not_copied_into_cached_programs(tmp_path):
    # irsim/__init__.py sets JAX_USE_SIMPLIFIED_JAXPR_CONSTANTS: large closed-over arrays are passed as arguments, so
    # the cache entry is small: 6 kB, against 615 kB with the table embedded (measured)
    assert 0 < _closed_over(tmp_path, CLOSED_OVER) < 100_000


KEPT_CLOSED_OVER = CLOSED_OVER.replace("print(float(jax.jit(", "from irsim.solvers._jax import keep_programs, kept_jit\n"
                                       "keep_programs()\nprint(float(kept_jit(")


def test_kept_programs_take_closed_over_arrays_as_arguments(tmp_path):
    # jax.export embeds what a function closes over: the CLI's kept progression programs carried the meal surrogate's
    # tables (47 MB) into each compiled entry (58 MB each, measured), so a few commands filled the cache's 2 GiB and
    # evicted one another's programs; kept_jit passes them as arguments and stores them beside the program
    sizes = [_closed_over(tmp_path, KEPT_CLOSED_OVER) for _ in range(2)]  # traced, then loaded
    assert len(list((tmp_path / "programs").glob("*.jaxexport"))) == 1
    assert 0 < sizes[-1] < 100_000


KEPT = """
import sys
from irsim.solvers._jax import jnp, keep_programs, kept_jit
from irsim import parameters

keep_programs()  # as the CLI does


@kept_jit(static_argnames=("k",))
def f(x, pair, *, k):
    print("traced", file=sys.stderr)  # runs only while tracing
    return {"y": jnp.sin(x) * k + pair[0], "z": pair[1] * parameters.lookup("progression")("beta.function_max")}


with parameters.overridden({"progression": {"beta.function_max": float(sys.argv[1])}}):
    out = f(jnp.arange(5.0), (2.0, jnp.ones(3)), k=3)
print(float(out["y"].sum()), float(out["z"].sum()))
"""


def _kept(tmp_path, value="3.0", **env):
    full = {**os.environ, "IRSIM_CACHE_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-c", KEPT, value], env=full, capture_output=True, text=True, check=True)


def test_traced_programs_are_kept_and_keyed_by_the_parameters(tmp_path):
    first = _kept(tmp_path)
    assert "traced" in first.stderr and len(list((tmp_path / "programs").glob("*.jaxexport"))) == 1
    again = _kept(tmp_path)  # a new process loads the program: no trace, the same numbers
    assert "traced" not in again.stderr and again.stdout == first.stdout
    other = _kept(tmp_path, "2.0")  # another parameter value is another program
    assert "traced" in other.stderr and other.stdout.split()[1] == "6.0" and first.stdout.split()[1] == "9.0"
    assert len(list((tmp_path / "programs").glob("*.jaxexport"))) == 2
    off = _kept(tmp_path / "off", IRSIM_JAX_CACHE="0")
    assert "traced" in off.stderr and not (tmp_path / "off" / "programs").exists()


def test_least_recently_used_programs_are_dropped(tmp_path):
    import time

    from irsim.solvers import _jax

    for k in range(4):
        (tmp_path / f"{k}.jaxexport").write_bytes(b"x" * 100)
        os.utime(tmp_path / f"{k}.jaxexport", (time.time() + k, time.time() + k))
    _jax._evict(tmp_path, limit=250)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2.jaxexport", "3.jaxexport"]


# ------------------------------------------------------------------ compiled shapes of progression runs

def test_batch_sizes_pad_small_runs_to_few_shapes_and_leave_large_ones():
    from irsim.cohort.progression import BUCKETED, CHUNK, batch_size
    from irsim.solvers.batching import SMALLEST

    sizes = {n: batch_size(n) for n in range(1, 3 * BUCKETED)}
    assert all(n <= b <= CHUNK for n, b in sizes.items())
    assert all(b == SMALLEST for n, b in sizes.items() if n <= SMALLEST)  # one program for every small run
    assert all(b <= 1.5 * n for n, b in sizes.items() if n > SMALLEST)  # then at most half as many again
    assert len({b for n, b in sizes.items() if n <= BUCKETED}) == 9  # 256, 384, 512, ... 3072, 4096
    assert all(b == n for n, b in sizes.items() if n > BUCKETED)  # large runs: no padding
    assert batch_size(10 * CHUNK) == CHUNK


def test_record_by_record_runs_equal_the_whole_horizon_program(monkeypatch):
    # small batches run one record per compiled call (one program for every horizon), large ones the whole horizon
    # in one program: the same steps, so the same trajectories and end states to rounding
    import irsim.cohort.progression as cp
    from irsim.cohort.synthetic import population

    start = cp.initialise(population("whitehall_ii", 5, seed=3), explain=False)
    by_record, end_r = cp.run(start, 2.0, final=True)
    monkeypatch.setattr(cp, "BUCKETED", 0)
    whole, end_w = cp.run(start, 2.0, final=True)
    assert by_record.shape == whole.shape == (3, len(cp.COLUMNS), 5)
    np.testing.assert_allclose(by_record, whole, rtol=1e-12, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(np.asarray(end_r.state.weight), np.asarray(end_w.state.weight), rtol=1e-12)


def test_a_person_s_start_and_run_do_not_depend_on_the_batch_it_is_padded_into():
    # small batches are padded with copies to one compiled size (solvers.batching): three persons alone and the same
    # three among 200 give the same starting states and trajectories (persons are independent)
    import irsim.cohort.progression as cp
    from irsim.cohort.synthetic import population

    cols = population("whitehall_ii", 200, seed=5)
    alone = cp.initialise({k: v[:3] for k, v in cols.items()}, explain=False)
    among = cp.initialise(cols, explain=False)
    for a, b in zip(alone.params + alone.state, among.params + among.state):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b)[..., :3], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cp.run(alone, 3.0), cp.run(among, 3.0)[:, :, :3], rtol=1e-12, atol=1e-12,
                               equal_nan=True)


def test_a_kept_program_takes_a_static_argument_by_position_and_may_call_lapack(tmp_path, monkeypatch):
    # the OGTT fit's MAP (inference.fit_ogtt._map) passes its static subject name by position and solves its
    # least squares with LAPACK's QR (lineax), a library call jax.export checks for cross-version stability; a kept
    # program is read back only by the same JAX version and backend (its key), so it is kept anyway
    from irsim.solvers._jax import jnp, keep_programs, kept_jit
    from irsim.solvers.keep import keeping

    monkeypatch.setenv("IRSIM_CACHE_DIR", str(tmp_path))

    @kept_jit(static_argnames=("scale",))
    def lstsq(a, scale, b):
        return jnp.linalg.lstsq(a, b)[0] * {"one": 1.0, "two": 2.0}[scale]

    a = jnp.asarray(np.vander(np.linspace(0.0, 1.0, 8), 3))
    b = jnp.asarray(np.linspace(0.0, 1.0, 8) ** 2)
    plain = np.asarray(lstsq(a, "two", b))
    was = keeping()
    keep_programs(True)
    try:
        kept = np.asarray(lstsq(a, "two", b))
        assert len(list((tmp_path / "programs").glob("*.jaxexport"))) == 1
    finally:
        keep_programs(was)
    np.testing.assert_allclose(kept, plain, rtol=1e-12)
    np.testing.assert_allclose(plain, [2.0, 0.0, 0.0], atol=1e-9)  # x^2 fitted exactly by the quadratic, times 2
