"""Insulin resistance / secretion indices against worked examples in calculators.md section 1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irsim.assessment import REGISTRY, Inputs  # noqa: F401

from conftest import calc  # noqa: E402


def ok_of(c):
    return np.ones(len(c.value), bool) if c.computable is None else np.asarray(c.computable)


def test_homa1_ir_example_and_cutoff():
    # calculators.md s.1 [computed]: FPG 100 mg/dL, FPI 10 -> 2.469 (Matthews 1985)
    c = calc("homa1_ir", fasting_glucose=[100, 101.25, 101.0], fasting_insulin=10)
    assert c.value[0] == pytest.approx(2.469, abs=5e-4)
    # 10 x 101.25 / 405 = 2.5 exactly: on the cutoff counts as insulin resistant
    assert c.value[1] == 2.5
    assert list(c.category) == ["normal", "insulin_resistant", "normal"]


def test_homa1_beta_example_and_undefined_region():
    # calculators.md s.1 [computed]: FPG 100, FPI 10 -> 97.3 % (Matthews 1985: 360 x FPI / (FPG - 63))
    c = calc("homa1_beta", fasting_glucose=[100, 63, 50, 64], fasting_insulin=10)
    assert c.value[0] == pytest.approx(97.3, abs=0.05)
    assert list(c.computable) == [True, False, False, True]
    assert "63" in c.reason[1] and c.reason[0] is None
    assert np.isfinite(c.value[c.computable]).all()


def test_quicki_example_and_cutoff():
    # calculators.md s.1 [computed]: FPI 10, FPG 100 -> 1/(1+2) = 0.3333 (Katz 2000)
    c = calc("quicki", fasting_glucose=[100, 100, 100], fasting_insulin=[10, 5, 0])
    assert c.value[0] == pytest.approx(1 / 3, abs=1e-4)
    assert c.category[0] == "insulin_resistant"  # 0.3333 < 0.339
    assert c.category[1] == "normal"             # 1/(log10 500) = 0.3705
    assert not c.computable[2] and "> 0" in c.reason[2]


def test_tyg_example():
    # calculators.md s.1 [computed]: TG 150, FPG 100 -> ln(7500) = 8.9227 (Simental-Mendia 2008)
    c = calc("tyg_index", triglycerides=[150, 100], fasting_glucose=100)
    assert c.value[0] == pytest.approx(8.9227, abs=1e-4)
    assert c.category[0] == "insulin_resistant" and c.category[1] == "normal"  # ln(5000) = 8.517 < 8.8


def test_tg_hdl_example_on_cutoff():
    # calculators.md s.1 [computed]: TG 150, HDL 50 -> 3.0; McLaughlin 2003 cutoff >= 3.0
    c = calc("tg_hdl_ratio", triglycerides=[150, 149.9], hdl_cholesterol=50)
    assert c.value[0] == 3.0
    assert list(c.category) == ["insulin_resistant", "normal"]


def _ogtt(g, i, minutes=(0, 30, 60, 90, 120)):
    cols = {}
    for m, gv, iv in zip(minutes, g, i):
        cols[f"ogtt_glucose_{m}"] = gv
        cols[f"ogtt_insulin_{m}"] = iv
    return cols


def test_matsuda_example():
    # calculators.md s.1 [computed]: G = 90,150,160,130,100; I = 8,60,70,50,20 -> 5.148 (Matsuda 1999)
    c = calc("matsuda_index", **_ogtt([90, 150, 160, 130, 100], [8, 60, 70, 50, 20]))
    assert c.value[0] == pytest.approx(5.148, abs=5e-4)
    assert c.category[0] == "normal"
    assert "0/30/60/90/120" in c.detail[0]


def test_matsuda_mean_over_available_points_and_needs_minute_0():
    cols = _ogtt([[90, 90, np.nan], [150, 150, 150], [160, 160, 160], [130, np.nan, 130], [100, 100, 100]],
                 [[8, 8, 8], [60, 60, 60], [70, 70, 70], [50, np.nan, 50], [20, 20, 20]])
    c = calc("matsuda_index", **{k: np.asarray(v, float) for k, v in cols.items()})
    gmean, imean = np.mean([90, 150, 160, 100]), np.mean([8, 60, 70, 20])
    assert c.value[1] == pytest.approx(10000 / np.sqrt(90 * 8 * gmean * imean))
    assert "0/30/60/120" in c.detail[1]
    assert list(c.computable) == [True, True, False]
    assert REGISTRY["matsuda_index"].requires == ("ogtt_glucose_0", "ogtt_insulin_0")


def test_insulinogenic_index():
    # dI30/dG30 with the Matsuda example's first two samples: (60 - 8) / (150 - 90) = 0.8667
    c = calc("insulinogenic_index", ogtt_glucose_0=[90, 90, 90], ogtt_glucose_30=[150, 90, 80],
             ogtt_insulin_0=8, ogtt_insulin_30=60)
    assert c.value[0] == pytest.approx(52 / 60)
    assert list(c.computable) == [True, False, False]
    assert "did not rise" in c.reason[1]


@settings(max_examples=60, deadline=None)
@given(g=st.floats(70, 300), i1=st.floats(1, 100), i2=st.floats(1, 100))
def test_homa_and_quicki_move_with_insulin(g, i1, i2):
    lo, hi = sorted((i1, i2))
    h = calc("homa1_ir", fasting_glucose=g, fasting_insulin=[lo, hi]).value
    q = calc("quicki", fasting_glucose=g, fasting_insulin=[lo, hi]).value
    assert h[0] <= h[1] and q[0] >= q[1]
