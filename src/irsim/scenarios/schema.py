"""Scenario files: a named list of dated interventions that start, stop and combine.

```yaml
name: lifestyle
interventions:
  - {type: weight_loss, start_year: 0, percent: 7, over_months: 6, then: maintain}   # or: regain
  - {type: physical_activity, start_year: 0, minutes_per_week: 150}
  - {type: metformin, start_year: 0, mg_per_day: 1700}          # optional stop_year on any entry
  - {type: semaglutide, start_year: 0, mg_per_week: 1.0}
  - {type: sglt2_inhibitor, start_year: 0, drug: empagliflozin, mg_per_day: 10}
  - {type: usual_care, start_year: 0, hba1c_target_percent: 7.0}  # steps: [metformin, sulfonylurea, basal_insulin]
```
Effect sizes and their sources: parameters/data/progression.yaml and medicines.yaml; docs/progression.md and
docs/medicines.md. Doses outside the licensed range are refused, naming the field. Research and education software:
no dosing advice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .. import parameters as _parameters
from ..errors import InputError, Problem, read_yaml
from ..units import GLUCOSE_MG_DL_PER_MMOL_L, in_range, range_message, split_quantity, to_canonical


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

    def action(self) -> str:
        """What the intervention does, in words (each type says it its own way; this is the plain fallback)."""
        fields = {k: v for k, v in self.model_dump().items() if k not in ("type", "start_year", "stop_year")
                  and v is not None}
        return self.type.replace("_", " ") + "".join(
            f", {k.replace('_', ' ')} {_value_words(v)}" for k, v in fields.items())

    def words(self) -> str:
        """The intervention in a sentence a person reads ("lose 7 % of weight over 6 months, then keep it off";
        "pioglitazone 30 mg a day for the first month"; "semaglutide 0.5 mg a week from week 4 to week 8")."""
        if self.start_year == 0:
            when = "" if self.stop_year is None else f" for the first {_duration(self.stop_year)}"
        else:
            when = f" from {_moment(self.start_year)}" + (" on" if self.stop_year is None
                                                         else f" to {_moment(self.stop_year)}")
        return self.action() + when


#: Weeks per year, for durations in words: the Julian year of 365.25 days (as io.history and cohort.progression's
#: week step; imported from neither, to keep pandas out of this module)
_WEEKS_PER_YEAR = 365.25 / 7.0


def _value_words(v) -> str:
    """A field's value in words: numbers without trailing zeros, lists as "a, b and c", no underscores."""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        items = [_value_words(x) for x in v]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return str(v).replace("_", " ")


def _whole(x: float) -> bool:
    """Close enough to a whole number to say it as one (scenario files give 4 weeks as 0.0767 years)."""
    return round(x) >= 1 and abs(x - round(x)) < 0.05


def _span(years: float) -> tuple[float, str]:
    """``years`` as (number, unit): whole years, else whole months, else whole weeks, else years."""
    months, weeks = years * 12, years * _WEEKS_PER_YEAR
    if _whole(years) or years >= 2:
        return years, "year"
    for n, unit in ((months, "month"), (weeks, "week")):
        if _whole(n):
            return round(n), unit
    return years, "year"


def _duration(years: float) -> str:
    """A span from the start in words: "month", "4 weeks", "5 years" (after "for the first")."""
    n, unit = _span(years)
    return unit if n == 1 else f"{n:.3g} {unit}s"


def _moment(years: float) -> str:
    """A time since the start in words, as trials count it: "week 4", "month 6", "year 5"."""
    n, unit = _span(years)
    return f"{unit} {n:.3g}"


class CalorieChange(_Base):
    type: Literal["calorie_change"]
    kcal_per_day: float = Field(ge=-3000, le=1500, description="change in energy intake, kcal/day (a very-low-calorie "
                                                              "diet of 600 kcal/day is about -2200)")

    def action(self) -> str:
        return f"eat {abs(self.kcal_per_day):g} kcal a day {'less' if self.kcal_per_day < 0 else 'more'}"


class WeightLoss(_Base):
    type: Literal["weight_loss"]
    percent: float = Field(gt=0, le=40, description="target loss, % of body weight")
    over_months: float = Field(gt=0, le=60, description="months to reach the target")
    then: Literal["maintain", "regain"] = "maintain"

    def action(self) -> str:
        return (f"lose {self.percent:g} % of weight over {self.over_months:g} months, then "
                + ("keep it off" if self.then == "maintain" else "let it come back"))


class PhysicalActivity(_Base):
    type: Literal["physical_activity"]
    minutes_per_week: float = Field(gt=0, le=1500, description="extra moderate activity, min/week")

    def action(self) -> str:
        return f"{self.minutes_per_week:g} more minutes a week of moderate activity"


class Metformin(_Base):
    type: Literal["metformin"]
    mg_per_day: float = Field(gt=0, le=3000, description="daily dose, mg (licensed maximum 2550-3000 mg)")

    def action(self) -> str:
        return f"metformin {self.mg_per_day:g} mg a day"


class Semaglutide(_Base):
    type: Literal["semaglutide"]
    mg_per_week: float = Field(ge=0.25, le=2.4, description="weekly subcutaneous dose, mg (licensed 0.25-2.4)")

    def action(self) -> str:
        return f"semaglutide {self.mg_per_week:g} mg a week"


class Tirzepatide(_Base):
    type: Literal["tirzepatide"]
    mg_per_week: float = Field(ge=2.5, le=15, description="weekly subcutaneous dose, mg (licensed 2.5-15)")

    def action(self) -> str:
        return f"tirzepatide {self.mg_per_week:g} mg a week"


class Pioglitazone(_Base):
    type: Literal["pioglitazone"]
    mg_per_day: float = Field(ge=15, le=45, description="daily dose, mg (licensed 15-45)")

    def action(self) -> str:
        return f"pioglitazone {self.mg_per_day:g} mg a day"


class _LicensedDrug(_Base):
    """A drug of a class, by name, at a daily dose within its licensed range; effects read the dose as a fraction
    of the drug's maximal licensed dose (medicines.yaml ``<MAX_SECTION>.max_<drug>``)."""

    RANGE: ClassVar[dict[str, tuple[float, float]]] = {}
    MAX_SECTION: ClassVar[str] = ""
    CLASS_NAME: ClassVar[str] = ""

    def action(self) -> str:
        return f"{self.drug} {self.mg_per_day:g} mg a day ({self.CLASS_NAME})"

    @model_validator(mode="after")
    def _licensed(self):
        lo, hi = self.RANGE[self.drug]
        if not lo <= self.mg_per_day <= hi:
            raise ValueError(f"mg_per_day {self.mg_per_day:g} is outside {self.drug}'s licensed range {lo:g}-{hi:g} mg/day")
        return self

    @property
    def fraction(self) -> float:
        """The dose as a fraction of the drug's maximal licensed dose."""
        return self.fraction_of(self.mg_per_day)

    def fraction_of(self, mg_per_day):
        """A dose (number or per-person array) as a fraction of the drug's maximal licensed dose."""
        return mg_per_day / _parameters.lookup("medicines")(f"{self.MAX_SECTION}.max_{self.drug}")


#: Licensed daily dose range of each sulfonylurea, mg (minimum: the smallest tablet's usual starting dose)
SULFONYLUREA_RANGE = {"gliclazide": (40.0, 320.0), "glimepiride": (1.0, 8.0), "glyburide": (1.25, 20.0)}


class Sulfonylurea(_LicensedDrug):
    RANGE: ClassVar[dict[str, tuple[float, float]]] = SULFONYLUREA_RANGE
    MAX_SECTION: ClassVar[str] = "sulfonylurea"
    CLASS_NAME: ClassVar[str] = "sulfonylurea"
    type: Literal["sulfonylurea"]
    drug: Literal["gliclazide", "glimepiride", "glyburide"]
    mg_per_day: float = Field(gt=0, description="daily dose, mg (gliclazide 40-320, glimepiride 1-8, glyburide 1.25-20)")


#: Licensed daily dose range of each SGLT2 inhibitor, mg (FDA labels)
SGLT2_RANGE = {"empagliflozin": (10.0, 25.0), "dapagliflozin": (5.0, 10.0), "canagliflozin": (100.0, 300.0)}


class SGLT2Inhibitor(_LicensedDrug):
    RANGE: ClassVar[dict[str, tuple[float, float]]] = SGLT2_RANGE
    MAX_SECTION: ClassVar[str] = "sglt2"
    CLASS_NAME: ClassVar[str] = "SGLT2 inhibitor"
    type: Literal["sglt2_inhibitor"]
    drug: Literal["empagliflozin", "dapagliflozin", "canagliflozin"]
    mg_per_day: float = Field(gt=0, description="daily dose, mg (empagliflozin 10-25, dapagliflozin 5-10, "
                                                "canagliflozin 100-300)")


#: Fasting glucose targets basal insulin may be titrated to, mg/dL (ADA Standards of Care 2025: 80-130 mg/dL; up to
#: 180 for persons at risk of hypoglycaemia)
INSULIN_TARGET_MG_DL = (80.0, 180.0)


class BasalInsulin(_Base):
    type: Literal["basal_insulin"]
    units_per_day: float | None = Field(default=None, gt=0, le=300, description="fixed daily dose, IU")
    titrate_to_fasting_glucose: str | None = Field(
        default=None, description='fasting glucose the dose is titrated to each month, with its unit ("5.5 mmol/L" '
                                  'or "100 mg/dL"; 80-180 mg/dL)')

    @model_validator(mode="after")
    def _one(self):
        if (self.units_per_day is None) == (self.titrate_to_fasting_glucose is None):
            raise ValueError("give exactly one of units_per_day or titrate_to_fasting_glucose")
        if self.titrate_to_fasting_glucose is not None:
            self.target_mg_dl  # noqa: B018  (raises on a bad value)
        return self

    def action(self) -> str:
        if self.units_per_day is not None:
            return f"basal insulin {self.units_per_day:g} units a day"
        target = _glucose_words(self.titrate_to_fasting_glucose)
        return f"basal insulin titrated each month to a fasting glucose of {target}"

    @property
    def target_mg_dl(self) -> float:
        if self.titrate_to_fasting_glucose is None:
            return float("nan")
        return glucose_mg_dl("titrate_to_fasting_glucose", self.titrate_to_fasting_glucose, INSULIN_TARGET_MG_DL)


def glucose_mg_dl(field: str, text: str, bounds: tuple[float, float]) -> float:
    """A fasting glucose given with its unit ("5.5 mmol/L", "100 mg/dL"), in mg/dL, within ``bounds`` (mg/dL); a
    value without a unit, out of the physiological range (with the unit mix-up hint) or out of bounds is refused."""
    value, unit = split_quantity(text)
    if not unit:
        raise ValueError(f"{field} {text!r} needs a unit (mmol/L or mg/dL)")
    mg = float(to_canonical("fasting_glucose", value, unit))
    if not in_range("fasting_glucose", mg):  # a unit mix-up gets its hint ("did you mean 100 mg/dL?")
        raise ValueError(f"{field}: {range_message('fasting_glucose', value, unit)}")
    lo, hi = bounds
    if not lo <= mg <= hi:
        raise ValueError(f"{field} {text!r} is outside {lo:g}-{hi:g} mg/dL "
                         f"({lo / GLUCOSE_MG_DL_PER_MMOL_L:.1f}-{hi / GLUCOSE_MG_DL_PER_MMOL_L:.1f} mmol/L)")
    return mg


def _glucose_words(text: str) -> str:
    """A glucose given with its unit, as "7.2 mmol/L" (spacing as the model reads it)."""
    value, unit = split_quantity(text)
    return f"{value:g} {unit}"


#: Drugs ``usual_care`` can add, in the order its default steps take them from.
CARE_DRUGS = ("metformin", "sulfonylurea", "pioglitazone", "semaglutide", "basal_insulin", "sglt2_inhibitor")
#: Each step in words.
CARE_WORDS = {"metformin": "metformin", "sulfonylurea": "a sulfonylurea", "pioglitazone": "pioglitazone",
              "semaglutide": "semaglutide", "basal_insulin": "basal insulin", "sglt2_inhibitor": "an SGLT2 inhibitor"}


#: Fasting glucose above which a usual-care policy may add a step, mg/dL (the diabetic range up to UKPDS's 15 mmol/L
#: and beyond: 126-400)
CARE_FASTING_LIMIT_MG_DL = (126.0, 400.0)


class UsualCare(_Base):
    type: Literal["usual_care"]
    hba1c_target_percent: float | None = Field(
        default=7.0, ge=6.0, le=9.0, description="HbA1c target, % (null: no HbA1c target, see fasting_glucose_limit)")
    fasting_glucose_limit: str | None = Field(
        default=None, description='a step is also added when fasting glucose at a check is above this, with its unit '
                                  '("15 mmol/L": the UKPDS conventional policy; 126-400 mg/dL)')
    checks_per_year: int = Field(default=1, ge=1, le=12, description="checks a year (UKPDS clinics: 4)")
    steps: list[Literal[CARE_DRUGS]] = Field(
        default_factory=lambda: ["metformin", "sulfonylurea", "basal_insulin"], min_length=1, max_length=len(CARE_DRUGS),
        description="drugs added one at a time, at checks after diagnosis while above target")

    @model_validator(mode="after")
    def _valid(self):
        if len(set(self.steps)) != len(self.steps):
            raise ValueError(f"steps {self.steps} name a drug twice")
        if self.hba1c_target_percent is None and self.fasting_glucose_limit is None:
            raise ValueError("give hba1c_target_percent, fasting_glucose_limit or both")
        self.fasting_limit_mg_dl  # noqa: B018  (raises on a bad value)
        return self

    def action(self) -> str:
        """"usual care after diagnosis: metformin, then a sulfonylurea, then basal insulin, each added at a yearly
        check while HbA1c is above 7 %"."""
        above = ([f"HbA1c is above {self.hba1c_target_percent:g} %"] if self.hba1c_target_percent is not None else []) \
            + ([f"fasting glucose is above {_glucose_words(self.fasting_glucose_limit)}"]
               if self.fasting_glucose_limit is not None else [])
        n = self.checks_per_year
        check = ("a yearly check" if n == 1 else "a monthly check" if n == 12 else
                 f"a {12 // n}-monthly check" if 12 % n == 0 else f"one of {n} checks a year")
        steps = ", then ".join(CARE_WORDS[d] for d in self.steps)
        return (f"usual care after diagnosis: {steps}, " + ("added" if len(self.steps) == 1 else "each added")
                + f" at {check} while {' or '.join(above)}")

    @property
    def fasting_limit_mg_dl(self) -> float:
        if self.fasting_glucose_limit is None:
            return float("inf")
        return glucose_mg_dl("fasting_glucose_limit", self.fasting_glucose_limit, CARE_FASTING_LIMIT_MG_DL)


class DietComposition(_Base):
    type: Literal["diet_composition"]
    carbohydrate_percent: float = Field(ge=5, le=85, description="carbohydrate share of energy, %")

    def action(self) -> str:
        return f"carbohydrate as {self.carbohydrate_percent:g} % of energy"


class SleepOrStress(_Base):
    type: Literal["sleep_or_stress"]
    cortisol_tone: float = Field(ge=0.5, le=3.0, description="cortisol tone relative to normal (1.0); ~1.4 after short sleep")

    def action(self) -> str:
        why = "short sleep or stress: " if self.cortisol_tone > 1 else "more sleep, less stress: " \
            if self.cortisol_tone < 1 else ""
        return f"{why}cortisol tone {self.cortisol_tone:g} times normal"


Intervention = Annotated[Union[CalorieChange, WeightLoss, PhysicalActivity, Metformin, DietComposition, SleepOrStress,
                               Semaglutide, Tirzepatide, Pioglitazone, Sulfonylurea, SGLT2Inhibitor, BasalInsulin,
                               UsualCare],
                         Field(discriminator="type")]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=80)
    description: str | None = None
    interventions: list[Intervention] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _one_usual_care(self):
        if sum(isinstance(iv, UsualCare) for iv in self.interventions) > 1:
            raise ValueError("at most one usual_care entry per scenario")
        return self

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


def plasma_level(start, stop, t, step, half_life, interval):
    """Mean over [t, t + step) of a once-per-``interval`` drug's level, as a share of its steady state, for doses
    from ``start`` until ``stop`` (None: not stopped); ``step`` 0 gives the level at ``t``. First-order accumulation
    and elimination with ``half_life``: a continuous input begun half an interval before the first dose (and ended half
    an interval before the stop) has the weekly means of the injections themselves, 1 - 2^-n of the steady state over
    the n-th week at a half-life of one interval, and 2^-n over the n-th week after the last; nothing before the first
    dose."""
    k = np.log(2.0) / half_life
    lead = 0.5 * interval

    def part(c):  # integral over the step of 1 - exp(-k (s - c)) from max(c, start) on; or its value at t
        lo = np.maximum(np.maximum(t, start), c)
        if step <= 0.0:
            return np.where(t >= lo, 1.0 - np.exp(-k * np.maximum(t - c, 0.0)), 0.0)
        hi = np.maximum(t + step, lo)
        return ((hi - lo) - (np.exp(-k * (lo - c)) - np.exp(-k * (hi - c))) / k) / step

    return part(start - lead) - (0.0 if stop is None else part(stop - lead))


class Schedule:
    """Month-by-month inputs of a scenario, evaluated for time t (years) without storing a time series.

    ``values`` gives some intervention fields one value per person: ``{(index, field): array}``, ``index`` the
    intervention's position in the scenario (a trial's per-person draws). Inputs touched by such a field are then
    arrays over persons; the others stay numbers."""

    def __init__(self, scenario: Scenario, carb_share0: float = 0.5,
                 values: dict[tuple[int, str], np.ndarray] | None = None):
        self.scenario = scenario
        self.carb_share0 = carb_share0
        self.values = dict(values or {})

    def at(self, t: float, step: float = 0.0) -> dict:
        """Inputs at time ``t``; the long-acting incretin drugs' doses are their plasma level's mean over
        ``[t, t + step)`` (``plasma_level``; half-lives in medicines.yaml), so they build up and wash out."""
        energy = activity = metformin = 0.0
        carb, cortisol = self.carb_share0, 1.0
        target = np.nan
        drugs = {"semaglutide": 0.0, "tirzepatide": 0.0, "pioglitazone": 0.0, "sulfonylurea": 0.0, "sglt2": 0.0,
                 "insulin": 0.0,
                 "insulin_target": np.nan, "care_target": np.nan, "care_fasting_limit": np.inf, "care_checks": 1.0,
                 **{f"care_{d}": 0.0 for d in CARE_DRUGS}}
        for i, iv in enumerate(self.scenario.interventions):
            v = lambda name, i=i, iv=iv: self.values.get((i, name), getattr(iv, name))  # noqa: E731
            start, stop = v("start_year"), v("stop_year")
            if isinstance(iv, (Semaglutide, Tirzepatide)):  # still in plasma after the stop
                c = _parameters.lookup("medicines")
                level = plasma_level(start, stop, t, step, c(f"{iv.type}.half_life"), c(f"{iv.type}.dose_interval"))
                drugs[iv.type] = drugs[iv.type] + v("mg_per_week") * level
                continue
            on = (start <= t) & (t < (np.inf if stop is None else stop))
            if not np.any(on):
                continue
            add = lambda x, on=on: np.where(on, x, 0.0)  # noqa: E731
            put = lambda x, old, on=on: np.where(on, x, old)  # noqa: E731
            if isinstance(iv, CalorieChange):
                energy = energy + add(v("kcal_per_day"))
            elif isinstance(iv, PhysicalActivity):
                activity = activity + add(v("minutes_per_week"))
            elif isinstance(iv, Metformin):
                metformin = metformin + add(v("mg_per_day"))
            elif isinstance(iv, DietComposition):
                carb = put(v("carbohydrate_percent") / 100.0, carb)
            elif isinstance(iv, SleepOrStress):
                cortisol = put(v("cortisol_tone"), cortisol)
            elif isinstance(iv, Pioglitazone):
                drugs["pioglitazone"] = drugs["pioglitazone"] + add(v("mg_per_day"))
            elif isinstance(iv, Sulfonylurea):
                drugs["sulfonylurea"] = drugs["sulfonylurea"] + add(iv.fraction_of(v("mg_per_day")))
            elif isinstance(iv, SGLT2Inhibitor):
                drugs["sglt2"] = drugs["sglt2"] + add(iv.fraction_of(v("mg_per_day")))
            elif isinstance(iv, BasalInsulin):
                if iv.units_per_day is not None:
                    drugs["insulin"] = drugs["insulin"] + add(v("units_per_day"))
                else:
                    drugs["insulin_target"] = put(np.fmin(drugs["insulin_target"], iv.target_mg_dl),
                                                  drugs["insulin_target"])
            elif isinstance(iv, UsualCare):
                a1c = v("hba1c_target_percent")
                drugs["care_target"] = put(np.inf if a1c is None else a1c, drugs["care_target"])
                drugs["care_fasting_limit"] = put(iv.fasting_limit_mg_dl, drugs["care_fasting_limit"])
                drugs["care_checks"] = put(float(iv.checks_per_year), drugs["care_checks"])
                drugs.update({f"care_{d}": put(float(iv.steps.index(d) + 1), drugs[f"care_{d}"]) for d in iv.steps})
            elif isinstance(iv, WeightLoss):
                ramp = np.minimum((t - start) * 12.0 / v("over_months"), 1.0)
                frac = 1.0 - v("percent") / 100.0 * ramp
                keep = on & ((ramp < 1.0) | (iv.then == "maintain"))
                target = np.where(keep, np.fmin(target, frac), target)
        return {"energy": energy, "weight_target": target, "activity": activity, "metformin": metformin,
                "carb_share": carb, "cortisol": cortisol, **drugs}

    def table(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Inputs at each time (rows): ``(n_times,)`` where the same for every person, ``(n_times, n_persons)`` where
        a per-person value enters. ``weight_target`` is the prescribed weight at the *end* of each step (the next
        time), so a programme reaches its target on schedule."""
        step = float(times[1] - times[0]) if len(times) > 1 else 0.0
        rows = [self.at(float(t), step) for t in times]
        stack = lambda xs: np.stack(np.broadcast_arrays(*[np.asarray(x, dtype=float) for x in xs]))  # noqa: E731
        out = {k: stack([r[k] for r in rows]) for k in rows[0]}
        out["weight_target"] = stack([self.at(float(t) + step)["weight_target"] for t in times])
        return out
