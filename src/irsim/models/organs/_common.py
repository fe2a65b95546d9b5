"""Shared helpers of the organ modules: parameters (``parameters/data/organs.yaml``) and small array forms."""

from __future__ import annotations

from ... import parameters as _parameters
from ...solvers._jax import jnp
from ..progression import excess  # noqa: F401  (one definition, shared with the core)


c = _parameters.lookup("organs")


def relax(x, target, tau, dt):
    """Exact step of dx/dt = (target - x) / tau over ``dt`` with the target held."""
    return target + (x - target) * jnp.exp(-dt / tau)


def hill(x, half, n):
    xn = jnp.maximum(x, 0.0) ** n
    return xn / (half ** n + xn)
