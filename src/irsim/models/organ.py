"""The organ plug-in interface: what an organ declares, and the registry every organ list is derived from.

An organ is one module in :mod:`irsim.models.organs` that builds an :class:`Organ` and calls :func:`register`;
its numbers are one block of ``parameters/data/organs.yaml``. From the registry (in ``order``) come the organ
columns, switches, events, state and constants of :mod:`irsim.models.organs`, and with the core's description
(:data:`irsim.models.core.CORE`) the model's columns, events, ``irsim explain`` pathways and report panels.

Hooks (all optional except ``derive``, ``step`` and ``initialise`` for an organ with states), ``q`` being the dict of
this month's organ quantities that every organ reads and adds to, in registry order:

* ``initialise(y0) -> (params, states)``: per-person constants and year-0 states (dicts keyed by the fields named
  in ``params`` and ``states``); ``y0`` is a :class:`irsim.models.organs.Year0`.
* ``derive(t, dr, o, op, mech, q)``: add the organ's quantities for month ``t`` to ``q``.
* ``rates(dr, op, q)``: add the annual hazards (the ``hazards`` columns), after every organ's ``derive``.
* ``step(dr, o, op, mech, q, dt) -> dict``: the organ's states one step later.
* ``observe(dr, o, op, q) -> dict``: values of its ``columns`` and ``expected`` columns (hazards come from ``q``).
* ``couple(p, o, op, mech) -> p``: feedback on the core's parameters for the month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

#: (unit, description) of an output column.
Info = tuple[str, str]


@dataclass(frozen=True, eq=False)
class Organ:
    """One organ (or the core, :data:`irsim.models.core.CORE`, described the same way without hooks)."""

    name: str
    order: int                                                       # position in the registry
    columns: dict[str, Info]                                         # level output columns, in output order
    hazards: dict[str, Info] = field(default_factory=dict)           # annual hazards (after every organ's levels)
    expected: dict[str, Info] = field(default_factory=dict)          # cumulative expected events (after the hazards)
    switches: dict[str, tuple[str, str]] = field(default_factory=dict)  # Mechanisms field -> (label, what it does)
    pathways: tuple[str, ...] = ()                                   # switches `explain` examines for its columns
    events: dict[str, dict] = field(default_factory=dict)            # event key -> definition (analysis.events)
    panels: tuple[tuple[str, str], ...] = ()                         # report charts: (column, title)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # categorical column -> label per code
    states: tuple[str, ...] = ()                                     # its fields of OrganState
    params: tuple[str, ...] = ()                                     # its fields of OrganParams
    initialise: Callable | None = None
    derive: Callable | None = None
    rates: Callable | None = None
    step: Callable | None = None
    observe: Callable | None = None
    couple: Callable | None = None

    def all_columns(self) -> dict[str, Info]:
        return {**self.columns, **self.hazards, **self.expected}


_REGISTRY: dict[str, Organ] = {}


def register(organ: Organ) -> Organ:
    """Add an organ to the registry (a module re-imported replaces its own entry)."""
    _REGISTRY[organ.name] = organ
    return organ


def registered() -> tuple[Organ, ...]:
    """The registered organs in ``order``."""
    return tuple(sorted(_REGISTRY.values(), key=lambda o: o.order))
