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
    # without an onset on the projected path within the horizon, the onset is still what is explained: the expected
    # years with diabetes over draws of what the labs leave unknown (people with these labs; Shapley is linear, so
    # the shares still add up to the total)
    e10 = explain(person, "T2D", years=10)
    assert e10.onset_year is None and e10.kind == "onset" and e10.column == "years_with_t2d" and "no onset" in e10.note
    assert 0 < e10.total < 10 and e10.pathways["contribution"].sum() == pytest.approx(e10.total, abs=1e-9)
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


# ---------------------------------------------------------------- classic risk factors of heart and stroke outcomes

def _heart_person(smoker, sbp, ldl):
    return {"id": f"heart-{int(smoker)}-{sbp}-{ldl}", "age": 55, "sex": "male", "height": "178 cm", "weight": "92 kg",
            "systolic_bp": f"{sbp} mmHg", "smoker": smoker, "on_bp_medication": False, "on_statin": False,
            "diabetes": False,
            "labs": {"fasting_glucose": "5.8 mmol/L", "fasting_insulin": "15 uIU/mL", "hba1c": "5.8 %",
                     "triglycerides": "160 mg/dL", "hdl_cholesterol": "45 mg/dL", "ldl_cholesterol": f"{ldl} mg/dL"}}


HEART_SMOKER = _heart_person(True, 160, 190)
HEART_LOW = _heart_person(False, 115, 90)
FACTORS = ("age", "smoking", "blood_pressure", "ldl_cholesterol")


@pytest.fixture(scope="module")
def heart():
    """10-year explanations of the two persons (one compiled program: 2^12 runs of 10 years each)."""
    return {(who, outcome): explain(p, outcome, years=10)
            for who, p in (("smoker", HEART_SMOKER), ("low", HEART_LOW)) for outcome in ("MI", "stroke")}


def _by_pathway(e):
    return e.pathways.set_index("pathway")


def test_heart_outcomes_have_the_classic_risk_factors_as_pathways(heart):
    from irsim.analysis import explain as ex

    for (who, outcome), e in heart.items():
        df = _by_pathway(e)
        assert tuple(df.index[:4]) == FACTORS and df.index[-1] == "other"
        assert list(df.loc[list(FACTORS), "label"]) == ["age (not modifiable)", "smoking", "blood pressure",
                                                         "LDL cholesterol"]
        assert set(df.loc[list(FACTORS), "kind"]) == {"risk factor"} and df.loc["inflammation", "kind"] == "mechanism"
        # the promise of the output: every row (risk factors, mechanisms, everything else) adds up to the total
        assert df["contribution"].sum() == pytest.approx(e.total, abs=1e-12)
        assert df["share_percent"].sum() == pytest.approx(100.0, abs=1e-9)
        # age is the largest single share; "everything else" is no longer where the risk factors hide
        assert df.loc["age", "contribution"] > 0 and df["contribution"].idxmax() == "age"
        assert 0 < df.loc["other", "share_percent"] < 10
        assert "risk factors at their reference values" in e.method and e.to_dict()["method"] == e.method
    s, low = _by_pathway(heart["smoker", "MI"]), _by_pathway(heart["low", "MI"])
    # measured: total cumulative hazard 0.0566 vs 0.0125 over 10 years; smoking 11 %, blood pressure 17 %, LDL 11 %
    assert heart["smoker", "MI"].total == pytest.approx(0.0566, rel=0.1)
    assert heart["low", "MI"].total == pytest.approx(0.0125, rel=0.1)
    for factor, lo, hi in (("smoking", 5, 20), ("blood_pressure", 10, 30), ("ldl_cholesterol", 5, 20)):
        assert lo < s.loc[factor, "share_percent"] < hi, factor
        assert s.loc[factor, "contribution"] > low.loc[factor, "contribution"]
        assert low.loc[factor, "contribution"] == pytest.approx(0.0, abs=1e-15)  # at or below the reference: 0
    assert s.loc["other", "share_percent"] < 5
    # MI and stroke share the ASCVD hazard (50/50): the same shares
    np.testing.assert_allclose(_by_pathway(heart["smoker", "stroke"])["share_percent"], s["share_percent"], atol=1e-9)


def test_risk_factor_sentences_give_the_persons_values_and_the_references(heart):
    sentences = _by_pathway(heart["smoker", "MI"])["sentence"]
    assert sentences["age"].startswith("Age (not modifiable; age 55 at year 0 and 65 at year 10, against 40")
    assert "current smoker, against a non-smoker" in sentences["smoking"]
    assert "systolic 160 mmHg at year 0, against 120 mmHg untreated" in sentences["blood_pressure"]
    assert "190 mg/dL (4.9 mmol/L) at year 0, against 100 mg/dL (2.6 mmol/L)" in sentences["ldl_cholesterol"]
    assert "raises the cumulative hazard of myocardial infarction" in sentences["blood_pressure"]
    assert "at its reference value" in sentences["other"] and "ageing" not in sentences["other"]
    low = _by_pathway(heart["low", "MI"])["sentence"]
    assert "makes no material difference" in low["smoking"] and "makes no material difference" in low["blood_pressure"]


def test_without_the_risk_factors_they_sit_in_everything_else(heart):
    # the mechanisms alone (the explanation before issue #15): the risk factors' share was "everything else"
    from irsim.analysis import explain as ex

    mechanisms = [p for p in ex.default_pathways("hazard_mi") if p not in ex.RISK_FACTORS]
    e = explain(HEART_SMOKER, "MI", years=10, pathways=mechanisms)
    assert e.total == pytest.approx(heart["smoker", "MI"].total, rel=1e-9)
    assert _by_pathway(e).loc["other", "share_percent"] > 30 > 5 > _by_pathway(heart["smoker", "MI"]).loc[
        "other", "share_percent"]
    assert e.method == "Shapley over pathway knock-outs" and "kind" in e.pathways


def test_risk_factors_are_default_only_for_heart_and_stroke_outcomes():
    from irsim.analysis import explain as ex

    for column in ("hazard_mi", "hazard_stroke", "cvd_events_expected", "cvd_risk_percent"):
        assert ex.default_pathways(column)[:4] == FACTORS
    for column in ("glycemic_status", "liver_fat_percent", "hazard_dementia", "egfr_ml_min"):
        assert not set(ex.default_pathways(column)) & set(ex.RISK_FACTORS)
    # the reference values come from the parameter file, each with a unit and a source
    from irsim import parameters as P

    ps = P.parameter_set("explain")
    assert ex.reference_values() == {"age": 40.0, "smoking": 0.0, "systolic_bp": 120.0, "bp_medication": 0.0,
                                     "ldl_cholesterol": 100.0}
    assert all(ps[k].source and ps[k].unit for k in ps)
    with pytest.raises(Exception, match="pathways"):
        explain(HEART_SMOKER, "MI", years=10, pathways=["smoking", "smoking"])


def test_cli_explain_mi_shows_the_risk_factors_by_name(heart, tmp_path):
    from typer.testing import CliRunner

    from irsim.interfaces.cli import app

    path = tmp_path / "heart.json"
    path.write_text(json.dumps(HEART_SMOKER))
    r = CliRunner().invoke(app, ["explain", str(path), "--outcome", "MI", "--years", "10"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    for label in ("age (not modifiable)", "smoking", "blood pressure", "LDL cholesterol", "everything else",
                  "risk factors at their reference values"):
        assert label in r.output, label
    r = CliRunner().invoke(app, ["explain", str(path), "--outcome", "MI", "--years", "10", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    rows = {p["pathway"]: p for p in d["pathways"]}
    assert rows["blood_pressure"]["label"] == "blood pressure" and rows["blood_pressure"]["kind"] == "risk factor"
    assert sum(p["contribution"] for p in d["pathways"]) == pytest.approx(d["total"], abs=1e-12)
