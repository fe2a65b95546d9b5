"""Run every registered calculator over a table of persons (one row or millions: one code path)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from .catalog import REGISTRY
from .registry import Calculator, Inputs


@dataclass
class Evaluated:
    calculator: Calculator
    value: np.ndarray
    category: np.ndarray | None
    detail: np.ndarray | None
    computable: np.ndarray
    reason: np.ndarray  # object array of str (None where computable)


def prepare(columns: Mapping[str, np.ndarray], n: int) -> Inputs:
    """Add derived inputs (BMI, 2-h OGTT glucose) to canonical columns."""
    cols = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    if "height" in cols and "weight" in cols:
        # BMI = weight [kg] / height [m]^2 (WHO definition).
        cols["bmi"] = cols["weight"] / (cols["height"] / 100.0) ** 2
    if "ogtt_glucose_120" in cols:
        cols["glucose_2h"] = cols["ogtt_glucose_120"]
    return Inputs(cols, n)


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


def evaluate(inputs: Inputs, keys: Iterable[str] | None = None) -> dict[str, Evaluated]:
    out: dict[str, Evaluated] = {}
    for key in keys or REGISTRY:
        calc = REGISTRY[key]
        missing, reason = _missing_reason(calc, inputs)
        with np.errstate(all="ignore"):
            c = calc.compute(inputs)
        value = np.asarray(c.value)
        ok = ~missing
        if c.computable is not None:
            own = np.asarray(c.computable, dtype=bool)
            if c.reason is not None:
                sel = ok & ~own
                reason[sel] = np.asarray(c.reason, dtype=object)[sel]
            ok &= own
        if value.dtype.kind == "f":
            bad = ok & ~np.isfinite(value)
            if bad.any():  # never hand out NaN: say the result is undefined for these inputs
                reason[bad] = "not defined for these input values"
                ok &= ~bad
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
