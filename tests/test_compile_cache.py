"""JAX's persistent compilation cache lives in irsim's cache folder, so a second command loads what the first compiled;
``IRSIM_JAX_CACHE=0`` turns it off."""

import os
import subprocess
import sys

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
