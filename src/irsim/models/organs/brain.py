"""Brain: brain insulin resistance (hyperinsulinaemia, inflammation, hyperglycaemia), neuronal glucose uptake,
a cognitive index and the dementia hazard."""

from __future__ import annotations

from ...solvers._jax import jnp
from ._common import c


def sensitivity(dr, mech):
    """Brain insulin sensitivity relative to normal (also the relative insulin-stimulated neuronal glucose uptake)."""
    load = (c("brain.insulin") * jnp.maximum(jnp.log(dr.insulin_rel), 0.0) + c("brain.inflammation") * dr.inflammation
            + c("brain.glucose") * dr.glucose_excess)
    return 1.0 / (1.0 + mech.brain_insulin * load)


def _ageing(age):
    return 2.0 ** ((age - 50.0) / c("brain.decline_doubling"))


def decline_rate(dr, brain_si):
    """Points per year of the cognitive index (100 = healthy 50-year-old, 10 points = 1 SD)."""
    return c("brain.decline_age") * _ageing(dr.age) * (1.0 + c("brain.decline_brain_ir") * (1.0 / brain_si - 1.0))


def index_at_age(age):
    """Cognitive index of a person without brain insulin resistance (normal ageing from 50)."""
    k = jnp.log(2.0) / c("brain.decline_doubling")
    return 100.0 - c("brain.decline_age") * (_ageing(age) - 1.0) / k


def dementia_hazard(dr, brain_si):
    age = 2.0 ** ((dr.age - 65.0) / c("brain.dementia_doubling"))
    return c("brain.dementia_rate_65") * age * jnp.exp(c("brain.dementia_brain_ir") * (1.0 / brain_si - 1.0))
