"""ADA 2025 glycaemic status and ADAG eAG (calculators.md section 2)."""

from __future__ import annotations

import numpy as np
import pytest

from irsim.assessment import REGISTRY, Inputs  # noqa: F401

from conftest import calc  # noqa: E402

NAN = np.nan


def test_eag_matches_published_adag_table():
    # ADA's published ADAG table (Nathan 2008), calculators.md s.2: integer mg/dL, rounded half up
    a1c = np.arange(5, 13, dtype=float)
    published = [97, 126, 154, 183, 212, 240, 269, 298]
    v = calc("eag", hba1c=a1c).value
    # (28.7 x 6 - 46.7 is 125.4999... in binary floating point, so round to 6 decimals first)
    assert list(np.floor(np.round(v, 6) + 0.5).astype(int)) == published
    # raw formula values [computed]: 7 % -> 154.2, 10 % -> 240.3
    assert v[2] == pytest.approx(154.2) and v[5] == pytest.approx(240.3)


@pytest.mark.parametrize("key,values,expected", [
    # ADA 2025 Table 2.1/2.2 cutoffs; a value on a cutoff belongs to the higher class
    ("fasting_glucose", [99.9, 100, 125.9, 126], ["normal", "prediabetes", "prediabetes", "diabetes"]),
    ("glucose_2h", [139.9, 140, 199.9, 200], ["normal", "prediabetes", "prediabetes", "diabetes"]),
    ("hba1c", [5.6, 5.7, 6.4, 6.5], ["normal", "prediabetes", "prediabetes", "diabetes"]),
])
def test_status_boundaries_single_test(key, values, expected):
    c = calc("glycemic_status", **{key: values})
    assert list(c.value) == expected
    assert list(c.category) == expected
    assert c.computable.all()


def test_status_takes_highest_class_and_lists_criteria():
    c = calc("glycemic_status", fasting_glucose=[95, 130, 130, NAN], hba1c=[5.8, 6.0, 6.8, NAN],
             glucose_2h=[NAN, NAN, NAN, NAN])
    assert list(c.value[:3]) == ["prediabetes", "diabetes", "diabetes"]
    assert list(c.detail[0]) == ["hba1c 5.7-<6.5 % (prediabetes)"]
    assert "fasting_glucose >= 126 mg/dL (diabetes)" in c.detail[1]
    # a single diabetes-range result needs confirmation; two different tests meet the ADA rule
    assert any("needs a repeat test" in d for d in c.detail[1])
    assert any("two different tests" in d for d in c.detail[2])
    assert not c.computable[3] and "fasting_glucose" in c.reason[3]


def test_diagnosed_diabetes_counts():
    c = calc("glycemic_status", diabetes=[1, 1, 0], hba1c=[6.1, NAN, NAN])
    assert list(c.value[:2]) == ["diabetes", "diabetes"]
    assert any("diagnosed" in d for d in c.detail[0])
    assert not c.computable[2]


def test_detail_is_immutable_and_shared_safely_between_rows():
    c = calc("glycemic_status", fasting_glucose=[110, 110])
    assert isinstance(c.detail[0], tuple)  # rows share one tuple per pattern; no row can alter another's
    assert list(c.detail[1]) == ["fasting_glucose 100-<126 mg/dL (prediabetes)"]
