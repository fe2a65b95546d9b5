"""Units: pint for dimensional conversion plus each analyte's own factors (data/analytes.yaml).

One conversion path serves a single value and a column of a million: :func:`converter` returns the
affine map ``canonical = value * slope + intercept`` for an (analyte, unit) pair, and callers apply it
to scalars or arrays alike.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterator

import numpy as np

from ..parameters import load, ureg

#: mg/dL per mmol/L of glucose (molar mass 180.16 g/mol; the factor of data/analytes.yaml).
GLUCOSE_MG_DL_PER_MMOL_L = 18.016


@dataclass(frozen=True)
class UnitSettings:
    #: pmol/L per uIU/mL of insulin: 6.0 (Heinemann 2010) or 6.945 (WHO IRP 66/304).
    insulin_pmol_per_uiu: float = float(os.environ.get("IRSIM_INSULIN_PMOL_PER_UIU", "6.0"))


_settings = UnitSettings()


def settings() -> UnitSettings:
    return _settings


@contextlib.contextmanager
def unit_settings(**changes: float) -> Iterator[UnitSettings]:
    """Temporarily change unit settings, e.g. ``with unit_settings(insulin_pmol_per_uiu=6.945):``."""
    global _settings
    old = _settings
    _settings = replace(old, **changes)
    try:
        yield _settings
    finally:
        _settings = old


_UCUM_SUBS = [
    (re.compile(r"\[iU\]|\[IU\]"), "IU"),
    (re.compile(r"mm\[Hg\]"), "mmHg"),
    (re.compile(r"\[lb_av\]"), "lb"),
    (re.compile(r"\[in_i\]"), "inch"),
    (re.compile(r"\{[^}]*\}"), ""),            # UCUM annotations such as {creat}
    (re.compile(r"10\*(\d+)"), r"10**\1"),     # UCUM powers of ten
    (re.compile(r"\^"), "**"),
    (re.compile(r"^[x×]\s*"), ""),
    (re.compile(r"[µμ]"), "u"),
    (re.compile(r"⁹"), "**9"),
    (re.compile(r"³"), "**3"),
    (re.compile(r"^K/uL$", re.I), "10**3/uL"),
    (re.compile(r"^mu?IU/m[lL]$"), "mIU/mL"),
]

#: Spellings that mean the same thing (case differences in labs' exports).
_ALIASES = {"mg/dl": "mg/dL", "g/dl": "g/dL", "ng/dl": "ng/dL", "mmol/l": "mmol/L", "umol/l": "umol/L",
            "nmol/l": "nmol/L", "pmol/l": "pmol/L", "uiu/ml": "uIU/mL", "uu/ml": "uIU/mL", "mu/l": "mIU/L",
            "miu/l": "mIU/L", "iu/l": "IU/L", "u/l": "U/L", "mg/l": "mg/L", "g/l": "g/L", "ng/ml": "ng/mL",
            "miu/ml": "mIU/mL", "mmhg": "mmHg", "years": "year", "yr": "year", "y": "year", "a": "year",
            "kgs": "kg", "lbs": "lb"}


def normalize_unit(unit: str) -> str:
    """Canonical spelling of a unit string (UCUM or lab style) for matching and for pint."""
    u = unit.strip()
    u = _ALIASES.get(u.lower().replace(" ", ""), u)
    for pat, rep in _UCUM_SUBS:
        u = pat.sub(rep, u)
    u = u.replace(" ", "")
    return _ALIASES.get(u.lower(), u)


@dataclass(frozen=True)
class Equivalent:
    unit: str
    factor: float | None = None
    offset: float = 0.0
    factor_setting: str | None = None
    divisor: float | None = None

    def slope(self) -> float:
        if self.divisor is not None:
            return 1.0 / float(self.divisor)
        if self.factor_setting is not None:
            return 1.0 / float(getattr(settings(), self.factor_setting))
        assert self.factor is not None
        return float(self.factor)


@dataclass(frozen=True)
class Analyte:
    name: str
    label: str
    canonical_unit: str
    range: tuple[float, float]
    loinc: tuple[str, ...] = ()
    equivalents: tuple[Equivalent, ...] = ()
    pint: bool = True
    bare_number: bool = False
    form_units: tuple[str, ...] = ()  # units a form offers besides these (pint converts them)

    def accepted_units(self) -> list[str]:
        return [self.canonical_unit] + [e.unit for e in self.equivalents]

    def offered_units(self) -> list[str]:
        """The units a form offers: the accepted ones and common others that convert to them."""
        return self.accepted_units() + [u for u in self.form_units if u not in self.accepted_units()]

    def describe_accepted(self) -> str:
        units = ", ".join(self.accepted_units())
        return f"accepted units: {units}" + (" (or any unit convertible to them)" if self.pint else "")

    def describe_range(self) -> str:
        lo, hi = self.range
        return f"plausible range {fmt(lo)}-{fmt(hi)} {self.canonical_unit}"


def fmt(x: float) -> str:
    return f"{x:.4g}"


@lru_cache(maxsize=1)
def analytes() -> dict[str, Analyte]:
    data = load("analytes")["analytes"]
    out = {}
    for name, d in data.items():
        eq = tuple(Equivalent(**e) for e in d.get("equivalents", []))
        out[name] = Analyte(name=name, label=d["label"], canonical_unit=d["canonical_unit"],
                            range=tuple(d["range"]), loinc=tuple(d.get("loinc", [])), equivalents=eq,
                            pint=d.get("pint", True), bare_number=d.get("bare_number", False),
                            form_units=tuple(d.get("form_units", ())))
    return out


def analyte(name: str) -> Analyte:
    try:
        return analytes()[name]
    except KeyError:
        raise KeyError(f"unknown analyte {name!r}") from None


class UnitMismatch(ValueError):
    """The unit is not one this analyte can be given in."""


def _pint_factor(src: str, dst: str) -> float | None:
    """Multiplicative factor from unit ``src`` to ``dst`` if pint can convert, else None."""
    reg = ureg()
    try:
        q = reg.Quantity(1.0) * reg.parse_expression(src)
        d = reg.Quantity(1.0) * reg.parse_expression(dst)
        return float((q / d).to("dimensionless").magnitude)
    except Exception:  # malformed text makes pint raise many kinds (tokenize, pint, arithmetic errors)
        return None


@lru_cache(maxsize=4096)
def _converter(name: str, unit: str, _insulin: float) -> tuple[float, float]:
    a = analyte(name)
    u = normalize_unit(unit)
    targets = [(a.canonical_unit, 1.0, 0.0)] + [(e.unit, e.slope(), e.offset) for e in a.equivalents]
    for target, slope, offset in targets:  # exact spelling first
        if u == normalize_unit(target):
            return slope, offset
    if a.pint:
        for target, slope, offset in targets:
            f = _pint_factor(u, normalize_unit(target))
            if f is not None:
                return f * slope, offset
    raise UnitMismatch(f"unit {unit!r} does not fit {a.label.lower()}; {a.describe_accepted()}")


def converter(name: str, unit: str) -> tuple[float, float]:
    """``(slope, intercept)`` with ``canonical = value * slope + intercept``; raises :class:`UnitMismatch`."""
    return _converter(name, unit, settings().insulin_pmol_per_uiu)


def to_canonical(name: str, value, unit: str):
    slope, intercept = converter(name, unit)
    return np.asarray(value, dtype=float) * slope + intercept if np.ndim(value) else float(value) * slope + intercept


def from_canonical(name: str, value, unit: str):
    slope, intercept = converter(name, unit)
    return (np.asarray(value, dtype=float) - intercept) / slope if np.ndim(value) else (float(value) - intercept) / slope


def in_range(name: str, canonical) -> np.ndarray | bool:
    lo, hi = analyte(name).range
    c = np.asarray(canonical, dtype=float)
    ok = np.isfinite(c) & (c >= lo) & (c <= hi)
    return ok if np.ndim(canonical) else bool(ok)


def range_message(name: str, value: float, unit: str) -> str:
    """Message for a value outside the plausible range, with a 'did you mean' when a unit mix-up explains it."""
    a = analyte(name)
    canonical = to_canonical(name, value, unit)
    shown = "" if normalize_unit(unit) == normalize_unit(a.canonical_unit) else f" (= {fmt(canonical)} {a.canonical_unit})"
    msg = f"value {fmt(value)} {unit}{shown} is outside the {a.describe_range()}; {a.describe_accepted()}"
    given = converter(name, unit)
    hints = []
    for alt in a.accepted_units():
        alt_conv = converter(name, alt)
        if np.allclose(alt_conv, given):
            continue
        alt_canonical = value * alt_conv[0] + alt_conv[1]
        if in_range(name, alt_canonical):
            same = alt == a.canonical_unit
            hints.append(f"did you mean {fmt(value)} {alt}" + ("" if same else f" (= {fmt(alt_canonical)} {a.canonical_unit})") + "?")
    if hints:
        msg += "; " + " or ".join(hints)
    return msg


_QTY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def split_quantity(text: str) -> tuple[float, str]:
    """Split ``"5.9 mmol/L"`` into ``(5.9, "mmol/L")``; unit may be empty."""
    m = _QTY.match(text)
    if not m:
        raise ValueError(f"cannot read {text!r} as a number followed by a unit (e.g. \"5.9 mmol/L\")")
    return float(m.group(1)), m.group(2)


__all__ = ["Analyte", "UnitMismatch", "UnitSettings", "analyte", "analytes", "converter", "from_canonical",
           "in_range", "normalize_unit", "range_message", "settings", "split_quantity", "to_canonical",
           "unit_settings", "ureg"]
