"""Years-scale progression: properties that must hold (issue #4) and published body-weight numbers."""

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from irsim.cohort import progression as cp
from irsim.errors import InputError
from irsim.models import progression as pm
from irsim.scenarios.schema import BASELINE, Scenario

C = {c: i for i, c in enumerate(cp.COLUMNS)}


def columns(**kw):
    n = len(next(iter(kw.values())))
    base = {"age": [50.0] * n, "female": [0.0] * n, "height": [175.0] * n, "weight": [80.0] * n,
            "fasting_glucose": [95.0] * n, "fasting_insulin": [8.0] * n}
    base.update(kw)
    return {k: np.asarray(v, dtype=float) for k, v in base.items()}


def test_hall_2011_reference_man():
    # shared/reference/models.md s.7 (Hall 2011 linearised model): man 80 kg, fat 20 kg, RMR 1750 kcal/d
    # -> rho 9248 kcal/kg, tau 408 days, -100 kcal/d -> -4.4 kg at steady state.
    rho, tau = pm.hall_rho_tau(np.array(80.0), np.array(20.0), np.array(1750.0))
    assert float(rho) == pytest.approx(9248, rel=0.005)
    assert float(tau) * 365.25 == pytest.approx(408, rel=0.005)
    assert -100 * float(tau) * 365.25 / float(rho) == pytest.approx(-4.4, abs=0.05)


@pytest.mark.xfail(strict=True, reason="known limitation since v2.2 (docs/progression.md): the glucose-independent "
                   "capacity decline (calibrated on the DPP arms; v2.6: the median 1.6 %/y once begun, times the share of persons of "
                   "that age in whom it has begun) raises fasting glucose 3.96 mg/dL per decade, above Chang & Halter's "
                   "1-2 (+25 %); the 2-h glucose rises 11.5 (before 2026-12-06, when a start without an OGTT took the "
                   "meal model's reference split: 4.16 and 16.9 from a 2-h glucose of 121 mg/dL, reaching diabetes at "
                   "year 50; v2.6: 3.09)")
def test_lean_active_sensitive_person_ages_healthily_for_50_years():
    # Healthy ageing: fasting glucose rises about 1-2 mg/dL and 2-h glucose 8-20 mg/dL per decade of adult life
    # (Chang AM, Halter JB Am J Physiol Endocrinol Metab 2003;284:E7-12). A lean, active, insulin-sensitive man never
    # reaches diabetes and stays within those slopes (with a quarter of slack for the fasting slope: the beta-cell
    # set point G* pulls a low fasting glucose up towards the reference's).
    person = {"age": 30, "sex": "male", "height": "178 cm", "weight": "68 kg", "physical_activity": "200 min/week",
              "labs": {"fasting_glucose": "85 mg/dL", "fasting_insulin": "4 uIU/mL"}}
    df = cp.simulate(person, years=50)
    assert not (df["glycemic_status"] == "T2D").any()
    per_decade = lambda col: 18.016 * (df[col].iloc[-1] - df[col].iloc[0]) / 5.0  # noqa: E731
    assert 0.0 <= per_decade("fasting_glucose_mmol_l") <= 2.5
    assert per_decade("glucose_2h_mmol_l") <= 20.0


@functools.lru_cache(maxsize=1)
def _step_jitted():
    import jax

    return jax.jit(pm.step, static_argnums=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra_kg=st.floats(1.0, 40.0), age=st.floats(30, 70), female=st.booleans())
def test_more_visceral_fat_never_improves_sensitivity(extra_kg, age, female):
    start = cp.initialise(columns(age=[age], female=[float(female)], weight=[85.0]))
    s, p = start.state, start.params
    u, mech, ref = cp._inputs0(1), pm.Mechanisms(), pm.reference()
    # compiled once for all examples (op by op, 30 examples took about 90 s); derive is the model's own compiled one
    derive, step = pm._derive_jit, _step_jitted()
    lean = derive(0.0, s, p, u, mech, ref)
    fat = derive(0.0, s._replace(weight=s.weight + extra_kg), p, u, mech, ref)
    assert float(fat.visceral[0]) > float(lean.visceral[0])
    # one month on, the triad has responded to the extra fat: sensitivities must not be higher
    s_lean, _ = step(0.0, s, p, u, mech, ref, pm.c("time.step_years"))
    s_fat, _ = step(0.0, s._replace(weight=s.weight + extra_kg), p, u, mech, ref, pm.c("time.step_years"))
    d_lean = derive(0.0, s_lean, p, u, mech, ref)
    d_fat = derive(0.0, s_fat._replace(weight=s_fat.weight), p, u, mech, ref)
    assert float(d_fat.muscle_si[0]) <= float(d_lean.muscle_si[0]) + 1e-12
    assert float(d_fat.liver_si[0]) <= float(d_lean.liver_si[0]) + 1e-12


@pytest.fixture(scope="module")
def cohort():
    from irsim.cohort.synthetic import population

    return cp.initialise(population("whitehall_ii", 400, seed=3))


# Every knock-out, including FFA influx, de novo lipogenesis and lipotoxicity (until 2026-12-02 their removal let
# secretory function back off and raised the 2-h glucose of up to 51 of 8,400 person-years by up to 0.23 mmol/L; with
# islet-fat suppression re-fitted to Counterpoint their removal now also restores stimulated secretion enough)
@pytest.mark.parametrize("knockout", pm.Mechanisms._fields)
def test_removing_a_mechanism_never_worsens_outcomes(cohort, knockout):
    full = cp.run(cohort, 20)
    mech = pm.Mechanisms()._replace(**{knockout: 0.0})
    off = cp.run(cohort, 20, mechanisms=mech)
    for col in ("fasting_glucose_mmol_l", "hba1c_percent", "glucose_2h_mmol_l"):
        # 0.1 mmol/L: the table surrogate's interpolation noise on the 2-h value (tests/test_meal_surrogate.py)
        worse = off[:, C[col]] - full[:, C[col]]
        assert np.all(worse <= 0.1), (col, float(worse.max()), np.unravel_index(worse.argmax(), worse.shape))
    # IFG (1) and IGT (2) are not ordered by severity, so only diabetes is compared: never more of it
    assert np.all((off[:, C["glycemic_status"]] == 4) <= (full[:, C["glycemic_status"]] == 4))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_states_stay_finite_and_non_negative(seed):
    rng = np.random.default_rng(seed)
    n = 64
    height = rng.uniform(150, 195, n)
    cols = columns(age=rng.uniform(20, 80, n), female=(rng.random(n) < 0.5).astype(float), height=height,
                   weight=rng.uniform(18.5, 45, n) * (height / 100) ** 2, fasting_glucose=rng.uniform(70, 125, n),
                   fasting_insulin=np.exp(rng.uniform(np.log(2), np.log(40), n)))
    out = cp.run(cp.initialise(cols), 30)
    assert np.isfinite(out).all()
    for col in ("weight_kg", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent", "fasting_insulin_uiu_ml",
                "beta_cell_mass_rel", "beta_cell_function_rel", "muscle_insulin_sensitivity_rel",
                "liver_insulin_sensitivity_rel", "inflammation_index", "mitochondrial_capacity_rel", "er_stress_index"):
        assert (out[:, C[col]] >= 0).all(), col


def test_same_input_same_output_bit_for_bit(cohort):
    a = cp.run(cohort, 10)
    b = cp.run(cohort, 10)
    assert np.array_equal(a, b)


def test_weight_loss_programme_reaches_target_then_maintains_or_regains():
    person = {"age": 50, "sex": "female", "height": "165 cm", "weight": "95 kg",
              "labs": {"fasting_glucose": "105 mg/dL", "fasting_insulin": "15 uIU/mL"}}
    keep = Scenario.parse({"name": "keep", "interventions": [
        {"type": "weight_loss", "start_year": 0, "percent": 10, "over_months": 6, "then": "maintain"}]})
    regain = Scenario.parse({"name": "regain", "interventions": [
        {"type": "weight_loss", "start_year": 0, "percent": 10, "over_months": 6, "then": "regain"}]})
    df = cp.simulate(person, years=5, scenarios=[BASELINE, keep, regain], step="month")
    at = lambda sc, yr: df[(df.scenario == sc) & (np.isclose(df.year, yr))].iloc[0]  # noqa: E731
    assert at("keep", 0.5)["weight_kg"] == pytest.approx(0.9 * at("baseline", 0.5)["weight_kg"], rel=0.01)
    assert at("keep", 5)["weight_kg"] == pytest.approx(0.9 * at("baseline", 5)["weight_kg"], rel=0.01)
    assert at("regain", 5)["weight_kg"] > at("keep", 5)["weight_kg"] + 3
    # losing weight improves glycaemia through the mechanisms (FFA, lipids, inflammation)
    assert at("keep", 2)["fasting_glucose_mmol_l"] < at("baseline", 2)["fasting_glucose_mmol_l"]
    assert at("keep", 2)["muscle_insulin_sensitivity_rel"] > at("baseline", 2)["muscle_insulin_sensitivity_rel"]


def test_metformin_lowers_glucose_and_activity_raises_mitochondria():
    person = {"age": 55, "sex": "male", "height": "175 cm", "weight": "98 kg",
              "labs": {"fasting_glucose": "112 mg/dL", "fasting_insulin": "16 uIU/mL"}}
    met = Scenario.parse({"name": "met", "interventions": [{"type": "metformin", "start_year": 0, "mg_per_day": 1700}]})
    act = Scenario.parse({"name": "act", "interventions": [
        {"type": "physical_activity", "start_year": 0, "minutes_per_week": 150}]})
    df = cp.simulate(person, years=3, scenarios=[BASELINE, met, act])
    last = df.groupby("scenario").tail(1).set_index("scenario")
    assert last.loc["met", "hba1c_percent"] < last.loc["baseline", "hba1c_percent"]
    assert last.loc["act", "mitochondrial_capacity_rel"] > last.loc["baseline", "mitochondrial_capacity_rel"]


def test_outputs_say_what_was_assumed():
    df = cp.simulate({"age": 45, "sex": "male"}, years=2)
    assumed = df.attrs["assumed"][0]
    for words in ("fasting glucose (typical for BMI)", "weight (average for sex)", "height (average for sex)"):
        assert words in assumed, assumed


@pytest.mark.parametrize("bad,field", [
    ({"name": "x", "interventions": [{"type": "metformin", "start_year": 0, "mg_per_day": 9000}]}, "mg_per_day"),
    ({"name": "x", "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 7}]}, "over_months"),
    ({"name": "x", "interventions": [{"type": "teleport", "start_year": 0}]}, "type"),
    ({"name": "x", "interventions": [{"type": "metformin", "start_year": 3, "stop_year": 1, "mg_per_day": 500}]}, "stop_year"),
])
def test_bad_scenarios_are_refused_naming_the_field(bad, field):
    with pytest.raises(InputError) as exc:
        Scenario.parse(bad)
    assert field in str(exc.value)


def test_status_codes():
    codes = np.asarray(pm.status_code(np.array([90, 110, 90, 110, 130, 90]), np.array([120, 120, 150, 150, 120, 210]),
                                      np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0])))
    assert [pm.STATUS[c] for c in codes] == ["NGT", "IFG", "IGT", "IFG+IGT", "T2D", "T2D"]


@settings(max_examples=40, deadline=None)
@given(g=st.floats(0.3, 4.0), dg=st.floats(0.0, 1.0), er=st.floats(0.0, 3.0))
def test_beta_cell_capacity_loss_starts_above_the_reference_glycaemia_and_rises_with_glucose(g, dg, er):
    from types import SimpleNamespace

    ref = pm.reference()
    s = SimpleNamespace(beta_er=np.array(er), capacity=np.array(1.0))
    onset = dict(decline_onset_age=np.array(40.0), decline_onset_width=np.array(pm.DRAWN_ONSET_WIDTH))
    p = SimpleNamespace(capacity_susceptibility=np.array(1.0), capacity_decline=np.array(0.0), **onset)
    # mean glucose (pm.mean_glucose) = x times the reference's: fasting at that level, no postprandial excess
    d = lambda x, age=50.0: SimpleNamespace(age=np.array(age),  # noqa: E731
                                            fast={"day_mean_glucose_mg_dl": np.array(x * ref["glucose"]),
                                                  "fasting_glucose_mg_dl": np.array(x * ref["glucose"])})
    mech = pm.Mechanisms()
    lo, hi = (float(pm.capacity_loss(s, p, mech, d(x), ref)) for x in (g, g + dg))
    assert 0.0 <= lo <= hi <= pm.c("beta.capacity_glucose_rate") + pm.c("beta.capacity_er_rate") * er + 1e-12
    if g <= pm.c("beta.capacity_glucose_threshold") and er == 0.0:
        assert lo == 0.0
    # the glucose-independent decline (a person's random effect) acts on the reserve, not on the identity kept: the
    # dedifferentiation plateau is a share of the cells left (Cinti 2016), whatever the decline has taken
    p2 = SimpleNamespace(capacity_susceptibility=np.array(1.0), capacity_decline=np.array(0.01), **onset)
    assert float(pm.capacity_loss(s, p2, mech, d(g), ref)) == pytest.approx(lo, abs=1e-12)
    assert float(pm.reserve_loss(p2, d(g))) == pytest.approx(0.01, abs=1e-12)
    # ... from the person's onset age on (v2.6), not before
    assert float(pm.reserve_loss(p2, d(g, age=39.0))) == 0.0
    # the glucose-driven loss (dedifferentiation) stops at its floor (Cinti 2016)
    low = SimpleNamespace(beta_er=np.array(0.0), capacity=np.array(pm.c("beta.capacity_glucose_floor")))
    assert float(pm.capacity_loss(low, p2, mech, d(g + dg), ref)) == pytest.approx(0.0, abs=1e-12)


def test_lipolysis_factor_is_bounded_and_smooth():
    # fatty-acid release relative to the reference's suppressed flux: at most 1 + f with adipose insulin resistance
    # complete, never below the non-suppressible 1 - f however sensitive the tissue (insulin suppresses lipolysis by
    # about 80-90 % at most, Jensen 1989), continuous with a continuous slope at the reference (v2.15)
    f = pm.c("visceral.ffa_adipose")
    a = np.array([0.0, 0.5, 1.0 - 1e-6, 1.0, 1.0 + 1e-6, 2.0, 1e3])
    v = np.asarray(pm.lipolysis_factor(a))
    assert v[0] == pytest.approx(1.0 + f) and v[3] == pytest.approx(1.0)
    assert np.all(np.diff(v) < 0) and v[-1] > 1.0 - f
    slope_below, slope_above = (v[3] - v[2]) / 1e-6, (v[4] - v[3]) / 1e-6
    assert slope_below == pytest.approx(-f, rel=1e-4) and slope_above == pytest.approx(-f, rel=1e-4)


def test_the_beta_cells_secretory_demand_stresses_their_own_er_not_the_tissues():
    # Proinsulin folding load raises the UPR of beta cells (Back & Kaufman 2012); the UPR that blunts insulin signalling
    # in liver, muscle and adipose tissue follows their lipid and inflammatory load (Ozcan 2004), not secretion (v2.14)
    start = cp.initialise(columns(age=[50.0], female=[0.0], weight=[95.0]))
    s, p = start.state, start.params
    u, mech, ref = cp._inputs0(1), pm.Mechanisms(), pm.reference()
    d = pm._derive_jit(0.0, s, p, u, mech, ref)
    rest, busy = (pm.targets(s, p, u, mech, d._replace(workload=d.workload * 0.0 + w)) for w in (1.0, 2.0))
    assert float(busy["er_stress"][0]) == pytest.approx(float(rest["er_stress"][0]), abs=1e-12)
    assert float(busy["beta_er"][0]) > float(rest["beta_er"][0]) + 0.2
    assert float(rest["beta_er"][0]) == pytest.approx(float(rest["er_stress"][0]), abs=1e-12)  # same drivers at rest
    # the beta cells' UPR lowers their secretory function; the tissues' does not act on it
    stressed = pm.targets(s._replace(beta_er=s.beta_er + 1.0), p, u, mech, d)
    tissues = pm.targets(s._replace(er_stress=s.er_stress + 1.0), p, u, mech, d)
    assert float(stressed["beta_function"][0]) < float(rest["beta_function"][0])
    assert float(tissues["beta_function"][0]) == pytest.approx(float(rest["beta_function"][0]), abs=1e-12)


def test_a_worse_ogtt_means_less_responsivity_and_no_later_diabetes():
    # same fasting labs, 2-h glucose 6.0 vs 9.5 mmol/L: the worse tolerance starts with a lower stimulated
    # responsivity of secretion (the 2-h glucose information; the fasting labs fix the secretory mass knob)
    base = dict(age=[50.0, 50.0], female=[0.0, 0.0], weight=[95.0, 95.0], fasting_glucose=[104.0, 104.0],
                fasting_insulin=[14.0, 14.0], ogtt_glucose_120=[108.0, 171.0])
    start = cp.initialise(columns(**base))
    assert start.params.responsivity[1] < start.params.responsivity[0]
    out = cp.run(start, 25)
    dx = [np.flatnonzero(out[:, C["glycemic_status"], i] == 4) for i in range(2)]
    assert len(dx[1]) and (not len(dx[0]) or dx[1][0] <= dx[0][0])


def test_decline_begins_at_a_drawn_age_and_one_person_uses_its_share():
    # v2.6: cohorts draw the age at which the glucose-independent decline begins, uniform over
    # heterogeneity.capacity_decline_onset_min..max (20-100 y, an irsim choice); one person's projection uses the
    # share of persons of its age in whom it has begun, the mean over that distribution
    from irsim.cohort.synthetic import population

    lo, hi = pm.c("heterogeneity.capacity_decline_onset_min"), pm.c("heterogeneity.capacity_decline_onset_max")
    onset = population("whitehall_ii", 4000, seed=1)["decline_onset_age"]
    assert lo <= onset.min() and onset.max() < hi
    assert np.mean(onset) == pytest.approx((lo + hi) / 2, abs=2.0)  # uniform mean 60, SE 0.4 y
    one = cp.initialise(columns(age=[50.0]))
    ages = np.array([10.0, 20.0, 50.0, 60.0, 100.0, 110.0])
    share = np.asarray(pm.decline_active(ages, one.params))
    np.testing.assert_allclose(share, np.clip((ages - lo) / (hi - lo), 0.0, 1.0), atol=1e-12)
    drawn = cp.initialise(population("whitehall_ii", 3, seed=1))
    a = drawn.params.decline_onset_age
    np.testing.assert_array_equal(np.asarray(pm.decline_active(a - 0.01, drawn.params)), 0.0)
    np.testing.assert_array_equal(np.asarray(pm.decline_active(a + pm.DRAWN_ONSET_WIDTH, drawn.params)), 1.0)
