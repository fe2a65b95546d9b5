"""Clinical calculators: every standard index and stage, per organ, with sources.

Importing this package registers every calculator in :data:`registry.REGISTRY`.
"""

from __future__ import annotations

from importlib import import_module

from .registry import REGISTRY, Calculator, Computed, Inputs

_FAMILIES = ("insulin", "homa2", "glycemia", "lipids", "kidney", "liver", "hormones", "heart", "metabolic_syndrome", "ckm")
for _name in _FAMILIES:
    try:
        import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while families are being written
        if exc.name != f"{__name__}.{_name}":
            raise

__all__ = ["REGISTRY", "Calculator", "Computed", "Inputs"]
