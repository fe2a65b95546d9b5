"""FHIR R4 Bundle input: Patient + LOINC-coded Observations with UCUM units."""

import copy
import json

import pytest

from conftest import EXAMPLES
from irsim.assessment.api import assess
from irsim.errors import InputError
from irsim.io import person_from_data, read_person


def bundle():
    return json.loads((EXAMPLES / "fhir_bundle.json").read_text())


def test_realistic_bundle_maps_to_person():
    p = read_person(EXAMPLES / "fhir_bundle.json")
    assert p.sex == "male"
    assert p.canonical("age") == pytest.approx(58.55, abs=0.01)    # born 1968-03-14, observed 2026-10-02
    assert p.canonical("fasting_glucose") == 112                  # the 2026 value supersedes the 2023 one
    assert p.canonical("fasting_insulin") == pytest.approx(16.0)  # 96 pmol/L / 6
    assert p.canonical("platelets") == 221                        # UCUM 10*3/uL
    assert p.canonical("uacr") == pytest.approx(4.2 * 8.84)       # mg/mmol -> mg/g
    assert p.canonical("systolic_bp") == 142 and p.canonical("diastolic_bp") == 91  # BP panel components
    assert p.smoker is False                                      # ex-smoker is not a current smoker
    assert p.canonical("total_testosterone") == pytest.approx(310 * 0.03467)


def test_bundle_assessment_runs():
    a = assess(read_person(EXAMPLES / "fhir_bundle.json"))
    assert a.results["homa1_ir"]["value"] == pytest.approx(16.0 * 112 / 405)
    assert a.results["kdigo_albuminuria_category"]["value"] == "A2"


def test_bundle_without_patient_or_with_bad_unit_is_refused():
    b = bundle()
    b["entry"] = [e for e in b["entry"] if e["resource"]["resourceType"] != "Patient"]
    with pytest.raises(InputError, match="no Patient"):
        person_from_data(b)
    b = bundle()
    for e in b["entry"]:
        if e["resource"].get("id") == "obs-1":
            e["resource"]["valueQuantity"].update(unit="mmol/L", code="mmol/L")  # 112 mmol/L: a unit mix-up
    with pytest.raises(InputError, match="did you mean 112 mg/dL"):
        person_from_data(b)


def test_entered_in_error_observations_are_ignored():
    b = copy.deepcopy(bundle())
    for e in b["entry"]:
        if e["resource"].get("id") == "obs-1":
            e["resource"]["status"] = "entered-in-error"
    assert person_from_data(b).canonical("fasting_glucose") == 98   # falls back to the older value
