"""Non-HDL-C and LDL-C equations (calculators.md section 5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irsim.assessment import REGISTRY, Inputs  # noqa: F401

from conftest import calc  # noqa: E402
from irsim.assessment.lipids import martin_hopkins_factor
from irsim.parameters import load


def lipids(key, tc, hdl, tg):
    return calc(key, total_cholesterol=tc, hdl_cholesterol=hdl, triglycerides=tg)


def test_friedewald_example_and_tg_limit():
    # calculators.md s.5 [computed]: TC 200, HDL 50, TG 150 -> 120 (Friedewald 1972)
    c = lipids("ldl_friedewald", 200, 50, [150, 399.9, 400])
    assert c.value[0] == pytest.approx(120.0)
    assert list(c.computable) == [True, True, False]
    assert "400" in c.reason[2]


def test_martin_hopkins_example():
    # calculators.md s.5 [computed]: TC 200, HDL 50, TG 150 -> non-HDL 150 (col 3), F 5.7 -> 123.7
    c = lipids("ldl_martin_hopkins", 200, 50, 150)
    assert c.value[0] == pytest.approx(150 - 150 / 5.7)
    assert round(c.value[0], 1) == 123.7


@pytest.mark.parametrize("tg,nonhdl,factor", [
    # stratum edges of the 180-cell table (Martin 2013), rows/columns as in martin_hopkins.yaml
    (7, 99.9, 3.5), (49, 99, 3.5), (49.9, 99, 3.5), (50, 100, 3.9), (56, 129.9, 3.9), (57, 130, 4.0),
    (76, 220, 4.2),    # TG 76-79, last column: 4.2 (one public copy has 4.3, taken as a typo)
    (101, 250, 4.5),   # TG 101-105, last column: 4.5 (same)
    (97, 220, 4.3), (293, 219.9, 6.5), (399, 220, 5.9), (399.9, 50, 9.5), (3, 50, 3.5),
    # extended table (Sajja 2021 eTable 1A), 10 mg/dL strata from 400
    (400, 99, 10.4), (409.9, 99, 10.4), (410, 99, 10.7), (440, 100, 9.0), (780, 99, 23.9),
    (799.9, 250, 6.7), (790, 190, 8.0),
])
def test_martin_hopkins_factor_lookup(tg, nonhdl, factor):
    assert martin_hopkins_factor(np.array([tg]), np.array([nonhdl]))[0] == factor


def test_martin_hopkins_limits_and_extended_detail():
    c = lipids("ldl_martin_hopkins", 300, 40, [450, 799, 800])
    assert list(c.computable) == [True, True, False]
    assert c.value[0] == pytest.approx(260 - 450 / 6.0)  # TG 450-459, non-HDL 260 (>= 220): F 6.0
    assert "extended" in c.detail[0]
    assert "800" in c.reason[2]
    assert np.isnan(martin_hopkins_factor(np.array([800.0]), np.array([150.0])))[0]


def test_martin_hopkins_table_shape():
    d = load("martin_hopkins")
    rows = d["original"]["rows"]
    # 29 strata x 6 columns here; the 30th row of the 180-cell table (TG >= 400) is replaced by the extended table
    assert len(rows) == 29 and all(len(r[2]) == 6 for r in rows)
    for a, b in zip(rows, rows[1:]):  # contiguous strata
        assert a[1] + 1 == b[0]
    assert rows[-1][1] == 399
    assert len(d["extended"]["rows"]) == 40 and all(len(r) == 6 for r in d["extended"]["rows"])
    assert "source" in d and "source" in d["extended"]


def test_sampson_examples_catch_tg_squared_bug():
    # calculators.md s.5 [computed]: TC 200, HDL 50, TG 150 -> 123.40; TC 200, HDL 40, TG 300 -> 108.45
    c = lipids("ldl_sampson", 200, [50, 40], [150, 300])
    assert c.value[0] == pytest.approx(123.40, abs=0.005)
    assert c.value[1] == pytest.approx(108.45, abs=0.005)
    # a copy that wrote TG*2 for TG^2 would give 102.9 here: the TG^2/16100 term is 5.59, not 0.04
    buggy = 200 / 0.948 - 40 / 0.971 - (300 / 8.56 + 300 * 160 / 2140 - 300 * 2 / 16100) - 9.44
    assert abs(c.value[1] - buggy) > 5


def test_sampson_tg_limit():
    c = lipids("ldl_sampson", 300, 40, [800, 800.1])
    assert list(c.computable) == [True, False]
    assert "800" in c.reason[1]


def test_non_hdl_and_ldl_category_boundaries():
    # NLA 2015 non-HDL-C classes; a value on a cutoff goes to the higher class
    c = calc("non_hdl_cholesterol", total_cholesterol=[179.9, 180, 210, 240, 270], hdl_cholesterol=50)
    assert list(c.category) == ["desirable", "above_desirable", "borderline_high", "high", "very_high"]
    # ATP III LDL-C classes on Friedewald: TG 0 makes LDL = TC - HDL exactly
    c = lipids("ldl_friedewald", [149.9, 150, 180, 210, 240], 50, 0)
    assert list(c.category) == ["optimal", "near_optimal", "borderline_high", "high", "very_high"]


@settings(max_examples=80, deadline=None)
@given(tc=st.floats(120, 350), hdl=st.floats(20, 100), tg=st.floats(10, 399))
def test_ldl_estimates_agree_roughly_below_400(tc, hdl, tg):
    f = lipids("ldl_friedewald", tc, hdl, tg).value[0]
    mh = lipids("ldl_martin_hopkins", tc, hdl, tg).value[0]
    s = lipids("ldl_sampson", tc, hdl, tg).value[0]
    assert np.isfinite([f, mh, s]).all()
    # VLDL-C (non-HDL - LDL) is positive and below TG/3 for every method in this range
    for v in (f, mh):
        assert 0 < (tc - hdl) - v < tg / 3 + 1e-9
