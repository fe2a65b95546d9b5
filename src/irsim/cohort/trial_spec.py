"""The trial spec: a one-page YAML description of a virtual trial (docs/trials.md).

A spec names its population (distributions of baseline values), its arms (dated interventions, any numeric field a
per-person draw, with adherence), the follow-up, the visits at which events are detected, dropout and endpoints.
:meth:`TrialSpec.parse` refuses a bad spec with one :class:`~irsim.errors.Problem` per fault, each naming its field.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import annotated_types as at
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, Problem, read_yaml
from ..models import core
from ..scenarios.schema import Intervention, Scenario
from ..units import UnitMismatch, analytes, converter, split_quantity

#: Events a trial counts per person, by the name of the model's event (:data:`irsim.analysis.events.EVENTS`) they read.
EVENT_NAMES = {"T2D": "T2D", "NAFLD": "NAFLD", "NASH": "NASH", "cirrhosis": "cirrhosis", "MI": "MI",
               "stroke": "stroke", "CKD3": "CKD3+", "dementia": "dementia", "hypoglycaemia": "hypoglycaemia"}
#: Events a trial can count (death from the life table and the fatal events, analysis/events.py).
EVENTS = (*EVENT_NAMES, "death")

#: Baseline keys beyond the analytes (units: kg/m2; a share of women).
EXTRA_BASELINE = {"bmi": "kg/m2", "female": "share"}

_Strict = ConfigDict(extra="forbid", frozen=True)


class Draw(BaseModel):
    """A per-person draw: normal with ``mean`` and ``sd``, truncated to ``[min, max]`` (a quantity may carry a
    unit in baseline values: ``"106.5 mg/dL"``)."""

    model_config = _Strict
    mean: float | str
    sd: float | str = 0.0
    min: float | str | None = None
    max: float | str | None = None


class Share(BaseModel):
    model_config = _Strict
    share: float = Field(ge=0.0, le=1.0, description="share of persons (e.g. women)")


class Population(BaseModel):
    model_config = _Strict
    n: int = Field(gt=0, le=100_000_000, description="persons enrolled, split over the arms by their share")
    like: str = Field(default="whitehall_ii", description="population (parameters/data/populations.yaml) whose "
                                                           "distributions fill the baseline values not given")
    baseline: dict[str, Union[Share, Draw]] = Field(default_factory=dict)


class Arm(BaseModel):
    model_config = _Strict
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.+-]+$")
    interventions: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    adherence: float = Field(default=1.0, ge=0.0, le=1.0, description="share who follow the arm; the others get none")
    share: float = Field(default=1.0, gt=0.0, description="relative size of the arm (default: equal)")


class Visits(BaseModel):
    model_config = _Strict
    every_months: int = Field(default=6, ge=1, le=60)
    ogtt: bool = Field(default=False, description="a 2-h OGTT at visits (otherwise fasting glucose only)")
    ogtt_every_months: int | None = Field(default=None, ge=1, le=120,
                                          description="OGTT at every this many months (default: every visit)")
    hba1c: bool = Field(default=True, description="HbA1c >= 6.5 % also diagnoses diabetes (ADA since 2010)")
    confirm: bool = Field(default=False, description="a diagnosis needs a second, independent test to agree (DPP)")

    @model_validator(mode="after")
    def _ogtt(self):
        if self.ogtt_every_months is not None and (not self.ogtt or self.ogtt_every_months % self.every_months):
            raise ValueError(f"ogtt_every_months {self.ogtt_every_months} needs ogtt: true and a multiple of "
                             f"every_months ({self.every_months})")
        return self


_YEARS = Field(min_length=1, max_length=50)


class Incidence(BaseModel):
    model_config = _Strict
    type: Literal["incidence"]
    event: Literal[EVENTS]


class HazardRatio(BaseModel):
    model_config = _Strict
    type: Literal["hazard_ratio"]
    event: Literal[EVENTS]
    reference: str


class CumulativeIncidence(BaseModel):
    model_config = _Strict
    type: Literal["cumulative_incidence"]
    event: Literal[EVENTS]
    at_years: list[Annotated[float, Field(gt=0)]] = _YEARS


class MeanChange(BaseModel):
    model_config = _Strict
    type: Literal["mean_change", "mean_percent_change"]
    column: str
    at_years: list[Annotated[float, Field(gt=0)]] = _YEARS


class Proportion(BaseModel):
    model_config = _Strict
    type: Literal["proportion"]
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_]+$")
    where: str
    at_years: list[Annotated[float, Field(ge=0)]] = _YEARS


Endpoint = Annotated[Union[Incidence, HazardRatio, CumulativeIncidence, MeanChange, Proportion],
                     Field(discriminator="type")]

_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(\"[^\"]*\"|'[^']*'|[-+0-9.eE]+)\s*$")


def parse_where(text: str) -> list[tuple[str, str, float | str]]:
    """``COLUMN OP VALUE [and ...]`` -> ``[(column, op, value)]``; a quoted value is a label."""
    out = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = _CONDITION.match(part)
        if not m:
            raise ValueError(f"{part!r} is not COLUMN OP VALUE (OP one of < <= > >= == !=)")
        col, op, raw = m.groups()
        if col not in core.COLUMNS:
            raise ValueError(f"unknown column {col!r} (the trajectory's columns: irsim.cohort.progression.COLUMNS)")
        if raw[0] in "'\"":
            if col not in core.LABELS:
                raise ValueError(f"{col} is numeric; compare it with a number")
            if raw[1:-1] not in core.LABELS[col]:
                raise ValueError(f"{raw} is not one of {col}'s labels {list(core.LABELS[col])}")
            if op not in ("==", "!="):
                raise ValueError(f"labels of {col} compare with == or != only")
            value: float | str = raw[1:-1]
        else:
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a number") from None
            if col in core.LABELS:
                raise ValueError(f"{col} holds labels {list(core.LABELS[col])}; compare it with a quoted label")
        out.append((col, op, value))
    return out


class TrialSpec(BaseModel):
    model_config = _Strict
    name: str = Field(min_length=1, max_length=80)
    seed: int = Field(default=0, ge=0, lt=2 ** 31)
    description: str | None = None
    population: Population
    arms: list[Arm] = Field(min_length=1, max_length=20)
    follow_up_years: float = Field(gt=0, le=60)
    visits: Visits = Field(default_factory=Visits)
    dropout_per_year: float = Field(default=0.0, ge=0.0, lt=1.0, description="chance of leaving the study per year")
    endpoints: list[Endpoint] = Field(default_factory=list, max_length=100)

    @field_validator("arms")
    @classmethod
    def _unique(cls, arms):
        names = [a.name for a in arms]
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            raise ValueError(f"arm names must differ: {dup} appear twice")
        return arms

    @model_validator(mode="after")
    def _endpoints(self):
        names = [a.name for a in self.arms]
        for ep in self.endpoints:
            if isinstance(ep, HazardRatio) and ep.reference not in names:
                raise ValueError(f"hazard_ratio reference {ep.reference!r} is not an arm ({names})")
            if isinstance(ep, MeanChange) and (ep.column not in core.COLUMNS or ep.column in core.LABELS):
                raise ValueError(f"{ep.type} column {ep.column!r} is not a numeric trajectory column")
            if isinstance(ep, Proportion):
                parse_where(ep.where)
            for y in getattr(ep, "at_years", []):
                if y > self.follow_up_years:
                    raise ValueError(f"{ep.type} at year {y:g} is after the follow-up ({self.follow_up_years:g} years)")
        props = [ep.name for ep in self.endpoints if isinstance(ep, Proportion)]
        if len(set(props)) != len(props):
            raise ValueError(f"proportion names must differ: {props}")
        return self

    # -------------------------------------------------------------------------------------------- reading

    @classmethod
    def parse(cls, data) -> "TrialSpec":
        try:
            spec = cls.model_validate(data)
        except ValidationError as exc:
            raise InputError([_problem(err) for err in exc.errors()]) from None
        problems = [p for arm_i, arm in enumerate(spec.arms) for p in _check_arm(arm, f"arms[{arm_i}]")]
        problems += _check_baseline(spec.population)
        if problems:
            raise InputError(problems)
        return spec

    @classmethod
    def read(cls, path: str | Path) -> "TrialSpec":
        return cls.parse(read_yaml(path, "trial spec not found"))

    def digest(self) -> str:
        """SHA-256 of the spec's canonical JSON: a run's results depend on this and nothing else."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()

    # -------------------------------------------------------------------------------------------- arms

    def arm_counts(self) -> list[int]:
        """Persons per arm: the shares of ``population.n``, rounded so that they add up (largest remainders)."""
        shares = [a.share for a in self.arms]
        exact = [self.population.n * s / sum(shares) for s in shares]
        counts = [math.floor(x) for x in exact]
        for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: self.population.n - sum(counts)]:
            counts[i] += 1
        return counts

    def scenario(self, arm: Arm) -> tuple[Scenario, dict[tuple[int, str], Draw]]:
        """The arm's scenario with every draw at its mean, and the draws by (intervention index, field)."""
        ivs, draws = [], {}
        for i, iv in enumerate(arm.interventions):
            fixed = {}
            for k, v in iv.items():
                if isinstance(v, dict):
                    d = Draw.model_validate(v)
                    draws[(i, k)] = d
                    fixed[k] = d.mean
                else:
                    fixed[k] = v
            ivs.append(fixed)
        return Scenario.parse({"name": arm.name, "interventions": ivs}), draws


def _problem(err) -> Problem:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    return Problem(f"spec.{loc}", f"{err['msg'].removeprefix('Value error, ')} (value given: {err.get('input')!r})")


def field_bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """The range a model's numeric field accepts, from its ``ge/gt/le/lt`` constraints (open bounds nudged in)."""
    lo, hi = -math.inf, math.inf
    for m in model.model_fields[name].metadata:
        if isinstance(m, at.Ge):
            lo = max(lo, float(m.ge))
        elif isinstance(m, at.Gt):
            lo = max(lo, math.nextafter(float(m.gt), math.inf))
        elif isinstance(m, at.Le):
            hi = min(hi, float(m.le))
        elif isinstance(m, at.Lt):
            hi = min(hi, math.nextafter(float(m.lt), -math.inf))
    return lo, hi


def draw_bounds(d: Draw, default: tuple[float, float]) -> tuple[float, float]:
    return (default[0] if d.min is None else float(d.min)), (default[1] if d.max is None else float(d.max))


def _check_arm(arm: Arm, where: str) -> list[Problem]:
    """An arm's interventions must parse with every draw at its mean and at both ends of its range."""
    from pydantic import TypeAdapter

    adapter = TypeAdapter(Intervention)
    problems = []
    for i, iv in enumerate(arm.interventions):
        fixed, draws = {}, {}
        for k, v in iv.items():
            if isinstance(v, dict):
                try:
                    d = Draw.model_validate(v)
                    if any(isinstance(x, str) for x in (d.mean, d.sd, d.min, d.max)):
                        raise ValueError("an intervention's draw takes plain numbers in the field's own unit")
                    if float(d.sd) < 0:
                        raise ValueError(f"sd {d.sd} must be >= 0")
                except (ValidationError, ValueError) as exc:
                    problems.append(Problem(f"spec.{where}.interventions[{i}].{k}", str(exc).splitlines()[0]))
                    continue
                draws[k] = d
                fixed[k] = d.mean
            else:
                fixed[k] = v
        try:
            model = type(adapter.validate_python(fixed))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"][1:])
                problems.append(Problem(f"spec.{where}.interventions[{i}]" + (f".{loc}" if loc else ""),
                                        f"{err['msg'].removeprefix('Value error, ')} (value given: {err.get('input')!r})"))
            continue
        for k, d in draws.items():
            if k not in model.model_fields or k == "type":
                continue
            lo, hi = draw_bounds(d, field_bounds(model, k))
            for label, x in (("min", lo), ("max", hi)):
                if not math.isfinite(x):
                    continue
                try:
                    adapter.validate_python({**fixed, k: x})
                except ValidationError as exc:
                    msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
                    problems.append(Problem(f"spec.{where}.interventions[{i}].{k}",
                                            f"the draw's {label} {x:g} leaves the field's range: {msg}"))
            if lo > hi:
                problems.append(Problem(f"spec.{where}.interventions[{i}].{k}", f"min {lo:g} is above max {hi:g}"))
    return problems


def canonical(name: str, text: float | str, spread: bool = False) -> float:
    """A baseline quantity in the analyte's canonical unit. A number without a unit is taken in the canonical unit
    only where the analyte allows bare numbers (age) or has no unit choice (bmi); ``spread``: an sd (no offset)."""
    if name in EXTRA_BASELINE:
        value, unit = (float(text), "") if not isinstance(text, str) else split_quantity(text)
        if unit and unit.replace("^", "").replace(" ", "") not in ("kg/m2", "kg/m²"):
            raise ValueError(f"unit {unit!r} does not fit bmi (kg/m2)")
        return value
    a = analyte_of(name)
    if spread and not isinstance(text, str) and float(text) == 0.0:
        return 0.0  # no spread (the default sd) needs no unit
    if not isinstance(text, str):
        if a.bare_number:
            return float(text)
        raise ValueError(f"{text!r} needs a unit ({a.canonical_unit} or {', '.join(a.accepted_units()[1:]) or 'none'})")
    value, unit = split_quantity(text)
    if not unit:
        if a.bare_number:
            return value
        raise ValueError(f"{text!r} needs a unit ({', '.join(a.accepted_units())})")
    try:
        slope, offset = converter(a.name, unit)
    except UnitMismatch as exc:
        raise ValueError(str(exc)) from None
    return value * slope + (0.0 if spread else offset)


def analyte_of(key: str):
    """The analyte of a baseline key (``ogtt_glucose_120`` -> ``ogtt_glucose``)."""
    return analytes()[key.rsplit("_", 1)[0] if key.startswith("ogtt_") else key]


def baseline_keys() -> tuple[str, ...]:
    return tuple(k for k in analytes() if not k.startswith("ogtt_")) + tuple(EXTRA_BASELINE) + tuple(
        f"ogtt_glucose_{m}" for m in (30, 60, 90, 120)) + tuple(f"ogtt_insulin_{m}" for m in (0, 30, 60, 90, 120))


def _check_baseline(pop: Population) -> list[Problem]:
    from .. import parameters as _parameters

    problems = []
    pops = _parameters.load("populations")["populations"]
    if pop.like not in pops:
        problems.append(Problem("spec.population.like", f"{pop.like!r} is not one of {sorted(pops)}"))
    keys = baseline_keys()
    if "bmi" in pop.baseline and "weight" in pop.baseline:
        problems.append(Problem("spec.population.baseline", "give bmi or weight, not both"))
    for key, d in pop.baseline.items():
        field = f"spec.population.baseline.{key}"
        if key not in keys:
            problems.append(Problem(field, f"unknown baseline value; known: {', '.join(keys)}"))
            continue
        if (key == "female") != isinstance(d, Share):
            problems.append(Problem(field, "female takes {share: x}" if key == "female" else "give {mean, sd, min, max}"))
            continue
        if isinstance(d, Share):
            continue
        try:
            mean, sd = canonical(key, d.mean), canonical(key, d.sd, spread=True)
            lo, hi = (None if x is None else canonical(key, x) for x in (d.min, d.max))
        except ValueError as exc:
            problems.append(Problem(field, str(exc)))
            continue
        # plausible BMI: irsim choice, as wide as adult anthropometry goes
        rng, unit = ((10.0, 80.0), "kg/m2") if key == "bmi" else (analyte_of(key).range, analyte_of(key).canonical_unit)
        if sd < 0:
            problems.append(Problem(field, f"sd {d.sd!r} must be >= 0"))
        for label, x in (("mean", mean), ("min", lo), ("max", hi)):
            if x is not None and not rng[0] <= x <= rng[1]:
                problems.append(Problem(field, f"{label} {x:g} is outside the plausible range {rng[0]:g}-{rng[1]:g} "
                                               f"{unit}"))
        if lo is not None and hi is not None and lo > hi:
            problems.append(Problem(field, "min is above max"))
    return problems
