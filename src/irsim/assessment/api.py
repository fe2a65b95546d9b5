"""`irsim.assess(person)`: the single-person entry point over the shared engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__, DISCLAIMER
from ..schemas.person import Person
from .engine import evaluate, prepare, row_results
from .registry import ORGANS, REGISTRY


@dataclass
class Assessment:
    person: Person
    results: dict[str, dict[str, Any]]
    not_computable: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"irsim_version": __version__, "results": self.results, "not_computable": self.not_computable,
                "warnings": self.warnings, "disclaimer": DISCLAIMER}

    def by_organ(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        groups: dict[str, list] = {o: [] for o in ORGANS}
        for key, rec in self.results.items():
            groups[REGISTRY[key].organ].append((key, rec))
        return {o: items for o, items in groups.items() if items}

    def findings(self) -> list[tuple[str, str]]:
        """(key, mechanism sentence) for each abnormal result."""
        out = []
        for key, rec in self.results.items():
            calc = REGISTRY[key]
            cat = rec.get("category")
            if cat in calc.abnormal and calc.mechanism:
                out.append((key, calc.mechanism))
        return out


def assess(person: Person | dict) -> Assessment:
    """Assess one person from the labs and measurements they have."""
    if not isinstance(person, Person):
        person = Person.parse(person)
    row = person.to_row()
    inputs = prepare({k: np.array([v]) for k, v in row.items()}, 1)
    results, nc = row_results(evaluate(inputs))
    warnings = []
    if person.labs.fasting_insulin is not None and person.labs.fasting_insulin.unit.lower().startswith("pmol"):
        from ..units import settings

        warnings.append(f"insulin converted at {settings().insulin_pmol_per_uiu:g} pmol/L per uIU/mL; for assays "
                        "calibrated to the older standard use irsim --insulin-factor 6.945 "
                        "(or IRSIM_INSULIN_PMOL_PER_UIU=6.945)")
    return Assessment(person, results, nc, warnings)
