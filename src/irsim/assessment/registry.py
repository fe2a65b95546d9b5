"""The calculator registry: every assessment result is one `Calculator`.

Calculators are vectorised: they receive an `Inputs` table (a mapping of column
name -> numpy array, one element per person, NaN where a value is missing) in the
canonical units listed in :data:`CANONICAL_INPUTS`, and return a :class:`Computed`
with one element per person. The same code serves one person (a table of one row)
and a batch of millions, so there is a single code path.

A calculator declares the inputs it needs (``requires``); the engine marks rows
that lack any of them as not computable, naming what is missing. Calculators with
"any of" inputs (e.g. glycaemic status) declare ``requires=()`` and return their
own ``computable`` mask and ``reason``.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np

#: Input columns a calculator may read, with their canonical unit.
#: Booleans (``female``, ``smoker``...) are floats 1.0/0.0, NaN when unknown.
#: OGTT samples are columns ``ogtt_glucose_<min>`` / ``ogtt_insulin_<min>``
#: (mg/dL, uIU/mL); :func:`ogtt_minutes` lists the minutes present.
CANONICAL_INPUTS: dict[str, str] = {
    "age": "year",
    "female": "1 if female, 0 if male",
    "height": "cm",
    "weight": "kg",
    "bmi": "kg/m^2 (derived from height and weight)",
    "waist": "cm",
    "systolic_bp": "mmHg",
    "diastolic_bp": "mmHg",
    "physical_activity": "min/week (habitual moderate activity)",
    "smoker": "bool",
    "on_bp_medication": "bool",
    "on_statin": "bool",
    "diabetes": "bool (diagnosed)",
    "fasting_glucose": "mg/dL",
    "fasting_insulin": "uIU/mL",
    "c_peptide": "ng/mL",
    "hba1c": "% (NGSP)",
    "glucose_2h": "mg/dL (2-h OGTT glucose, derived from the OGTT)",
    "triglycerides": "mg/dL",
    "hdl_cholesterol": "mg/dL",
    "ldl_cholesterol": "mg/dL",
    "total_cholesterol": "mg/dL",
    "alt": "U/L",
    "ast": "U/L",
    "ggt": "U/L",
    "platelets": "10^9/L",
    "albumin": "g/dL",
    "creatinine": "mg/dL",
    "cystatin_c": "mg/L",
    "uacr": "mg/g",
    "total_testosterone": "nmol/L",
    "shbg": "nmol/L",
    "lh": "IU/L",
    "fsh": "IU/L",
}

ORGANS: dict[str, str] = {
    "glucose_insulin": "Glucose and insulin",
    "liver": "Liver",
    "lipids": "Lipids",
    "heart": "Heart and vessels",
    "kidney": "Kidney",
    "hormones": "Hormones",
    "whole_body": "Whole body",
}


#: Whether calculators build their ``reason`` texts (the batch path, whose output has no reasons, turns
#: this off through ``engine.evaluate(..., reasons=False)``; per thread and task).
_REASONS: ContextVar[bool] = ContextVar("irsim_assessment_reasons", default=True)


def want_reasons() -> bool:
    """True unless reasons are switched off for the evaluation running in this thread."""
    return _REASONS.get()


@contextmanager
def reason_texts(enabled: bool) -> Iterator[None]:
    """Within the block, calculators build their reason texts or not (see :func:`want_reasons`)."""
    token = _REASONS.set(enabled)
    try:
        yield
    finally:
        _REASONS.reset(token)


class Inputs(Mapping[str, np.ndarray]):
    """Column table handed to calculators. Missing columns read as all-NaN."""

    def __init__(self, columns: Mapping[str, np.ndarray], n: int):
        self._cols = dict(columns)
        self.n = n
        self._memo: dict = {}

    def memo(self, key, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per table: intermediate results several calculators share (eGFR, HOMA2...).

        The result is shared, so callers must not modify it in place. Results are kept apart for evaluations
        with and without reasons (see :func:`want_reasons`).
        """
        key = (key, want_reasons())
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __getitem__(self, key: str) -> np.ndarray:
        col = self._cols.get(key)
        if col is None:
            return np.full(self.n, np.nan)
        return col

    def __contains__(self, key: object) -> bool:  # present and not entirely missing
        col = self._cols.get(key)  # type: ignore[arg-type]
        return col is not None and not np.all(np.isnan(col))

    def __iter__(self):
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)

    def has(self, key: str) -> np.ndarray:
        """Boolean mask: rows where ``key`` is present (shared between calls: do not modify it)."""
        return self.memo(("has", key), lambda: ~np.isnan(self[key]))


def ogtt_minutes(inputs: Inputs, analyte: str = "glucose") -> list[int]:
    """Sorted OGTT sample minutes present as columns for ``analyte``."""
    prefix = f"ogtt_{analyte}_"
    return sorted(int(k[len(prefix):]) for k in inputs if k.startswith(prefix))


@dataclass
class Computed:
    """Result arrays of one calculator, one element per person.

    ``value``: float array (or object array for non-numeric results);
    ``category``: object array of str or None; ``detail``: object array of
    JSON-able extras (e.g. the criteria that fired) or None;
    ``computable``: mask of rows with a result (default: all rows the engine
    passed in); ``reason``: object array, why a row is not computable.
    """

    value: np.ndarray
    category: np.ndarray | None = None
    detail: np.ndarray | None = None
    computable: np.ndarray | None = None
    reason: np.ndarray | None = None


@dataclass(frozen=True)
class Calculator:
    key: str
    organ: str
    unit: str | None
    requires: tuple[str, ...]
    compute: Callable[[Inputs], Computed]
    formula: str
    reference: str
    #: Short plain-language sentence linking an abnormal result to insulin resistance.
    mechanism: str = ""
    #: Categories counted as abnormal (for the text summary's mechanism sentences).
    abnormal: frozenset[str] = field(default_factory=frozenset)
    #: Human name (text, page and report; the key stays in JSON and tables).
    label: str = ""
    #: Reference range or cut-offs in words, shown beside the value (every mg/dL number carries its unit).
    ranges: str = ""
    #: Analyte whose unit conversions apply to a mg/dL value and to the cut-offs (results shown in mmol/L).
    analyte: str = ""


REGISTRY: dict[str, Calculator] = {}


def register(calc: Calculator) -> Calculator:
    if calc.key in REGISTRY:
        raise ValueError(f"calculator {calc.key!r} registered twice")
    if calc.organ not in ORGANS:
        raise ValueError(f"calculator {calc.key!r}: unknown organ {calc.organ!r}")
    for name in calc.requires:
        if name not in CANONICAL_INPUTS and not name.startswith("ogtt_"):
            raise ValueError(f"calculator {calc.key!r} requires unknown input {name!r}")
    REGISTRY[calc.key] = calc
    return calc


def categorize(value: np.ndarray, edges: list[float], labels: list[str], right: bool = False) -> np.ndarray:
    """Bin ``value`` into ``labels`` at ``edges`` (len(labels) == len(edges) + 1).

    With ``right=False`` a value equal to an edge goes to the upper bin
    (``x < e`` is the lower bin), which matches "< cutoff is normal" wording.
    """
    value = np.asarray(value, dtype=float)
    if len(edges) <= 8 and all(a < b for a, b in zip(edges, edges[1:])):
        # np.digitize for a few increasing edges: the bin is the number of edges below the value
        idx = np.zeros(value.shape, np.intp)
        for e in edges:
            idx += (value > e) if right else (value >= e)
    else:
        idx = np.digitize(value, edges, right=right)
    idx[np.isnan(value)] = len(labels)  # the None slot
    return np.asarray([*labels, None], dtype=object)[idx]
