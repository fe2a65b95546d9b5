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
