"""AHA PREVENT 10-year base models (calculators.md section 7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irsim.assessment import heart, kidney
from irsim.assessment.heart import prevent_risk, prevent_terms, risk_category

from conftest import calc  # noqa: E402

NAN = np.nan


def creatinine_for_egfr(egfr, age, female):
    """Invert CKD-EPI 2021 (creatinine) on the Scr > kappa branch."""
    kappa, sex = (0.7, 1.012) if female else (0.9, 1.0)
    return kappa * (egfr / (142 * 0.9938 ** age * sex)) ** (1 / -1.2)


S25 = dict(age=50, total_cholesterol=200, hdl_cholesterol=45, systolic_bp=160, on_bp_medication=1, on_statin=0,
           diabetes=1, smoker=0, bmi=35)


@pytest.mark.parametrize("female,expected,published", [
    # Khan 2024 Supplement Table S25 example as quoted by R preventr (calculators.md s.7): female 50 y, TC 200,
    # HDL 45, SBP 160 treated, diabetes, non-smoker, eGFR 90, BMI 35 -> 10-y CVD 0.147, ASCVD 0.092, HF 0.081;
    # to 3 decimals of a percent the reference computes 14.684 / 9.195 / 8.056 %.
    (1, (14.684, 9.195, 8.056), (0.147, 0.092, 0.081)),
    # Same inputs, male (preventr test): 0.163 / 0.102 / 0.106; computed 16.317 / 10.194 / 10.591 %.
    (0, (16.317, 10.194, 10.591), (0.163, 0.102, 0.106)),
])
def test_prevent_table_s25(female, expected, published):
    terms = prevent_terms(S25["age"], S25["total_cholesterol"], S25["hdl_cholesterol"], S25["systolic_bp"],
                          S25["diabetes"], S25["smoker"], S25["on_bp_medication"], S25["on_statin"], 90.0, S25["bmi"])
    got = [prevent_risk(m, np.array([float(female)]), terms)[0] for m in ("cvd", "ascvd", "hf")]
    assert got == pytest.approx(list(expected), abs=5e-4)
    assert [round(g / 100, 3) for g in got] == list(published)
    # the registered calculators, with a creatinine that gives eGFR 90 through the kidney module
    scr = creatinine_for_egfr(90.0, 50, female)
    assert kidney.egfr_ckd_epi_2021_cr(scr, 50.0, float(female)) == pytest.approx(90.0)
    for key, e in zip(("prevent_cvd_10y", "prevent_ascvd_10y", "prevent_hf_10y"), expected):
        c = calc(key, **S25, female=female, creatinine=scr)
        assert c.computable[0] and c.value[0] == pytest.approx(e, abs=5e-4)


def test_prevent_second_example():
    # calculators.md s.7 second example [computed, not published]: 55 y, TC 213, HDL 50, SBP 120 untreated,
    # non-smoker, no DM, eGFR 90, BMI 25 -> F 3.04 / 1.96 / 1.11 %; M 4.13 / 2.82 / 1.59 %
    terms = prevent_terms(55, 213, 50, 120, 0, 0, 0, 0, 90.0, 25)
    for female, exp in ((1.0, (3.04, 1.96, 1.11)), (0.0, (4.13, 2.82, 1.59))):
        got = [prevent_risk(m, np.array([female]), terms)[0] for m in ("cvd", "ascvd", "hf")]
        assert got == pytest.approx(list(exp), abs=0.005)


def test_prevent_uses_kidney_module_egfr():
    assert heart.egfr_ckd_epi_2021_cr is kidney.egfr_ckd_epi_2021_cr


@pytest.mark.parametrize("field,bad,good,models", [
    ("age", [29, 80], [30, 79], ("cvd", "ascvd", "hf")),
    ("total_cholesterol", [129, 321], [130, 320], ("cvd", "ascvd")),
    ("hdl_cholesterol", [19, 101], [20, 100], ("cvd", "ascvd")),
    ("systolic_bp", [89, 201], [90, 200], ("cvd", "ascvd", "hf")),
    ("bmi", [18.4, 40], [18.5, 39.9], ("hf",)),
])
def test_prevent_validity_ranges(field, bad, good, models):
    cols = dict(S25, female=1, creatinine=0.8)
    for model in ("cvd", "ascvd", "hf"):
        c = calc(f"prevent_{model}_10y", **{**cols, field: bad + good})
        if model in models:
            assert list(c.computable) == [False, False, True, True]
            assert c.reason[0] == f"{field} {bad[0]:g} outside PREVENT range " + \
                f"{heart.prevent_params()['validity'][field][0]:g}-{heart.prevent_params()['validity'][field][1]:g}"
        else:
            assert c.computable.all()


def test_prevent_egfr_range_and_missing():
    # young woman with very low creatinine: eGFR above 140
    c = calc("prevent_cvd_10y", **dict(S25, age=30), female=1, creatinine=[0.3, 0.8, 8.0])
    assert list(c.computable) == [False, True, False]
    assert "eGFR" in c.reason[0] and "15-140" in c.reason[0] and "eGFR" in c.reason[2]
    c = calc("prevent_cvd_10y", **dict(S25, on_statin=NAN), female=1, creatinine=0.8)
    assert not c.computable[0] and "on_statin" in c.reason[0]
    # the HF model does not use statins or cholesterol
    assert calc("prevent_hf_10y", **dict(S25, on_statin=NAN, total_cholesterol=NAN), female=1,
                creatinine=0.8).computable[0]


def test_prevent_risk_categories():
    # AHA PREVENT bands: < 5 low, 5-<7.5 borderline, 7.5-<20 intermediate, >= 20 high
    v = np.array([4.99, 5, 7.49, 7.5, 19.99, 20])
    assert list(risk_category(v)) == ["low", "borderline", "borderline", "intermediate", "intermediate", "high"]


@settings(max_examples=60, deadline=None)
@given(age=st.floats(30, 79), tc=st.floats(130, 320), hdl=st.floats(20, 100), sbp=st.floats(90, 200),
       bmi=st.floats(18.5, 39.9), egfr=st.floats(15, 140), female=st.sampled_from([0.0, 1.0]),
       dm=st.sampled_from([0.0, 1.0]), bp=st.sampled_from([0.0, 1.0]), statin=st.sampled_from([0.0, 1.0]))
def test_smoking_raises_every_prevent_risk(age, tc, hdl, sbp, bmi, egfr, female, dm, bp, statin):
    terms = [prevent_terms(age, tc, hdl, sbp, dm, s, bp, statin, egfr, bmi) for s in (0.0, 1.0)]
    for m in ("cvd", "ascvd", "hf"):
        r0, r1 = (prevent_risk(m, np.array([female]), t)[0] for t in terms)
        assert 0 < r0 < r1 < 100
