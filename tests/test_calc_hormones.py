"""Vermeulen free testosterone and the PCOS-pattern screen (calculators.md sections 6 and 11)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irsim.assessment import REGISTRY, Inputs  # noqa: F401

from conftest import calc  # noqa: E402
from irsim.assessment.hormones import free_testosterone

NAN = np.nan


def test_vermeulen_examples():
    # calculators.md s.6 [computed] (Vermeulen 1999, ISSAM constants, albumin 4.3 g/dL):
    # TT 15 / SHBG 40 -> 0.2735 nmol/L; TT 20 / 30 -> 0.4538; TT 10 / 20 -> 0.2539; female TT 1.0 / 60 -> 12.1 pmol/L
    c = calc("free_testosterone_vermeulen", total_testosterone=[15, 20, 10, 1.0], shbg=[40, 30, 20, 60],
             female=[0, 0, 0, 1])
    assert c.value[:3] == pytest.approx([0.2735, 0.4538, 0.2539], abs=5e-5)
    assert c.value[3] * 1000 == pytest.approx(12.1, abs=0.05)
    # 1.82 % of total T for the first example
    assert 100 * c.value[0] / 15 == pytest.approx(1.82, abs=0.005)
    assert all("4.3 g/dL assumed" in d for d in c.detail)


def test_vermeulen_ng_dl_example_and_bioavailable():
    # calculators.md s.6: TT 500 ng/dL, SHBG 30 -> FT 11.08 ng/dL; BAT = FT x N = 6.41 nmol/L for TT 15 / SHBG 40
    ft = free_testosterone(np.array([500 * 0.03467]), np.array([30.0]), np.array([4.3]))[0]
    assert ft / 0.03467 == pytest.approx(11.08, abs=0.005)
    ft15 = free_testosterone(np.array([15.0]), np.array([40.0]), np.array([4.3]))[0]
    n = 1 + 3.6e4 * 43 / 69000
    assert ft15 * n == pytest.approx(6.41, abs=0.005)


def test_albumin_used_when_given():
    c = calc("free_testosterone_vermeulen", total_testosterone=15, shbg=40, albumin=[4.3, 3.5], female=0)
    assert c.detail[0] is None
    assert c.value[0] == pytest.approx(0.2735, abs=5e-5)
    assert c.value[1] > c.value[0]  # less albumin binding -> more free T


def test_free_t_categories():
    c = calc("free_testosterone_vermeulen", total_testosterone=[1.0, 3.0, 6.0, 15.0, 5.0], shbg=[60, 30, 40, 40, 40],
             female=[1, 1, 0, 0, NAN])
    # women: high above 0.0253 nmol/L (Haring 2012); men: low below 0.220 nmol/L (EMAS, Wu 2010)
    assert list(c.category) == ["normal", "high", "low", "normal", None]


def _pcos(**kw):
    base = dict(female=1, total_testosterone=2.5, shbg=25, lh=12, fsh=5, fasting_glucose=90, fasting_insulin=5)
    base.update(kw)
    return calc("pcos_pattern", **base)


def test_pcos_pattern_true_and_disclaimer():
    c = _pcos()
    assert c.value[0] is True and c.category[0] == "pcos_pattern"
    assert any("Rotterdam" in d and "mimics" in d for d in c.detail[0])
    assert "LH/FSH ratio >= 2" in c.detail[0]


def test_pcos_pattern_boundaries_and_false():
    # LH/FSH exactly 2 counts; HOMA1-IR exactly 2.5 counts (10 x 101.25 / 405)
    c = _pcos(lh=[10, 9.9, 9.9, 9.9], fsh=5, fasting_insulin=[5, 5, 10, 5], fasting_glucose=[90, 90, 101.25, 90])
    assert list(c.value) == [True, False, True, False]
    # normal androgens -> False whatever else
    c = _pcos(total_testosterone=1.0, shbg=60)
    assert c.value[0] is False and c.computable[0]


def test_pcos_not_computable_cases():
    c = _pcos(female=[0, NAN, 1, 1], lh=[12, 12, NAN, 12], fasting_insulin=[5, 5, NAN, 5],
              total_testosterone=[2.5, 2.5, 2.5, NAN])
    assert not c.computable.any()
    assert c.reason[0] == "applies to women"
    assert "female" in c.reason[1]
    assert "lh and fsh" in c.reason[2]
    assert "total_testosterone" in c.reason[3]


def test_pcos_pattern_is_read_before_menopause_only():
    # median age at natural menopause 51.3 y (McKinlay 1992): at 51 and over the pattern is not read, and says why
    c = _pcos(age=[30, 50.9, 51, 70])
    assert list(c.computable) == [True, True, False, False]
    assert "before menopause" in c.reason[2] and "before menopause" in c.reason[3]


@settings(max_examples=80, deadline=None)
@given(tt=st.floats(0.1, 60), shbg=st.floats(5, 200), alb=st.floats(2.5, 5.5))
def test_free_t_is_a_fraction_that_solves_the_binding_equation(tt, shbg, alb):
    ft = free_testosterone(np.array([tt]), np.array([shbg]), np.array([alb]))[0]
    assert 0 < ft < tt
    # mass balance: TT = FT + albumin-bound + SHBG-bound (Vermeulen's equilibrium)
    f, t, s = ft * 1e-9, tt * 1e-9, shbg * 1e-9
    a = alb * 10 / 69000
    bound_shbg = 1e9 * f * s / (1 + 1e9 * f)
    assert f + 3.6e4 * a * f + bound_shbg == pytest.approx(t, rel=1e-7)
