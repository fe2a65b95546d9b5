"""Every calculator family: importing this module registers them all in :data:`registry.REGISTRY`."""

from __future__ import annotations

from . import ckm, glycemia, heart, homa2, hormones, insulin, kidney, lipids, liver, metabolic_syndrome  # noqa: F401
from .registry import REGISTRY

__all__ = ["REGISTRY"]
