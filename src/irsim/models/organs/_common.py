"""Shared helpers of the organ modules: parameters (``parameters/data/organs.yaml``) and small array forms."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ... import parameters as _parameters
from ...solvers._jax import jnp


@lru_cache(maxsize=1)
def constants() -> dict[str, Any]:
    """Flat ``section.name -> value`` map of organs.yaml."""
    return _parameters.flat_values("organs")


def c(name: str):
    return constants()[name]


def excess(x, switch):
    """``x`` with its part above the reference (1) scaled by a pathway switch: knocking the pathway out (0) keeps
    the driver at most at the reference, so a knock-out never raises what the driver raises."""
    return jnp.minimum(x, 1.0) + switch * jnp.maximum(x - 1.0, 0.0)


def relax(x, target, tau, dt):
    """Exact step of dx/dt = (target - x) / tau over ``dt`` with the target held."""
    return target + (x - target) * jnp.exp(-dt / tau)


def hill(x, half, n):
    xn = jnp.maximum(x, 0.0) ** n
    return xn / (half ** n + xn)
