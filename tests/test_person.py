"""The Person schema: quantities with units, refusals naming field, value, units and range."""

import pytest
from hypothesis import given, settings, strategies as st

from irsim.errors import InputError
from irsim.schemas import Person

BASE = {"age": 50, "sex": "female"}


def refused(data):
    with pytest.raises(InputError) as exc:
        Person.parse(data)
    return {p.field: p.message for p in exc.value.problems}


def test_quantity_forms_string_and_mapping():
    p = Person.parse({**BASE, "weight": "88 kg", "height": {"value": 165, "unit": "cm"},
                      "labs": {"fasting_glucose": "5.9 mmol/L", "hba1c": "42 mmol/mol"}})
    assert p.canonical("weight") == 88
    assert p.canonical("fasting_glucose") == pytest.approx(5.9 * 18.016)
    assert p.labs.fasting_glucose.value == 5.9 and p.labs.fasting_glucose.unit == "mmol/L"
    assert p.canonical("hba1c") == pytest.approx(0.09148 * 42 + 2.152)


def test_flat_lab_fields_are_accepted():
    p = Person.parse({**BASE, "fasting_glucose": "100 mg/dL"})
    assert p.canonical("fasting_glucose") == 100


def test_bad_inputs_each_get_a_message():
    errs = refused({"age": 50, "sex": "x", "weight": 88,
                    "labs": {"fasting_glucose": "100 mmol/L", "fasting_insulin": "600 uIU/mL", "alt": "30 mg/dL",
                             "ogtt": {"minutes": [0, 30, 60], "glucose": {"values": [90, 150], "unit": "mg/dL"}}}})
    assert "'x' is not one of 'female', 'male'" in errs["sex"]
    assert "bare number 88 has no unit" in errs["weight"] and "kg" in errs["weight"]
    g = errs["labs.fasting_glucose"]
    assert "100 mmol/L" in g and "plausible range 40-600 mg/dL" in g and "mg/dL, mmol/L" in g and "did you mean 100 mg/dL?" in g
    assert "did you mean 600 pmol/L" in errs["labs.fasting_insulin"]
    assert "does not fit alt" in errs["labs.alt"] and "U/L" in errs["labs.alt"]
    assert "2 values but minutes has 3" in errs["labs.ogtt"]


def test_missing_required_and_unknown_field():
    errs = refused({"sex": "male", "labs": {"fasting_glucos": "5 mmol/L"}})
    assert "required" in errs["age"]
    assert "unknown field" in errs["labs.fasting_glucos"] and "fasting_glucose" in errs["labs.fasting_glucos"]


def test_swapped_blood_pressure_is_refused():
    errs = refused({**BASE, "systolic_bp": "80 mmHg", "diastolic_bp": "120 mmHg"})
    assert any("swapped" in m for m in errs.values())


def test_ogtt_must_increase_and_values_in_range():
    errs = refused({**BASE, "labs": {"ogtt": {"minutes": [0, 60, 30], "glucose": {"values": [5, 9, 8], "unit": "mmol/L"}}}})
    assert "strictly increasing" in errs["labs.ogtt"]
    errs = refused({**BASE, "labs": {"ogtt": {"minutes": [0, 120], "glucose": {"values": [5, 900], "unit": "mmol/L"}}}})
    assert "glucose at 120 min" in errs["labs.ogtt"]


def test_to_row_has_canonical_inputs_and_ogtt_columns():
    p = Person.parse({**BASE, "labs": {"ogtt": {"minutes": [0, 120], "glucose": {"values": [5.0, 7.0], "unit": "mmol/L"},
                                                "insulin": {"values": [60, 300], "unit": "pmol/L"}}}})
    row = p.to_row()
    assert row["female"] == 1.0
    assert row["ogtt_glucose_120"] == pytest.approx(7.0 * 18.016)
    assert row["ogtt_insulin_0"] == pytest.approx(10.0)


@given(st.floats(0.1, 2000))
@settings(max_examples=100, deadline=None)
def test_glucose_is_either_accepted_in_range_or_refused_with_range(x):
    try:
        p = Person.parse({**BASE, "labs": {"fasting_glucose": f"{x!r} mg/dL"}})
    except InputError as exc:
        assert not 40 <= x <= 600
        assert "plausible range 40-600 mg/dL" in str(exc)
    else:
        assert 40 <= p.canonical("fasting_glucose") <= 600
