"""Organ consequences of insulin resistance, stepped monthly in the same array program as the progression core.

One module per organ, each a plug-in (:class:`irsim.models.organ.Organ`): pure functions of the core's quantities
(:class:`Drivers`), the organ states, per-person constants and the pathway switches
(:class:`irsim.models.progression.Mechanisms`), registered with their columns, switches, events and hooks. Every
module of this package whose name does not start with ``_`` is an organ and is imported here; the lists below
(:data:`COLUMNS`, :data:`SWITCHES`, :data:`EVENTS`, :class:`OrganState`, :class:`OrganParams`) are derived from the
registry. This module builds the drivers and runs the organs' hooks in order. Equations and sources: docs/organs.md;
numbers: parameters/data/organs.yaml.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import namedtuple
from typing import Any, NamedTuple

import numpy as np

from ...solvers._jax import jnp
from ...units import GLUCOSE_MG_DL_PER_MMOL_L
from .. import progression as pm
from ..organ import registered

for _module in pkgutil.iter_modules(__path__):  # each organ module registers itself
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

#: The organs in registry order.
ORGANS = registered()
BY_NAME = {o.name: o for o in ORGANS}

#: Output columns appended to the core's: every organ's levels, then hazards, then expected events (stable names).
COLUMNS = tuple(c for kind in ("columns", "hazards", "expected") for o in ORGANS for c in getattr(o, kind))

#: (unit, description) of each organ column.
COLUMN_INFO = {c: info for o in ORGANS for c, info in o.all_columns().items()}

#: Event definitions on the output columns (for time-to-event sampling): column, comparison, threshold, source.
#: Hazard events ("rate") give the column holding the annual hazard. The core's (T2D): irsim.models.core.EVENTS.
EVENTS = {k: e for o in ORGANS for k, e in o.events.items()}

#: Pathway switches of the organ modules (appended to the core's Mechanisms; a test checks they agree).
SWITCHES = tuple(s for o in ORGANS for s in o.switches)

#: Labels of categorical organ columns (numeric codes in the array).
LABELS = {c: labels for o in ORGANS for c, labels in o.labels.items()}
KDIGO_LABELS = LABELS["kdigo_stage"]


def _fields(name: str, kind: str, doc: str):
    cls = namedtuple(name, [f for o in ORGANS for f in getattr(o, kind)], module=__name__)
    cls.__doc__ = doc
    return cls


OrganState = _fields("OrganState", "states", "Organ states (fields from the registry; each organ names its own).")
OrganParams = _fields("OrganParams", "params", "Per-person organ constants: lab-matching scales and the year-0 "
                                               "values the hazard ratios are relative to (fields from the registry).")


class Drivers(NamedTuple):
    """Core quantities the organs read (one month, batch shape)."""

    age: Any
    female: Any
    weight: Any
    bmi: Any
    fat_rel: Any          # fat mass / lean reference of the same sex
    hepatic_supply: Any   # net hepatic triglyceride supply relative to the lean reference (the core's, one value)
    insulin_rel: Any      # fasting insulin / reference person's
    fpg_mmol: Any
    glucose_excess: Any   # day-mean glucose / reference - 1 (>= 0; 0 with glucotoxicity knocked out)
    hba1c: Any
    t2d: Any              # 1.0 with diabetes by fasting glucose or HbA1c (what PREVENT reads)
    muscle_si: Any
    adipose_si: Any
    inflammation: Any
    er_stress: Any
    ros: Any
    sglt2: Any = 0.0      # SGLT2-inhibitor occupancy (0 without the drug; models/medicines.py)


def drivers(t, s: pm.State, d: pm.Derived, p: pm.Params, ref: dict) -> Drivers:
    f = d.fast
    fpg = f["fasting_glucose_mg_dl"]
    return Drivers(
        age=d.age, female=p.female, weight=s.weight, bmi=s.weight / (p.height_cm / 100.0) ** 2,
        fat_rel=d.fat / p.fat_ref, hepatic_supply=d.hepatic_supply,
        insulin_rel=f["fasting_insulin_pmol_l"] / ref["insulin"],
        fpg_mmol=fpg / GLUCOSE_MG_DL_PER_MMOL_L, glucose_excess=d.glucose_excess, hba1c=s.hba1c,
        # diabetes as PREVENT's cohorts recorded it, by fasting glucose or HbA1c (no glucose tolerance test)
        t2d=(pm.status_code(fpg, jnp.zeros_like(fpg), s.hba1c) == 4).astype(jnp.float64),
        muscle_si=d.muscle_si, adipose_si=d.adipose_si, inflammation=s.inflammation, er_stress=s.er_stress, ros=d.ros,
        sglt2=pm.med.sglt2_occupancy(d.exposure) * jnp.ones_like(fpg))


def coupled_params(p: pm.Params, o, op, mech) -> pm.Params:
    """The core's parameters for this month with the organs' feedback applied (testosterone -> muscle sensitivity)."""
    for organ in ORGANS:
        if organ.couple is not None:
            p = organ.couple(p, o, op, mech)
    return p


def derive(t, dr: Drivers, o, op, mech) -> dict:
    """Every organ quantity of month ``t`` (years since start) that follows from the states: each organ's
    ``derive`` in order, then each organ's hazards."""
    q: dict[str, Any] = {}
    for organ in ORGANS:
        organ.derive(t, dr, o, op, mech, q)
    for organ in ORGANS:
        if organ.rates is not None:
            organ.rates(dr, op, q)
    return q


def step(t, dr: Drivers, o, op, mech, dt):
    q = derive(t, dr, o, op, mech)
    new: dict[str, Any] = {}
    for organ in ORGANS:
        if organ.step is not None:
            new.update(organ.step(dr, o, op, mech, q, dt))
    return OrganState(**new)


def observe(t, dr: Drivers, o, op, mech) -> tuple:
    """Output columns in :data:`COLUMNS` order."""
    q = derive(t, dr, o, op, mech)
    values: dict[str, Any] = {}
    for organ in ORGANS:
        if organ.observe is not None:
            values.update(organ.observe(dr, o, op, q))
    return tuple(values[c] if c in values else q[c] for c in COLUMNS)


# ------------------------------------------------------------------ starting states from labs


class Assumptions(list):
    """Per person, the inputs that were not given and what was used instead (``Start.assumed``): a list of lists of
    texts. With ``keep=False`` (cohorts and trials, which never show them) nothing is recorded: the texts cost a
    Python call per person."""

    def __init__(self, n: int, keep: bool = True):
        super().__init__([] for _ in range(n))
        self.keep = keep

    def add(self, mask, text) -> None:
        """Add ``text`` (or ``text(i)``) for each person where ``mask``."""
        if self.keep:
            for i in np.flatnonzero(mask):
                self[i].append(text(i) if callable(text) else text)


class Year0:
    """What an organ's ``initialise`` reads: the person's inputs, the drivers at year 0, the switches, and what the
    organs before it set (``params``, and ``values`` for year-0 quantities that are not constants)."""

    def __init__(self, columns: dict, dr: Drivers, assumed: Assumptions):
        self.columns, self.dr, self.assumed, self.n = columns, dr, assumed, len(assumed)
        self.female = dr.female > 0.5
        self.mech = pm.Mechanisms()
        self.mech_np = pm.Mechanisms(*(np.ones(self.n) for _ in pm.Mechanisms._fields))
        self.params: dict[str, Any] = {}
        self.values: dict[str, Any] = {}

    def col(self, key: str) -> np.ndarray:
        return np.asarray(self.columns.get(key, np.full(self.n, np.nan)), dtype=float)

    def effect(self, key: str, median=1.0) -> np.ndarray:
        """A between-person random effect (cohort.synthetic), or its median for a person without a draw."""
        return np.where(np.isnan(self.col(key)), median, self.col(key))

    def assume(self, mask, text) -> None:
        """Add ``text`` (or ``text(i)``) to what was assumed for each person where ``mask``."""
        self.assumed.add(mask, text)

    def scaled(self, key, shape, default, name, unit):
        """Scale so that ``scale x shape`` equals the lab at year 0, or the default where none was measured."""
        lab = self.col(key)
        shape = np.asarray(shape, dtype=float)
        default = np.broadcast_to(np.asarray(default, dtype=float), (self.n,))
        self.assume(np.isnan(lab), lambda i: f"{name} (model: {default[i] * shape[i]:.3g} {unit})")
        return np.where(np.isnan(lab), default, lab / shape)


def initialise(columns: dict, params: pm.Params, state: pm.State, assumed: Assumptions,
               carb_share: float = 0.5):
    """Organ constants and states at year 0 (each organ's ``initialise``, in order): measured labs are matched
    exactly (per-person scales, as the core's ``a1c_offset``), missing ones get the model's value for the person's
    drivers scaled to a population default; each default is appended to ``assumed``. Between-person random effects
    (``triglyceride_factor``, ``hdl_factor``, ``filtration_factor``, ``liver_export_factor``, ``pnpla3_148m_alleles``,
    ``testosterone_factor``, ``shbg_factor``; cohort.synthetic) scale the defaults; a person without them gets the
    median (:meth:`Year0.effect`)."""
    n = len(assumed)
    ref = {k: jnp.asarray(v) for k, v in pm.reference().items()}
    u = pm.Inputs(energy=np.zeros(n), weight_target=np.full(n, np.nan), activity=np.zeros(n), metformin=np.zeros(n),
                  carb_share=np.full(n, carb_share), cortisol=np.ones(n))
    d = pm.derive_at_start(state, params, u, pm.Mechanisms(), ref)
    y0 = Year0(columns, Drivers(*(np.asarray(x, dtype=float) for x in drivers(0.0, state, d, params, ref))), assumed)
    states: dict[str, Any] = {}
    for organ in ORGANS:
        if organ.initialise is not None:
            p, s = organ.initialise(y0)
            y0.params.update(p)
            states.update(s)
    return OrganParams(**y0.params), OrganState(**states)
