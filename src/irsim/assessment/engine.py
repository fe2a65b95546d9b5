"""Run every registered calculator over a table of persons (one row or millions: one code path)."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from .catalog import REGISTRY
from .registry import Calculator, Inputs, reason_texts


@dataclass
class Evaluated:
    calculator: Calculator
    value: np.ndarray
    category: np.ndarray | None
    detail: np.ndarray | None
    computable: np.ndarray
    reason: np.ndarray | None  # object array of str (None where computable); None without reasons


def prepare(columns: Mapping[str, np.ndarray], n: int) -> Inputs:
    """Add derived inputs (BMI, 2-h OGTT glucose) to canonical columns."""
    cols = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    if "height" in cols and "weight" in cols:
        # BMI = weight [kg] / height [m]^2 (WHO definition).
        cols["bmi"] = cols["weight"] / (cols["height"] / 100.0) ** 2
    if "ogtt_glucose_120" in cols:
        cols["glucose_2h"] = cols["ogtt_glucose_120"]
    return Inputs(cols, n)


def _missing(calc: Calculator, inputs: Inputs) -> np.ndarray:
    """Mask of rows missing any required input."""
    missing = np.zeros(inputs.n, bool)
    for r in calc.requires:
        missing |= ~inputs.has(r)
    return missing


def _missing_reason(calc: Calculator, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """(mask of rows missing a required input, reason strings) built once per missing pattern."""
    n = inputs.n
    if not calc.requires:
        return np.zeros(n, bool), np.full(n, None, dtype=object)
    missing = np.stack([~inputs.has(r) for r in calc.requires])  # (k, n)
    code = np.zeros(n, dtype=np.int64)
    for i in range(len(calc.requires)):
        code |= missing[i].astype(np.int64) << i
    reason = np.full(n, None, dtype=object)
    for c in np.unique(code[code > 0]):
        names = [r for i, r in enumerate(calc.requires) if c >> i & 1]
        reason[code == c] = "needs " + ", ".join(names)
    return code > 0, reason


def evaluate(inputs: Inputs, keys: Iterable[str] | None = None, reasons: bool = True) -> dict[str, Evaluated]:
    """Run the calculators (all, or ``keys``) over ``inputs``.

    ``reasons=False`` (the batch path, whose output has no reason column) skips building reason texts, in
    the engine and in the calculators (:func:`registry.want_reasons`): ``Evaluated.reason`` is then None;
    values, categories, details and the computable masks are the same either way.
    """
    with reason_texts(reasons):
        return _evaluate(inputs, keys, reasons)


def _evaluate(inputs: Inputs, keys: Iterable[str] | None, reasons: bool) -> dict[str, Evaluated]:
    out: dict[str, Evaluated] = {}
    for key in keys or REGISTRY:
        calc = REGISTRY[key]
        if reasons:
            missing, reason = _missing_reason(calc, inputs)
        else:
            missing, reason = _missing(calc, inputs), None
        with np.errstate(all="ignore"):
            c = calc.compute(inputs)
        value = np.asarray(c.value)
        ok = ~missing
        if c.computable is not None:
            own = np.asarray(c.computable, dtype=bool)
            if reasons and c.reason is not None:
                sel = ok & ~own
                reason[sel] = np.asarray(c.reason, dtype=object)[sel]
            ok &= own
        if value.dtype.kind == "f":
            bad = ok & ~np.isfinite(value)
            if bad.any():  # never hand out NaN: say the result is undefined for these inputs
                if reasons:
                    reason[bad] = "not defined for these input values"
                ok &= ~bad
        if reasons:
            reason[ok] = None
            reason[~ok & np.equal(reason, None)] = "not computable from the inputs given"
        out[key] = Evaluated(calc, value, c.category, c.detail, ok, reason)
    return out


def _py(x):
    """numpy scalar -> plain Python for JSON."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, tuple):
        return list(x)
    return x


def row_results(ev: dict[str, Evaluated], i: int = 0) -> tuple[dict, dict]:
    """``(results, not_computable)`` for row ``i`` in the stable JSON layout."""
    results, nc = {}, {}
    for key, e in ev.items():
        if not e.computable[i]:
            nc[key] = e.reason[i]
            continue
        calc = e.calculator
        rec = {"value": _py(e.value[i]), "unit": calc.unit,
               "category": None if e.category is None else _py(e.category[i]),
               "formula": calc.formula, "reference": calc.reference}
        if e.detail is not None and e.detail[i] is not None:
            rec["detail"] = _py(e.detail[i])
        results[key] = rec
    return results, nc


def table_columns(ev: dict[str, Evaluated], valid_rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Flat columns for a batch: ``KEY``, ``KEY_category``, ``KEY_detail`` (JSON text), null when not computable."""
    cols: dict[str, np.ndarray] = {}
    for key, e in ev.items():
        ok = e.computable if valid_rows is None else e.computable & valid_rows
        v = e.value
        if v.dtype.kind == "f":
            cols[key] = np.where(ok, v, np.nan)
        elif v.dtype.kind in "iub":
            cols[key] = np.where(ok, v.astype(float), np.nan)
        else:
            col = np.asarray(v, dtype=object).copy()
            col[~ok] = None
            cols[key] = col
        if e.category is not None:
            cat = np.asarray(e.category, dtype=object).copy()
            cat[~ok] = None
            cols[f"{key}_category"] = cat
        if e.detail is not None:
            det = np.asarray(e.detail, dtype=object).copy()
            det[~ok] = None
            # Details repeat across rows (shared tuples/strings): JSON-encode each distinct one once.
            codes, uniques = pd.factorize(det, use_na_sentinel=True)
            cols[f"{key}_detail"] = pd.Categorical.from_codes(codes, [json.dumps(_py(u)) for u in uniques])
    return cols


# ---------------------------------------------------------------- Arrow columns (batch path)

def _object_codes(v: np.ndarray) -> tuple[np.ndarray, list]:
    """``(codes, distinct objects)`` of a 1-D object array, grouping identical objects without hashing them.

    Calculator results repeat a few shared objects (labels, detail tuples) across rows, so the rows are
    grouped by object identity: the array's object pointers are factorised as integers (no Python call per
    row). Equal objects that are distinct instances get distinct codes; callers merge them by value.
    """
    v = np.ascontiguousarray(v, dtype=object)
    if v.size == 0:
        return np.empty(0, np.intp), []
    pointers = np.frombuffer((ctypes.c_ssize_t * v.size).from_address(v.ctypes.data), dtype=np.intp)
    codes, uniques = pd.factorize(pointers)
    # ``v`` holds a reference to each of these objects while they are read back from their addresses
    return codes, [ctypes.cast(int(a), ctypes.py_object).value for a in uniques]


def _json(o) -> str:
    """JSON text of a detail value; texts and tuples of texts (most details) are cached by value."""
    if isinstance(o, str) or (isinstance(o, tuple) and all(isinstance(t, str) for t in o)):
        return _json_cached(o)
    return json.dumps(_py(o))


@lru_cache(maxsize=1 << 16)
def _json_cached(o) -> str:
    return json.dumps(_py(o))


def _dictionary(codes: np.ndarray, labels: list, ok: np.ndarray) -> pa.Array | None:
    """Dictionary-encoded string array: ``labels[codes]``, null where a label is None or ``ok`` is False;
    None when that leaves no value at all."""
    texts: dict[str, int] = {}
    remap = np.full(len(labels), -1, np.int32)
    for i, t in enumerate(labels):
        if t is not None:
            remap[i] = texts.setdefault(t, len(texts))
    idx = np.where(ok, remap[codes], -1)
    null = idx < 0
    if null.all():
        return None
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(texts), type=pa.string()), mask=null, safe=False)


def _object_column(v: np.ndarray, ok: np.ndarray, as_json: bool = False) -> pa.Array:
    """Arrow column of an object result array, null where not ``ok``: details as JSON text; otherwise the type
    follows the values in ``ok`` rows (bools -> bool, text -> string), text dictionary-encoded; no value at all
    -> null type (the caller settles it)."""
    codes, objs = _object_codes(v)
    if as_json:
        col = _dictionary(codes, [None if o is None else _json(o) for o in objs], ok)
        return col if col is not None else pa.DictionaryArray.from_arrays(
            pa.nulls(len(v), pa.int32()), pa.array([], type=pa.string()))
    kinds = {bool if isinstance(o, (bool, np.bool_)) else str if isinstance(o, str) else object
             for o in objs if o is not None}
    if len(kinds) > 1:  # mixed: the type follows the values in ok rows only
        used = np.bincount(codes[ok], minlength=len(objs)) > 0
        kinds = {bool if isinstance(o, (bool, np.bool_)) else str if isinstance(o, str) else object
                 for o, u in zip(objs, used) if u and o is not None}
    if kinds == {bool}:
        vals = np.array([bool(o) for o in objs], dtype=bool)
        null = ~ok | np.array([o is None for o in objs], dtype=bool)[codes]
        if not null.all():
            return pa.array(vals[codes], mask=null)
    elif kinds == {str}:
        col = _dictionary(codes, objs, ok)
        if col is not None:
            return col
    elif kinds:
        col = v.copy()  # anything else: Arrow infers the type, as a table of the values would
        col[~ok] = None
        if (~np.equal(col, None)).any():
            return pa.array(col, from_pandas=True)
    return pa.nulls(len(v))


def table_arrays(ev: dict[str, Evaluated], valid_rows: np.ndarray | None = None) -> dict[str, pa.Array]:
    """The columns of :func:`table_columns` as Arrow arrays, text dictionary-encoded (the batch path's output).

    Values and texts are those of :func:`table_columns`: null where not computable (or ``valid_rows`` is
    False); numbers as float64; details as JSON text. A text column with no value in these rows is of
    null type (a later chunk decides).
    """
    cols: dict[str, pa.Array] = {}
    for key, e in ev.items():
        ok = e.computable if valid_rows is None else e.computable & valid_rows
        v = e.value
        if v.dtype.kind == "f":
            cols[key] = pa.array(v.astype(np.float64, copy=False), mask=~ok)
        elif v.dtype.kind in "iub":
            cols[key] = pa.array(v.astype(float), mask=~ok)
        else:
            cols[key] = _object_column(v, ok)
        if e.category is not None:
            cols[f"{key}_category"] = _object_column(np.asarray(e.category, dtype=object), ok)
        if e.detail is not None:
            cols[f"{key}_detail"] = _object_column(np.asarray(e.detail, dtype=object), ok, as_json=True)
    return cols
