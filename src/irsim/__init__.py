"""irsim: insulin resistance and its multi-organ consequences.

Research and education software, not a medical device.

    >>> import irsim
    >>> person = irsim.read_person("examples/person.json")
    >>> irsim.assess(person).to_dict()["results"]["homa1_ir"]["value"]   # doctest: +SKIP
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

# Closed-over arrays (the meal surrogate's tables, about 34 MB) go to compiled programs as arguments instead of being
# embedded as constants in each, the behaviour JAX is moving to (https://docs.jax.dev/en/latest/internals/constants.html).
# JAX reads the flag when it is imported, so it is set here, before irsim imports JAX; results are the same (a cohort
# run's persistent-cache entries 114 MB -> 2.5 MB). A process that imported JAX first keeps JAX's setting.
os.environ.setdefault("JAX_USE_SIMPLIFIED_JAXPR_CONSTANTS", "1")

__version__ = "0.1.0"

DISCLAIMER = (
    "irsim is research and education software, not a medical device: "
    "its results are not medical advice."
)

#: Public names, imported on first use so that `import irsim` stays light (JAX loads only when simulating).
_LAZY = {
    "assess": "irsim.assessment.api",
    "Assessment": "irsim.assessment.api",
    "Person": "irsim.schemas.person",
    "read_person": "irsim.io.readers",
    "InputError": "irsim.errors",
    "unit_settings": "irsim.units",
    "simulate": "irsim.cohort.progression",
    "Simulation": "irsim.simulation",
    "Trajectory": "irsim.simulation",
    "Scenario": "irsim.scenarios.schema",
    "simulate_meal": "irsim.models.meal",
    "explain": "irsim.analysis.explain",
    "Trial": "irsim.trials",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'irsim' has no attribute {name!r}")


__all__ = ["__version__", "DISCLAIMER", *_LAZY]
