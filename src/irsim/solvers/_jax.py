"""Import JAX with 64-bit floats enabled (irsim's numerical code needs float64)."""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

__all__ = ["jax", "jnp"]
