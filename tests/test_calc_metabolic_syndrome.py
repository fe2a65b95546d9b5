"""Harmonized 2009 metabolic syndrome (calculators.md section 10)."""

from __future__ import annotations

import numpy as np
import pytest

from irsim.assessment import REGISTRY, Inputs  # noqa: F401

from conftest import calc  # noqa: E402
from irsim.assessment.metabolic_syndrome import metabolic_syndrome_status

NAN = np.nan


NORMAL_M = dict(female=0, waist=90, triglycerides=100, hdl_cholesterol=55, systolic_bp=120, diastolic_bp=75,
                on_bp_medication=0, fasting_glucose=90, diabetes=0)


def test_reference_example_man():
    # calculators.md s.10 [computed]: M, waist 105, TG 160, HDL 42, BP 128/82 untreated, FPG 104 -> 3 criteria
    # (waist, TG, FPG) -> metabolic syndrome under the harmonized definition (Alberti 2009)
    c = calc("metabolic_syndrome", female=0, waist=105, triglycerides=160, hdl_cholesterol=42, systolic_bp=128,
             diastolic_bp=82, on_bp_medication=0, fasting_glucose=104)
    assert c.value[0] is True and c.category[0] == "metabolic_syndrome"
    assert list(c.detail[0]) == ["waist >= 102 cm (men)", "triglycerides >= 150 mg/dL", "fasting glucose >= 100 mg/dL"]


@pytest.mark.parametrize("field,met,unmet,female", [
    # Alberti 2009 cutoffs with US waist (102 / 88 cm); each criterion alone on its boundary
    ("waist", 102, 101.9, 0), ("waist", 88, 87.9, 1),
    ("triglycerides", 150, 149.9, 0),
    ("hdl_cholesterol", 39.9, 40, 0), ("hdl_cholesterol", 49.9, 50, 1),
    ("systolic_bp", 130, 129.9, 0), ("diastolic_bp", 85, 84.9, 0),
    ("fasting_glucose", 100, 99.9, 0),
])
def test_each_criterion_boundary(field, met, unmet, female):
    cols = dict(NORMAL_M, female=female, waist=80)  # 80 cm is below both sexes' cutoffs
    r = metabolic_syndrome_status(Inputs({k: np.full(2, float(v)) for k, v in {**cols}.items()} |
                                         {field: np.array([met, unmet], float)}, 2))
    assert list(r.n_met) == [1, 0]


def test_treatment_counts_and_three_met_is_true():
    c = calc("metabolic_syndrome", **dict(NORMAL_M, on_bp_medication=1, diabetes=1, triglycerides=200))
    assert c.value[0] is True
    assert "on blood-pressure medication" in c.detail[0] and "diabetes (treated for high glucose)" in c.detail[0]


def test_missing_inputs_rules():
    rows = [
        # 3 met, 2 missing -> True anyway
        dict(waist=110, triglycerides=200, hdl_cholesterol=30, systolic_bp=NAN, diastolic_bp=NAN, fasting_glucose=NAN),
        # 0 met of 3 known, 2 missing -> False (cannot reach 3)
        dict(waist=90, triglycerides=100, hdl_cholesterol=55, systolic_bp=NAN, diastolic_bp=NAN, fasting_glucose=NAN),
        # 1 met, 2 missing -> undecided
        dict(waist=110, triglycerides=100, hdl_cholesterol=55, systolic_bp=NAN, diastolic_bp=NAN, fasting_glucose=NAN),
        # 2 met, 1 missing (waist) -> undecided
        dict(waist=NAN, triglycerides=200, hdl_cholesterol=30, systolic_bp=120, diastolic_bp=70, fasting_glucose=90),
    ]
    cols = {k: np.array([r[k] for r in rows], float) for k in rows[0]}
    cols |= {"female": np.zeros(4), "on_bp_medication": np.zeros(4), "diabetes": np.zeros(4)}
    c = REGISTRY["metabolic_syndrome"].compute(Inputs(cols, 4))
    assert list(c.computable) == [True, True, False, False]
    assert list(c.value[:2]) == [True, False]
    assert c.reason[2].startswith("needs ") and "systolic_bp" in c.reason[2] and "fasting_glucose" in c.reason[2]
    assert "waist" in c.reason[3] and "triglycerides" not in c.reason[3]


def test_unknown_sex_uses_cutoffs_that_agree():
    c = calc("metabolic_syndrome", **dict(NORMAL_M, female=NAN, waist=[110, 95, 80], triglycerides=200,
                                          systolic_bp=140, hdl_cholesterol=[55, 55, 45]))
    # waist 110 meets both sexes' cutoff -> 3 met; waist 95 is met for women only -> undecided;
    # waist 80 and HDL 45 (low for women only): 2 met + 1 undecidable -> undecided
    assert c.value[0] is True
    assert list(c.computable) == [True, False, False]
    assert "female" in c.reason[1]
