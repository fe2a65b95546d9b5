"""Liver fibrosis and steatosis scores (calculators.md section 4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irsim.assessment import REGISTRY, Inputs  # noqa: F401

from conftest import calc  # noqa: E402

NAN = np.nan


def test_fib4_examples():
    # calculators.md s.4 [computed] (Sterling 2006): 55/AST 40/ALT 30/PLT 200 -> 2.008; 60/50/40/150 -> 3.162
    c = calc("fib4", age=[55, 60], ast=[40, 50], alt=[30, 40], platelets=[200, 150])
    assert c.value[0] == pytest.approx(2.008, abs=5e-4)
    assert c.value[1] == pytest.approx(3.162, abs=5e-4)
    assert list(c.category) == ["indeterminate", "high_risk"]


def test_fib4_cutoffs_exactly():
    # ALT 100, PLT 100 make FIB-4 = age x AST / 1000 exactly. Shah 2009: < 1.30 low, 1.30-2.67 indeterminate,
    # > 2.67 high; McPherson 2017: low cutoff 2.0 at age >= 65
    c = calc("fib4", age=[50, 50, 60, 60, 80, 80, 64], ast=[26, 25.9, 44.5, 44.6, 25, 24.9, 31.25],
             alt=100, platelets=100)
    assert c.value[0] == 1.3 and c.value[2] == 2.67 and c.value[4] == 2.0
    assert list(c.category) == ["indeterminate", "low_risk", "indeterminate", "high_risk",
                                "indeterminate", "low_risk", "indeterminate"]  # 64 y: 2.0 is indeterminate
    assert "2.0" in c.detail[4] and c.detail[0] is None


def test_nfs_example_and_ifg_term():
    # calculators.md s.4 [computed] (Angulo 2007): age 55, BMI 32, DM 1, AST 40, ALT 30, PLT 200, Alb 4.2 -> 0.446
    base = dict(age=55, bmi=32, ast=40, alt=30, platelets=200, albumin=4.2)
    c = calc("nafld_fibrosis_score", **base, diabetes=[1, 0, 0, 0, NAN], fasting_glucose=[NAN, 100, 99, NAN, NAN])
    assert c.value[0] == pytest.approx(0.446, abs=5e-4)
    assert c.value[1] == pytest.approx(c.value[0])          # FPG >= 100 sets the IFG/diabetes term
    assert c.value[2] == pytest.approx(c.value[0] - 1.13)
    assert list(c.computable) == [True, True, True, False, False]
    assert "fasting_glucose" in c.reason[3]


def test_nfs_cutoffs():
    # Angulo 2007: < -1.455 low, -1.455..0.676 indeterminate, > 0.676 high. Solve albumin for score = cutoff +/- eps.
    base = dict(age=55, bmi=32, ast=40, alt=30, platelets=200, diabetes=1)
    s0 = -1.675 + 0.037 * 55 + 0.094 * 32 + 1.13 + 0.99 * 40 / 30 - 0.013 * 200
    targets = np.array([-1.455 - 1e-6, -1.455 + 1e-6, 0.676 - 1e-6, 0.676 + 1e-6])
    c = calc("nafld_fibrosis_score", **base, albumin=(s0 - targets) / 0.66)
    assert c.value == pytest.approx(targets, abs=1e-9)
    assert list(c.category) == ["low_risk", "indeterminate", "indeterminate", "high_risk"]


def test_fatty_liver_index_examples_and_cutoffs():
    # calculators.md s.4 [computed] (Bedogni 2006): TG 150, BMI 30, GGT 40, WC 100 -> 75.93; 100/24/20/80 -> 16.39
    c = calc("fatty_liver_index", triglycerides=[150, 100], bmi=[30, 24], ggt=[40, 20], waist=[100, 80])
    assert c.value == pytest.approx([75.93, 16.39], abs=0.005)
    assert list(c.category) == ["steatosis_likely", "steatosis_unlikely"]
    # < 30 rules out, >= 60 rules in: solve waist for FLI = cutoff +/- eps
    rest = 0.953 * np.log(150) + 0.139 * 30 + 0.718 * np.log(40) - 15.745
    fli = np.array([30 - 1e-6, 30 + 1e-6, 60 - 1e-6, 60 + 1e-6])
    y = np.log(fli / (100 - fli))
    c = calc("fatty_liver_index", triglycerides=150, bmi=30, ggt=40, waist=(y - rest) / 0.053)
    assert c.value == pytest.approx(fli, abs=1e-8)
    assert list(c.category) == ["steatosis_unlikely", "indeterminate", "indeterminate", "steatosis_likely"]


def test_hepatic_steatosis_index_example_and_cutoffs():
    # calculators.md s.4 [computed] (Lee 2010): ALT 40, AST 30, BMI 30, female, no DM -> 42.67
    c = calc("hepatic_steatosis_index", alt=40, ast=30, bmi=30, female=1, diabetes=0)
    assert c.value[0] == pytest.approx(42.67, abs=0.005)
    # ALT = AST gives 8 + BMI for a man without diabetes: < 30 rules out, > 36 rules in (Lee 2010)
    c = calc("hepatic_steatosis_index", alt=20, ast=20, bmi=[21.9, 22, 28, 28.1], female=0, diabetes=[0, 0, 0, 0])
    assert list(c.category) == ["steatosis_unlikely", "indeterminate", "indeterminate", "steatosis_likely"]
    c = calc("hepatic_steatosis_index", alt=20, ast=20, bmi=22, female=1, diabetes=1)
    assert c.value[0] == 34.0


def test_nonpositive_enzymes_not_computable():
    assert not calc("fib4", age=50, ast=30, alt=0, platelets=200).computable[0]
    assert not calc("fatty_liver_index", triglycerides=0, bmi=25, ggt=20, waist=90).computable[0]
    assert not calc("hepatic_steatosis_index", alt=20, ast=0, bmi=25, female=0, diabetes=0).computable[0]


@settings(max_examples=60, deadline=None)
@given(age=st.floats(20, 90), ast=st.floats(5, 300), alt=st.floats(5, 300), p1=st.floats(20, 500), p2=st.floats(20, 500))
def test_fib4_decreases_with_platelets(age, ast, alt, p1, p2):
    lo, hi = sorted((p1, p2))
    v = calc("fib4", age=age, ast=ast, alt=alt, platelets=[lo, hi]).value
    assert v[0] >= v[1] > 0
