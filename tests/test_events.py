"""Time-to-event sampling with competing death (irsim.analysis.events)."""

import numpy as np
import pandas as pd
import pytest

from irsim.analysis import events as ev


def test_life_table_anchors_and_shape():
    # NVSR 70(19) anchors as stored: q(50) male 0.0054, female 0.0033 -> hazard -ln(1-q)
    mu = ev.death_hazard(np.array([50.0, 50.0]), False, np.zeros(2, bool))
    assert mu[0] == pytest.approx(-np.log1p(-0.0054), rel=1e-9)
    ages = np.linspace(20, 110, 91)
    m = ev.death_hazard(ages, False, np.zeros(91, bool))
    f = ev.death_hazard(ages, True, np.zeros(91, bool))
    assert np.all(np.diff(m) > 0) and np.all(f < m) and np.all(np.isfinite(m))
    # diabetes: all-cause HR 1.80 (Emerging Risk Factors Collaboration, NEJM 2011)
    assert ev.death_hazard(np.array([60.0]), True, np.array([True]))[0] == pytest.approx(1.8 * f[40], rel=1e-9)


def _traj(years=30, hazard=0.02, age0=40.0, status=None):
    t = np.arange(years + 1, dtype=float)
    return pd.DataFrame({"year": t, "age": age0 + t, "hazard_mi": np.full(len(t), hazard),
                         "glycemic_status": status if status is not None else ["NGT"] * len(t)})


def test_constant_hazard_matches_exponential_law():
    # without death (age 20 and a tiny horizon would still kill a few): compare with the competing-risk closed form
    es = ev.sample(_traj(years=10, hazard=0.05, age0=20.0), female=True, samples=200_000, seed=1)
    mu = ev.death_hazard(np.array([25.0]), True, np.array([False]))[0]
    p = 0.05 / (0.05 + mu) * (1 - np.exp(-10 * (0.05 + mu)))  # approx: death hazard nearly constant over 20-30 y
    assert es.summary().set_index("event").loc["MI", "probability"] == pytest.approx(p, rel=0.02)


def test_death_competes_and_sampling_is_reproducible():
    young = ev.sample(_traj(age0=30.0), female=False, samples=20_000, seed=3)
    old = ev.sample(_traj(age0=75.0), female=False, samples=20_000, seed=3)
    p = lambda es: np.isfinite(es.times["MI"]).mean()  # noqa: E731
    assert p(old) < p(young)  # more competing death, fewer events reached
    again = ev.sample(_traj(age0=75.0), female=False, samples=20_000, seed=3)
    np.testing.assert_array_equal(old.death, again.death)
    cif = old.cumulative_incidence()
    assert (np.diff(cif["MI"]) >= 0).all() and cif["MI"].iloc[0] == 0.0
    t, d = old.times["MI"], old.death
    assert not np.any(np.isfinite(t) & np.isfinite(d) & (t > d))  # nobody has an event after death


def test_onset_event_reads_the_threshold_crossing():
    status = ["IGT"] * 7 + ["T2D"] * 24
    es = ev.sample(_traj(status=status, age0=40.0, hazard=0.0), female=True, samples=5000, seed=0)
    t = es.times["T2D"]
    assert np.nanmin(t) == 7.0 and np.nanmax(t) == 7.0
    alive7 = np.exp(-np.sum(ev.death_hazard(np.arange(40.0, 47.0), True, np.zeros(7, bool))))
    assert np.isfinite(t).mean() == pytest.approx(alive7, abs=0.01)
    assert not es.prevalent["T2D"]


def test_cli_events(cli, tmp_path):
    from conftest import EXAMPLES

    out = tmp_path / "cif.csv"
    r = cli("simulate", EXAMPLES / "person.json", "--years", "10", "--events", "--samples", "500",
            "--events-out", out, "--events-plot", tmp_path / "cif.png")
    assert r.returncode == 0, r.stderr
    assert "type 2 diabetes" in r.stdout and "alive at year 10" in r.stdout
    curves = pd.read_csv(out)
    assert {"year", "scenario", "T2D", "death"} <= set(curves.columns)
    assert (tmp_path / "cif.png").stat().st_size > 1000
    # issue #14: onsets are drawn over what the labs leave unknown, so the prediabetic example's diabetes incidence
    # rises as a distribution over the years instead of one step at one year
    t2d = curves.loc[curves["scenario"] == "baseline", "T2D"].to_numpy()
    assert np.all(np.diff(t2d) >= 0) and 0.05 < t2d[-1] < 0.95
    assert len(np.unique(np.round(t2d, 3))) >= 5 and np.max(np.diff(t2d)) < 0.5
    bad = cli("simulate", EXAMPLES / "person.json", "--events", "--samples", "0")
    assert bad.returncode == 2 and "--samples" in bad.stderr
    bad = cli("simulate", EXAMPLES / "person.json", "--events", "--samples", "10", "--draws", "20")
    assert bad.returncode == 2 and "--draws" in bad.stderr


def test_fatal_first_events_shorten_survival():
    # MI case fatality 10 % (Yeh 2010): with a high MI hazard, about 10 % of those with an MI die at that moment
    es = ev.sample(_traj(years=10, hazard=0.3, age0=30.0), female=True, samples=50_000, seed=2)
    t, d = es.times["MI"], es.death
    had = np.isfinite(t)
    fatal = had & np.isfinite(d) & (d == t)
    assert fatal.sum() / had.sum() == pytest.approx(0.10, abs=0.01)
    base = ev.sample(_traj(years=10, hazard=0.0, age0=30.0), female=True, samples=50_000, seed=2)
    assert np.isfinite(es.death).mean() > np.isfinite(base.death).mean()
