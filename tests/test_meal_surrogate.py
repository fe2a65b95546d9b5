"""The meal-model table surrogate that couples the fast model to the years-scale model: its error against
full fast-model simulations (docs/progression.md, "Multi-rate coupling")."""

import numpy as np
import pytest

from irsim.models import meal_surrogate as ms


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
