"""Read persons from JSON, YAML, CSV and FHIR bundles; read batches of persons from CSV columns."""

from __future__ import annotations

import difflib
import io
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
from ..errors import InputError, Problem, parse_refusal
from ..schemas.person import BODY_FIELDS, FLAG_FIELDS, LAB_FIELDS, Person
from ..schemas.history import History
from .fhir import bundle_to_person_data, is_bundle
from .history import history_from_data

_HEADER = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\[(.*)\])?\s*$")
_OGTT_COL = re.compile(r"^ogtt_(glucose|insulin)_(\d+(?:\.\d+)?)$")
QUANTITY_FIELDS = BODY_FIELDS + LAB_FIELDS


def read_text(path: str | Path, first_line: bool = False) -> str:
    """The text of an input file (or its first line); a missing, binary or empty file is refused in one sentence
    naming it."""
    p = Path(path)
    if not p.exists():
        raise InputError([Problem(str(path), "file not found")])
    try:
        with p.open("rb") as fh:
            raw = fh.readline() if first_line else fh.read()
    except IsADirectoryError:
        raise unreadable(path, "it is a folder, not a file") from None
    except OSError as exc:
        raise unreadable(path, (exc.strerror or "it cannot be opened").lower()) from None
    try:
        text = None if b"\0" in raw else raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise unreadable(path, "it is not UTF-8 text") from None
    if text is None:
        raise unreadable(path, "it is not text")
    if not text.strip():
        raise unreadable(path, "it is empty")
    return text


def unreadable(path: str | Path, why: str) -> InputError:
    return InputError([Problem(f"could not read {path}", why)])


def csv_refusal(path: str | Path, exc: Exception) -> InputError:
    """A CSV file the parser refuses, in the parser's words."""
    return unreadable(path, "it cannot be read as CSV: " + str(exc).removeprefix("CSV parse error: "))


def read_data(path: str | Path) -> Any:
    """Raw data from a JSON or YAML file (CSV is handled by :func:`read_person`)."""
    p = Path(path)
    text = read_text(p)
    try:
        if p.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise parse_refusal(path, exc) from None


_HOLDS = {list: "a list", str: "a text", bool: "a true/false value", int: "a number", float: "a number"}


def person_from_data(data: Any, source: str | Path = "the person data") -> Person:
    """One person from parsed data (a Person mapping or a FHIR Bundle); ``source`` names it in refusals."""
    if is_bundle(data):
        data = bundle_to_person_data(data)
    if data is None:
        raise unreadable(source, "it is empty")
    if not isinstance(data, dict):
        raise unreadable(source, f"it holds {_HOLDS.get(type(data), 'no fields')}, not one person")
    if "visits" in data or "birth_date" in data or "date" in data:  # a history: the person at the last visit
        return history_from_data(data, str(source)).now
    return Person.parse(data)


def read_person(path: str | Path) -> Person:
    """Read one person from ``.json``/``.yaml``/``.yml`` (Person or FHIR Bundle) or a one-row ``.csv``."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        frame = read_csv(p)
        if len(frame) != 1:
            raise InputError([Problem(str(path), f"has {len(frame)} rows; a person file has one (use --batch for many)")])
        return Person.parse(csv_row_to_data(frame.iloc[0]))
    return person_from_data(read_data(p), path)


def read_history(path: str | Path) -> History:
    """Read a person's history: a person file with ``visits``, a FHIR Bundle (visits by date), or a plain person
    file or one-row CSV (a history of one visit). Refusals name the visit and field (``visits[1].date``)."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        frame = read_csv(p)
        if len(frame) != 1:
            raise InputError([Problem(str(path), f"has {len(frame)} rows; a person file has one (use --batch for many)")])
        return history_from_data(csv_row_to_data(frame.iloc[0]), str(path))
    data = read_data(p)
    if data is None:
        raise unreadable(path, "it is empty")
    if not isinstance(data, dict):
        raise unreadable(path, f"it holds {_HOLDS.get(type(data), 'no fields')}, not one person")
    return history_from_data(data, str(path))


def read_csv(path: str | Path) -> pd.DataFrame:
    text = read_text(path)
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, engine="pyarrow")
    except Exception as exc:  # pyarrow raises several types for malformed CSV
        raise csv_refusal(path, exc) from None


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
    """Canonical input columns for many persons plus one error text per row (None when the row is fine).

    ``ids`` may be given as an Arrow string array (kept as is for the output) or any sequence.
    """

    def __init__(self, columns: dict[str, np.ndarray], errors: np.ndarray, ids):
        self.columns, self.errors, self._ids = columns, errors, ids

    @property
    def n(self) -> int:
        return len(self.errors)

    @property
    def valid(self) -> np.ndarray:
        return np.equal(self.errors, None)

    @property
    def ids(self) -> np.ndarray | None:
        if isinstance(self._ids, (pa.Array, pa.ChunkedArray)):
            return self._ids.to_numpy(zero_copy_only=False)
        return self._ids

    def id_array(self) -> pa.Array | None:
        """The ids as one Arrow string array (None without an id column)."""
        if self._ids is None:
            return None
        if isinstance(self._ids, pa.ChunkedArray):
            return self._ids.combine_chunks().cast(pa.string())
        if isinstance(self._ids, pa.Array):
            return self._ids.cast(pa.string())
        return pa.array(self._ids, type=pa.string())


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


#: How a column is read: ``(column, field name, analyte or None, (unit, (slope, intercept)) or None)``.
ColumnPlan = list[tuple[str, str, "str | None", "tuple[str, tuple[float, float]] | None"]]


def _column_kind(col: str) -> tuple[str, str, str | None]:
    """``(kind, field name, analyte)`` of a header: kind is "id", "choice" (sex, flags), "number" or "unknown"."""
    name, _ = parse_header(str(col))
    m = _OGTT_COL.match(name)
    analyte = f"ogtt_{m.group(1)}" if m else name
    if name == "id":
        return "id", name, None
    if name == "sex" or name in FLAG_FIELDS:
        return "choice", name, None
    if analyte in QUANTITY_FIELDS or m:
        return "number", name, analyte
    return "unknown", name, None


def number_columns(names: list[str]) -> set[str]:
    """The headers that name a quantity column (no unit checks: :func:`column_plan` does those)."""
    out = set()
    for col in names:
        try:
            if _column_kind(col)[0] == "number":
                out.add(col)
        except InputError:
            pass
    return out


def column_plan(names: list[str]) -> tuple[str | None, ColumnPlan]:
    """``(id column or None, plan)`` for CSV headers ``field [unit]``; every header problem raises one InputError."""
    id_col = None
    header_problems: list[Problem] = []
    plan: ColumnPlan = []
    for col in names:
        kind, name, analyte = _column_kind(col)
        unit = parse_header(str(col))[1]
        if kind == "id":
            id_col = col
        elif kind == "choice":
            plan.append((col, name, None, None))
        elif kind == "number":
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
    return id_col, plan


def _choice_column(col: pa.ChunkedArray, mapping: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """``(values, empty, bad, texts)`` for a sex or true/false column: each distinct cell is read once.

    ``texts`` holds the trimmed text of each ``bad`` row, in row order.
    """
    keys = pa.array(list(mapping))
    key_vals = np.asarray(list(mapping.values()), dtype=float)
    vals, empty, bad, texts = [], [], [], []
    if col.num_chunks > 1 and not pa.types.is_dictionary(col.type):
        col = pa.chunked_array([col.combine_chunks()])
    for chunk in col.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk.cast(pa.string()))
        words = _text(pa.chunked_array([chunk.dictionary.cast(pa.string())]))
        idx = pc.index_in(pc.utf8_lower(words), value_set=keys).to_numpy(zero_copy_only=False)
        known = ~pd.isna(idx)
        word_vals = np.full(len(idx) + 1, np.nan)  # the last slot stands for a null cell
        word_vals[:-1][known] = key_vals[idx[known].astype(int)]
        word_empty = np.append(pc.is_null(words).to_numpy(zero_copy_only=False), True)
        word_bad = ~word_empty & np.append(~known, False)
        codes = chunk.indices.fill_null(len(idx)).to_numpy(zero_copy_only=False).astype(np.intp)
        vals.append(word_vals[codes])
        empty.append(word_empty[codes])
        bad.append(word_bad[codes])
        if word_bad.any():
            text = words.to_numpy(zero_copy_only=False)
            texts.extend(text[codes[bad[-1]]])
    if not vals:
        return np.empty(0), np.empty(0, bool), np.empty(0, bool), []
    return np.concatenate(vals), np.concatenate(empty), np.concatenate(bad), texts


def batch_from_table(table: pa.Table) -> Batch:
    """Vectorised conversion of an Arrow table of cells into canonical columns; bad cells -> row errors.

    Cells are text (CSV layout), or already numbers: a float64 quantity column (the CSV reader's typed
    fast path) is read as numbers, null meaning an empty cell. Sex and flag columns may be dictionary-encoded.
    """
    n = table.num_rows
    errors = np.full(n, None, dtype=object)
    cols: dict[str, np.ndarray] = {}
    id_col, plan = column_plan(table.column_names)
    ids = table[id_col] if id_col is not None else None
    empty_of: dict[str, np.ndarray] = {}
    flag_map = {**{t: 1.0 for t in _TRUE}, **{f: 0.0 for f in _FALSE}}
    for col, name, analyte, spec in plan:
        if analyte is None:  # sex or a true/false flag
            vals, empty, bad, texts = _choice_column(table[col], _SEX if name == "sex" else flag_map)
            empty_of["female" if name == "sex" else name] = empty
            what = "'female' or 'male'" if name == "sex" else "true/false"
            _add_error(errors, bad, (f"{name}: value {t!r} is not {what}" for t in texts))
            cols["female" if name == "sex" else name] = vals
            continue
        unit, (slope, intercept) = spec
        column = table[col]
        if pa.types.is_float64(column.type):
            empty = column.is_null().to_numpy(zero_copy_only=False)
            raw = column.to_numpy(zero_copy_only=False)
            notnum = ~empty & ~np.isfinite(raw)
            if notnum.any():
                cells = column.cast(pa.string()).to_numpy(zero_copy_only=False)
                _add_error(errors, notnum, (f"{name}: value {cells[i]!r} is not a number" for i in np.flatnonzero(notnum)))
        else:
            text = _text(column)
            empty = pc.is_null(text).to_numpy(zero_copy_only=False)
            raw = _numbers(text)
            notnum = ~empty & ~np.isfinite(raw)
            if notnum.any():
                cells = text.to_numpy(zero_copy_only=False)
                _add_error(errors, notnum, (f"{name}: value {cells[i]!r} is not a number" for i in np.flatnonzero(notnum)))
        empty_of[name] = empty
        canon = raw * slope + intercept
        lo, hi = units.analyte(analyte).range
        finite = np.isfinite(canon)
        out = finite & ((canon < lo) | (canon > hi))
        if out.any():
            _add_error(errors, out, (f"{name}: " + units.range_message(analyte, raw[i], unit) for i in np.flatnonzero(out)))
        if not finite.all():
            canon[~finite] = np.nan
        cols[name] = canon
    for req, label in (("age", "age"), ("female", "sex")):
        miss = empty_of.get(req, np.ones(n, bool))
        _add_error(errors, miss, (f"{label}: required field is missing" for _ in range(int(miss.sum()))))
    if "systolic_bp" in cols and "diastolic_bp" in cols:
        swapped = cols["diastolic_bp"] >= cols["systolic_bp"]
        _add_error(errors, swapped, ("diastolic_bp is not below systolic_bp: are they swapped?" for _ in range(int(swapped.sum()))))
    return Batch(cols, errors, ids)
