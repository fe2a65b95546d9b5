"""Clinical calculators: every standard index and stage, per organ, with sources.

Importing this package registers nothing: the pure formulas are in :mod:`.formulas` (the organ models use them);
the calculators register when :mod:`.catalog` is imported (by :mod:`.engine`, or on first use of ``REGISTRY``).
"""

from __future__ import annotations

from typing import Any

from .registry import Calculator, Computed, Inputs


def __getattr__(name: str) -> Any:
    if name == "REGISTRY":
        from .catalog import REGISTRY

        return REGISTRY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["REGISTRY", "Calculator", "Computed", "Inputs"]
