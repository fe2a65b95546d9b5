"""A person's history: dated visits, each a full :class:`Person` as measured at that visit.

The last visit is "now" (``years == 0``); earlier visits have negative ``years``. A plain person file is a
history of one visit. Readers (JSON/YAML visits, FHIR Bundles by date, the web app's stored labs) live in
``irsim.io``; inference (``irsim.inference.twin``) consumes this.
"""

from __future__ import annotations

from dataclasses import dataclass

from .person import Person


@dataclass(frozen=True)
class Visit:
    years: float  # time of the visit relative to the last visit (<= 0)
    person: Person  # fixed facts plus this visit's measurements; ``person.age`` is the age at the visit
    date: str | None = None  # ISO date when the source gave one


@dataclass(frozen=True)
class History:
    visits: tuple[Visit, ...]  # in time order, last one at years == 0

    @classmethod
    def of(cls, person: Person) -> "History":
        """A history of one visit."""
        return cls((Visit(0.0, person),))

    @property
    def now(self) -> Person:
        return self.visits[-1].person

    @property
    def first(self) -> Visit:
        return self.visits[0]
