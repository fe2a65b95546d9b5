"""Shared helpers of the organ modules: parameters (``parameters/data/organs.yaml``) and small array forms."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ... import parameters as _parameters
from ...solvers._jax import jnp
from ..progression import excess  # noqa: F401  (one definition, shared with the core)


@lru_cache(maxsize=1)
def constants() -> dict[str, Any]:
    """Flat ``section.name -> value`` map of organs.yaml."""
    return _parameters.flat_values("organs")


def c(name: str):
    return constants()[name]


def relax(x, target, tau, dt):
    """Exact step of dx/dt = (target - x) / tau over ``dt`` with the target held."""
    return target + (x - target) * jnp.exp(-dt / tau)


def hill(x, half, n):
    xn = jnp.maximum(x, 0.0) ** n
    return xn / (half ** n + xn)
