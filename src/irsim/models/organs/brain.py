"""Brain: brain insulin resistance (hyperinsulinaemia, inflammation, hyperglycaemia), neuronal glucose uptake,
a cognitive index and the dementia hazard."""

from __future__ import annotations

import numpy as np

from ...solvers._jax import jnp
from ..organ import Organ, register
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


# ------------------------------------------------------------------ the organ (models/organ.py)


def _initialise(y0):
    return {}, {"cognition": np.asarray(index_at_age(y0.dr.age)), "dementia_expected": np.zeros(y0.n)}


def _derive(t, dr, o, op, mech, q):
    q["brain_si"] = sensitivity(dr, mech)


def _rates(dr, op, q):
    q["hazard_dementia"] = dementia_hazard(dr, q["brain_si"])


def _step(dr, o, op, mech, q, dt):
    return {"cognition": jnp.maximum(o.cognition - decline_rate(dr, q["brain_si"]) * dt, 0.0),  # index floored at 0
            "dementia_expected": o.dementia_expected + q["hazard_dementia"] * dt}


def _observe(dr, o, op, q):
    return {"brain_insulin_sensitivity_rel": q["brain_si"], "cognitive_index": o.cognition,
            "dementia_expected": o.dementia_expected}


ORGAN = register(Organ(
    name="brain", order=60,
    columns={"brain_insulin_sensitivity_rel": ("x reference", "brain insulin sensitivity"),
             "cognitive_index": ("index", "cognitive index (100 = healthy 50-year-old, 10 points = 1 SD)")},
    hazards={"hazard_dementia": ("1/year", "annual dementia hazard")},
    expected={"dementia_expected": ("1", "expected dementia cases since year 0 (cumulative hazard)")},
    switches={"brain_insulin": ("brain insulin resistance", "less insulin-stimulated neuronal glucose uptake")},
    pathways=("brain_insulin",),
    events={"dementia": {"rate": "hazard_dementia", "name": "dementia", "label": "dementia",
                         "source": "Jorm & Jolley 1998 age incidence x brain insulin resistance"}},
    states=("cognition", "dementia_expected"),
    initialise=_initialise, derive=_derive, rates=_rates, step=_step, observe=_observe))
