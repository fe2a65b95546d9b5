"""HOMA2 (%B, %S, IR): calculator values, held-out interpolation accuracy, properties, ranges."""

from __future__ import annotations

import numpy as np
import pytest

from irsim.assessment import REGISTRY, Inputs
from irsim.assessment.homa2_grid import Homa2RangeError, _build_grid, _evaluate, homa2, homa2_range
from irsim.parameters import load

# Source of every expected value below: HOMA2 Calculator v2.2.4 (Diabetes Trials Unit,
# University of Oxford) outputs as tabulated in the homa2calc R package
# (github.com/ZanettaT/homa2calc, data-raw/*.csv, commit 58a7842); %B and %S rounded to 0.1.
# (glucose mmol/L, hormone, %B, %S)
CALCULATOR = {
    "insulin": [  # pmol/L
        (3.0, 20, 139.8, 308.9),
        (5.2, 58, 93.0, 91.4),
        (8.5, 96, 51.4, 50.0),
        (14.0, 96, 21.7, 42.7),
        (11.8, 400, 95.0, 12.0),
        (20.6, 210, 27.0, 9.7),
    ],
    "specific_insulin": [(3.0, 20, 150.3, 276.9)],  # pmol/L
    "c_peptide": [(3.0, 0.2, 151.8, 272.6), (14.0, 3.5, 97.2, 8.9)],  # nmol/L
}


@pytest.mark.parametrize("hormone,row", [(h, r) for h, rows in CALCULATOR.items() for r in rows])
def test_reproduces_calculator_output(hormone, row):
    g, level, beta, s = row
    r = homa2(g, level, hormone=hormone)
    assert r.beta_percent == pytest.approx(beta, abs=0.051)
    assert r.s_percent == pytest.approx(s, abs=0.051)
    assert r.ir == pytest.approx(100.0 / s, rel=0.01)


@pytest.mark.parametrize("hormone", sorted(CALCULATOR))
def test_held_out_calculator_points(hormone):
    """Interpolate from every second grid line only; the skipped calculator outputs must come back.

    This measures the interpolation error on a grid twice as coarse as the one irsim uses,
    so the error at run time is smaller still.
    """
    a = load("homa2_calculator")["assays"][hormone]
    G, H = np.array(a["glucose"]), np.array(a["hormone"])
    B, S = np.array(a["beta_percent"]), np.array(a["s_percent"])
    ge, he = np.arange(0, G.size, 2), np.arange(0, H.size, 2)
    coarse = _build_grid(hormone, a["hormone_unit"], G[ge], H[he], B[np.ix_(ge, he)], S[np.ix_(ge, he)],
                         tuple(a["valid_glucose"]), tuple(a["valid_hormone"]))
    held = np.ones(B.shape, bool)
    held[np.ix_(ge, he)] = False
    gg, hh = np.meshgrid(G, H, indexing="ij")
    beta, s = _evaluate(coarse, gg[held], hh[held])
    assert np.abs(beta / B[held] - 1).max() < 0.02
    big = S[held] >= 5.0  # below 5 the table's 0.1 rounding alone is >= 1 %
    assert np.abs(s[big] / S[held][big] - 1).max() < 0.025
    assert np.abs(s - S[held]).max() < 1.1


def test_vectorised_and_broadcast():
    g = np.array([[4.5, 6.0], [9.0, 15.0]])
    r = homa2(g, 60.0)
    assert r.ir.shape == r.beta_percent.shape == r.s_percent.shape == r.valid.shape == (2, 2)
    one = homa2(9.0, 60.0)
    assert r.beta_percent[1, 0] == pytest.approx(float(one.beta_percent))
    assert np.allclose(r.ir, 100.0 / r.s_percent)


def _dense(g_hi=25.0):
    g = np.linspace(3.0, g_hi, 221)
    i = np.linspace(20.0, 400.0, 191)
    gg, ii = np.meshgrid(g, i, indexing="ij")
    return homa2(gg, ii)


def test_ir_rises_with_insulin_at_fixed_glucose():
    # Up to 24 mmol/L; above that the calculator's %S is < 1 and its 0.1 rounding makes
    # the tabulated %S step flat or back, so IR there is only good to about +/- 20 %.
    r = _dense(24.0)
    assert (np.diff(r.ir, axis=1) > 0).all()


def test_beta_falls_with_glucose_and_rises_with_insulin():
    r = _dense()
    assert (np.diff(r.beta_percent, axis=0) < 0).all()
    assert (np.diff(r.beta_percent, axis=1) > 0).all()
    assert (np.diff(r.ir, axis=0) > 0).all()  # IR rises with glucose at fixed insulin


def test_whole_range_finite_and_positive():
    r = _dense()
    for v in (r.ir, r.beta_percent, r.s_percent):
        assert np.isfinite(v).all() and (v > 0).all()


def test_young_normal_reference_is_100_percent():
    # HOMA2 is scaled so that a healthy young adult has %B = %S = 100 (IR = 1).
    r = homa2(4.89, 53.8)
    assert r.beta_percent == pytest.approx(100.0, abs=1.0)
    assert r.s_percent == pytest.approx(100.0, abs=1.0)
    assert r.ir == pytest.approx(1.0, abs=0.01)
    # A lean normoglycaemic adult (4.5 mmol/L, ~6 uIU/mL) is sensitive with %B near 100.
    r = homa2(4.5, 36.0)
    assert 80 < r.beta_percent < 110 and r.s_percent > 130


@pytest.mark.parametrize("g,i", [(2.9, 60), (25.1, 60), (5.0, 19.9), (5.0, 401), (np.nan, 60), (5.0, np.inf)])
def test_out_of_range_is_refused(g, i):
    with pytest.raises(Homa2RangeError, match="outside the HOMA2 calculator range"):
        homa2(g, i)
    r = homa2(np.array([g, 5.0]), np.array([i, 60.0]), invalid="nan")
    assert r.valid.tolist() == [False, True]
    assert np.isnan(r.ir[0]) and np.isfinite(r.ir[1])


def test_range_ends_are_accepted():
    (glo, ghi), (hlo, hhi), unit = homa2_range("insulin")
    assert (glo, ghi, hlo, hhi, unit) == (3.0, 25.0, 20.0, 400.0, "pmol/L")
    r = homa2([glo, ghi, glo, ghi], [hlo, hlo, hhi, hhi])
    assert r.valid.all() and np.isfinite(r.ir).all()
    assert homa2_range("c_peptide")[1] == (0.2, 3.5)
    assert homa2_range("specific_insulin")[1] == (20.0, 300.0)


def test_unknown_hormone():
    with pytest.raises(ValueError, match="hormone must be one of"):
        homa2(5.0, 60.0, hormone="proinsulin")


# --- registered calculators (canonical units: glucose mg/dL, insulin uIU/mL) --------------------


def _inputs(glucose_mg_dl, insulin_uiu):
    g = np.asarray(glucose_mg_dl, dtype=float)
    i = np.asarray(insulin_uiu, dtype=float)
    return Inputs({"fasting_glucose": g, "fasting_insulin": i}, g.size)


def test_registered_keys_and_metadata():
    for key, unit in (("homa2_ir", None), ("homa2_beta_percent", "%"), ("homa2_s_percent", "%")):
        c = REGISTRY[key]
        assert c.organ == "glucose_insulin" and c.unit == unit
        assert c.requires == ("fasting_glucose", "fasting_insulin")
        assert "Levy" in c.reference and "HOMA2" in c.formula


def test_registered_calculators_match_function():
    # 93.69 mg/dL = 5.2 mmol/L (x 18.016), 9.6667 uIU/mL = 58 pmol/L (x 6): calculator 93.0 / 91.4.
    x = _inputs([5.2 * 18.016], [58.0 / 6.0])
    b = REGISTRY["homa2_beta_percent"].compute(x)
    s = REGISTRY["homa2_s_percent"].compute(x)
    ir = REGISTRY["homa2_ir"].compute(x)
    assert b.value[0] == pytest.approx(93.0, abs=0.06)
    assert s.value[0] == pytest.approx(91.4, abs=0.06)
    assert ir.value[0] == pytest.approx(100 / 91.4, rel=0.002)
    assert ir.category[0] == "normal"


def test_ir_category_cutoff_above_1_8():
    x = _inputs([100.0, 100.0, 130.0], [5.0, 15.0, 25.0])
    c = REGISTRY["homa2_ir"].compute(x)
    assert c.computable.all()
    for v, cat in zip(c.value, c.category):
        assert cat == ("insulin_resistant" if v > 1.8 else "normal")
    assert set(c.category) == {"normal", "insulin_resistant"}


def test_registered_out_of_range_rows_not_computable_with_reason():
    x = _inputs([40.0, 95.0, 95.0, 500.0, 95.0], [10.0, 2.0, 80.0, 10.0, 10.0])
    c = REGISTRY["homa2_beta_percent"].compute(x)
    assert c.computable.tolist() == [False, False, False, False, True]
    assert "fasting_glucose outside the HOMA2 calculator range 3-25 mmol/L" in c.reason[0]
    assert "fasting_insulin outside the HOMA2 calculator range 20-400 pmol/L" in c.reason[1]
    assert "fasting_insulin" in c.reason[2] and "fasting_glucose" in c.reason[3]
    assert c.reason[4] is None and np.isfinite(c.value[4])
