"""Published validation targets (``validation/targets.yaml``): loading, checking, and judging a model value."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import InputError, Problem

#: The targets file of a source checkout (``validation/targets.yaml`` at the repository root); the environment
#: variable ``IRSIM_VALIDATION_TARGETS`` points elsewhere.
DEFAULT_PATH = Path(__file__).resolve().parents[3] / "validation" / "targets.yaml"
GRADES = ("primary", "derived", "secondary", "qualitative")
ROLES = ("test", "calibration")
_REQUIRED = ("id", "study", "quantity", "unit", "basis", "grade", "population", "protocol", "citation", "role")

PASS, FAIL, NO_VALUE = "pass", "fail", "no value"


@dataclass(frozen=True)
class Target:
    id: str
    study: str
    quantity: str
    value: float | None
    unit: str
    basis: str
    grade: str
    population: str
    protocol: str
    citation: str
    tolerance: dict | None = None
    interval: tuple[float | None, float | None] | None = None
    display: str | None = None
    note: str | None = None
    role: str = "test"
    retired: str | None = None   # why the row is judged unfair; kept and shown, not counted

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

    def judge(self, model_value: float | None) -> str:
        if model_value is None or math.isnan(model_value):
            return NO_VALUE
        lo, hi = self.bounds()
        return PASS if lo <= model_value <= hi else FAIL

    def published_text(self) -> str:
        if self.display:
            return self.display
        return _fmt(self.value)

    def tolerance_text(self) -> str:
        if self.interval is not None:
            lo, hi = self.interval
            if lo is None:
                return f"<= {_fmt(hi)}"
            if hi is None:
                return f">= {_fmt(lo)}"
            return f"{_fmt(lo)} to {_fmt(hi)}"
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
    if not p.exists():
        raise InputError([Problem(str(p), "validation targets file not found (it lives in validation/targets.yaml "
                                          "of a source checkout; set IRSIM_VALIDATION_TARGETS to point elsewhere)")])
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError([Problem(str(p), f"cannot be parsed as YAML: {exc}")]) from None
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
        missing = [k for k in _REQUIRED if not str(row.get(k) or "").strip()]
        if missing:
            problems.append(Problem(where, f"missing {', '.join(missing)}"))
            continue
        if row["id"] in seen:
            problems.append(Problem(where, "duplicate id"))
        seen.add(row["id"])
        if row["grade"] not in GRADES:
            problems.append(Problem(where, f"grade {row['grade']!r} is not one of {', '.join(GRADES)}"))
        if row["role"] not in ROLES:
            problems.append(Problem(where, f"role {row['role']!r} is not one of {', '.join(ROLES)}"))
        if "retired" in row and not str(row["retired"] or "").strip():
            problems.append(Problem(where, "retired needs its reason"))
        tol, itv = row.get("tolerance"), row.get("interval")
        if (tol is None) == (itv is None):
            problems.append(Problem(where, "give exactly one of 'tolerance' and 'interval'"))
            continue
        value = row.get("value")
        if value is not None and not isinstance(value, (int, float)):
            problems.append(Problem(where, f"value {value!r} is not a number"))
            continue
        if tol is not None:
            if not (isinstance(tol, dict) and len(tol) == 1 and next(iter(tol)) in ("relative", "absolute")
                    and isinstance(next(iter(tol.values())), (int, float)) and next(iter(tol.values())) >= 0):
                problems.append(Problem(where, "tolerance must be {relative: r} or {absolute: a} with a number >= 0"))
                continue
            if value is None:
                problems.append(Problem(where, "a tolerance needs a value"))
                continue
        if itv is not None:
            ok = (isinstance(itv, list) and len(itv) == 2 and all(x is None or isinstance(x, (int, float)) for x in itv)
                  and not (itv[0] is None and itv[1] is None)
                  and (itv[0] is None or itv[1] is None or itv[0] <= itv[1]))
            if not ok:
                problems.append(Problem(where, "interval must be [lo, hi] with lo <= hi (null for an open end)"))
                continue
        out.append(Target(id=row["id"], study=row["study"], quantity=row["quantity"],
                          value=None if value is None else float(value), unit=str(row["unit"]), basis=row["basis"],
                          grade=row["grade"], population=row["population"], protocol=row["protocol"],
                          citation=row["citation"], tolerance=tol, interval=None if itv is None else tuple(itv),
                          display=row.get("display"), note=row.get("note"), role=row["role"],
                          retired=row.get("retired")))
    if problems:
        raise InputError(problems)
    return out
