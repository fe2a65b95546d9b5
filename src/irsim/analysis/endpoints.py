"""A virtual trial's endpoints from its person table (:func:`irsim.cohort.trial.read_persons`): the statistics of
:mod:`.survival` per arm, in the layout of ``summary.json`` (docs/trials.md).

Per event, a person is at risk unless the event was present at baseline (``<event>_year`` 0); their time is the
event's year, or their follow-up where it was not observed. Means and proportions at a year are over the persons
still followed then.
"""

from __future__ import annotations

import numpy as np

from .. import DISCLAIMER
from . import survival


def _interval(result) -> dict:
    value, (lo, hi) = result
    return {"value": value, "ci95": [lo, hi]}


def at_risk(persons, event: str):
    """Rows at risk of ``event`` and their (time, observed) arrays."""
    t = persons[f"{event}_year"].to_numpy(dtype=float)
    rows = ~(t == 0.0)
    t, follow = t[rows], persons["followup_years"].to_numpy(dtype=float)[rows]
    observed = np.isfinite(t)
    return rows, np.where(observed, t, follow), observed


def summarise(spec, persons) -> dict:
    """``summary.json``: ``arms.<arm>.{n, incidence, hazard_ratio, cumulative_incidence, mean_change,
    mean_percent_change, proportion}`` for the endpoints the spec asks for."""
    arms = {}
    by_arm = {a.name: persons[persons["arm"] == a.name] for a in spec.arms}
    for arm in spec.arms:
        g = by_arm[arm.name]
        entry: dict = {"n": int(len(g))}
        for ep in spec.endpoints:
            if ep.type == "incidence":
                _, time, observed = at_risk(g, ep.event)
                events, py = int(observed.sum()), float(time.sum())
                rate, ci = survival.poisson_rate(events, py)
                entry.setdefault("incidence", {})[ep.event] = {"per_100py": rate, "ci95": list(ci), "events": events,
                                                               "person_years": py}
            elif ep.type == "hazard_ratio":
                if arm.name == ep.reference:
                    continue
                both = persons[persons["arm"].isin([arm.name, ep.reference])]
                rows, time, observed = at_risk(both, ep.event)
                treated = (both["arm"].to_numpy() == arm.name)[rows]
                entry.setdefault("hazard_ratio", {})[ep.event] = _interval(
                    survival.cox_hazard_ratio(time, observed, treated))
            elif ep.type == "cumulative_incidence":
                _, time, observed = at_risk(g, ep.event)
                curve = survival.cumulative_incidence(time, observed, ep.at_years) if len(time) else \
                    [(None, (None, None))] * len(ep.at_years)
                entry.setdefault("cumulative_incidence", {})[ep.event] = {
                    f"{y:g}": _interval(r) for y, r in zip(ep.at_years, curve)}
            elif ep.type in ("mean_change", "mean_percent_change"):
                x0 = g[f"{ep.column}@0"].to_numpy(dtype=float)
                for y in ep.at_years:
                    xy = g[f"{ep.column}@{y:g}"].to_numpy(dtype=float)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        d = xy - x0 if ep.type == "mean_change" else 100.0 * (xy / x0 - 1.0)
                    entry.setdefault(ep.type, {}).setdefault(ep.column, {})[f"{y:g}"] = _interval(survival.mean_ci(d))
            elif ep.type == "proportion":
                for y in ep.at_years:
                    x = g[f"{ep.name}@{y:g}"].to_numpy(dtype=float)
                    x = x[np.isfinite(x)]
                    entry.setdefault("proportion", {}).setdefault(ep.name, {})[f"{y:g}"] = _interval(
                        survival.proportion_ci(int(x.sum()), int(len(x))))
        arms[arm.name] = entry
    return {"name": spec.name, "seed": spec.seed, "spec_sha256": spec.digest(), "n": int(len(persons)),
            "note": DISCLAIMER, "arms": arms}
