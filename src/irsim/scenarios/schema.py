"""Scenario files: a named list of dated interventions that start, stop and combine.

```yaml
name: lifestyle
interventions:
  - {type: weight_loss, start_year: 0, percent: 7, over_months: 6, then: maintain}   # or: regain
  - {type: physical_activity, start_year: 0, minutes_per_week: 150}
  - {type: metformin, start_year: 0, mg_per_day: 1700}          # optional stop_year on any entry
```
Effect sizes and their sources: parameters/data/progression.yaml and docs/progression.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError, Problem, read_yaml


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start_year: float = Field(ge=0, le=100, description="years from the start of the simulation")
    stop_year: float | None = Field(default=None, gt=0, le=200, description="when it ends (default: never)")

    @model_validator(mode="after")
    def _order(self):
        if self.stop_year is not None and self.stop_year <= self.start_year:
            raise ValueError(f"stop_year {self.stop_year} must be after start_year {self.start_year}")
        return self

    @property
    def stop(self) -> float:
        return np.inf if self.stop_year is None else float(self.stop_year)


class CalorieChange(_Base):
    type: Literal["calorie_change"]
    kcal_per_day: float = Field(ge=-3000, le=1500, description="change in energy intake, kcal/day (a very-low-calorie "
                                                              "diet of 600 kcal/day is about -2200)")


class WeightLoss(_Base):
    type: Literal["weight_loss"]
    percent: float = Field(gt=0, le=40, description="target loss, % of body weight")
    over_months: float = Field(gt=0, le=60, description="months to reach the target")
    then: Literal["maintain", "regain"] = "maintain"


class PhysicalActivity(_Base):
    type: Literal["physical_activity"]
    minutes_per_week: float = Field(gt=0, le=1500, description="extra moderate activity, min/week")


class Metformin(_Base):
    type: Literal["metformin"]
    mg_per_day: float = Field(gt=0, le=3000, description="daily dose, mg (licensed maximum 2550-3000 mg)")


class DietComposition(_Base):
    type: Literal["diet_composition"]
    carbohydrate_percent: float = Field(ge=5, le=85, description="carbohydrate share of energy, %")


class SleepOrStress(_Base):
    type: Literal["sleep_or_stress"]
    cortisol_tone: float = Field(ge=0.5, le=3.0, description="cortisol tone relative to normal (1.0); ~1.4 after short sleep")


Intervention = Annotated[Union[CalorieChange, WeightLoss, PhysicalActivity, Metformin, DietComposition, SleepOrStress],
                         Field(discriminator="type")]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=80)
    description: str | None = None
    interventions: list[Intervention] = Field(default_factory=list, max_length=50)

    @classmethod
    def parse(cls, data) -> "Scenario":
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(Problem(f"scenario.{loc}", f"{msg} (value given: {err.get('input')!r})"))
            raise InputError(problems) from None

    @classmethod
    def read(cls, path: str | Path) -> "Scenario":
        return cls.parse(read_yaml(path, "scenario file not found"))


BASELINE = Scenario(name="baseline", description="no intervention")


class Schedule:
    """Month-by-month inputs of a scenario, evaluated for time t (years) without storing a time series."""

    def __init__(self, scenario: Scenario, carb_share0: float = 0.5):
        self.scenario = scenario
        self.carb_share0 = carb_share0

    def at(self, t: float) -> dict[str, float]:
        energy = activity = metformin = 0.0
        carb, cortisol = self.carb_share0, 1.0
        target = np.nan
        for iv in self.scenario.interventions:
            if not (iv.start_year <= t < iv.stop):
                continue
            if isinstance(iv, CalorieChange):
                energy += iv.kcal_per_day
            elif isinstance(iv, PhysicalActivity):
                activity += iv.minutes_per_week
            elif isinstance(iv, Metformin):
                metformin += iv.mg_per_day
            elif isinstance(iv, DietComposition):
                carb = iv.carbohydrate_percent / 100.0
            elif isinstance(iv, SleepOrStress):
                cortisol = iv.cortisol_tone
            elif isinstance(iv, WeightLoss):
                ramp = min((t - iv.start_year) * 12.0 / iv.over_months, 1.0)
                if ramp < 1.0 or iv.then == "maintain":
                    frac = 1.0 - iv.percent / 100.0 * ramp
                    target = frac if np.isnan(target) else min(target, frac)
        return {"energy": energy, "weight_target": target, "activity": activity, "metformin": metformin,
                "carb_share": carb, "cortisol": cortisol}

    def table(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Inputs at each time (rows); the same for every person of a batch. ``weight_target`` is the prescribed
        weight at the *end* of each step (the next time), so a programme reaches its target on schedule."""
        rows = [self.at(float(t)) for t in times]
        out = {k: np.array([r[k] for r in rows]) for k in rows[0]}
        step = float(times[1] - times[0]) if len(times) > 1 else 0.0
        out["weight_target"] = np.array([self.at(float(t) + step)["weight_target"] for t in times])
        return out
