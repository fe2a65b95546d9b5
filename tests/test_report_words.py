"""Scenarios in words a person reads (issue #15): every intervention type reads as a sentence, not as its fields."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from irsim.scenarios.schema import CARE_DRUGS, CARE_WORDS, Intervention, Scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"


def _one(**entry):
    return Scenario.parse({"name": "x", "interventions": [entry]}).interventions[0]


def test_every_example_intervention_reads_as_a_sentence():
    seen = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for iv in Scenario.read(path).interventions:
            words = iv.words()
            assert "_" not in words and "[" not in words and "(mg" not in words, (path.name, words)
            seen[iv.type] = words
    # the examples cover every intervention type
    kinds = typing.get_args(typing.get_args(Intervention)[0])
    types = {typing.get_args(k.model_fields["type"].annotation)[0] for k in kinds}
    assert set(seen) == types
    assert seen["weight_loss"] in ("lose 7 % of weight over 6 months, then keep it off",
                                   "lose 10 % of weight over 6 months, then let it come back")


@pytest.mark.parametrize("entry, words", [
    # examples/scenarios/pioglitazone.yaml: 30 mg/day for a month (0.0833 y), then 45 mg/day (ACT NOW)
    ({"type": "pioglitazone", "start_year": 0, "stop_year": 0.0833, "mg_per_day": 30},
     "pioglitazone 30 mg a day for the first month"),
    ({"type": "pioglitazone", "start_year": 0.0833, "mg_per_day": 45}, "pioglitazone 45 mg a day from month 1 on"),
    # semaglutide.yaml: 4-weekly steps (0.0767 y = 28 days)
    ({"type": "semaglutide", "start_year": 0.0767, "stop_year": 0.1533, "mg_per_week": 0.5},
     "semaglutide 0.5 mg a week from week 4 to week 8"),
    ({"type": "metformin", "start_year": 0, "stop_year": 5, "mg_per_day": 1700},
     "metformin 1700 mg a day for the first 5 years"),
    ({"type": "metformin", "start_year": 2, "stop_year": 5, "mg_per_day": 1000},
     "metformin 1000 mg a day from year 2 to year 5"),
    ({"type": "basal_insulin", "start_year": 0, "titrate_to_fasting_glucose": "7.2 mmol/L"},
     "basal insulin titrated each month to a fasting glucose of 7.2 mmol/L"),
    ({"type": "basal_insulin", "start_year": 1, "units_per_day": 20}, "basal insulin 20 units a day from year 1 on"),
    ({"type": "usual_care", "start_year": 0, "hba1c_target_percent": 7.0},
     "usual care after diagnosis: metformin, then a sulfonylurea, then basal insulin, each added at a yearly check "
     "while HbA1c is above 7 %"),
    # conventional_policy.yaml (UKPDS 33): 3-monthly clinics, a step only above a fasting glucose of 15 mmol/L
    ({"type": "usual_care", "start_year": 0, "hba1c_target_percent": None, "fasting_glucose_limit": "15 mmol/L",
      "checks_per_year": 4, "steps": ["sulfonylurea", "metformin", "basal_insulin"]},
     "usual care after diagnosis: a sulfonylurea, then metformin, then basal insulin, each added at a 3-monthly "
     "check while fasting glucose is above 15 mmol/L"),
    ({"type": "sleep_or_stress", "start_year": 0, "stop_year": 10, "cortisol_tone": 1.4},
     "short sleep or stress: cortisol tone 1.4 times normal for the first 10 years"),
    ({"type": "calorie_change", "start_year": 0, "stop_year": 0.25, "kcal_per_day": -600},
     "eat 600 kcal a day less for the first 3 months"),
    ({"type": "weight_loss", "start_year": 0, "percent": 7, "over_months": 6, "then": "maintain"},
     "lose 7 % of weight over 6 months, then keep it off"),
])
def test_interventions_in_words(entry, words):
    assert _one(**entry).words() == words


def test_every_usual_care_step_has_words():
    assert set(CARE_WORDS) == set(CARE_DRUGS)
    words = _one(type="usual_care", start_year=0, steps=list(CARE_DRUGS)).words()
    assert "_" not in words and "an SGLT2 inhibitor" in words
