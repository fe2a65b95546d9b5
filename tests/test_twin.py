"""The personal twin (issue #14): calibration on persons drawn from the prior, narrowing with visits, Laplace
against NUTS, one-visit histories, the command's outputs and refusals. docs/twin.md."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from irsim.errors import InputError
from irsim.schemas.history import History, Visit
from irsim.schemas.person import Person

BAND_COLUMNS = ["scenario", "year", "variable", "q05", "q25", "q50", "q75", "q95"]


def person(age, weight, fpg, a1c, ins=None, g2h=None, sex="female", height=164):
    labs = {"fasting_glucose": f"{fpg:.4f} mmol/L", "hba1c": f"{a1c:.4f} %"}
    if ins is not None:
        labs["fasting_insulin"] = f"{ins:.4f} uIU/mL"
    if g2h is not None:
        labs["ogtt"] = {"minutes": [0, 120], "glucose": {"values": [round(fpg, 4), round(g2h, 4)], "unit": "mmol/L"}}
    return Person.parse({"sex": sex, "age": age, "height": f"{height} cm", "weight": f"{weight:.3f} kg", "labs": labs})


def stable_history(n_visits=3):
    visits = [(-6.0, person(47, 82, 5.4, 5.5, 10)), (-3.0, person(50, 82.5, 5.5, 5.5, 10)),
              (0.0, person(53, 82, 5.4, 5.5, 10))]
    return History(tuple(Visit(y, p) for y, p in visits[-n_visits:]))


# ------------------------------------------------------------------ persons drawn from the prior

def prior_persons(n, seed, visit_years=(-6.0, -3.0, 0.0), horizon=10.0):
    """``n`` persons drawn from the twin's own generative model: first-visit measured labs around a middle-aged
    person, true first-visit labs = measured x exp(CV z), random effects and energy intake from the prior; the truth
    is the model run from the *exact* start fit at the true labs (not the twin's linearisation); later visits'
    labs are the truth with the published measurement noise. Returns (histories, true fasting glucose and HbA1c at
    ``horizon`` years after the last visit)."""
    from irsim.cohort import progression as cp
    from irsim.cohort.synthetic import progression_effects
    from irsim.inference import twin
    from irsim.models import progression as pm
    from irsim.scenarios.schema import BASELINE

    rng = np.random.default_rng(seed)
    female = rng.random(n) < 0.5
    height = np.where(female, 164.0, 177.0) + rng.normal(0, 5, n)
    age = rng.uniform(40, 60, n)
    weight = rng.uniform(22, 34, n) * (height / 100) ** 2
    fpg = np.exp(rng.normal(np.log(5.6), 0.08, n))  # mmol/L
    ins = np.exp(rng.normal(np.log(11.0), 0.4, n))
    g2h = np.exp(rng.normal(np.log(7.0), 0.18, n))
    a1c = 5.1 + 0.25 * fpg + rng.normal(0, 0.15, n)
    measured = np.stack([fpg * 18.016, ins, g2h * 18.016, a1c, weight], axis=1)  # the twin's lab order and units
    z = rng.standard_normal((n, len(twin.NAMES)))
    cvs = np.array([twin.lab_cv(f) for f, _, _ in twin.LABS])
    true = measured * np.exp(cvs * z[:, 4:9])
    cols = {"age": age, "female": female.astype(float), "height": height, "weight": true[:, 4],
            "fasting_glucose": true[:, 0], "fasting_insulin": true[:, 1], "ogtt_glucose_120": true[:, 2],
            "hba1c": true[:, 3], **progression_effects(z[:, 0], z[:, 1], z[:, 2])}
    start = cp.initialise(cols, explain=False)
    span = visit_years[-1] - visit_years[0]
    energy = twin.ENERGY_SD * z[:, 3]
    out = cp.run(start, span + horizon, BASELINE, step="month",
                 inputs=twin.inputs_with_energy(BASELINE, start.carb_share, energy))
    dt = float(pm.c("time.step_years"))
    col = lambda name: out[:, cp.COLUMNS.index(name)]  # noqa: E731
    histories, kept = [], []
    for i in range(n):
        visits = []
        for k, y in enumerate(visit_years):
            m = int(round((y - visit_years[0]) / dt))
            if k == 0:
                f, ins_i, g, a, w = measured[i]
                f, g = f / 18.016, g / 18.016
            else:
                e = rng.standard_normal(5)
                f = col("fasting_glucose_mmol_l")[m, i] * np.exp(cvs[0] * e[0])
                ins_i = col("fasting_insulin_uiu_ml")[m, i] * np.exp(cvs[1] * e[1])
                g = col("glucose_2h_mmol_l")[m, i] * np.exp(cvs[2] * e[2])
                a = col("hba1c_percent")[m, i] * np.exp(cvs[3] * e[3])
                w = col("weight_kg")[m, i] * np.exp(cvs[4] * e[4])
            try:
                visits.append(Visit(y, person(age[i] + y - visit_years[0], w, f, a, ins_i, g,
                                              "female" if female[i] else "male", round(height[i], 1))))
            except InputError:  # a lab the reader refuses (HbA1c above 20 %): no such history reaches the twin
                break
        if len(visits) == len(visit_years):
            histories.append(History(tuple(visits)))
            kept.append(i)
    end = int(round((span + horizon) / dt))
    return histories, col("fasting_glucose_mmol_l")[end, kept], col("hba1c_percent")[end, kept]


def coverage(n, seed, method="laplace", horizon=10.0, draws=400):
    from irsim.inference import twin

    histories, fpg_true, a1c_true = prior_persons(n, seed, horizon=horizon)
    hits = []
    for h, f, a in zip(histories, fpg_true, a1c_true):
        post = twin.fit(h, method=method, draws=draws, seed=1)
        b = twin.project(post, years=horizon)
        at = b[(b["year"] == horizon)].set_index("variable")
        hits.append([at.loc["fasting_glucose_mmol_l", "q05"] <= f <= at.loc["fasting_glucose_mmol_l", "q95"],
                     at.loc["hba1c_percent", "q05"] <= a <= at.loc["hba1c_percent", "q95"]])
    return np.array(hits)


def test_calibration_fast():
    """A few persons drawn from the prior, 3 visits: the 90 % band at 10 years covers the true fasting glucose
    and HbA1c (loose: at least 9 of 12 each; Binomial(12, 0.9) falls below with probability 2.6 %; measured 10 and
    10 of 12)."""
    hits = coverage(12, seed=5, draws=200)
    assert hits[:, 0].sum() >= 9, hits[:, 0]
    assert hits[:, 1].sum() >= 9, hits[:, 1]


@pytest.mark.slow
def test_calibration_many():
    """100 persons: coverage of the 90 % band at 10 years within 0.82-0.97 for fasting glucose and HbA1c (measured
    0.84 and 0.85 in v2.8, 0.83 and 0.89 in v2.7; v2.6 had 0.838 and 0.818, HbA1c one person below the floor, and was
    an xfail)."""
    hits = coverage(100, seed=11)
    share = hits.mean(axis=0)
    print(f"coverage (fasting glucose, HbA1c) of {len(hits)} persons:", share)
    assert 0.82 <= share[0] <= 0.97 and 0.82 <= share[1] <= 0.97, share


# ------------------------------------------------------------------ behaviour

def band(b, variable, year, scenario="baseline"):
    return b[(b["scenario"] == scenario) & (b["variable"] == variable) & (b["year"] == year)].iloc[0]


def test_more_visits_narrow_the_bands():
    from irsim.inference import twin

    widths, sds = [], []
    for n in (1, 3):
        # 1,000 draws: an effect the visits do not identify (here the glucose-driven susceptibility of a person who stays
        # normoglycaemic) keeps its prior SD, and with 400 draws the sampling noise of two SDs alone is about 5 %
        post = twin.fit(stable_history(n), draws=1000, seed=0)
        r = band(twin.project(post, years=10), "fasting_glucose_mmol_l", 10)
        widths.append(r["q95"] - r["q05"])
        sds.append(post.draws[:, :4].std(axis=0))
    assert widths[1] < widths[0], widths
    assert np.all(sds[1] <= sds[0] * 1.05), sds  # random effects and energy intake no wider


def test_one_visit_history_and_outputs():
    """A plain person is a history of one visit: the posterior is the prior; bands, probabilities and the visits'
    fit are finite; the bands have exactly the issue's columns and variables."""
    from irsim.inference import twin
    from irsim.scenarios.schema import Scenario

    h = History.of(person(50, 85, 5.9, 5.8, 12))
    post = twin.fit(h, draws=200, seed=0)
    assert post.draws.shape == (200, len(twin.NAMES))
    assert abs(post.draws.mean()) < 0.2
    sc = Scenario.parse({"name": "walk", "interventions": [
        {"type": "physical_activity", "minutes_per_week": 150, "start_year": 0}]})
    proj = twin.simulate(post, years=5, scenarios=[sc])
    b = proj.bands
    assert list(b.columns) == BAND_COLUMNS
    assert set(b["scenario"]) == {"baseline", "walk"}
    need = {"fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent", "weight_kg", "homa1_ir",
            "liver_fat_percent", "egfr_ml_min"}
    assert need <= set(b["variable"])
    assert not b[BAND_COLUMNS[3:]].isna().any().any()
    assert (b["q05"] <= b["q25"]).all() and (b["q25"] <= b["q50"]).all() and (b["q75"] <= b["q95"]).all()
    assert sorted(b["year"].unique()) == [0, 1, 2, 3, 4, 5]
    assert set(proj.probability) == {"baseline", "walk"}
    assert "T2D" in proj.probability["baseline"] and "5" in proj.probability["baseline"]["T2D"]
    assert all(0 <= p <= 1 for ev in proj.probability["walk"].values() for p in ev.values())
    assert proj.visits_fit[0]["labs"]["fasting_glucose_mmol_l"]["measured"] == pytest.approx(5.9, rel=1e-6)


def test_random_effects_map_like_the_cohort():
    """A twin and a virtual trial share one prior: the latents map to the random effects exactly as
    cohort.synthetic.progression_effects maps a cohort's draws."""
    from irsim.cohort.synthetic import progression_effects
    from irsim.inference import twin

    z = np.random.default_rng(0).standard_normal((50, 3))
    ours = [np.asarray(x) for x in twin.effects(z)]
    theirs = progression_effects(z[:, 0], z[:, 1], z[:, 2])
    np.testing.assert_allclose(ours[0], theirs["capacity_susceptibility"], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs["sensitivity_drift"], rtol=1e-12)
    np.testing.assert_allclose(ours[2], theirs["capacity_decline"], rtol=1e-12)


def test_linearised_start_matches_the_start_fit():
    """The start state expanded in the first visit's log labs agrees with the start fit at shifted labs."""
    from irsim.cohort import progression as cp
    from irsim.inference import twin
    from irsim.models import core

    h = stable_history(3)
    s = twin.setup(h)
    theta = np.zeros((1, len(twin.NAMES)))
    theta[0, 4] = 0.5  # fasting glucose half a CV (2.75 %) higher, between the expansion's points
    post = twin.Posterior(s, theta, np.zeros((1, 6)), {}, theta[0], np.eye(len(twin.NAMES)))
    lin = twin.start_of(post)
    cols = cp.persons_columns([h.first.person])
    cols["fasting_glucose"] = cols["fasting_glucose"] * np.exp(0.5 * s.lab_sd[0])
    cols["ogtt_glucose_120"] = np.array([s.lab0[2]])
    exact = core.initialise(cols, explain=False)
    for name in ("beta_mass", "weight", "hba1c"):
        assert getattr(lin.state, name)[0] == pytest.approx(getattr(exact.state, name)[0], rel=0.01), name
    for name in ("muscle0", "liver0"):
        assert getattr(lin.params, name)[0] == pytest.approx(getattr(exact.params, name)[0], rel=0.02), name


@pytest.mark.slow
def test_laplace_and_nuts_agree():
    """On a stable person with 3 visits the two methods give the same bands at 10 years within 10 % (median) and
    20 % (90 % width); NUTS reports its diagnostics."""
    from irsim.inference import twin

    h = stable_history(3)
    res = {}
    for method in ("laplace", "nuts"):
        post = twin.fit(h, method=method, draws=400, seed=0)
        res[method] = (post, band(twin.project(post, years=10), "fasting_glucose_mmol_l", 10))
    d = res["nuts"][0].diagnostics
    assert d["method"] == "nuts" and d["rhat_max"] is not None and d["ess_min"] > 0 and d["divergences"] >= 0
    a, b = res["laplace"][1], res["nuts"][1]
    assert a["q50"] == pytest.approx(b["q50"], rel=0.10)
    assert (a["q95"] - a["q05"]) == pytest.approx(b["q95"] - b["q05"], rel=0.20)


# ------------------------------------------------------------------ the command

def test_cli_twin(tmp_path):
    from typer.testing import CliRunner

    from irsim.interfaces.cli import app

    hist = {"sex": "female", "height": "164 cm", "birth_date": "1972-06-15",
            "visits": [{"date": "2019-04-02", "weight": "82 kg",
                        "labs": {"fasting_glucose": "5.5 mmol/L", "hba1c": "5.5 %", "fasting_insulin": "12 uIU/mL"}},
                       {"date": "2025-05-20", "weight": "84 kg",
                        "labs": {"fasting_glucose": "5.7 mmol/L", "hba1c": "5.6 %"}}]}
    src = tmp_path / "h.json"
    src.write_text(json.dumps(hist))
    out, js, png = tmp_path / "bands.csv", tmp_path / "summary.json", tmp_path / "fan.png"
    r = CliRunner().invoke(app, ["twin", str(src), "--years", "10", "--draws", "100", "--out", str(out),
                                 "--json", str(js), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert "not a medical device" in r.output
    b = pd.read_csv(out)
    assert list(b.columns) == BAND_COLUMNS
    s = json.loads(js.read_text())
    assert set(s["diagnostics"]) >= {"method", "rhat_max", "ess_min", "divergences"}
    assert s["diagnostics"]["rhat_max"] is None
    p = s["parameters"]["capacity_decline_per_year"]
    assert set(p) == {"mean", "sd", "q05", "q95"}
    assert set(s["probability"]["baseline"]["T2D"]) == {"5", "10"}
    assert len(s["visits_fit"]) == 2 and "fasting_glucose_mmol_l" in s["visits_fit"][1]["labs"]
    assert png.stat().st_size > 10_000


def test_cli_twin_refusals(tmp_path):
    from typer.testing import CliRunner

    from irsim.interfaces.cli import app

    src = tmp_path / "h.json"
    src.write_text(json.dumps({"sex": "female", "height": "164 cm", "birth_date": "1972-06-15",
                               "visits": [{"date": "2025-05-20", "weight": "82 kg"},
                                          {"date": "2019-04-02", "weight": "84 kg"}]}))
    r = CliRunner().invoke(app, ["twin", str(src), "--out", str(tmp_path / "b.csv")])
    assert r.exit_code == 2, r.output
    assert "visits[" in r.output
    r = CliRunner().invoke(app, ["twin", str(src), "--method", "mcmc", "--out", str(tmp_path / "b.csv")])
    assert r.exit_code == 2 and "--method" in r.output
    r = CliRunner().invoke(app, ["twin", str(src), "--out", str(tmp_path / "b.txt")])
    assert r.exit_code == 2 and "--out" in r.output
