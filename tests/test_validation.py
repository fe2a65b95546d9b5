"""Validation suite (src/irsim/validation, validation/targets.yaml): targets file, measurement helpers, every
protocol in quick mode, the report writer and the CLI. The full-size run is marked slow."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from irsim.errors import InputError
from irsim.validation import STUDIES
from irsim.validation import targets as T

TARGETS = T.load()


# ------------------------------------------------------------------------------------------------ targets file


def test_targets_parse_with_citation_tolerance_and_basis():
    assert len(TARGETS) >= 30
    assert len({t.id for t in TARGETS}) == len(TARGETS)
    for t in TARGETS:
        assert t.citation.strip() and t.basis.strip() and t.population.strip()
        lo, hi = t.bounds()
        assert lo <= hi and (math.isfinite(lo) or math.isfinite(hi)), t.id
        assert t.protocol in STUDIES, t.id
        assert t.grade in T.GRADES


def test_targets_match_protocol_registry():
    from irsim.validation.suite import PROTOCOLS

    assert tuple(PROTOCOLS) == STUDIES
    for name, p in PROTOCOLS.items():
        assert set(p.targets) == {t.id for t in TARGETS if t.protocol == name}, name


def test_routine_checks_every_three_years_at_each_persons_phase():
    from irsim.validation.studies import ROUTINE_CHECK_EVERY, routine_checks

    m = routine_checks(0, "t", 1000, 12)
    assert m.shape == (12, 1000) and ROUTINE_CHECK_EVERY == 3
    assert np.all(m.sum(axis=0) == 4)                       # 12 yearly records, one check every 3 years
    assert set(np.unique(m.argmax(axis=0))) == {0, 1, 2}    # phases spread over the cycle
    assert np.array_equal(m, routine_checks(0, "t", 1000, 12)) and not np.array_equal(m, routine_checks(1, "t", 1000, 12))
    # the GENNID-like relatives' rarer checks (NHANES III's undiagnosed share): once per 8 years, phases over the cycle
    m8 = routine_checks(0, "t", 1000, 16, every=8)
    assert np.all(m8.sum(axis=0) == 2) and set(np.unique(m8.argmax(axis=0))) == set(range(8))


def test_a_clinical_diagnosis_is_confirmed_by_a_repeat_test():
    # ADA 1997 / WHO 1999: a doctor's diagnosis by fasting glucose needs a second value on another day (an independent
    # measurement of the same state), so it is a subset of the single-test diagnoses, and a strict one
    from irsim.validation.protocol import Cohorts, diabetic
    from irsim.validation.studies import clinical_fasting

    co = Cohorts(0)
    out = co.measured("steven_t2d", 300, 1.0)
    single = diabetic(out, "fasting")
    confirmed = clinical_fasting(out, co.measured("steven_t2d", 300, 1.0, draw=1))
    assert confirmed.shape == single.shape and not np.any(confirmed & ~single)
    assert 0 < confirmed[0].sum() < single[0].sum()


def test_target_judging():
    rel = T.Target("a", "s", "q", 10.0, "u", "b", "primary", "p", "whitehall", "c", "test", tolerance={"relative": 0.1})
    assert rel.judge(10.9) == T.PASS and rel.judge(11.1) == T.FAIL and rel.judge(float("nan")) == T.NO_VALUE
    absol = T.Target("a", "s", "q", 0.0, "u", "b", "primary", "p", "whitehall", "c", "test", tolerance={"absolute": 0.5})
    assert absol.judge(-0.5) == T.PASS and absol.judge(0.6) == T.FAIL
    open_hi = T.Target("a", "s", "q", None, "u", "b", "qualitative", "p", "whitehall", "c", "test", interval=(3.0, None))
    assert open_hi.judge(math.inf) == T.PASS and open_hi.judge(2.9) == T.FAIL
    assert open_hi.tolerance_text() == ">= 3.00"
    # how far outside, in band widths (a one-sided band: in units of its bound): 0 inside, None without a value
    assert rel.miss(10.5) == 0.0 and rel.miss(float("nan")) is None
    assert rel.miss(11.5) == pytest.approx(0.25) and rel.miss(8.6) == pytest.approx(0.2)  # band 9-11, width 2
    assert open_hi.miss(2.7) == pytest.approx(0.1) and open_hi.miss(math.inf) == 0.0


def test_bad_targets_file_lists_every_problem(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text("targets:\n"
                 "  - {id: a, study: s, quantity: q, value: 1, unit: u, basis: b, grade: primary, population: p,"
                 " protocol: dpp, role: test, tolerance: {relative: 0.1}}\n"  # no citation
                 "  - {id: b, study: s, quantity: q, value: 1, unit: u, basis: b, grade: primary, population: p,"
                 " protocol: dpp, citation: c, role: test}\n"               # no tolerance
                 "  - {id: c, study: s, quantity: q, value: 1, unit: u, basis: b, grade: primary, population: p,"
                 " protocol: dpp, citation: c, role: test, interval: [2, 1]}\n")  # bad interval
    with pytest.raises(InputError) as exc:
        T.load(p)
    text = str(exc.value)
    assert "citation" in text and "exactly one of 'tolerance' and 'interval'" in text and "lo <= hi" in text


# ------------------------------------------------------------------------------------------------ measurement helpers


def test_first_index_align_and_slopes():
    from irsim.validation import protocol as S

    mask = np.array([[0, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 0]], bool)
    idx = S.first_index(mask)
    assert idx.tolist() == [2, 1, -1]
    values = np.arange(12.0).reshape(4, 3)             # values[t, person] = 3 t + person
    a = S.align(values, idx, [-2, -1, 0, 1])
    assert a[:, 0].tolist() == [0.0, 3.0, 6.0, 9.0]
    assert np.isnan(a[0, 1]) and a[1:, 1].tolist() == [1.0, 4.0, 7.0]
    assert np.isnan(a[:, 2]).all()
    assert S.ols_slope([0, 1, 2, 3], [1.0, 3.0, 5.0, np.nan]) == pytest.approx(2.0)
    assert S.gmean(np.array([1.0, 4.0, -1.0])) == pytest.approx(2.0)


def test_trajectory_fit_recovers_the_mean_shape_from_scattered_visits():
    # Persons measured every 5 years at their own phase, one phase's persons 0.5 higher than the others: the mean of the
    # records at each offset is biased at that phase's offsets; the multilevel fit, with persons differing far more
    # than their visits do, is near the fit with an intercept per person and is not (the shape of Tabak 2009's fasting
    # glucose: linear, then quadratic from -3 y)
    from irsim.validation import protocol as S

    rng = np.random.default_rng(1)
    t = np.arange(-13, 1)
    shape = (lambda x: x, lambda x: np.maximum(x + 3.0, 0.0) ** 2)
    true = 5.5 + 0.04 * t + 0.18 * np.maximum(t + 3.0, 0.0) ** 2
    n = 3000
    phase = rng.integers(0, 5, n)
    level = rng.normal(0.0, 0.5, n) + 0.5 * (phase == 2)
    y = true[:, None] + level[None, :] + rng.normal(0.0, 0.2, (len(t), n))
    records = np.where((t[:, None] - phase[None, :]) % 5 == 0, y, np.nan)
    fit, count = S.trajectory_fit(records, t, shape)
    np.testing.assert_allclose(fit, true + level.mean(), atol=0.02)
    assert count.sum() == np.isfinite(records).sum()
    naive = np.nanmean(records, axis=1) - true - level.mean()
    assert np.max(np.abs(naive)) > 0.3                     # the per-offset means carry the phase's level
    nothing, _ = S.trajectory_fit(np.full((len(t), 4), np.nan), t, shape)
    assert np.isnan(nothing).all()


def test_trajectory_fit_is_the_reml_random_intercept_model():
    # Sparse records (1-3 per person, as Whitehall II's 801 measurements of 505 cases), persons differing about as much
    # as their visits: the fit equals an independent linear mixed model (statsmodels MixedLM, random intercept, REML)
    import pandas as pd
    import statsmodels.formula.api as smf

    from irsim.validation import protocol as S

    rng = np.random.default_rng(2)
    t = np.arange(-11, 1)
    shape = (lambda x: x, lambda x: np.maximum(x + 3.0, 0.0) ** 2)
    n = 600
    y = (5.5 + 0.04 * t + 0.18 * np.maximum(t + 3.0, 0.0) ** 2)[:, None] + rng.normal(0.0, 0.4, n)[None, :] \
        + rng.normal(0.0, 0.4, (len(t), n))
    keep = ((t[:, None] - rng.integers(0, 6, n)[None, :]) % 6 == 0) & (rng.random((len(t), n)) < 0.7)
    records = np.where(keep, y, np.nan)
    fit, _ = S.trajectory_fit(records, t, shape)
    ti, pi = np.nonzero(keep)
    df = pd.DataFrame({"y": records[ti, pi], "t": t[ti], "q": shape[1](t[ti]), "g": pi})
    m = smf.mixedlm("y ~ t + q", df, groups=df["g"]).fit(reml=True)
    ref = m.params["Intercept"] + m.params["t"] * t + m.params["q"] * shape[1](t)
    np.testing.assert_allclose(fit, ref, atol=1e-5)
    assert 0.2 < float(m.cov_re.iloc[0, 0]) / m.scale < 5.0   # the two levels of variation are comparable here
    # adjusted for person-level covariates (age, sex), centred on the persons measured: the trajectory at their mean
    seen = keep.any(axis=0)
    age, sex = rng.normal(55.0, 6.0, n), (rng.random(n) < 0.3).astype(float)
    records = records + (0.03 * (age - 55.0) - 0.2 * sex)[None, :]
    fit, _ = S.trajectory_fit(records, t, shape, np.column_stack([age, sex]))
    df = df.assign(y=records[ti, pi], age=(age - age[seen].mean())[pi], sex=(sex - sex[seen].mean())[pi])
    m = smf.mixedlm("y ~ t + q + age + sex", df, groups=df["g"]).fit(reml=True)
    np.testing.assert_allclose(fit, m.params["Intercept"] + m.params["t"] * t + m.params["q"] * shape[1](t), atol=1e-5)


def test_incidence_and_visit_schedule():
    from irsim.cohort.progression import COLUMNS
    from irsim.validation import protocol as S

    inc, k, py = S.incidence(np.array([1.0, np.nan, np.nan, 2.0]), 3.0)
    assert (k, py) == (2, 9.0) and inc == pytest.approx(100 * 2 / 9)
    # monthly run of 3 persons: FPG crosses 7.0 at month 3 (seen at the 6-month visit), 2-h crosses 11.1 at
    # month 7 (seen at the 12-month OGTT), the third never
    months = np.arange(0, 37)
    out = np.zeros((len(months), len(COLUMNS), 3))
    out[:, COLUMNS.index("year"), :] = months[:, None] / 12.0
    out[:, COLUMNS.index("fasting_glucose_mmol_l"), :] = 5.5
    out[:, COLUMNS.index("glucose_2h_mmol_l"), :] = 8.0
    out[3:, COLUMNS.index("fasting_glucose_mmol_l"), 0] = 7.2
    out[7:, COLUMNS.index("glucose_2h_mmol_l"), 1] = 11.5
    t = S.event_times_at_visits(out)
    assert t[0] == pytest.approx(0.5) and t[1] == pytest.approx(1.0) and np.isnan(t[2])
    t_monthly = S.event_times_at_visits(out, fpg_every=1, ogtt_every=1)
    assert t_monthly[0] == pytest.approx(3 / 12) and t_monthly[1] == pytest.approx(7 / 12)
    # which criterion the first visit met (DPP's trigger split, Christophi 2013): the first person's fasting glucose
    # at month 6, the second's 2-h glucose at month 12, none for the third; a fourth meets both at month 12
    both = np.concatenate([out, out[:, :, 2:3]], axis=2)
    both[12:, COLUMNS.index("fasting_glucose_mmol_l"), 3] = 7.5
    both[12:, COLUMNS.index("glucose_2h_mmol_l"), 3] = 12.0
    kinds = S.first_trigger(both)
    assert [S.TRIGGERS[k] for k in kinds] == ["fasting glucose only", "2-h glucose only", "none", "both"]


def test_dpp_weight_only_counterfactual_keeps_the_lifestyle_strata_without_activity():
    # the structural check of the DPP note (Hamman 2006: weight loss the dominant predictor): same shares and weight
    # courses as the lifestyle arm, no added activity
    from irsim.validation import studies as St

    life, only = St.DPP_ARMS["lifestyle"], St.DPP_WEIGHT_ONLY
    assert [share for share, _ in only] == [share for share, _ in life]
    for (_, a), (_, b) in zip(life, only):
        assert [i.type for i in b.interventions] == ["weight_loss"]
        assert b.interventions[0] == [i for i in a.interventions if i.type == "weight_loss"][0]


# ------------------------------------------------------------------------------------------------ protocols (quick)


def test_every_protocol_measures_each_target_and_the_report_shows_every_row(tmp_path):
    # one test for the whole quick run (about 3 minutes on a cold cache, most of it compiling): a module fixture shared by
    # several tests is computed once per xdist worker that runs one of them
    from irsim.validation import report, suite

    quick_results = suite.run_all(quick=True, seed=0)

    assert [r.name for r in quick_results] == list(STUDIES)
    for r in quick_results:
        assert set(r.values) == set(suite.PROTOCOLS[r.name].targets), r.name
        assert r.counts and r.notes and r.data
        for tid, v in r.values.items():
            if math.isfinite(v):
                continue
            # not measurable only with a stated reason (e.g. no incident cases in a small cohort); the one
            # target that may be infinite is the slope ratio when glucose did not rise before -3 y
            assert (math.isinf(v) and tid == "wh_fpg_acceleration") or r.missing.get(tid), (r.name, tid, v)
    # a cross-section needs no incident cases: every one of its targets must be measured, whatever the calibration
    classes = next(r for r in quick_results if r.name == "classes")
    assert all(math.isfinite(classes.values[t]) for t in ("cls_homair_ratio_ifgigt", "cls_insgen_ratio_ifgigt")), classes.values
    # GENNID tested relatives with no known diabetes: every person is in one class or left out as known (Jensen 2002)
    c = classes.counts
    assert c["n_NGT"] + c["n_IFG/IGT"] + c["n_diabetes"] + c["known_diabetes"] == c["persons"], c
    # the report: one row per target, the held-out headline, the calibration table, a plot per study, results.json
    out = report.write(quick_results, TARGETS, tmp_path / "validation.md", quick=True)
    text = out.read_text()
    main_table = text.split("\n## ")[0]
    rows = [line for line in main_table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(TARGETS)
    assert {re.match(r"\| `([^`]+)`", line).group(1) for line in rows} == {t.id for t in TARGETS}
    for line in rows:
        result = line.rstrip().split("|")[-4].strip()
        assert result in ("pass", "**FAIL**", "no value") or result.startswith("retired ("), line
    assert "Held-out targets:" in text
    assert "## What was calibrated, and on what" in text
    for name in STUDIES:
        assert (tmp_path / "validation" / f"{name}.png").stat().st_size > 5000
        assert f"validation/{name}.png" in text
    # the held-out failures listed nearest first, each with its distance from the band
    if "## Held-out failures by distance from the band" in text:
        section = text.split("## Held-out failures by distance from the band")[1].split("\n## ")[0]
        dist = [float(line.rstrip(" |").rsplit("|", 1)[1]) for line in section.splitlines() if line.startswith("| `")]
        assert dist and dist == sorted(dist) and min(dist) >= 0.0
    data = json.loads((tmp_path / "validation" / "results.json").read_text())
    assert len(data["targets"]) == len(TARGETS)
    assert all((t["miss"] == 0.0) == (t["result"] == "pass") for t in data["targets"] if t["miss"] is not None)
    assert {t["role"] for t in data["targets"]} == {"test", "calibration"}
    assert data["summary"]["test"]["targets"] + data["summary"]["calibration"]["targets"] + data["summary"]["retired"] \
        == len(TARGETS)


def test_roles_follow_the_calibration_and_most_targets_are_held_out():
    # a study that any parameter was calibrated on has role: calibration (every row of it); the headline counts only
    # held-out rows, and at least 75 % of the counted rows are held out; at most 5 rows are retired (issue #11)
    from irsim.validation import report

    sources = [c["source"] for c in report.calibrated_parameters()]
    for t in TARGETS:
        year = re.search(r"(19|20)\d\d", t.citation)
        author = t.citation.split()[0]
        named = [src for src in sources if year and author in src and year.group(0) in src]
        if named:
            assert t.role == "calibration", (t.id, named[0])
    counted = [t for t in TARGETS if not t.retired]
    assert sum(t.role == "test" for t in counted) >= 0.75 * len(counted)
    assert sum(1 for t in TARGETS if t.retired) <= 5


def test_calibrated_parameters_are_read_from_the_parameter_file():
    from irsim.validation import report

    cal = report.calibrated_parameters()
    assert cal and all("calibrat" in c["source"].lower() for c in cal)


# ------------------------------------------------------------------------------------------------ CLI


def _app():
    from irsim.interfaces import cli_validate

    app = typer.Typer()
    cli_validate.register(app)

    @app.command("noop")  # a second command, so `validate` is addressed by name as in the real CLI
    def _noop() -> None:
        pass

    return app


@pytest.mark.parametrize("args, message", [
    (["--only", "nosuch"], "unknown study"),
    (["--seed", "-1"], "--seed"),
    (["--n", "5"], "--n"),
    (["--out", "report.txt"], "Markdown"),
    (["--seed", "abc"], None),  # click's own usage error (boxed, width-dependent text)
    (["--set", "beta.function_max=2.5"], "--set needs --out"),
    (["--set", "beta.function_max", "--out", "x.md"], "section.name=value"),
    (["--set", "beta.nosuch=1", "--out", "x.md"], "beta.nosuch"),
    (["--set", "glycaemia.day_meals=[[0, 60]]", "--out", "x.md"], "surrogate"),
    (["--replicates", "0"], "--replicates"),
    (["--replicates", "11"], "--replicates"),
])
def test_cli_bad_arguments_exit_2(args, message):
    res = CliRunner().invoke(_app(), ["validate", *args])
    assert res.exit_code == 2, res.output
    assert message is None or message in res.output


def test_seed_replicates_report_counts_per_seed_and_the_rows_that_flip(tmp_path):
    # two seeds of one study, written from stated values (no simulation): the headline gives the range of held-out
    # passes, the section lists only the row whose result differs between the seeds, and results.json keeps the values
    from irsim.validation import report
    from irsim.validation.protocol import StudyResult

    conv = [t for t in TARGETS if t.protocol == "conversion" and not t.retired]
    flip, steady = conv[0], conv[1:]

    def result(seed, flip_value):
        r = StudyResult("conversion", n=10, seed=seed)
        for t in steady:
            r.set(t.id, t.value)  # the published value passes under every seed
        r.set(flip.id, flip_value)
        return [r]

    inside, outside = flip.value, flip.value * 10.0
    assert flip.judge(inside) == "pass" and flip.judge(outside) == "fail"
    out = report.write(result(0, inside), TARGETS, tmp_path / "r.md", plots=False,
                       replicates=[result(1, outside)])
    text = out.read_text()
    n = len(conv)
    assert f"Held-out targets: {n} of {n} pass" in text and f"With 2 seeds of the populations: {n - 1}-{n}" in text
    section = text.split("## Seed replicates")[1].split("\n## ")[0]
    assert f"Held-out passes per seed: {n}, {n - 1} of {n}" in section
    listed = re.findall(r"^\| `([^`]+)`", section, flags=re.M)
    assert listed == [flip.id] and "1 of 2" in section
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    assert data["replicates"]["seeds"] == [0, 1]
    assert [s["test"]["pass"] for s in data["replicates"]["summary"]] == [n, n - 1]
    assert data["replicates"]["targets"][flip.id] == [inside, outside]
    # judged at the mean of the seeds' values (5.5 x the published value: outside the band)
    mean = (inside + outside) / 2.0
    assert flip.judge(mean) == "fail" and data["replicates"]["pooled"]["test"]["pass"] == n - 1
    assert f"judged at the mean of the seeds' values, {n - 1}" in text
    se = abs(outside - inside) / 2.0   # the standard error of the mean of two values
    assert f"| {report.fmt_model(mean)} +- {report.fmt_model(se)} (**FAIL**) |" in section
    # the expected count: the steady rows count 1 each, the flipping row its chance of lying in the band
    expected = data["replicates"]["pooled"]["expected_test_passes"]
    assert n - 1 < expected < n and f"at the model's expected value is {expected:.1f}" in section


def test_cli_quick_run_writes_report(tmp_path):
    out = tmp_path / "v.md"
    res = CliRunner().invoke(_app(), ["validate", "--quick", "--only", "dpp,classes", "--out", str(out), "--no-plots"])
    assert res.exit_code == 0, res.output
    assert "of 9 targets" in res.output
    text = out.read_text()
    assert "## Diabetes Prevention Program" in text and "Whitehall II:" not in text
    assert "Sensitivity run" not in text


def test_cli_sensitivity_run_says_so_and_changes_the_model(tmp_path):
    # a parameter set for the run reaches the model (metformin's hepatic effect off: the metformin arm's incidence
    # rises) and the report and results.json say which values were set
    import json

    from irsim.validation import suite

    out = tmp_path / "s.md"
    res = CliRunner().invoke(_app(), ["validate", "--quick", "--only", "dpp", "--out", str(out), "--no-plots",
                                      "--set", "sensitivity.metformin_emax=0", "--set", "sensitivity.metformin_muscle=0"])
    assert res.exit_code == 0, res.output
    assert "**Sensitivity run, not the model as committed**" in out.read_text()
    data = json.loads((tmp_path / "s" / "results.json").read_text())
    assert data["overrides"] == {"sensitivity.metformin_emax": 0, "sensitivity.metformin_muscle": 0}
    model = {t["id"]: t["model"] for t in data["targets"]}
    committed = suite.run_all(["dpp"], quick=True, seed=0)[0].values
    assert model["dpp_inc_metformin"] > committed["dpp_inc_metformin"]


@pytest.mark.slow
def test_full_validation_run(tmp_path):
    from irsim.validation import run

    results, path = run(out=tmp_path / "validation.md")
    assert all(r.n == 5000 for r in results)
    assert path.exists()


def _committed_results() -> dict:
    from pathlib import Path

    data = json.loads((Path(__file__).parents[1] / "docs" / "validation" / "results.json").read_text())
    assert not data["quick"] and data["n"] >= 5000
    return data


def test_committed_full_validation_meets_the_held_out_floor():
    # issue #11: >= 80 % of held-out targets pass in the full run (`make validate` writes docs/validation/results.json,
    # 5000 persons per population, seeds 0-7), with >= 75 % of the counted targets held out: at the report's own seed
    # and with every row judged at the mean of its eight seed values (the model's expected value; one seed's count
    # also carries its cohort's sampling error)
    data = _committed_results()
    assert data["summary"]["held_out_share"] >= 0.75
    assert data["summary"]["test"]["pass_rate"] >= 0.80
    assert len(data["replicates"]["seeds"]) >= 8
    assert data["replicates"]["pooled"]["test"]["pass_rate"] >= 0.80


@pytest.mark.xfail(strict=True, reason="the floor is met at seed 0 and at the seeds' mean values (66 of 80 each), but "
                                       "not on every single 5,000-person seed: 62-66 over seeds 0-7 (seeds 3, 4 and 5 "
                                       "below 64; seeds 8-15 gave 64-67); strict, so it turns into a failure to remove "
                                       "once every seed reaches it")
def test_every_seed_of_the_committed_validation_meets_the_held_out_floor():
    data = _committed_results()
    assert all(s["test"]["pass_rate"] >= 0.80 for s in data["replicates"]["summary"])


def test_newly_acquired_ifg_follows_nichols_definition():
    # Nichols GA et al. Diabetes Care 2007;30:228-33: two elevated fasting tests (100-125 mg/dL) after a normal test,
    # no diabetes known before; here at routine checks every 3 years (ROUTINE_CHECK_EVERY), the repeat on another day
    from irsim.cohort import progression as P
    from irsim.validation import studies as S

    T_, n = 12, 5
    idx = P.COLUMNS.index("fasting_glucose_mmol_l")
    mg = lambda x: np.asarray(x, float) / S.MGDL  # noqa: E731
    out = np.full((T_, len(P.COLUMNS), n), np.nan)
    rep = np.full_like(out, np.nan)
    base = np.array([90.0, 105.0, 95.0, 95.0, 95.0])
    out[:, idx, :] = rep[:, idx, :] = mg(base)[None, :]
    out[6:, idx, 0] = rep[6:, idx, 0] = mg(108.0)   # normal at 3, IFG at 6: enters at 6
    out[3:, idx, 2] = mg(112.0)                     # IFG at 3 but the repeat is normal: not confirmed
    out[3:, idx, 3] = rep[3:, idx, 3] = mg(130.0)   # diabetes diagnosed at 3, normal at 6, IFG at 9: known, never
    out[6:, idx, 3] = rep[6:, idx, 3] = mg(95.0)
    out[9:, idx, 3] = rep[9:, idx, 3] = mg(115.0)
    out[3:, idx, 4] = rep[3:, idx, 4] = mg(118.0)   # normal at 0, IFG at 3: enters at 3
    checks = (np.arange(T_)[:, None] % S.ROUTINE_CHECK_EVERY == 0) & np.ones(n, bool)[None, :]
    fpg, repeat = (o[:, idx, :] * S.MGDL for o in (out, rep))
    entry = S.newly_acquired_ifg(fpg, repeat, S.clinical_fasting(out, rep), checks, last=T_ - 1)
    # person 1 is IFG from the start: no normal check before, so not newly acquired
    assert entry.tolist() == [6, -1, -1, -1, 3]
