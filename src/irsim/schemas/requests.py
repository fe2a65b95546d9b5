"""Request models and input limits shared by every face: the CLI checks its options and the web API its bodies
with these, so a limit has one value (documented here and in docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .. import units
from ..errors import InputError
from ..scenarios.schema import Scenario
from .person import BODY_FIELDS, LAB_FIELDS, Person, parse_quantity, problems_from_errors

#: Years a projection or explanation may cover (irsim choice: past 60 years nearly every adult is beyond life
#: expectancy; the model itself stops at 100).
MAX_YEARS = 60
MAX_SCENARIOS = 5
MAX_MEASUREMENTS = 500
#: Minutes simulated after a meal or OGTT: one day (irsim choice; a minutes-to-hours model, one row per minute).
MAX_MEAL_MINUTES = 24 * 60
#: Oral glucose, g: above 0, up to 300 (4x the 75 g OGTT load; irsim choice, a typo guard).
GLUCOSE_G = (0.0, 300.0)
#: Body weight, kg: the Person's plausible range (parameters/data/analytes.yaml).
BODY_WEIGHT_KG = tuple(units.analyte("weight").range)
#: Fields a lab history entry may record (quantities of the Person).
RECORDABLE = tuple(f for f in BODY_FIELDS if f != "age") + LAB_FIELDS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Measured(_Strict):
    field: Literal[RECORDABLE] = Field(description="a Person quantity, e.g. hba1c, fasting_glucose, weight")
    unit: str = Field(max_length=40, description="any unit accepted for the field (see GET /api/fields)")
    value: float
    canonical: float | None = Field(default=None, description="filled in by the server (canonical unit)")

    @field_validator("value")
    @classmethod
    def _check(cls, value: float, info: ValidationInfo) -> float:
        if "field" in info.data and "unit" in info.data:
            parse_quantity(info.data["field"], {"value": value, "unit": info.data["unit"]})
        return value

    @model_validator(mode="after")
    def _canonical(self):
        self.canonical = parse_quantity(self.field, {"value": self.value, "unit": self.unit}).canonical
        return self


class Measurement(_Measured):
    year: float = Field(ge=-MAX_YEARS, le=MAX_YEARS, description="years from the profile's baseline date")


class LabIn(_Measured):
    measured_on: dt.date


class SimulateRequest(_Strict):
    person: Person
    years: float = Field(default=20, ge=1, le=MAX_YEARS, description="years to project")
    scenarios: list[Scenario] = Field(default_factory=list, max_length=MAX_SCENARIOS,
                                      description="besides the built-in baseline; names must differ")
    measurements: list[Measurement] = Field(default_factory=list, max_length=MAX_MEASUREMENTS,
                                            description="measured values to plot against the projection")
    figures: bool = Field(default=False, description="also return the Plotly figures the page draws")
    chances: bool = Field(default=False, description="also return each event's chance for people with these labs "
                          "(draws of what the labs leave unknown) and the fan bands")
    profile_id: int | None = Field(default=None, ge=1, description="with chances: draw from the personal twin "
                                   "fitted to this stored profile's visits (its stored person and lab history)")


class ExplainRequest(_Strict):
    person: Person
    outcome: str = Field(default="T2D", max_length=64,
                         description="T2D, MI, stroke, dementia, or a trajectory column such as liver_fat_percent")
    years: float = Field(default=20, ge=1, le=MAX_YEARS, description="horizon, years")
    scenario: Scenario | None = Field(default=None, description="scenario to explain (default: baseline)")


class MealRequest(_Strict):
    subject: Literal["normal", "t2d"] = "normal"
    person: Person | None = Field(default=None, description="use this person (OGTT fitted when given) instead")
    glucose_g: float = Field(default=75, gt=GLUCOSE_G[0], le=GLUCOSE_G[1], description="oral glucose, g")
    body_weight_kg: float | None = Field(default=None, ge=BODY_WEIGHT_KG[0], le=BODY_WEIGHT_KG[1])
    minutes: int = Field(default=180, ge=1, le=MAX_MEAL_MINUTES)


class ProfileIn(_Strict):
    name: str = Field(min_length=1, max_length=120)
    person: Person
    baseline_date: dt.date | None = Field(default=None, description="date of the person's labs (default today)")


def validated(model: type[BaseModel], **fields):
    """``model(**fields)``, or InputError with one problem per field (for faces without their own validation)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise InputError(problems_from_errors(exc.errors(), root=model.__name__)) from None
