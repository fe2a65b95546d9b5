"""Trial-report statistics: incidence rates, hazard ratios, cumulative incidence, means and proportions with 95 %
confidence intervals. Pure numpy/scipy, vectorised for millions of persons per arm.

* :func:`poisson_rate` - events per ``per`` person-years with the exact Poisson interval from the chi-square
  quantiles, ``chi2(0.025, 2k) / 2`` to ``chi2(0.975, 2k + 2) / 2`` events (Garwood 1936, Biometrika 28:437).
* :func:`cox_hazard_ratio` - Cox proportional-hazards ratio of one binary covariate, partial likelihood with Efron's
  approximation for tied event times (Efron 1977, JASA 72:557), maximised by Newton-Raphson with step halving;
  Wald interval ``exp(beta +- z se)`` with ``se`` from the observed information. With one binary covariate the
  risk sets reduce to counts per arm, so the fit is a sort plus cumulative sums, O(n log n).
* :func:`cumulative_incidence` - one minus the Kaplan-Meier survival (Kaplan & Meier 1958) for right-censored data,
  Greenwood's variance (Greenwood 1926) and the interval of ``log(-log S)`` (Kalbfleisch & Prentice, The Statistical
  Analysis of Failure Time Data, 1980/2002; lifelines' default, R ``survfit(conf.type = "log-log")``), whose
  bounds stay inside [0, 1].
* :func:`mean_ci` - mean and Student t interval over the finite entries.
* :func:`proportion_ci` - share and Wilson score interval (Wilson 1927, JASA 22:209; Newcombe 1998, Stat Med
  17:857, method 3).

``z`` is the standard normal 97.5 % quantile (1.95996...). Every function returns Python floats as
``(estimate, (lower, upper))``; where the quantity is not estimable it returns ``(None, (None, None))`` (JSON
``null``), never NaN. Malformed input (lengths differ, negative or non-finite times, non-0/1 flags) raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

Interval = tuple[float, float]

Z95 = float(stats.norm.ppf(0.975))
_NONE = (None, (None, None))

__all__ = ["Interval", "poisson_rate", "cox_hazard_ratio", "cumulative_incidence", "mean_ci", "proportion_ci"]


def _count(value, name: str) -> int:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}") from None
    if not np.isfinite(v) or v < 0 or v != int(v):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(v)


def _times(x, name: str, scalar_ok: bool = False) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric") from None
    if scalar_ok:
        a = np.atleast_1d(a)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    return a


def _flags(x, name: str, n: int) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be bool or 0/1") from None
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size != n:
        raise ValueError(f"{name} has length {a.size}, time has length {n}")
    if not np.all((a == 0) | (a == 1)):
        raise ValueError(f"{name} must be bool or 0/1")
    return a == 1


def poisson_rate(events: int, person_years: float, per: float = 100.0) -> tuple[float, Interval]:
    """Incidence rate per `per` person-years with the exact (Garwood, chi-square) 95 % CI.

    Zero events is estimable: rate 0, interval ``(0, chi2(0.975, 2) / 2 / person_years * per)``. Zero person-years
    is not: returns ``(None, (None, None))``. Raises ``ValueError`` for a negative or non-integer ``events``, a
    negative or non-finite ``person_years``, or ``per <= 0``.
    """
    k = _count(events, "events")
    py = float(person_years)
    if not np.isfinite(py) or py < 0:
        raise ValueError(f"person_years must be finite and >= 0, got {person_years!r}")
    per = float(per)
    if not np.isfinite(per) or per <= 0:
        raise ValueError(f"per must be finite and > 0, got {per!r}")
    if py == 0:
        return _NONE
    scale = per / py
    lower = stats.chi2.ppf(0.025, 2 * k) / 2 if k > 0 else 0.0
    upper = stats.chi2.ppf(0.975, 2 * k + 2) / 2
    return k * scale, (float(lower * scale), float(upper * scale))


def _efron_terms(time: np.ndarray, event: np.ndarray, treated: np.ndarray):
    """Per event, Efron's risk-set weights: the l-th of d tied events at t sees ``A + B exp(beta)``, with
    ``A = R0 - l/d d0``, ``B = R1 - l/d d1`` (R: at risk, d: events at t, per arm 0/1).

    Returns A, B and the number of events in arm 1."""
    te = time[event]
    xe = treated[event]
    tj, d = np.unique(te, return_counts=True)
    d1 = np.bincount(np.searchsorted(tj, te[xe]), minlength=tj.size)
    d0 = d - d1
    s1 = np.sort(time[treated])
    s0 = np.sort(time[~treated])
    r1 = s1.size - np.searchsorted(s1, tj, side="left")     # at risk: time >= t (censored at t included)
    r0 = s0.size - np.searchsorted(s0, tj, side="left")
    grp = np.repeat(np.arange(tj.size), d)
    c = (np.arange(grp.size) - np.repeat(np.cumsum(d) - d, d)) / d[grp]
    a = r0[grp] - c * d0[grp]
    b = r1[grp] - c * d1[grp]
    return a, b, int(d1.sum())


def cox_hazard_ratio(time, event, treated) -> tuple[float, Interval]:
    """Cox proportional-hazards ratio of one binary covariate (treated = 1 vs 0), Efron's method for ties (event
    times in trials are often visit times, so ties are the rule), Newton-Raphson on the partial likelihood,
    Wald 95 % CI exp(beta +- 1.96 se).

    ``1.96`` is the exact normal quantile 1.95996..., ``se`` the inverse square root of the observed information.
    Not estimable, returning ``(None, (None, None))``: the partial likelihood has no finite maximum, i.e. no
    control event while a treated person is at risk (beta -> -inf) or no treated event while a control is at
    risk (beta -> +inf). This covers zero events in either arm, an empty arm, n = 0.
    """
    t = _times(time, "time")
    e = _flags(event, "event", t.size)
    x = _flags(treated, "treated", t.size)
    a, b, d1 = _efron_terms(t, e, x)
    # limits of the score: beta -> +inf gives d1 - #{B > 0}, beta -> -inf gives d1 - #{A == 0}
    if not (d1 < np.count_nonzero(b > 0) and d1 > np.count_nonzero(a == 0)):
        return _NONE
    with np.errstate(divide="ignore"):
        la, lb = np.log(a), np.log(b)

    def loglik(beta):
        return d1 * beta - np.logaddexp(la, lb + beta).sum()

    beta, ll = 0.0, loglik(0.0)
    for _ in range(100):
        q = special.expit(beta + lb - la)                   # expected share of arm 1 in each Efron risk set
        info = float(np.sum(q * (1 - q)))
        step = (d1 - q.sum()) / info
        while True:                                         # step halving keeps the log-likelihood rising
            new_ll = loglik(beta + step)
            if new_ll >= ll - 1e-12 * abs(ll) or abs(step) < 1e-14:
                break
            step /= 2
        beta, ll = beta + step, new_ll
        if abs(step) < 1e-10:                               # quadratic convergence: beta is now exact to rounding
            break
    q = special.expit(beta + lb - la)
    se = 1 / np.sqrt(np.sum(q * (1 - q)))
    return float(np.exp(beta)), (float(np.exp(beta - Z95 * se)), float(np.exp(beta + Z95 * se)))


def cumulative_incidence(time, event, at) -> list[tuple[float, Interval]]:
    """1 - Kaplan-Meier at each time in `at` (right-censored data; an event at exactly t counts by t), with
    Greenwood variance and the log(-log) transformed 95 % CI of the survival, returned as incidence bounds.

    Before the first event the incidence is ``(0.0, (0.0, 0.0))``; once the survival reaches 0 it is
    ``(1.0, (1.0, 1.0))``. An entry of `at` with nobody at risk (later than every time, survival above 0) is not
    estimable: ``(None, (None, None))`` (so is every entry when n = 0). A scalar `at` gives a one-entry list.
    Raises ``ValueError`` if ``time`` or ``at`` holds a negative or non-finite value or ``event`` has a different
    length.
    """
    t = _times(time, "time")
    e = _flags(event, "event", t.size)
    at = _times(at, "at", scalar_ok=True)
    st = np.sort(t)
    tj, d = np.unique(t[e], return_counts=True)
    n = st.size - np.searchsorted(st, tj, side="left")
    surv = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore"):
        gw = np.cumsum(np.where(n > d, d / (n * np.maximum(n - d, 1)), 0.0))   # Greenwood sum; n == d adds 0
    idx = np.searchsorted(tj, at, side="right") - 1
    at_risk = st.size - np.searchsorted(st, at, side="left")
    out = []
    for i, r in zip(idx.tolist(), at_risk.tolist()):
        s = 1.0 if i < 0 else float(surv[i])
        if s == 0.0:
            out.append((1.0, (1.0, 1.0)))
        elif r == 0:
            out.append(_NONE)
        elif s == 1.0:
            out.append((0.0, (0.0, 0.0)))
        else:
            ls = np.log(s)
            half = Z95 * np.sqrt(gw[i]) / abs(ls)
            s_lo = np.exp(-np.exp(np.log(-ls) + half))
            s_hi = np.exp(-np.exp(np.log(-ls) - half))
            out.append((1 - s, (float(1 - s_hi), float(1 - s_lo))))
    return out


def mean_ci(x) -> tuple[float, Interval]:
    """Mean and its t-distribution 95 % CI over the finite entries.

    Fewer than 2 finite entries: ``(None, (None, None))``. Equal values give the degenerate interval (mean, mean).
    """
    a = np.asarray(x, dtype=float).ravel()
    a = a[np.isfinite(a)]
    if a.size < 2:
        return _NONE
    m = float(a.mean())
    half = float(stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / np.sqrt(a.size))
    return m, (m - half, m + half)


def proportion_ci(successes: int, n: int) -> tuple[float, Interval]:
    """Share and its Wilson score 95 % CI.

    ``n = 0``: ``(None, (None, None))``. Raises ``ValueError`` unless ``0 <= successes <= n`` are integers.
    """
    k = _count(successes, "successes")
    n = _count(n, "n")
    if k > n:
        raise ValueError(f"successes ({k}) must not exceed n ({n})")
    if n == 0:
        return _NONE
    p = k / n
    z2 = Z95 ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return p, (float(max(0.0, centre - half)), float(min(1.0, centre + half)))
