"""irsim: insulin resistance and its multi-organ consequences.

Research and education software, not a medical device.

    >>> import irsim
    >>> person = irsim.read_person("examples/person.json")
    >>> irsim.assess(person).to_dict()["results"]["homa1_ir"]["value"]   # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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
