"""The Person: demographics, measurements and labs, each quantity with its unit.

Every quantity is given as ``"5.9 mmol/L"`` or ``{"value": 5.9, "unit": "mmol/L"}`` and is checked
against its analyte (data/analytes.yaml): the unit must fit, the value must be plausible. Problems are
collected for all fields at once and raised as one :class:`irsim.errors.InputError`.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema,
                      field_validator, model_validator)

from .. import units
from ..errors import InputError, Problem


class Quantity(BaseModel):
    """A measured value, its unit as given, and the value in the analyte's canonical unit."""

    model_config = ConfigDict(frozen=True)
    value: float
    unit: str
    canonical: float = Field(description="value in the analyte's canonical unit")

    def __str__(self) -> str:
        return f"{units.fmt(self.value)} {self.unit}"


#: A length in feet and inches ("5 ft 7 in", "5'7\"", "5 ft"), read as inches.
_FEET_INCHES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:ft|feet|foot|')\s*(?:(\d+(?:\.\d+)?)\s*(?:in|inches|inch|\"|'')?)?\s*$")


def parse_quantity(name: str, raw: Any) -> Quantity:
    """Read one quantity for analyte ``name``; raises ValueError with a full message when refused."""
    a = units.analyte(name)
    if isinstance(raw, Quantity):
        raw = {"value": raw.value, "unit": raw.unit}
    if isinstance(raw, bool):
        raise ValueError(f"expected a quantity, got {raw!r}; {a.describe_accepted()}")
    if isinstance(raw, (int, float)):
        if not a.bare_number:
            raise ValueError(f"bare number {raw!r} has no unit; give it as \"{raw} {a.canonical_unit}\"; "
                             f"{a.describe_accepted()}; {a.describe_range()}")
        value, unit = float(raw), a.canonical_unit
    elif isinstance(raw, str):
        feet = _FEET_INCHES.match(raw)  # 5 ft 7 in, 5'7"
        value, unit = (12 * float(feet[1]) + float(feet[2] or 0), "in") if feet else units.split_quantity(raw)
        if not unit:
            if not a.bare_number:
                raise ValueError(f"{raw!r} has no unit; {a.describe_accepted()}; {a.describe_range()}")
            unit = a.canonical_unit
    elif isinstance(raw, dict):
        extra = set(raw) - {"value", "unit"}
        if "value" not in raw or extra:
            raise ValueError(f"expected {{\"value\": number, \"unit\": text}}, got {raw!r}")
        value = raw["value"]
        unit = raw.get("unit") or ""
        if not isinstance(unit, str):
            raise ValueError(f"unit {unit!r} is not text; {a.describe_accepted()}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"value {value!r} is not a number")
        if not unit:
            if not a.bare_number:
                raise ValueError(f"value {value!r} has no unit; {a.describe_accepted()}; {a.describe_range()}")
            unit = a.canonical_unit
        value = float(value)
    else:
        raise ValueError(f"cannot read {raw!r} as a quantity; {a.describe_accepted()}")
    if not math.isfinite(value):
        raise ValueError(f"value {value!r} is not a finite number")
    try:
        canonical = units.to_canonical(name, value, unit)
    except units.UnitMismatch as exc:
        raise ValueError(f"{exc} (value given: {units.fmt(value)} {unit})") from None
    if not units.in_range(name, canonical):
        raise ValueError(units.range_message(name, value, unit))
    return Quantity(value=value, unit=unit, canonical=float(canonical))


def _q(name: str):
    def validate(raw: Any) -> Quantity | None:
        return None if raw is None else parse_quantity(name, raw)

    a = units.analyte(name)
    accepted = {"description": f"{a.label}: \"value unit\" text or {{value, unit}}; {a.describe_accepted()}; "
                               f"{a.describe_range()}",
                "anyOf": [{"type": "string", "examples": [f"{units.fmt(sum(a.range) / 2)} {a.canonical_unit}"]},
                          {"type": "object", "properties": {"value": {"type": "number"}, "unit": {"type": "string"}},
                           "required": ["value", "unit"], "additionalProperties": False},
                          *([{"type": "number"}] if a.bare_number else []), {"type": "null"}]}
    return Annotated[Quantity | None, BeforeValidator(validate), WithJsonSchema(accepted, mode="validation")]


class Series(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    values: list[float]
    unit: str


class OGTT(BaseModel):
    """Oral glucose tolerance test samples (75 g): minutes, glucose, optional insulin."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    minutes: list[float]
    glucose: Series
    insulin: Series | None = None
    glucose_load_g: float = 75.0

    @model_validator(mode="after")
    def _check(self) -> "OGTT":
        m = self.minutes
        if len(m) < 1:
            raise ValueError("minutes is empty")
        if any(not math.isfinite(x) or x < 0 or x > 600 for x in m):
            raise ValueError(f"minutes {m} must lie between 0 and 600")
        if any(b <= a for a, b in zip(m, m[1:])):
            raise ValueError(f"minutes {m} must be strictly increasing")
        for label, series in (("glucose", self.glucose), ("insulin", self.insulin)):
            if series is None:
                continue
            if len(series.values) != len(m):
                raise ValueError(f"{label} has {len(series.values)} values but minutes has {len(m)}: "
                                 "give one value per time point")
            name = f"ogtt_{label}"
            try:
                c = units.to_canonical(name, np.asarray(series.values, dtype=float), series.unit)
            except units.UnitMismatch as exc:
                raise ValueError(f"{label}: {exc}") from None
            bad = [i for i, ok in enumerate(units.in_range(name, c)) if not ok]
            if bad:
                msgs = [f"{label} at {units.fmt(m[i])} min: " + units.range_message(name, series.values[i], series.unit)
                        for i in bad]
                raise ValueError("; ".join(msgs))
        return self

    def canonical(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(minutes, glucose mg/dL, insulin uIU/mL or None)."""
        mins = np.asarray(self.minutes, dtype=float)
        g = units.to_canonical("ogtt_glucose", np.asarray(self.glucose.values, dtype=float), self.glucose.unit)
        i = None
        if self.insulin is not None:
            i = units.to_canonical("ogtt_insulin", np.asarray(self.insulin.values, dtype=float), self.insulin.unit)
        return mins, g, i


LAB_FIELDS = ("fasting_glucose", "fasting_insulin", "c_peptide", "hba1c", "triglycerides", "hdl_cholesterol",
              "ldl_cholesterol", "total_cholesterol", "alt", "ast", "ggt", "platelets", "albumin", "creatinine",
              "cystatin_c", "uacr", "total_testosterone", "shbg", "lh", "fsh")
BODY_FIELDS = ("age", "height", "weight", "waist", "systolic_bp", "diastolic_bp", "physical_activity",
               "diabetes_duration_years")
FLAG_FIELDS = ("smoker", "on_bp_medication", "on_statin", "diabetes")
#: The flags' human labels (forms and reports).
FLAG_LABELS = {"smoker": "Smokes now", "on_bp_medication": "Takes blood-pressure medicine",
               "on_statin": "Takes a statin", "diabetes": "Diagnosed with diabetes"}


class Labs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fasting_glucose: _q("fasting_glucose") = None
    fasting_insulin: _q("fasting_insulin") = None
    c_peptide: _q("c_peptide") = None
    hba1c: _q("hba1c") = None
    ogtt: OGTT | None = None
    triglycerides: _q("triglycerides") = None
    hdl_cholesterol: _q("hdl_cholesterol") = None
    ldl_cholesterol: _q("ldl_cholesterol") = None
    total_cholesterol: _q("total_cholesterol") = None
    alt: _q("alt") = None
    ast: _q("ast") = None
    ggt: _q("ggt") = None
    platelets: _q("platelets") = None
    albumin: _q("albumin") = None
    creatinine: _q("creatinine") = None
    cystatin_c: _q("cystatin_c") = None
    uacr: _q("uacr") = None
    total_testosterone: _q("total_testosterone") = None
    shbg: _q("shbg") = None
    lh: _q("lh") = None
    fsh: _q("fsh") = None


def _flag(raw: Any) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        s = raw.strip().lower()
        if s in ("true", "yes", "y", "1"):
            return True
        if s in ("false", "no", "n", "0"):
            return False
        if s == "":
            return None
    raise ValueError(f"expected true or false, got {raw!r}")


Flag = Annotated[bool | None, BeforeValidator(_flag)]


class Person(BaseModel):
    """One person: demographics, body measurements, flags and labs (all optional but sex and age)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str | None = None
    age: _q("age")
    sex: Literal["female", "male"]
    height: _q("height") = None
    weight: _q("weight") = None
    waist: _q("waist") = None
    systolic_bp: _q("systolic_bp") = None
    diastolic_bp: _q("diastolic_bp") = None
    physical_activity: _q("physical_activity") = None
    diabetes_duration_years: _q("diabetes_duration_years") = None  # years since diagnosis (sets beta-cell capacity left)
    smoker: Flag = None
    on_bp_medication: Flag = None
    on_statin: Flag = None
    diabetes: Flag = None
    labs: Labs = Field(default_factory=Labs)

    @field_validator("age")
    @classmethod
    def _age(cls, age: Quantity | None) -> Quantity:
        if age is None:
            raise ValueError("required field is missing (years)")
        return age

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            s = raw.strip().lower()
            return {"f": "female", "m": "male", "woman": "female", "man": "male"}.get(s, s)
        return raw

    @model_validator(mode="before")
    @classmethod
    def _flat_labs(cls, data: Any) -> Any:
        """Accept lab fields at the top level too (flat CSV rows), moving them under ``labs``."""
        if isinstance(data, dict):
            flat = {k: data[k] for k in data if k in LAB_FIELDS or k == "ogtt"}
            if flat:
                data = {k: v for k, v in data.items() if k not in flat}
                labs = dict(data.get("labs") or {})
                labs.update(flat)
                data["labs"] = labs
        return data

    @model_validator(mode="after")
    def _consistency(self) -> "Person":
        s, d = self.systolic_bp, self.diastolic_bp
        if s is not None and d is not None and d.canonical >= s.canonical:
            raise ValueError(f"diastolic_bp {d} is not below systolic_bp {s}: are they swapped?")
        return self

    @classmethod
    def parse(cls, data: Any) -> "Person":
        """Validate ``data``; raise :class:`InputError` listing every problem."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(problems_from(exc)) from None

    def canonical(self, name: str) -> float | None:
        """Value of a quantity in its canonical unit (see data/analytes.yaml), or None if not given."""
        q = getattr(self.labs, name) if name in LAB_FIELDS else getattr(self, name)
        return None if q is None else q.canonical

    def ogtt_canonical(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        return None if self.labs.ogtt is None else self.labs.ogtt.canonical()

    def to_row(self) -> dict[str, float]:
        """Canonical inputs for the calculators (NaN where missing)."""
        nan = float("nan")
        row: dict[str, float] = {}
        for name in BODY_FIELDS + LAB_FIELDS:
            v = self.canonical(name)
            row[name] = nan if v is None else v
        row["female"] = 1.0 if self.sex == "female" else 0.0
        for name in FLAG_FIELDS:
            v = getattr(self, name)
            row[name] = nan if v is None else float(v)
        og = self.ogtt_canonical()
        if og is not None:
            mins, g, i = og
            for k, m in enumerate(mins):
                row[f"ogtt_glucose_{m:g}"] = float(g[k])
                if i is not None:
                    row[f"ogtt_insulin_{m:g}"] = float(i[k])
        return row


KNOWN_FIELDS = tuple(Person.model_fields) + LAB_FIELDS


def problems_from(exc: ValidationError) -> list[Problem]:
    return problems_from_errors(exc.errors())


def problems_from_errors(errors, drop: tuple[str, ...] = (), root: str = "person") -> list[Problem]:
    """One Problem per pydantic error (also FastAPI's request errors; ``drop`` removes leading parts like 'body')."""
    problems = []
    for err in errors:
        # Drop pydantic's internal type tags (e.g. 'function-before[...]').
        loc = [str(p) for p in err["loc"] if "[" not in str(p)]
        while loc and loc[0] in drop:
            loc = loc[1:]
        field = ".".join(loc) or root
        last = loc[-1] if loc else field
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        if err["type"] == "extra_forbidden":
            guess = difflib.get_close_matches(last, KNOWN_FIELDS + ("minutes", "glucose", "insulin"), n=1)
            msg = f"unknown field (value given: {err.get('input')!r})" + (f"; did you mean {guess[0]!r}?" if guess else "")
        elif err["type"] == "missing":
            msg = "required field is missing" + (" (years)" if last == "age" else " ('female' or 'male')" if last == "sex" else "")
        elif err["type"] == "literal_error":
            msg = f"value {err.get('input')!r} is not one of {err.get('ctx', {}).get('expected', '').replace(' or ', ', ')}"
        elif err["type"] == "json_invalid":
            field, msg = "body", f"not valid JSON ({err.get('ctx', {}).get('error', 'decode error')})"
        elif err["type"] not in ("value_error", "assertion_error"):
            msg = f"{msg} (value given: {repr(err.get('input'))[:80]})"
        problems.append(Problem(field, msg))
    return problems
