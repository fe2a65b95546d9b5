"""Trial-report statistics (irsim.analysis.survival) against closed forms, published examples and statsmodels."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from irsim.analysis.survival import (
    cox_hazard_ratio,
    cumulative_incidence,
    mean_ci,
    poisson_rate,
    proportion_ci,
)

NONE = (None, (None, None))


def _trial(seed, n, hr, visit=0.5, follow_up=6.0, dropout=0.08, treated_share=0.5):
    """Simulated two-arm trial: exponential event times, events seen at the next visit (ties), random drop-out and
    administrative censoring at the end of follow-up."""
    rng = np.random.default_rng(seed)
    x = (rng.random(n) < treated_share).astype(int)
    t_event = np.ceil(rng.exponential(6.0 / hr ** x) / visit) * visit
    t_drop = np.floor(rng.exponential(1 / dropout, n) / visit) * visit
    t = np.minimum.reduce([t_event, t_drop, np.full(n, follow_up)])
    e = (t_event <= t_drop) & (t_event <= follow_up)
    return t, e, x


TRIALS = [  # (seed, n, hr, visit, treated share)
    (0, 3000, 0.7, 0.5, 0.5),
    (1, 1500, 1.0, 1.0, 0.5),
    (2, 4000, 1.6, 0.25, 0.3),
    (3, 800, 0.45, 1.0, 0.65),
]


# --- poisson_rate ---

def test_poisson_rate_textbook():
    # 10 events in 1000 person-years: 1.0 per 100 py, exact interval 0.4795-1.8390 per 100 py (Garwood 1936; the
    # tabulated exact Poisson limits for 10 observed events are 4.795-18.390)
    rate, (lo, hi) = poisson_rate(10, 1000.0)
    assert rate == pytest.approx(1.0, rel=1e-12)
    assert lo == pytest.approx(0.4795, abs=5e-5)
    assert hi == pytest.approx(1.8390, abs=5e-5)


@pytest.mark.parametrize("k,py,per", [(1, 50.0, 100.0), (7, 1234.5, 1000.0), (250, 9876.0, 100.0), (3, 0.7, 1.0)])
def test_poisson_rate_chi2_closed_form(k, py, per):
    # Garwood's limits: chi2(0.025; 2k)/2 and chi2(0.975; 2k+2)/2 events; the same as gamma quantiles (shape k, k+1)
    rate, (lo, hi) = poisson_rate(k, py, per=per)
    assert rate == pytest.approx(k / py * per, rel=1e-12)
    assert lo == pytest.approx(stats.chi2.ppf(0.025, 2 * k) / 2 / py * per, rel=1e-12)
    assert hi == pytest.approx(stats.chi2.ppf(0.975, 2 * k + 2) / 2 / py * per, rel=1e-12)
    assert lo == pytest.approx(stats.gamma.ppf(0.025, k) / py * per, rel=1e-9)
    assert hi == pytest.approx(stats.gamma.ppf(0.975, k + 1) / py * per, rel=1e-9)


def test_poisson_rate_zero_events_and_degenerate():
    # zero events is estimable: upper limit -ln(0.025) = 3.689 events (the "rule of 3.69")
    assert poisson_rate(0, 100.0) == (0.0, (0.0, pytest.approx(3.6889, abs=1e-4)))
    assert poisson_rate(0, 0.0) == NONE
    assert poisson_rate(4, 0.0) == NONE
    with pytest.raises(ValueError, match="events"):
        poisson_rate(-1, 10.0)
    with pytest.raises(ValueError, match="events"):
        poisson_rate(2.5, 10.0)
    with pytest.raises(ValueError, match="person_years"):
        poisson_rate(1, float("nan"))
    with pytest.raises(ValueError, match="person_years"):
        poisson_rate(1, -3.0)
    with pytest.raises(ValueError, match="per"):
        poisson_rate(1, 3.0, per=0)


# --- cox_hazard_ratio ---

def _efron_score_loglik(beta, t, e, x):
    """Efron's partial log-likelihood and score by the textbook O(n * event times) risk-set loop (Efron 1977)."""
    ll = g = 0.0
    w = np.exp(beta * x)
    for tj in np.unique(t[e]):
        risk, ev = t >= tj, (t == tj) & e
        d = int(ev.sum())
        s0, s1 = w[risk].sum(), (x * w)[risk].sum()
        d0, d1 = w[ev].sum(), (x * w)[ev].sum()
        ll += beta * x[ev].sum()
        g += x[ev].sum()
        for m in range(d):
            c = m / d
            ll -= math.log(s0 - c * d0)
            g -= (s1 - c * d1) / (s0 - c * d0)
    return ll, g


def test_cox_is_the_efron_maximum():
    # independent of statsmodels: the score vanishes at the fit, and the Wald se matches the curvature of the loop
    t, e, x = _trial(5, 600, 0.6, visit=1.0)
    hr, (lo, hi) = cox_hazard_ratio(t, e, x)
    b = math.log(hr)
    assert abs(_efron_score_loglik(b, t, e, x)[1]) < 1e-8
    h = 1e-4
    info = -(_efron_score_loglik(b + h, t, e, x)[1] - _efron_score_loglik(b - h, t, e, x)[1]) / (2 * h)
    se = 1 / math.sqrt(info)
    z = stats.norm.ppf(0.975)
    assert lo == pytest.approx(math.exp(b - z * se), rel=1e-6)
    assert hi == pytest.approx(math.exp(b + z * se), rel=1e-6)


@pytest.mark.parametrize("seed,n,hr,visit,share", TRIALS)
def test_cox_matches_statsmodels(seed, n, hr, visit, share):
    pytest.importorskip("statsmodels")
    from statsmodels.duration.hazard_regression import PHReg

    t, e, x = _trial(seed, n, hr, visit=visit, treated_share=share)
    assert len(np.unique(t[e])) < e.sum() / 10          # heavy ties
    assert 0.2 < 1 - e.mean() < 0.9                      # and censoring
    # reference: statsmodels PHReg with Efron ties (its default is Breslow), Newton fit; Wald CI exp(b -+ z se) with
    # se from its observed information (bse). Measured agreement (statsmodels 0.15.0, numpy 2.4): relative
    # difference <= 2.2e-16 in the HR and both bounds for all four trials; 1e-12 leaves room for other BLAS/versions.
    fit = PHReg(t, x.astype(float)[:, None], status=e.astype(float), ties="efron").fit()
    b, se = float(fit.params[0]), float(fit.bse[0])
    z = stats.norm.ppf(0.975)
    got, (lo, hi) = cox_hazard_ratio(t, e.astype(bool), x.astype(bool))
    assert got == pytest.approx(math.exp(b), rel=1e-12)
    assert lo == pytest.approx(math.exp(b - z * se), rel=1e-12)
    assert hi == pytest.approx(math.exp(b + z * se), rel=1e-12)
    assert lo < got < hi


def test_cox_not_estimable():
    t = np.array([1.0, 2, 2, 3, 4, 5])
    # zero events among the treated: beta -> -inf
    assert cox_hazard_ratio(t, [1, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 1]) == NONE
    # zero events among the controls: beta -> +inf
    assert cox_hazard_ratio(t, [0, 1, 1, 0, 1, 1], [0, 1, 1, 0, 1, 1]) == NONE
    # events in both arms, but every control event comes after the last treated person has left: monotone
    # likelihood, beta -> +inf
    assert cox_hazard_ratio(t, [1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]) == NONE
    assert cox_hazard_ratio(t, np.zeros(6), [0, 1, 0, 1, 0, 1]) == NONE      # no events
    assert cox_hazard_ratio(t, np.ones(6), np.ones(6)) == NONE              # one arm only
    assert cox_hazard_ratio([], [], []) == NONE                             # n = 0
    # one control event while treated are at risk and vice versa: finite
    hr, (lo, hi) = cox_hazard_ratio(t, [1, 1, 0, 1, 1, 0], [0, 1, 1, 0, 0, 1])
    assert 0 < lo < hr < hi < math.inf


def test_cox_validation():
    with pytest.raises(ValueError, match="event"):
        cox_hazard_ratio([1.0, 2.0], [1], [0, 1])
    with pytest.raises(ValueError, match="treated"):
        cox_hazard_ratio([1.0, 2.0], [1, 0], [0, 1, 1])
    with pytest.raises(ValueError, match="time"):
        cox_hazard_ratio([1.0, -2.0], [1, 0], [0, 1])
    with pytest.raises(ValueError, match="time"):
        cox_hazard_ratio([1.0, float("inf")], [1, 0], [0, 1])
    with pytest.raises(ValueError, match="event"):
        cox_hazard_ratio([1.0, 2.0], [1, 2], [0, 1])
    with pytest.raises(ValueError, match="treated"):
        cox_hazard_ratio([1.0, 2.0], [1, 0], [0, float("nan")])


# --- cumulative_incidence ---

@pytest.mark.parametrize("seed,n,hr,visit,share", TRIALS)
def test_cumulative_incidence_matches_statsmodels(seed, n, hr, visit, share):
    pytest.importorskip("statsmodels")
    from statsmodels.duration.survfunc import SurvfuncRight

    t, e, _ = _trial(seed, n, hr, visit=visit, treated_share=share)
    # reference: statsmodels SurvfuncRight, the Kaplan-Meier step function (surv_prob at the event times surv_times)
    # and its Greenwood standard error of S (surv_prob_se). statsmodels has no pointwise CI of S: simultaneous_cb is
    # a Hall-Wellner band (log or arcsin transform), and the "cloglog" of quantile_ci only serves survival quantiles.
    # So the log(-log) bounds are computed here in closed form from statsmodels' Greenwood se (delta method:
    # se(log(-log S)) = se(S) / (S |log S|), Kalbfleisch & Prentice), which checks our Greenwood sum and transform.
    # Measured agreement (statsmodels 0.15.0): <= 2.2e-16 absolute in the incidence and both bounds, all four trials.
    km = SurvfuncRight(t, e.astype(float))
    z = stats.norm.ppf(0.975)
    at = [0.0, 0.1, visit, 1.0, 1.3, 2.0, 2 * visit + 0.01, 3.0, 4.75, 5.999, 6.0]
    got = cumulative_incidence(t, e, at)
    assert len(got) == len(at)
    checked = 0
    for a, (inc, (lo, hi)) in zip(at, got):
        i = int(np.searchsorted(km.surv_times, a, side="right")) - 1      # an event at exactly a counts by a
        s = 1.0 if i < 0 else float(km.surv_prob[i])
        assert inc == pytest.approx(1 - s, abs=1e-12)
        assert lo <= inc <= hi
        if i < 0:
            assert (lo, hi) == (0.0, 0.0)
            continue
        lls, half = math.log(-math.log(s)), z * float(km.surv_prob_se[i]) / (s * abs(math.log(s)))
        assert lo == pytest.approx(1 - math.exp(-math.exp(lls - half)), abs=1e-12)
        assert hi == pytest.approx(1 - math.exp(-math.exp(lls + half)), abs=1e-12)
        checked += 1
    assert checked >= 8                                   # most of `at` lies after the first event


def test_cumulative_incidence_hand_example():
    # 5 persons: events at 1, 1, 3; censored at 2, 4. S(1) = 3/5, S(3) = 3/5 * 1/2 (Kaplan & Meier 1958 product)
    t, e = [1.0, 1.0, 2.0, 3.0, 4.0], [1, 1, 0, 1, 0]
    res = cumulative_incidence(t, e, [0.5, 1.0, 2.5, 3.0, 4.0, 4.5])
    assert res[0] == (0.0, (0.0, 0.0))                   # before the first event
    assert res[1][0] == pytest.approx(0.4)               # an event at exactly t counts by t
    assert res[2][0] == pytest.approx(0.4)
    assert res[3][0] == pytest.approx(0.7)
    assert res[4][0] == pytest.approx(0.7)
    assert res[5] == NONE                                # nobody at risk after 4, survival > 0
    # Greenwood: var log S(3) = 2/(5*3) + 1/(2*1); log(-log) CI of S, as incidence bounds
    ls = math.log(0.3)
    half = stats.norm.ppf(0.975) * math.sqrt(2 / 15 + 1 / 2) / abs(ls)
    assert res[3][1][0] == pytest.approx(1 - math.exp(-math.exp(math.log(-ls) - half)), rel=1e-12)
    assert res[3][1][1] == pytest.approx(1 - math.exp(-math.exp(math.log(-ls) + half)), rel=1e-12)


def test_cumulative_incidence_degenerate_and_validation():
    assert cumulative_incidence([], [], [0.0, 1.0]) == [NONE, NONE]            # n = 0
    assert cumulative_incidence([2.0, 2.0], [1, 1], [2.0, 9.0]) == [(1.0, (1.0, 1.0))] * 2   # survival reached 0
    assert cumulative_incidence([1.0, 2.0], [1, 0], 1.5) == cumulative_incidence([1.0, 2.0], [1, 0], [1.5])
    with pytest.raises(ValueError, match="event"):
        cumulative_incidence([1.0, 2.0], [1], [1.0])
    with pytest.raises(ValueError, match="time"):
        cumulative_incidence([1.0, float("nan")], [1, 0], [1.0])
    with pytest.raises(ValueError, match="at"):
        cumulative_incidence([1.0, 2.0], [1, 0], [-1.0])


@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=0, max_size=60),
       at=st.lists(st.floats(0, 14, allow_nan=False), min_size=1, max_size=10))
def test_cumulative_incidence_properties(data, at):
    t = np.array([d[0] / 2 for d in data], dtype=float)      # half-year visits: many ties
    e = np.array([d[1] for d in data], dtype=bool)
    at = sorted(at)
    res = cumulative_incidence(t, e, at)
    prev = 0.0
    for a, (inc, (lo, hi)) in zip(at, res):
        if inc is None:
            assert lo is None and hi is None
            assert not np.any(t >= a)                         # only where nobody is at risk
            continue
        assert 0.0 <= lo <= inc <= hi <= 1.0
        assert inc >= prev - 1e-12
        prev = inc


# --- mean_ci, proportion_ci ---

@pytest.mark.parametrize("x", [[2.0, 4.0, 9.0], list(np.random.default_rng(3).normal(5, 2, 57)), [1.0, 1.0, 3.0] * 40])
def test_mean_ci_matches_student_t(x):
    # reference: scipy.stats.t.interval with the standard error of the mean
    m, (lo, hi) = mean_ci(x)
    ref = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert m == pytest.approx(np.mean(x), rel=1e-12)
    assert (lo, hi) == pytest.approx(ref, rel=1e-10)


def test_mean_ci_finite_entries_and_degenerate():
    assert mean_ci([2.0, np.nan, 4.0, np.inf, 9.0, -np.inf]) == mean_ci([2.0, 4.0, 9.0])
    # by hand: mean 5, sd 3.6056, n 3 -> 5 +- 4.303 * 2.0817 = -3.957 .. 13.957 (t(0.975; 2) = 4.303)
    assert mean_ci([2.0, 4.0, 9.0])[1] == pytest.approx((-3.957, 13.957), abs=1e-3)
    assert mean_ci([3.0, 3.0]) == (3.0, (3.0, 3.0))
    assert mean_ci([]) == NONE
    assert mean_ci([1.5]) == NONE
    assert mean_ci([1.5, np.nan]) == NONE


@pytest.mark.parametrize("k,n,lo,hi", [
    # Newcombe 1998 (Stat Med 17:857), table I, method 3 (Wilson score); statsmodels proportion_confint(method="wilson")
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_proportion_ci_wilson_published(k, n, lo, hi):
    p, (got_lo, got_hi) = proportion_ci(k, n)
    assert p == pytest.approx(k / n, rel=1e-12)
    assert got_lo == pytest.approx(lo, abs=5e-5)
    assert got_hi == pytest.approx(hi, abs=5e-5)


def test_proportion_ci_degenerate():
    assert proportion_ci(0, 0) == NONE
    p, (lo, hi) = proportion_ci(20, 20)
    assert p == 1.0 and hi == 1.0 and lo == pytest.approx(0.8389, abs=5e-5)   # mirror of 0/20 above
    with pytest.raises(ValueError, match="successes"):
        proportion_ci(5, 4)
    with pytest.raises(ValueError, match="successes"):
        proportion_ci(-1, 4)
    with pytest.raises(ValueError, match="n"):
        proportion_ci(1, 2.5)
