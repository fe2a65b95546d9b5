"""Read persons from JSON, YAML, CSV and FHIR bundles; read batches of persons from CSV columns."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from .. import units
from ..errors import InputError, Problem
from ..schemas.person import BODY_FIELDS, FLAG_FIELDS, LAB_FIELDS, Person
from .fhir import bundle_to_person_data, is_bundle

_HEADER = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\[(.*)\])?\s*$")
_OGTT_COL = re.compile(r"^ogtt_(glucose|insulin)_(\d+(?:\.\d+)?)$")
QUANTITY_FIELDS = BODY_FIELDS + LAB_FIELDS


def read_data(path: str | Path) -> Any:
    """Raw data from a JSON or YAML file (CSV is handled by :func:`read_person`)."""
    p = Path(path)
    if not p.exists():
        raise InputError([Problem(str(path), "file not found")])
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(str(path), f"cannot be parsed: {exc}")]) from None


def person_from_data(data: Any) -> Person:
    if is_bundle(data):
        data = bundle_to_person_data(data)
    if not isinstance(data, dict):
        raise InputError([Problem("person", f"expected a mapping of fields, got {type(data).__name__}")])
    return Person.parse(data)


def read_person(path: str | Path) -> Person:
    """Read one person from ``.json``/``.yaml``/``.yml`` (Person or FHIR Bundle) or a one-row ``.csv``."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        frame = read_csv(p)
        if len(frame) != 1:
            raise InputError([Problem(str(path), f"has {len(frame)} rows; a person file has one (use --batch for many)")])
        return Person.parse(csv_row_to_data(frame.iloc[0]))
    return person_from_data(read_data(p))


def read_csv(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise InputError([Problem(str(path), "file not found")])
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False, engine="pyarrow")
    except Exception as exc:  # pyarrow raises several types for malformed CSV
        raise InputError([Problem(str(path), f"cannot be read as CSV: {exc}")]) from None


def parse_header(col: str) -> tuple[str, str | None]:
    m = _HEADER.match(col)
    if not m:
        raise InputError([Problem(col, "column header must be 'field' or 'field [unit]', e.g. 'fasting_glucose [mmol/L]'")])
    return m.group(1), (m.group(2) or "").strip() or None


def csv_row_to_data(row: pd.Series) -> dict[str, Any]:
    """One CSV row (headers ``field [unit]``) as Person data."""
    data: dict[str, Any] = {}
    ogtt: dict[str, dict[float, tuple[str, str | None]]] = {"glucose": {}, "insulin": {}}
    for col, raw in row.items():
        name, unit = parse_header(str(col))
        raw = str(raw).strip()
        if raw == "":
            continue
        m = _OGTT_COL.match(name)
        if m:
            ogtt[m.group(1)][float(m.group(2))] = (raw, unit)
        elif name in QUANTITY_FIELDS:
            data[name] = f"{raw} {unit}" if unit else _number_or_text(raw)
        else:
            data[name] = raw
    if ogtt["glucose"]:
        mins = sorted(ogtt["glucose"])
        gunit = ogtt["glucose"][mins[0]][1]
        o: dict[str, Any] = {"minutes": mins, "glucose": {"values": [_number_or_text(ogtt["glucose"][m][0]) for m in mins], "unit": gunit}}
        if ogtt["insulin"]:
            imins = sorted(ogtt["insulin"])
            o["insulin"] = {"values": [_number_or_text(ogtt["insulin"][m][0]) for m in imins],
                            "unit": ogtt["insulin"][imins[0]][1]}
        data["ogtt"] = o
    return data


def _number_or_text(raw: str) -> Any:
    try:
        return float(raw)
    except ValueError:
        return raw


# ---------------------------------------------------------------- batches (vectorised)

_TRUE = {"true", "yes", "y", "1", "1.0"}
_FALSE = {"false", "no", "n", "0", "0.0"}
_SEX = {"female": 1.0, "f": 1.0, "woman": 1.0, "male": 0.0, "m": 0.0, "man": 0.0}


class Batch:
    """Canonical input columns for many persons plus one error text per row (None when the row is fine)."""

    def __init__(self, columns: dict[str, np.ndarray], errors: np.ndarray, ids: np.ndarray | None):
        self.columns, self.errors, self.ids = columns, errors, ids

    @property
    def n(self) -> int:
        return len(self.errors)

    @property
    def valid(self) -> np.ndarray:
        return np.equal(self.errors, None)


def _add_error(errors: np.ndarray, rows: np.ndarray, messages) -> None:
    for i, msg in zip(np.flatnonzero(rows), messages):
        errors[i] = msg if errors[i] is None else f"{errors[i]}; {msg}"


def batch_from_frame(frame: pd.DataFrame) -> Batch:
    """Vectorised conversion of a text frame (CSV cells) into canonical columns; bad cells -> row errors."""
    text = frame.astype(object).where(frame.notna(), "").astype(str)  # NaN/None are missing cells, not "nan"
    return batch_from_table(pa.Table.from_pandas(text, preserve_index=False))


def _text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    col = pc.utf8_trim_whitespace(col.cast(pa.string()))
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _numbers(col: pa.ChunkedArray) -> np.ndarray:
    """Float64 array (NaN for empty or non-numeric cells)."""
    try:
        return pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(pd.Series(col.to_numpy(zero_copy_only=False), dtype=object), errors="coerce").to_numpy(dtype=float)


def batch_from_table(table: pa.Table) -> Batch:
    """Vectorised conversion of an Arrow table of text cells into canonical columns; bad cells -> row errors."""
    n = table.num_rows
    errors = np.full(n, None, dtype=object)
    cols: dict[str, np.ndarray] = {}
    ids = None
    header_problems: list[Problem] = []
    plan = []
    for col in table.column_names:
        name, unit = parse_header(str(col))
        m = _OGTT_COL.match(name)
        analyte = f"ogtt_{m.group(1)}" if m else name
        if name == "id":
            ids = table[col].to_numpy(zero_copy_only=False)
        elif name == "sex" or name in FLAG_FIELDS:
            plan.append((col, name, None, None))
        elif analyte in QUANTITY_FIELDS or m:
            a = units.analyte(analyte)
            if unit is None and not a.bare_number:
                header_problems.append(Problem(str(col), f"column has no unit; write it as '{name} [{a.canonical_unit}]'; {a.describe_accepted()}"))
                continue
            try:
                conv = units.converter(analyte, unit or a.canonical_unit)
            except units.UnitMismatch as exc:
                header_problems.append(Problem(str(col), str(exc)))
                continue
            plan.append((col, name, analyte, (unit or a.canonical_unit, conv)))
        else:
            known = ["id", "sex", *FLAG_FIELDS, *QUANTITY_FIELDS, "ogtt_glucose_<min>", "ogtt_insulin_<min>"]
            guess = difflib.get_close_matches(name, known, n=1)
            header_problems.append(Problem(str(col), "unknown column" + (f"; did you mean {guess[0]!r}?" if guess else "")))
    if header_problems:
        raise InputError(header_problems)
    empty_of: dict[str, np.ndarray] = {}
    for col, name, analyte, spec in plan:
        text = _text(table[col])
        empty = pc.is_null(text).to_numpy(zero_copy_only=False)
        empty_of["female" if name == "sex" else name] = empty
        if analyte is None:  # sex or a true/false flag
            lower = pc.utf8_lower(text)
            mapping = _SEX if name == "sex" else {**{t: 1.0 for t in _TRUE}, **{f: 0.0 for f in _FALSE}}
            keys = list(mapping)
            idx = pc.index_in(lower, value_set=pa.array(keys)).to_numpy(zero_copy_only=False)
            known = ~pd.isna(idx)
            vals = np.full(n, np.nan)
            vals[known] = np.asarray([mapping[k] for k in keys])[idx[known].astype(int)]
            bad = ~empty & ~known
            what = "'female' or 'male'" if name == "sex" else "true/false"
            raw = text.to_numpy(zero_copy_only=False)
            _add_error(errors, bad, (f"{name}: value {raw[i]!r} is not {what}" for i in np.flatnonzero(bad)))
            cols["female" if name == "sex" else name] = vals
        else:
            unit, (slope, intercept) = spec
            raw = _numbers(text)
            notnum = ~empty & ~np.isfinite(raw)
            if notnum.any():
                cells = text.to_numpy(zero_copy_only=False)
                _add_error(errors, notnum, (f"{name}: value {cells[i]!r} is not a number" for i in np.flatnonzero(notnum)))
            canon = raw * slope + intercept
            lo, hi = units.analyte(analyte).range
            out = np.isfinite(canon) & ((canon < lo) | (canon > hi))
            _add_error(errors, out, (f"{name}: " + units.range_message(analyte, raw[i], unit) for i in np.flatnonzero(out)))
            canon[~np.isfinite(canon)] = np.nan
            cols[name] = canon
    for req, label in (("age", "age"), ("female", "sex")):
        miss = empty_of.get(req, np.ones(n, bool))
        _add_error(errors, miss, (f"{label}: required field is missing" for _ in range(int(miss.sum()))))
    if "systolic_bp" in cols and "diastolic_bp" in cols:
        swapped = cols["diastolic_bp"] >= cols["systolic_bp"]
        _add_error(errors, swapped, ("diastolic_bp is not below systolic_bp: are they swapped?" for _ in range(int(swapped.sum()))))
    return Batch(cols, errors, ids)
