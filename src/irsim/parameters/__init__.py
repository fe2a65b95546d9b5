"""Parameter sets and coefficient tables, kept as data files with a source for every number.

Each YAML file under ``parameters/data`` carries a top-level ``source`` (citation) and, where numbers come from
different places, a ``source`` per entry. An entry ``{value, unit, source, note}`` becomes a :class:`Parameter`;
:func:`parameter_set` reads a file's entries once (cached) into a :class:`ParameterSet`, checking every unit with
pint. A unit is one pint expression without spaces (``dimensionless``, ``1/year``, ``kcal/day/kg``, ``10^9/L``;
a list for a table, one unit per row); words about it go to ``note``. Models read values through :func:`lookup`;
within :func:`overridden` a lookup returns the caller's values instead of the file's.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterator

import yaml


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """Load ``parameters/data/<name>.yaml`` (cached; treat the result as read-only)."""
    path = resources.files(__package__).joinpath("data", f"{name}.yaml")
    with path.open("r", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def files() -> list[str]:
    """Names of every parameter file (without ``.yaml``)."""
    data = resources.files(__package__).joinpath("data")
    return sorted(p.name[:-5] for p in data.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=1)
def ureg():
    """The one pint registry of irsim (units, parameter checks)."""
    import pint

    reg = pint.UnitRegistry(case_sensitive=True)
    # Biological activity units (insulin, gonadotropins) and enzyme activity, kept as their own dimensions.
    reg.define("international_unit = [biological_activity] = IU")
    return reg


@dataclass(frozen=True)
class Parameter:
    """One number (or table) with its unit and where it comes from; ``note`` says what the unit counts."""

    value: Any
    unit: str | tuple[str, ...]
    source: str
    note: str = ""

    @property
    def unit_text(self) -> str:
        """The unit for people: ``"1/year (per glucose excess)"``; a table's units joined by commas."""
        unit = ", ".join(self.unit) if isinstance(self.unit, tuple) else str(self.unit)
        return f"{unit} ({self.note})" if self.note else unit


class ParameterError(ValueError):
    """A parameter file has entries whose unit pint cannot read (the message names file, key and unit)."""


_BAD_UNIT = re.compile(r"[\s\[\],]")


def unit_problem(unit: Any) -> str | None:
    """Why ``unit`` is not a pint unit expression (None when it is). A table's unit is a list, one per row."""
    if isinstance(unit, (list, tuple)):
        return next((p for p in map(unit_problem, unit) if p), None) if unit else "an empty list"
    if not isinstance(unit, str) or not unit or _BAD_UNIT.search(unit):
        return "not one pint expression (no spaces, brackets or commas; words go to note)"
    try:
        q = ureg().parse_expression(unit)
    except Exception as exc:  # pint raises many kinds on malformed text
        return f"pint cannot read it ({type(exc).__name__}: {exc})"
    m = float(getattr(q, "magnitude", q))
    if not (m > 0 and abs(math.log10(m) - round(math.log10(m))) < 1e-9):
        return f"pint reads a factor {m:g} (a unit may scale only by a power of ten)"
    return None


class ParameterSet(Mapping):
    """The entries of one parameter file: ``section.name`` (or ``name`` at the top) -> :class:`Parameter`."""

    def __init__(self, name: str, source: str, entries: dict[str, Parameter]):
        self.name, self.source, self._entries = name, source, entries

    def __getitem__(self, key: str) -> Parameter:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"{self.name}.yaml has no parameter {key!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def value(self, key: str) -> Any:
        """The value of ``key``: the file's, or the caller's within :func:`overridden`."""
        if _OVERRIDES and (self.name, key) in _OVERRIDES:
            return _OVERRIDES[self.name, key]
        return self[key].value

    def values_dict(self) -> dict[str, Any]:
        """``key -> value`` (a fresh dict; overrides applied)."""
        return {k: self.value(k) for k in self._entries}

    def sections(self) -> dict[str, dict[str, Parameter]]:
        """Entries grouped by section (top-level entries under ``""``), in file order."""
        out: dict[str, dict[str, Parameter]] = {}
        for key, p in self._entries.items():
            section, _, name = key.rpartition(".")
            out.setdefault(section, {})[name] = p
        return out


def _read(name: str, data: dict) -> ParameterSet:
    source = str(data.get("source", "")) if isinstance(data, dict) else ""
    entries, bad = {}, []

    def add(key: str, e: dict):
        unit = e.get("unit")
        problem = unit_problem(unit)
        if problem:
            bad.append(f"{name}.yaml: {key}: unit {unit!r}: {problem}")
        entries[key] = Parameter(e["value"], tuple(unit) if isinstance(unit, list) else unit,
                                 str(e.get("source") or source), str(e.get("note", "")))

    for section, body in (data.items() if isinstance(data, dict) else ()):
        if isinstance(body, dict) and "value" in body:
            add(section, body)
        elif isinstance(body, dict):
            for key, e in body.items():
                if isinstance(e, dict) and "value" in e:
                    add(f"{section}.{key}", e)
    if bad:
        raise ParameterError("units pint cannot read:\n" + "\n".join(bad))
    return ParameterSet(name, source, entries)


@lru_cache(maxsize=None)
def parameter_set(name: str) -> ParameterSet:
    """The entries of ``parameters/data/<name>.yaml`` (cached: read once per process); raises
    :class:`ParameterError` naming the file, key and string of every unit pint cannot read."""
    return _read(name, load(name))


#: (file, key) -> value in force within :func:`overridden`.
_OVERRIDES: dict[tuple[str, str], Any] = {}
_OVERRIDE_LOCK = threading.RLock()


@contextlib.contextmanager
def overridden(changes: dict[str, dict[str, Any]]):
    """Within the block every lookup of ``changes[file][key]`` returns that value (process-wide: one block at a
    time; code that caches what it computed from parameters must recompute inside and after the block)."""
    for name, values in changes.items():
        for key in values:
            parameter_set(name)[key]  # noqa: B018  (an unknown key raises here)
    with _OVERRIDE_LOCK:
        saved = dict(_OVERRIDES)
        _OVERRIDES.update({(name, key): v for name, values in changes.items() for key, v in values.items()})
        try:
            yield
        finally:
            _OVERRIDES.clear()
            _OVERRIDES.update(saved)


def lookup(name: str) -> Callable[[str], Any]:
    """``c(key) -> value`` of a parameter file: the one lookup every model uses."""

    def c(key: str):
        return parameter_set(name).value(key)

    c.__doc__ = f"Value of ``key`` (``section.name``) in {name}.yaml."
    return c


def flat_values(name: str) -> dict[str, Any]:
    """``section.name -> value`` of a parameter file; units and sources stay in :func:`parameter_set`."""
    return parameter_set(name).values_dict()


def sources(names) -> dict[str, dict[str, dict[str, Parameter]]]:
    """``file -> section -> name -> Parameter`` of the given files (what a report cites)."""
    return {name: parameter_set(name).sections() for name in names}
