"""Virtual trials (`irsim trial`, issue #13): bad specs refused naming the field; results that depend on (spec, seed)
only, whatever the shard size or the workers; an interrupted run resumed to the same result; the summary's layout."""

import json
import math

import numpy as np
import pytest

from irsim.cohort import trial as engine
from irsim.cohort.trial_spec import TrialSpec
from irsim.errors import InputError

SPEC = {
    "name": "tiny", "seed": 11,
    "population": {"n": 12, "like": "dpp", "baseline": {
        "age": {"mean": 50.6, "sd": 10.7, "min": 25, "max": 85}, "female": {"share": 0.677},
        "bmi": {"mean": 34.0, "sd": 6.7, "min": 24, "max": 60},
        "fasting_glucose": {"mean": "106.5 mg/dL", "sd": "8.3 mg/dL", "min": "95 mg/dL", "max": "125 mg/dL"},
        "ogtt_glucose_120": {"mean": "164.6 mg/dL", "sd": "17 mg/dL", "min": "140 mg/dL", "max": "199 mg/dL"}}},
    "arms": [{"name": "placebo", "interventions": []},
             {"name": "lifestyle", "adherence": 0.8, "interventions": [
                 {"type": "weight_loss", "start_year": 0, "percent": {"mean": 7, "sd": 4, "min": 0.1},
                  "over_months": 6, "then": "maintain"}]}],
    "follow_up_years": 1.5,
    "visits": {"every_months": 6, "ogtt": True, "hba1c": False},
    "dropout_per_year": 0.1,
    "endpoints": [{"type": "incidence", "event": "T2D"}, {"type": "incidence", "event": "death"},
                  {"type": "hazard_ratio", "event": "T2D", "reference": "placebo"},
                  {"type": "cumulative_incidence", "event": "T2D", "at_years": [1, 1.5]},
                  {"type": "mean_change", "column": "weight_kg", "at_years": [1]},
                  {"type": "mean_percent_change", "column": "weight_kg", "at_years": [1]},
                  {"type": "proportion", "name": "normal", "where": "glycemic_status == 'NGT' and bmi < 40",
                   "at_years": [1]}],
}


def spec(**changes):
    d = json.loads(json.dumps(SPEC))
    for path, value in changes.items():
        node = d
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[int(keys[-1]) if isinstance(node, list) else keys[-1]] = value
    return d


@pytest.mark.parametrize("path, value, field", [
    ("population.n", -5, "spec.population.n"),
    ("population.extra", 1, "spec.population.extra"),
    ("arms.1.interventions", [{"type": "teleportation", "start_year": 0}], "spec.arms[1].interventions[0]"),
    ("arms.1.interventions.0.percent", {"mean": 7, "sd": 4, "min": 0.1, "max": 55}, "spec.arms[1].interventions[0].percent"),
    ("arms.1.interventions.0.percent", {"mean": 70, "sd": 4}, "spec.arms[1].interventions[0]"),
    ("endpoints.2.reference", "nobody", "spec"),
    ("endpoints.4.column", "shoe_size", "spec"),
    ("endpoints.6.where", "glycemic_status == 'sweet'", "spec"),
    ("endpoints.6.where", "hba1c_percent ~ 6", "spec"),
    ("endpoints.3.at_years", [1, 4], "spec"),
    ("population.baseline.fasting_glucose", {"mean": "106.5 mmol/L", "sd": "8.3 mg/dL"},
     "spec.population.baseline.fasting_glucose"),
    ("population.baseline.fasting_glucose", {"mean": 106.5, "sd": 8.3}, "spec.population.baseline.fasting_glucose"),
    ("population.baseline.shoe_size", {"mean": 42, "sd": 2}, "spec.population.baseline.shoe_size"),
    ("population.like", "atlantis", "spec.population.like"),
    ("arms.1.name", "placebo", "spec.arms"),
    ("visits.every_months", 0, "spec.visits.every_months"),
])
def test_bad_specs_are_refused_naming_the_field(path, value, field):
    with pytest.raises(InputError) as exc:
        TrialSpec.parse(spec(**{path: value}))
    assert any(p.field.startswith(field) for p in exc.value.problems), [str(p) for p in exc.value.problems]


def test_a_bad_spec_exits_2_on_the_command_line(cli, tmp_path):
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec(**{"endpoints.2.reference": "nobody"})))
    res = cli("trial", path, "--out", tmp_path / "out")
    assert res.returncode == 2 and "reference 'nobody' is not an arm" in res.stderr, res.stderr


def test_a_baseline_draw_without_sd_needs_no_unit_for_it():
    d = spec()
    d["population"]["baseline"]["fasting_glucose"] = {"mean": "106.5 mg/dL"}
    assert TrialSpec.parse(d).population.baseline["fasting_glucose"].sd == 0.0


def test_arm_sizes_follow_the_shares():
    s = TrialSpec.parse(spec(**{"population.n": 3234, "arms.0.share": 1082, "arms.1.share": 2152}))
    assert s.arm_counts() == [1082, 2152]
    assert TrialSpec.parse(spec(**{"population.n": 7})).arm_counts() == [4, 3]


def test_truncated_draws_stay_inside_and_keep_their_moments():
    from irsim.cohort.trial import normals, truncated_normal, uniforms

    u = uniforms(3, "x", np.arange(200_000), 1)[:, 0]
    assert 0.0 < u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.003
    x = truncated_normal(u, 7.0, 4.0, 0.1, np.inf)
    assert x.min() > 0.1
    # mean of N(7, 4) truncated below at 0.1: 7 + 4 phi(a) / (1 - Phi(a)), a = -1.725 (closed form)
    a = (0.1 - 7.0) / 4.0
    phi, Phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi), 0.5 * (1 + math.erf(a / math.sqrt(2)))
    assert abs(x.mean() - (7.0 + 4.0 * phi / (1 - Phi))) < 0.03
    # per-person keys: a person's numbers do not depend on who else is drawn with them
    assert np.array_equal(normals(3, "x", np.arange(5, 9), 3), normals(3, "x", np.arange(0, 40), 3)[5:9])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from irsim import Trial
    from irsim.cohort.trial import read_persons

    base = tmp_path_factory.mktemp("trial")
    trial = Trial.parse(SPEC)
    out = {}
    out["5"] = trial.run(base / "a", shard_size=5, report=False)
    out["12"] = trial.run(base / "b", shard_size=12)
    return base, trial, out, read_persons


def test_results_do_not_depend_on_the_shard_size(runs):
    base, _, out, read_persons = runs
    assert out["5"] == out["12"]
    assert read_persons(base / "a").equals(read_persons(base / "b"))


def test_summary_layout_and_files(runs):
    base, trial, out, read_persons = runs
    s = out["12"]
    assert set(s["arms"]) == {"placebo", "lifestyle"} and sum(a["n"] for a in s["arms"].values()) == 12
    inc = s["arms"]["placebo"]["incidence"]["T2D"]
    assert set(inc) == {"per_100py", "ci95", "events", "person_years"} and len(inc["ci95"]) == 2
    assert set(s["arms"]["lifestyle"]["hazard_ratio"]["T2D"]) == {"value", "ci95"}
    assert "hazard_ratio" not in s["arms"]["placebo"]  # the reference arm has none
    assert set(s["arms"]["placebo"]["cumulative_incidence"]["T2D"]) == {"1", "1.5"}
    assert set(s["arms"]["lifestyle"]["mean_change"]["weight_kg"]) == {"1"}
    assert set(s["arms"]["lifestyle"]["proportion"]["normal"]["1"]) == {"value", "ci95"}
    # the lifestyle arm loses weight: about 7 % of the 80 % who adhere (the draws are truncated at 0.1 %)
    pct = s["arms"]["lifestyle"]["mean_percent_change"]["weight_kg"]["1"]["value"]
    assert -9.0 < pct < -2.0 and abs(s["arms"]["placebo"]["mean_percent_change"]["weight_kg"]["1"]["value"]) < 1.0
    persons = read_persons(base / "b")
    assert list(persons["person_id"]) == list(range(12))
    for col in ("arm", "followup_years", "dropped", "T2D_year", "death_year", "MI_year", "baseline_age"):
        assert col in persons
    assert (persons["followup_years"] <= 1.5 + 1e-9).all()
    t = persons["T2D_year"].dropna()
    assert ((t == 0) | (np.isclose((t * 2) % 1, 0))).all()  # diabetes is found at visits (every 6 months)
    m = json.loads((base / "b" / "manifest.json").read_text())
    assert m["complete"] and m["spec_sha256"] == trial.spec.digest() and len(m["shards"]) == 1
    assert (base / "b" / "report.html").stat().st_size > 100_000 and (base / "b" / "incidence.png").exists()
    assert "not a medical device" in (base / "b" / "report.html").read_text()


def test_an_interrupted_run_resumes_to_the_same_result(runs, monkeypatch):
    base, trial, out, read_persons = runs
    # one shard at a time, so that the stop leaves exactly one file (in parallel, shards already running finish)
    monkeypatch.setattr(engine, "local_threads", lambda: 1)
    folder = base / "c"

    class Stop(Exception):
        pass

    def stop_after_one(done, total):
        if done == 1:
            raise Stop

    with pytest.raises(Stop):
        trial.run(folder, shard_size=5, progress=stop_after_one, report=False)
    assert len(list((folder / "persons").glob("part-*.parquet"))) == 1
    (folder / "persons" / ".part-00001.parquet.999.tmp").write_bytes(b"half a file")  # a kill mid-write
    with pytest.raises(InputError, match="--resume"):
        trial.run(folder, shard_size=5)
    with pytest.raises(InputError, match="shard-size"):
        trial.run(folder, shard_size=6, resume=True)
    assert trial.run(folder, resume=True, report=False) == out["5"]
    assert read_persons(folder).equals(read_persons(base / "a"))
    other = type(trial).parse(spec(seed=12))
    with pytest.raises(InputError, match="another spec"):
        other.run(folder, resume=True)


def test_two_dask_workers_give_the_same_result(runs):
    pytest.importorskip("distributed")
    base, trial, out, read_persons = runs
    assert trial.run(base / "d", shard_size=5, workers=2, report=False) == out["5"]
    assert read_persons(base / "d").equals(read_persons(base / "a"))


@pytest.mark.slow  # two fresh processes (about a minute); the in-process interruption above runs in the fast suite
def test_a_killed_command_resumes_to_the_same_result(runs, tmp_path):
    """SIGKILL while shards are being written (the real interruption), then `--resume`: the person table and the
    summary equal an uninterrupted run's, each person once."""
    import signal
    import subprocess
    import sys
    import time

    import yaml

    base, _, out, read_persons = runs
    spec_file = tmp_path / "tiny.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    folder = tmp_path / "run"
    cmd = [sys.executable, "-c", "from irsim.interfaces.cli import main; main()", "trial", str(spec_file), "--out",
           str(folder), "--shard-size", "5"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not list((folder / "persons").glob("part-*.parquet")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = len(list((folder / "persons").glob("part-*.parquet")))
    assert 1 <= written <= 3 and not (folder / "summary.json").exists() or written == 3
    res = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads((folder / "summary.json").read_text()) == out["5"]
    persons = read_persons(folder)
    assert persons["person_id"].is_unique and persons.equals(read_persons(base / "a"))


def test_baseline_keeps_what_is_given_and_fills_the_rest_from_the_population():
    from irsim import parameters
    from irsim.cohort.trial import baseline

    s = TrialSpec.parse(spec(**{"population.like": "steven_t2d", "population.n": 4000}))
    cols = baseline(s, np.arange(4000))
    # given: fasting glucose 106.5 +- 8.3 mg/dL truncated to 95-125: inside, with the truncated normal's mean
    # (scipy.stats.truncnorm: 107.60 mg/dL; standard error of 4,000 draws about 0.12)
    g = cols["fasting_glucose"]
    assert g.min() >= 95 and g.max() <= 125 and abs(g.mean() - 107.60) < 0.4
    assert abs(cols["female"].mean() - 0.677) < 0.03
    # not given: years since diagnosis from the population (Steven 2016: up to ~23 years), inside its range
    pop = parameters.load("populations")["populations"]["steven_t2d"]
    lo, hi = (pop[k]["value"] if isinstance(pop[k], dict) else pop[k] for k in ("duration_min", "duration_max"))
    d = cols["diabetes_duration_years"]
    assert d.min() >= lo and d.max() <= hi
    # insulin rises with BMI, as the population's structure says
    assert np.corrcoef(cols["bmi"], np.log(cols["fasting_insulin"]))[0, 1] > 0.1


def test_workers_without_dask_are_refused_with_the_extra_to_install(monkeypatch):
    import builtins

    from irsim.cohort import trial as T

    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InputError, match=r"irsim\[cluster\]"):
        list(T._execute(TrialSpec.parse(SPEC), [T.Shard(0, 0, 1)], 1, None, 2, None))
