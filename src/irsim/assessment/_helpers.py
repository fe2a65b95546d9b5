"""Vectorised helpers shared by the calculator families: reason strings, number formatting, finding lists.

Every family builds its ``reason`` and ``detail`` arrays the same way through these.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd

from .formulas import egfr_ckd_epi_2021_cr, egfr_ckd_epi_2021_cr_cys
from .registry import Inputs, want_reasons



def fmt(values: np.ndarray) -> np.ndarray:
    """Compact text for numbers (``%g``), element-wise, as an object array."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.empty(0, dtype=object)
    uniq, inv = np.unique(values, return_inverse=True)  # real data repeat values: format each once
    return np.char.mod("%g", uniq).astype(object)[inv.reshape(-1)]


_NONE = np.full(1, None, dtype=object)


def no_reasons(n: int) -> np.ndarray:
    """An object array of ``None`` (no reason yet) for ``n`` rows; a read-only view while reasons are
    switched off (:func:`add_reason` then writes nothing)."""
    if not want_reasons():
        return np.broadcast_to(_NONE, (n,))
    return np.full(n, None, dtype=object)


def add_reason(reason: np.ndarray, mask: np.ndarray, text) -> None:
    """Append ``text`` to ``reason`` on rows ``mask`` (joined with ``"; "``), in place.

    ``text`` is one string for all rows, or an array holding one string per row of
    ``mask`` (full length) or per selected row (``mask.sum()`` long). Does nothing while reasons are
    switched off (:func:`registry.want_reasons`).
    """
    if not want_reasons():  # the batch path: no reason texts
        return
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return
    if isinstance(text, str):
        t = np.full(idx.size, text, dtype=object)
    else:
        t = np.asarray(text, dtype=object)
        if t.shape[0] != idx.size:  # full-length array: keep the selected rows
            t = t[idx]
        keep = ~np.equal(t, None)  # rows without a text are left as they are
        idx, t = idx[keep], t[keep]
        if idx.size == 0:
            return
    cur = reason[idx]
    has = ~np.equal(cur, None)
    out = t.copy()
    if has.any():
        out[has] = cur[has] + "; " + t[has]
    reason[idx] = out


def finding_lists(findings: Sequence[tuple[np.ndarray, str]], rows: np.ndarray | None = None) -> np.ndarray:
    """Per-row tuples of the labels whose mask is True (object array; ``None`` outside ``rows``).

    Rows are grouped by which findings fired and one tuple is built per distinct
    pattern; rows with the same pattern share it (tuples are immutable), so the
    cost is O(n) numpy.
    """
    n = findings[0][0].shape[0] if findings else (0 if rows is None else rows.shape[0])
    code = np.zeros(n, dtype=np.int64)
    for i, (mask, _) in enumerate(findings):
        code |= np.asarray(mask, dtype=bool).astype(np.int64) << i
    inv, uniq = pd.factorize(code)
    labels = tuple(label for _, label in findings)
    templates = np.empty(uniq.size, dtype=object)
    templates[:] = [_template(labels, int(c)) for c in uniq]
    sel = np.arange(n) if rows is None else np.flatnonzero(rows)
    out = np.full(n, None, dtype=object)
    if sel.size:
        out[sel] = templates[inv[sel]]
    return out


@lru_cache(maxsize=1 << 16)
def _template(labels: tuple[str, ...], code: int) -> tuple[str, ...]:
    """The labels whose bit is set in ``code``; one shared tuple per pattern, across calls."""
    return tuple(label for i, label in enumerate(labels) if code >> i & 1)


def joined_text(parts: Sequence[tuple[np.ndarray, str]], rows: np.ndarray, prefix: str = "",
                suffix: str = "", sep: str = ", ") -> np.ndarray:
    """Per-row text ``prefix + sep.join(labels whose mask is True) + suffix`` on ``rows``; ``None`` elsewhere.

    One string is built per distinct pattern of masks, so this is O(n) numpy.
    """
    n = rows.shape[0]
    code = np.zeros(n, dtype=np.int64)
    for i, (mask, _) in enumerate(parts):
        code |= np.asarray(mask, dtype=bool).astype(np.int64) << i
    out = np.full(n, None, dtype=object)
    sel = np.flatnonzero(rows)
    if sel.size == 0:
        return out
    inv, uniq = pd.factorize(code[sel])
    texts = np.empty(uniq.size, dtype=object)
    texts[:] = [prefix + sep.join(lbl for i, (_, lbl) in enumerate(parts) if c >> i & 1) + suffix for c in uniq]
    out[sel] = texts[inv]
    return out


def flag(x: Inputs, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(is_true, is_known)`` masks for a 1/0/NaN boolean input."""
    v = x[key]
    return v == 1.0, ~np.isnan(v)


def egfr_cr(x: Inputs) -> np.ndarray:
    """CKD-EPI 2021 creatinine eGFR of every row, once per input table (kidney and PREVENT share it; read-only)."""
    return x.memo("egfr_ckd_epi_2021_cr", lambda: egfr_ckd_epi_2021_cr(x["creatinine"], x["age"], x["female"]))


def egfr_cr_cys(x: Inputs) -> np.ndarray:
    """CKD-EPI 2021 creatinine-cystatin C eGFR of every row, once per input table (read-only)."""
    return x.memo("egfr_ckd_epi_2021_cr_cys",
                  lambda: egfr_ckd_epi_2021_cr_cys(x["creatinine"], x["cystatin_c"], x["age"], x["female"]))
