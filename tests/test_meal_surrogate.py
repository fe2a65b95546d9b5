"""The meal-model table surrogate that couples the fast model to the years-scale model: its error against
full fast-model simulations (docs/progression.md, "Multi-rate coupling"), and its fasting state read through HOMA2."""

import numpy as np
import pytest

from irsim.models import meal_surrogate as ms
from irsim.units import GLUCOSE_MG_DL_PER_MMOL_L


@pytest.fixture(scope="module")
def comparison():
    rng = np.random.default_rng(7)
    n = 300
    knobs = {"muscle_si": np.exp(rng.uniform(np.log(0.03), np.log(2.0), n)),
             "liver_si": np.exp(rng.uniform(np.log(0.03), np.log(2.0), n)),
             "beta_mass": np.exp(rng.uniform(np.log(0.3), np.log(4.0), n)),
             "beta_function": np.exp(rng.uniform(np.log(0.3), np.log(2.5), n))}
    bw = rng.uniform(50, 140, n)
    full = ms.fast_outputs(knobs, bw)
    sur = {k: np.asarray(v) for k, v in ms.table().lookup(knobs, bw).items()}
    ok = np.isfinite(sur["day_mean_glucose_mg_dl"])
    return full, sur, ok


def rel_err(comparison, name):
    full, sur, ok = comparison
    return np.abs(sur[name][ok] / full[name][ok] - 1.0)


def test_fasting_state_is_within_half_a_percent(comparison):
    for name in ("fasting_glucose_mg_dl", "fasting_insulin_pmol_l"):
        assert rel_err(comparison, name).max() < 0.005, name


@pytest.mark.parametrize("name,median,p95", [
    ("ogtt_glucose_120", 0.015, 0.06),
    ("day_mean_glucose_mg_dl", 0.015, 0.06),
    ("day_mean_secretion_pmol_kg_min", 0.02, 0.08),
])
def test_dynamic_outputs_error(comparison, name, median, p95):
    e = rel_err(comparison, name)
    assert np.median(e) < median and np.percentile(e, 95) < p95, (np.median(e), np.percentile(e, 95))


def test_grid_points_outside_the_physiological_domain_are_never_used(comparison):
    _, _, ok = comparison
    assert ok.mean() > 0.97  # NaN only next to grid points where the fast model's glucose falls to zero


def _homa2_of_fasting(muscle_si, liver_si, beta_mass):
    """HOMA2 (%B, %S) of the table's fasting state at the given knobs (arrays)."""
    from irsim.assessment.homa2_grid import homa2

    f = ms.table().lookup_fasting({"muscle_si": np.asarray(muscle_si, float), "liver_si": np.asarray(liver_si, float),
                                   "beta_mass": np.asarray(beta_mass, float)})
    fpg = np.asarray(f["fasting_glucose_mg_dl"]) / GLUCOSE_MG_DL_PER_MMOL_L
    h = homa2(fpg, np.asarray(f["fasting_insulin_pmol_l"]), invalid="nan")
    return np.asarray(h.beta_percent), np.asarray(h.s_percent)


def test_fasting_state_maps_sensitivity_to_homa2_s_in_proportion():
    # HOMA2 (Levy JC et al. Diabetes Care 1998;21:2191-2) reads insulin sensitivity from a fasting glucose-insulin pair;
    # the table's fasting state should give back its sensitivity knobs in proportion (log-log slope 1 +- 0.25) at any
    # secretory knob. Measured 2026-12-04: 1.00-1.15 over secretory knobs 0.7-1.4.
    si = np.array([0.3, 1.0])
    for b in (0.7, 1.0, 1.4):
        _, s = _homa2_of_fasting(si, si, np.full(2, b))
        slope = np.log(s[1] / s[0]) / np.log(si[1] / si[0])
        assert 0.75 < slope < 1.25, (b, slope)


def test_fasting_state_maps_the_secretory_knob_to_homa2_beta_in_proportion():
    # The same for beta-cell function: HOMA2-%B should follow the secretory (mass) knob in proportion, log-log slope
    # 1 +- 0.25, at any sensitivity. Basal secretion's glucose shape carries HOMA2's fasting elasticity (topp_alpha,
    # docs/progression.md, v2.12); with Topp's own alpha %B followed the knob as b^1.4 to b^1.9.
    b = np.array([0.5, 2.0])
    for si in (0.3, 0.5, 1.0):
        beta, _ = _homa2_of_fasting(np.full(2, si), np.full(2, si), b)
        slope = np.log(beta[1] / beta[0]) / np.log(b[1] / b[0])
        assert 0.75 < slope < 1.25, (si, slope)
