"""Time-to-event sampling on simulated trajectories, with death as a competing risk.

Two kinds of events:

* *onset* events are read off the trajectory: the first recorded time at which a state crosses its clinical
  threshold (type 2 diabetes by the ADA status, NAFLD by liver fat, CKD stage 3+ by eGFR, ...). The trajectory is
  deterministic, so the onset time is too; sampling decides whether the person is still alive to reach it.
* *hazard* events have an annual hazard column (myocardial infarction, stroke, dementia): a sample's event time
  solves ``H(t) = E`` with ``E ~ Exp(1)`` and ``H`` the cumulative hazard (piecewise constant between records).

Death: the life-table hazard for the person's sex and age (``parameters/data/life_tables.yaml``), raised by the
hazard ratio of diabetes from the model's diagnosis on. A sample's event is counted only if it comes before its
death and before the horizon; the cumulative incidence is therefore the competing-risk (Aalen-Johansen) quantity,
not one minus a Kaplan-Meier curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import parameters as _parameters


@dataclass(frozen=True)
class Event:
    name: str
    label: str
    column: str
    kind: str       # "onset" (threshold crossing of ``column``) or "hazard" (``column`` is an annual hazard)
    source: str
    op: str = ""
    threshold: object = None

    def onset(self, values) -> np.ndarray:
        """Which records (a Series, or an array of any shape) are past the threshold."""
        if self.op == "==":
            return np.asarray(values == self.threshold)
        x = np.asarray(values, dtype=float)
        return x >= self.threshold if self.op == ">=" else x < self.threshold


def _events() -> dict[str, Event]:
    """The events, from the core's and the organ modules' definitions (one source: :data:`irsim.models.core.EVENTS`)."""
    from ..models.core import EVENTS as DEFS

    out = {}
    for key, d in DEFS.items():
        name, label = d.get("name", key), d.get("label", key)
        if "rate" in d:
            out[name] = Event(name, label, d["rate"], "hazard", d["source"])
        else:
            out[name] = Event(name, label, d["column"], "onset", d["source"], d["op"], d["threshold"])
    return out


#: The events irsim samples; each is used when its column is in the trajectory.
EVENTS: dict[str, Event] = _events()


def death_hazard(age: np.ndarray, female, diabetic: np.ndarray) -> np.ndarray:
    """All-cause annual hazard, 1/year: life-table ``-ln(1 - q)`` with ln q interpolated linearly in age. ``female``:
    one flag, or one per person (the last axis of ``age``)."""
    lt = _parameters.load("life_tables")
    ages = np.asarray(lt["ages"]["value"], dtype=float)
    a = np.asarray(age, dtype=float)

    def log_q(key):
        lnq = np.log(np.asarray(lt[key]["value"], dtype=float))
        slope = (lnq[-1] - lnq[-2]) / (ages[-1] - ages[-2])
        return np.where(a > ages[-1], lnq[-1] + slope * (a - ages[-1]), np.interp(a, ages, lnq))

    lq = np.where(np.asarray(female, dtype=float) > 0.5, log_q("q_female"), log_q("q_male"))
    mu = -np.log1p(-np.minimum(np.exp(lq), 0.999))
    return mu * np.where(diabetic, lt["diabetes_hr"]["value"], 1.0)


def _invert(times: np.ndarray, hazard: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Times at which the piecewise-constant cumulative hazard reaches each ``e`` (NaN past the horizon). ``hazard``
    ``(n_times,)``: one trajectory, any number of draws; ``(n_times, N)``: N trajectories, one draw ``e[j]`` each."""
    dt = np.diff(times)
    h = np.maximum(hazard[:-1], 0.0)
    if h.ndim == 1:
        cum = np.concatenate([[0.0], np.cumsum(h * dt)])
        k = np.searchsorted(cum, e, side="right") - 1  # segment index
        at = lambda x, k: x[k]  # noqa: E731
    else:
        cum = np.concatenate([np.zeros((1, h.shape[1])), np.cumsum(h * dt[:, None], axis=0)])
        k = (cum <= e[None, :]).sum(axis=0) - 1
        at = lambda x, k: np.take_along_axis(x, k[None, :], axis=0)[0]  # noqa: E731
    inside = k < len(dt)
    k = np.clip(k, 0, len(dt) - 1)
    hk = at(h, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = times[k] + (e - at(cum, k)) / hk
    return np.where(inside & (hk > 0), t, np.nan)


def competing(times: dict[str, np.ndarray], death: np.ndarray, fatal_draw: dict[str, np.ndarray]) -> np.ndarray:
    """Death as the competing risk, in place: a first MI or stroke is fatal where its uniform draw is below the case
    fatality (the life table holds the other deaths), and no event counts after death. Returns the death times."""
    fatality = _parameters.load("life_tables")["case_fatality"]["value"]
    for name, cf in fatality.items():
        if name in times:
            fatal = np.isfinite(times[name]) & (fatal_draw[name] < cf)
            death = np.where(fatal, np.fmin(death, times[name]), death)
    for name, ev_t in times.items():
        times[name] = np.where(np.isfinite(death) & (ev_t > death), np.nan, ev_t)
    return death


@dataclass
class EventSample:
    """Event time per sample (NaN: none before death or the horizon), death times, and the share of samples whose
    trajectory has each onset event at the start (one trajectory: 0 or 1; draws of a person's unknowns: a share)."""

    horizon: float
    times: dict[str, np.ndarray]
    death: np.ndarray
    prevalent: dict[str, float] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return len(self.death)

    def cumulative_incidence(self, grid: np.ndarray | None = None) -> pd.DataFrame:
        """Share of samples with the event by each time (competing death accounted for): one column per event."""
        grid = np.linspace(0.0, self.horizon, int(round(self.horizon)) + 1) if grid is None else np.asarray(grid)
        data = {"year": grid}
        for name, t in self.times.items():
            data[name] = (np.isfinite(t)[None, :] & (t[None, :] <= grid[:, None])).mean(axis=1)
        data["death"] = (np.isfinite(self.death)[None, :] & (self.death[None, :] <= grid[:, None])).mean(axis=1)
        return pd.DataFrame(data)

    def summary(self) -> pd.DataFrame:
        rows = []
        for name, t in self.times.items():
            hit = np.isfinite(t)
            p = hit.mean()
            se = np.sqrt(max(p * (1 - p), 1e-12) / self.samples)
            rows.append({"event": name, "label": EVENTS[name].label, "probability": p,
                         "ci95_low": max(p - 1.96 * se, 0.0), "ci95_high": min(p + 1.96 * se, 1.0),
                         "median_year": float(np.median(t[hit])) if hit.any() else np.nan,
                         "present_at_start": float(self.prevalent.get(name, 0.0))})
        alive = 1.0 - np.isfinite(self.death).mean()
        rows.append({"event": "alive", "label": f"alive at year {self.horizon:g}", "probability": alive,
                     "ci95_low": np.nan, "ci95_high": np.nan, "median_year": np.nan, "present_at_start": 0.0})
        return pd.DataFrame(rows)


def sample_times(t: np.ndarray, age: np.ndarray, diabetic: np.ndarray, female, m: int, rng: np.random.Generator,
                 values) -> tuple[dict, np.ndarray, dict]:
    """Event and death times of ``m`` samples (NaN: none before death or the horizon ``t[-1]``): ``age``, ``diabetic``
    and each ``values(column)`` (an event's column, labels for categorical ones; None skips the event) are
    ``(n_times,)``, one trajectory shared by all samples, or ``(n_times, m)``, one trajectory per sample. Random
    numbers in a fixed order: death, each hazard event, each case fatality. Returns the times, the death times and
    whether each onset event is present at ``t[0]``."""
    death = _invert(t, death_hazard(age, female, diabetic), rng.exponential(size=m))
    times, first = {}, {}
    for ev in EVENTS.values():
        values_of = values(ev.column)
        if values_of is None:
            continue
        if ev.kind == "onset":
            past = ev.onset(values_of)
            hit, k = past.any(axis=0), np.argmax(past, axis=0)
            times[ev.name] = np.broadcast_to(np.where(hit, t[k], np.nan), (m,)).copy()
            first[ev.name] = hit & (k == 0)
        else:
            times[ev.name] = _invert(t, np.asarray(values_of, dtype=float), rng.exponential(size=m))
    fatality = _parameters.load("life_tables")["case_fatality"]["value"]
    death = competing(times, death, {name: rng.random(m) for name in fatality if name in times})
    return times, death, first


def sample(traj: pd.DataFrame, female: bool, samples: int = 1000, seed: int = 0) -> EventSample:
    """Sample event and death times for one trajectory (rows in time order with ``year``, ``age`` and the events'
    columns; columns absent from the trajectory skip their event)."""
    if samples < 1 or samples > 10_000_000:
        from ..errors import InputError, Problem

        raise InputError([Problem("--samples", f"{samples} must be between 1 and 10,000,000")])
    rng = np.random.default_rng(seed)
    t = traj["year"].to_numpy(dtype=float)
    t = t - t[0]
    diabetic = (traj["glycemic_status"] == "T2D").to_numpy() if "glycemic_status" in traj else np.zeros(len(t), bool)
    times, death, first = sample_times(t, traj["age"].to_numpy(dtype=float), diabetic, female, samples, rng,
                                       lambda column: traj[column].to_numpy() if column in traj else None)
    prevalent = {name: float(hit) for name, hit in first.items()}
    return EventSample(horizon=float(t[-1]), times=times, death=death, prevalent=prevalent)
