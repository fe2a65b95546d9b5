"""Published validation targets (``validation/targets.yaml``): loading, checking, and judging a model value."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError, field_validator, model_validator
from pydantic.dataclasses import dataclass

from ..errors import InputError, Problem, read_yaml
from ..schemas.person import problems_from_errors

#: The targets file of a source checkout (``validation/targets.yaml`` at the repository root); the environment
#: variable ``IRSIM_VALIDATION_TARGETS`` points elsewhere.
DEFAULT_PATH = Path(__file__).resolve().parents[3] / "validation" / "targets.yaml"
GRADES = ("primary", "derived", "secondary", "qualitative")
#: test: held out (no parameter was calibrated on the study; the headline counts these); calibration: reported only.
ROLES = ("test", "calibration")
#: A required text: not empty or blank.
Text = Annotated[str, Field(pattern=r"\S")]

PASS, FAIL, NO_VALUE = "pass", "fail", "no value"


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass(frozen=True)
class Target:
    """One row of the targets file; constructing it checks the row (pydantic)."""

    id: Text
    study: Text
    quantity: Text
    value: float | None
    unit: Text
    basis: Text
    grade: Text
    population: Text
    protocol: Text
    citation: Text
    role: Text
    tolerance: dict | None = None
    interval: tuple[float | None, float | None] | None = None
    display: str | None = None
    note: str | None = None
    retired: Text | None = None   # why the row is judged unfair (wrong scale, misquoted): kept, shown, not counted

    @field_validator("unit", mode="before")
    @classmethod
    def _unit_text(cls, v):
        return v if v is None else str(v)

    @field_validator("value", mode="before")
    @classmethod
    def _value_number(cls, v):
        if v is not None and not _number(v):
            raise ValueError(f"value {v!r} is not a number")
        return v

    @field_validator("grade", "role")
    @classmethod
    def _known(cls, v, info):
        allowed = {"grade": GRADES, "role": ROLES}[info.field_name]
        if v not in allowed:
            raise ValueError(f"{info.field_name} {v!r} is not one of {', '.join(allowed)}")
        return v

    @field_validator("tolerance", mode="before")
    @classmethod
    def _tolerance_form(cls, tol):
        if tol is not None and not (isinstance(tol, dict) and len(tol) == 1 and next(iter(tol)) in ("relative", "absolute")
                                    and _number(next(iter(tol.values()))) and next(iter(tol.values())) >= 0):
            raise ValueError("tolerance must be {relative: r} or {absolute: a} with a number >= 0")
        return tol

    @field_validator("interval", mode="before")
    @classmethod
    def _interval_form(cls, itv):
        if itv is None:
            return itv
        ok = (isinstance(itv, (list, tuple)) and len(itv) == 2 and all(x is None or _number(x) for x in itv)
              and not (itv[0] is None and itv[1] is None) and (itv[0] is None or itv[1] is None or itv[0] <= itv[1]))
        if not ok:
            raise ValueError("interval must be [lo, hi] with lo <= hi (null for an open end)")
        return tuple(itv)

    @model_validator(mode="after")
    def _one_range(self):
        if (self.tolerance is None) == (self.interval is None):
            raise ValueError("give exactly one of 'tolerance' and 'interval'")
        if self.tolerance is not None and self.value is None:
            raise ValueError("a tolerance needs a value")
        return self

    def bounds(self) -> tuple[float, float]:
        """Accepted range ``[lo, hi]`` (infinite where open)."""
        if self.interval is not None:
            lo, hi = self.interval
            return (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))
        v = float(self.value)
        if "relative" in self.tolerance:
            d = abs(v) * float(self.tolerance["relative"])
        else:
            d = float(self.tolerance["absolute"])
        return v - d, v + d

    def miss(self, model_value: float | None) -> float | None:
        """How far a model value lies outside the accepted range, in band widths (``hi - lo``; for a one-sided band
        the bound's own size): 0 inside, ``None`` without a value. Tells a row at its band's edge from one that is
        far off."""
        if model_value is None or math.isnan(model_value):
            return None
        lo, hi = self.bounds()
        if lo <= model_value <= hi:
            return 0.0
        width = hi - lo if math.isfinite(hi - lo) else abs(lo if math.isfinite(lo) else hi)
        edge = lo if model_value < lo else hi
        return abs(model_value - edge) / (width if width > 0 else 1.0)

    def judge(self, model_value: float | None) -> str:
        if model_value is None or math.isnan(model_value):
            return NO_VALUE
        lo, hi = self.bounds()
        return PASS if lo <= model_value <= hi else FAIL

    def published_text(self) -> str:
        """The published number with its unit; a row quoted in the paper's own words (``display``) also shows the
        value it is judged on, e.g. "117 mg/dL (6.49 mmol/L)"."""
        unit = "" if self.unit in ("ratio", "1") else f" {self.unit}"  # dimensionless: no unit
        if self.display and self.value is not None:
            return f"{self.display} ({_fmt(self.value)}{unit})"
        return self.display or f"{_fmt(self.value)}{unit}"

    def range_text(self) -> str:
        """The accepted range (:meth:`bounds`): "lo to hi", or "<= hi" / ">= lo" where open."""
        lo, hi = self.bounds()
        if not math.isfinite(lo):
            return f"<= {_fmt(hi)}"
        if not math.isfinite(hi):
            return f">= {_fmt(lo)}"
        return f"{_fmt(lo)} to {_fmt(hi)}"

    def tolerance_text(self) -> str:
        if self.interval is not None:
            return self.range_text()
        if "relative" in self.tolerance:
            return f"+-{100 * float(self.tolerance['relative']):g} %"
        return f"+-{_fmt(self.tolerance['absolute'])}"


def _fmt(x) -> str:
    if x is None:
        return "-"
    x = float(x)
    if not math.isfinite(x):
        return "-"
    if x == 0:
        return "0"
    mag = abs(x)
    digits = 3 if mag < 1 else 2 if mag < 10 else 1 if mag < 1000 else 0
    return f"{x:.{digits}f}"


def default_path() -> Path:
    env = os.environ.get("IRSIM_VALIDATION_TARGETS")
    return Path(env) if env else DEFAULT_PATH


def load(path: str | Path | None = None) -> list[Target]:
    """Read and check the targets file; every problem is reported at once (``InputError``)."""
    p = Path(path) if path is not None else default_path()
    data = read_yaml(p, "validation targets file not found (it lives in validation/targets.yaml of a source "
                        "checkout; set IRSIM_VALIDATION_TARGETS to point elsewhere)")
    rows = (data or {}).get("targets") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise InputError([Problem(str(p), "has no 'targets' list")])
    problems: list[Problem] = []
    out: list[Target] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"targets[{i}]" + (f" ({row.get('id')})" if isinstance(row, dict) and row.get("id") else "")
        if not isinstance(row, dict):
            problems.append(Problem(where, "is not a mapping"))
            continue
        try:
            t = _ROW.validate_python(row)
        except ValidationError as exc:
            problems += [Problem(f"{where}.{q.field}" if q.field != "target" else where, q.message)
                         for q in problems_from_errors(exc.errors(), root="target")]
            continue
        if t.id in seen:
            problems.append(Problem(where, "duplicate id"))
        seen.add(t.id)
        out.append(t)
    if problems:
        raise InputError(problems)
    return out


_ROW = TypeAdapter(Target)
