"""Pathway attribution (irsim.analysis.explain): exact Shapley shares that add up to the total change."""

import json

import numpy as np
import pytest

from irsim.analysis.explain import explain, shapley


def test_shapley_of_an_additive_game_is_each_players_own_effect():
    effects = np.array([1.0, -2.0, 0.5])
    v = np.array([sum(effects[i] for i in range(3) if m >> i & 1) for m in range(8)])
    np.testing.assert_allclose(shapley(v, 3), effects, atol=1e-12)


def test_shapley_splits_a_pure_interaction_equally_and_is_efficient():
    v = np.array([0.0, 0.0, 0.0, 6.0])  # only both together matter
    np.testing.assert_allclose(shapley(v, 2), [3.0, 3.0])
    rng = np.random.default_rng(0)
    v = rng.normal(size=32)
    assert shapley(v, 5).sum() == pytest.approx(v[-1] - v[0], abs=1e-12)


@pytest.fixture(scope="module")
def person():
    from conftest import EXAMPLES

    from irsim.io import read_person

    return read_person(EXAMPLES / "person.json")


def test_explain_t2d_shares_sum_to_total(person):
    e = explain(person, "T2D", years=10)
    df = e.pathways
    assert df["contribution"].sum() == pytest.approx(e.total, abs=1e-9)
    assert df["share_percent"].sum() == pytest.approx(100.0, abs=1e-6)
    assert set(df["pathway"]) >= {"inflammation", "er_stress", "glucotoxicity", "other"}
    assert np.isfinite(df["contribution"]).all() and df["sentence"].str.len().min() > 20
    # the tissue decomposition adds up to the model's change in fasting and 2-h glucose
    from irsim import simulate

    traj = simulate(person, years=10)
    for quantity, t in e.tissues.items():
        change = traj[quantity].iloc[-1] - traj[quantity].iloc[0]
        assert t["contribution"].sum() == pytest.approx(change, rel=1e-6, abs=1e-9)
        assert t["share_percent"].sum() == pytest.approx(100.0, abs=1e-6)


def test_t2d_is_explained_by_its_onset(person):
    # issue #15: T2D is its onset, not HbA1c. The example person (prediabetes) reaches the model's T2D status within
    # 40 years: each pathway's share is how much earlier it brings the onset; they add up to the years with diabetes
    e = explain(person, "T2D", years=40)
    assert e.kind == "onset" and e.column == "years_with_t2d" and 0 < e.onset_year < 40
    assert e.total == pytest.approx(40 - e.onset_year, abs=1e-9)
    assert e.pathways["contribution"].sum() == pytest.approx(e.total, abs=1e-9)
    assert any("earlier" in t for t in e.pathways["sentence"]) and e.note == ""
    # without an onset within the horizon it says so and explains the HbA1c drift instead
    e10 = explain(person, "T2D", years=10)
    assert e10.onset_year is None and e10.column == "hba1c_percent" and "no onset" in e10.note
    # the JSON keeps both the outcome's note and the disclaimer (one key each)
    d = e10.to_dict()
    assert d["outcome_note"] == e10.note and "not medical advice" in d["note"]


def test_cli_explain_json_and_errors(cli, tmp_path):
    from conftest import EXAMPLES

    r = cli("explain", EXAMPLES / "person.json", "--outcome", "fasting_glucose_mmol_l", "--years", "5", "--format",
            "json", "--plot", tmp_path / "why.png")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert sum(p["contribution"] for p in d["pathways"]) == pytest.approx(d["total"], abs=1e-9)
    assert (tmp_path / "why.png").stat().st_size > 1000
    bad = cli("explain", EXAMPLES / "person.json", "--outcome", "happiness")
    assert bad.returncode == 2 and "--outcome" in bad.stderr and "T2D" in bad.stderr
