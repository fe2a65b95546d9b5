"""Parameter sets and coefficient tables, kept as data files with a source for every number.

Each YAML file under ``parameters/data`` carries a top-level ``source`` (citation) and,
where numbers come from different places, a ``source`` per entry.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """Load ``parameters/data/<name>.yaml`` (cached; treat the result as read-only)."""
    path = resources.files(__package__).joinpath("data", f"{name}.yaml")
    with path.open("r", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def flat_values(name: str) -> dict[str, Any]:
    """``section.name -> value`` of a sectioned parameter file (entries given as ``{value, unit, source}``)."""
    out: dict[str, Any] = {}
    for section, entries in load(name).items():
        if isinstance(entries, dict):
            for key, e in entries.items():
                if isinstance(e, dict) and "value" in e:
                    out[f"{section}.{key}"] = e["value"]
    return out
