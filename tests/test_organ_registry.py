"""Organ plug-ins (models/organ.py): every organ list is derived from the registry, and the lists agree."""

import importlib
import pkgutil

import numpy as np
import pytest

from irsim.analysis import events, explain
from irsim.cohort import progression as cp
from irsim.models import core, organs as om
from irsim.models import progression as pm
from irsim.models.organ import registered
from irsim.reporting import figures

#: Units a column name ends with (the naming convention of the outputs).
NAME_UNITS = {"_mmol_l": "mmol/L", "_uiu_ml": "uIU/mL", "_mg_dl": "mg/dL", "_nmol_l": "nmol/L", "_pmol_l": "pmol/L",
              "_10e9_l": "10^9/L", "_ml_min": "mL/min/1.73m2", "_mg_g": "mg/g", "_mmhg": "mmHg", "_u_l": "U/L",
              "_percent": "%", "_kg": "kg", "_rel": "x reference", "_index": "index"}


def test_every_organ_module_registers_one_organ():
    names = [m.name for m in pkgutil.iter_modules(om.__path__) if not m.name.startswith("_")]
    assert names and sorted(names) == sorted(o.name for o in om.ORGANS)
    for name in names:
        module = importlib.import_module(f"irsim.models.organs.{name}")
        assert module.ORGAN is om.BY_NAME[name]
    assert om.ORGANS == registered()
    assert [o.order for o in om.ORGANS] == sorted({o.order for o in om.ORGANS})


def test_mechanisms_fields_are_the_core_and_organ_switches():
    assert pm.Mechanisms._fields == tuple(core.CORE.switches) + om.SWITCHES + tuple(core.med.SWITCHES)
    assert tuple(core.SWITCHES) == pm.Mechanisms._fields


def test_every_switch_has_a_label_and_is_a_pathway():
    for switch, (label, what) in core.SWITCHES.items():
        assert label and what, switch
        assert explain.PATHWAYS[switch] == (label, what)
    assert set(explain.PATHWAYS) == set(pm.Mechanisms._fields)
    for o in (core.CORE, *om.ORGANS):
        assert set(o.pathways) <= set(pm.Mechanisms._fields), o.name
    assert explain.CORE == tuple(core.CORE.switches)
    assert explain.LIVER == ("ffa_influx", "lipogenesis", "vldl_export")


def test_every_column_has_a_unit_that_agrees_with_its_name():
    assert set(core.COLUMN_INFO) == set(cp.COLUMNS) and len(set(cp.COLUMNS)) == len(cp.COLUMNS)
    for col, (unit, description) in core.COLUMN_INFO.items():
        assert isinstance(unit, str) and description, col
        ending = next((e for e in sorted(NAME_UNITS, key=len, reverse=True) if col.endswith(e)), None)
        if ending:
            assert unit == NAME_UNITS[ending], col
        if col.startswith("hazard_"):
            assert unit == "1/year", col
        if col in core.LABELS:
            assert unit == "", col
    assert explain.ORGAN_PATHWAYS.keys() == set(om.COLUMNS)


def test_organ_columns_come_in_levels_hazards_expected_order():
    kinds = [k for k in ("columns", "hazards", "expected") for o in om.ORGANS for _ in getattr(o, k)]
    assert len(kinds) == len(om.COLUMNS)
    assert kinds == sorted(kinds, key=("columns", "hazards", "expected").index)
    assert cp.COLUMNS[: len(core.CORE.columns)] == tuple(core.CORE.columns)


def test_events_panels_and_labels_name_trajectory_columns():
    for key, e in core.EVENTS.items():
        assert e.get("column", e.get("rate")) in cp.COLUMNS and e["source"] and e["name"] and e["label"], key
        if "rate" in e:
            assert e["rate"] in {h for o in (core.CORE, *om.ORGANS) for h in o.hazards}, key
    assert [ev.name for ev in events.EVENTS.values()] == [e["name"] for e in core.EVENTS.values()]
    assert figures.PANELS == core.PANELS and all(c in cp.COLUMNS for c, _ in figures.PANELS)
    assert set(core.LABELS) <= set(cp.COLUMNS)


def test_state_and_constants_fields_come_from_the_organs():
    states = [f for o in om.ORGANS for f in o.states]
    params = [f for o in om.ORGANS for f in o.params]
    assert om.OrganState._fields == tuple(states) and len(set(states)) == len(states)
    assert om.OrganParams._fields == tuple(params) and len(set(params)) == len(params)
    for o in om.ORGANS:
        assert o.derive is not None and o.observe is not None, o.name
        if o.states:
            assert o.initialise is not None and o.step is not None, o.name


@pytest.fixture(scope="module")
def month():
    start = cp.initialise(cp.persons_columns([{"age": 50, "sex": "male", "weight": "95 kg", "height": "178 cm"}]))
    return start


def test_each_organ_initialises_steps_and_observes_what_it_declares(month):
    """Every organ hook returns exactly the fields and columns the organ declares."""
    from irsim.solvers._jax import jnp

    ref = {k: jnp.asarray(v) for k, v in pm.reference().items()}
    u = cp._inputs0(1)
    mech = pm.Mechanisms()
    d = pm.derive(0.0, month.state, month.params, u, mech, ref)
    dr = om.drivers(0.0, month.state, d, month.params, ref)
    o, op = month.organ_state, month.organ_params
    q = om.derive(0.0, dr, o, op, mech)
    for organ in om.ORGANS:
        if organ.step is not None:
            assert set(organ.step(dr, o, op, mech, q, 1 / 12)) == set(organ.states), organ.name
        assert set(organ.observe(dr, o, op, q)) == set(organ.columns) | set(organ.expected), organ.name
        assert set(organ.hazards) <= set(q), organ.name
    obs = om.observe(0.0, dr, o, op, mech)
    assert len(obs) == len(om.COLUMNS) and all(np.all(np.isfinite(np.asarray(x))) for x in obs)
