"""HOMA2 %B, %S and IR from fasting glucose and insulin (see docs/calculators/homa2.md).

HOMA2 (Levy JC, Matthews DR, Hermans MP, Diabetes Care 1998;21:2191-2) has no
closed form: the Oxford calculator solves a compiled physiological model. irsim
does not re-implement that model. It interpolates the calculator's own outputs,
tabulated on a 21 x 21 grid of glucose (3.0-25.0 mmol/L) by hormone for each
assay (``parameters/data/homa2_calculator.yaml``).

Interpolation: a tensor-product cubic spline (not-a-knot ends) over
(glucose, log hormone), fitted to log(%B) and to %S x hormone. %S x hormone is
nearly flat in the hormone and falls almost linearly to zero at high glucose, so
it interpolates better than %S or log %S; log %B does the same for %B. On
held-out grid lines this reproduces the calculator within 1.8 % (%B) and 2.5 %
(%S where %S >= 5; below that the table's 0.1 rounding dominates).

:func:`homa2` is the plain vectorised function (mmol/L and pmol/L or nmol/L);
the three calculators of :mod:`irsim.assessment.homa2` wrap it for the assessment engine. Importing this module
registers nothing (the progression model and the validation suite use it directly).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np

from ..parameters import load

Hormone = Literal["insulin", "specific_insulin", "c_peptide"]

#: Relative slack on the range ends, so that e.g. 400 pmol/L converted from uIU/mL is still in range.
_EDGE = 1e-9
#: Points evaluated per block (keeps the gathered corner arrays in cache).
_BLOCK = 1 << 17


class Homa2RangeError(ValueError):
    """An input lies outside the range the HOMA2 calculator accepts."""


class Homa2Result(NamedTuple):
    """Arrays of the input's shape. ``valid`` is False where an input was out of range."""

    ir: np.ndarray
    beta_percent: np.ndarray
    s_percent: np.ndarray
    valid: np.ndarray


def _slope_matrix(x: np.ndarray) -> np.ndarray:
    """Matrix D with node slopes = D @ node values for the not-a-knot cubic spline on nodes ``x``.

    Unknown slopes m; C2 continuity at the interior nodes and equal third
    derivatives across nodes 1 and n-2 (not-a-knot) give n linear equations
    A m = R y.
    """
    n = x.size
    h = np.diff(x)
    a = np.zeros((n, n))
    r = np.zeros((n, n))

    def add_d(row, i, coef):  # coef * d_i, with d_i = (y[i+1] - y[i]) / h[i]
        r[row, i + 1] += coef / h[i]
        r[row, i] -= coef / h[i]

    for j in range(1, n - 1):
        a[j, j - 1] = 2.0 / h[j - 1]
        a[j, j] = 4.0 / h[j - 1] + 4.0 / h[j]
        a[j, j + 1] = 2.0 / h[j]
        add_d(j, j - 1, 6.0 / h[j - 1])
        add_d(j, j, 6.0 / h[j])
    for row, k in ((0, 0), (n - 1, n - 3)):  # third derivative of cell k equals that of cell k+1
        h0, h1 = h[k], h[k + 1]
        a[row, k] = 6.0 / h0**2
        a[row, k + 1] = 6.0 / h0**2 - 6.0 / h1**2
        a[row, k + 2] = -6.0 / h1**2
        add_d(row, k, 12.0 / h0**2)
        add_d(row, k + 1, -12.0 / h1**2)
    return np.linalg.solve(a, r)


@dataclass(frozen=True)
class _Grid:
    hormone: str
    unit: str
    gx: np.ndarray  # glucose nodes, mmol/L
    hy: np.ndarray  # log hormone nodes
    g_range: tuple[float, float]
    h_range: tuple[float, float]
    #: (n_glucose * n_hormone, 4, 2): per node [f, f_g, f_y, f_gy] for [log %B, %S x hormone].
    coef: np.ndarray


def _build_grid(hormone: str, unit: str, glucose, level, beta_percent, s_percent,
                g_range: tuple[float, float], h_range: tuple[float, float]) -> _Grid:
    """Spline node derivatives for one calculator table (rows: glucose, columns: hormone level)."""
    g = np.asarray(glucose, dtype=float)
    h = np.asarray(level, dtype=float)
    y = np.log(h)
    surfaces = (np.log(np.asarray(beta_percent, dtype=float)), np.asarray(s_percent, dtype=float) * h[None, :])
    dg, dy = _slope_matrix(g), _slope_matrix(y)
    coef = np.empty((g.size, h.size, 4, 2))
    for k, z in enumerate(surfaces):
        zg = dg @ z
        coef[:, :, 0, k] = z
        coef[:, :, 1, k] = zg
        coef[:, :, 2, k] = z @ dy.T
        coef[:, :, 3, k] = zg @ dy.T
    return _Grid(hormone, unit, g, y, g_range, h_range, coef.reshape(g.size * h.size, 4, 2))


@lru_cache(maxsize=None)
def _grid(hormone: str) -> _Grid:
    assays = load("homa2_calculator")["assays"]
    if hormone not in assays:
        raise ValueError(f"hormone must be one of {sorted(assays)}, not {hormone!r}")
    a = assays[hormone]
    return _build_grid(hormone, a["hormone_unit"], a["glucose"], a["hormone"], a["beta_percent"], a["s_percent"],
                       tuple(a["valid_glucose"]), tuple(a["valid_hormone"]))


def _hermite(t: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cubic Hermite weights (value at 0, slope at 0, value at 1, slope at 1), slopes per unit x."""
    t2 = t * t
    t3 = t2 * t
    return (2 * t3 - 3 * t2 + 1, (t3 - 2 * t2 + t) * width, 3 * t2 - 2 * t3, (t3 - t2) * width)


def _evaluate(grid: _Grid, g: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(%B, %S) at in-range points (1-D arrays)."""
    beta = np.empty(g.size)
    sens = np.empty(g.size)
    m = grid.hy.size
    # One contiguous table per (surface, node term): gathering from 1-D tables is much faster than rows of coef.
    tables = np.ascontiguousarray(grid.coef.transpose(2, 1, 0))  # (surface, term, node)
    for s in range(0, g.size, _BLOCK):
        gs, hs = g[s:s + _BLOCK], h[s:s + _BLOCK]
        ys = np.log(hs)
        i = np.clip(np.searchsorted(grid.gx, gs, side="right") - 1, 0, grid.gx.size - 2)
        j = np.clip(np.searchsorted(grid.hy, ys, side="right") - 1, 0, m - 2)
        wg = grid.gx[i + 1] - grid.gx[i]
        wy = grid.hy[j + 1] - grid.hy[j]
        xv0, xd0, xv1, xd1 = _hermite((gs - grid.gx[i]) / wg, wg)
        yv0, yd0, yv1, yd1 = _hermite((ys - grid.hy[j]) / wy, wy)
        acc = [np.zeros(gs.size), np.zeros(gs.size)]  # log %B, %S x hormone
        node = i * m + j
        for di, (xv, xd) in ((0, (xv0, xd0)), (1, (xv1, xd1))):
            for dj, (yv, yd) in ((0, (yv0, yd0)), (1, (yv1, yd1))):
                corner = node + (di * m + dj)
                w = (xv * yv, xd * yv, xv * yd, xd * yd)  # weights of [f, f_g, f_y, f_gy] at this corner
                for k in range(2):
                    c = tables[k]
                    acc[k] += w[0] * c[0][corner] + w[1] * c[1][corner] + w[2] * c[2][corner] + w[3] * c[3][corner]
        beta[s:s + _BLOCK] = np.exp(acc[0])
        sens[s:s + _BLOCK] = acc[1] / hs
    return beta, sens


def homa2_range(hormone: Hormone = "insulin") -> tuple[tuple[float, float], tuple[float, float], str]:
    """``((glucose lo, hi) mmol/L, (hormone lo, hi), hormone unit)`` the calculator accepts."""
    grid = _grid(hormone)
    return grid.g_range, grid.h_range, grid.unit


def homa2(fpg_mmol_l, hormone_level, *, hormone: Hormone = "insulin",
          invalid: Literal["raise", "nan"] = "raise") -> Homa2Result:
    """HOMA2 (IR, %B, %S) for arrays of fasting glucose and fasting insulin or C-peptide.

    ``fpg_mmol_l``: fasting plasma glucose, mmol/L (3.0-25.0). ``hormone_level``:
    fasting insulin in pmol/L (``hormone="insulin"``, conventional assay, 20-400;
    ``"specific_insulin"``, 20-300) or C-peptide in nmol/L (``"c_peptide"``,
    0.2-3.5). Arrays broadcast against each other.

    Out-of-range or non-finite inputs raise :class:`Homa2RangeError`
    (``invalid="raise"``), or with ``invalid="nan"`` give NaN there and
    ``valid=False``. In-range results are always finite, %S > 0, IR = 100 / %S.
    """
    grid = _grid(hormone)
    g, h = np.broadcast_arrays(np.asarray(fpg_mmol_l, dtype=float), np.asarray(hormone_level, dtype=float))
    (glo, ghi), (hlo, hhi) = grid.g_range, grid.h_range
    with np.errstate(invalid="ignore"):
        ok = ((g >= glo * (1 - _EDGE)) & (g <= ghi * (1 + _EDGE))
              & (h >= hlo * (1 - _EDGE)) & (h <= hhi * (1 + _EDGE)))
    if invalid == "raise" and not ok.all():
        bad = np.flatnonzero(~ok.ravel())
        k = bad[0]
        raise Homa2RangeError(
            f"{bad.size} of {ok.size} inputs outside the HOMA2 calculator range (glucose {glo:g}-{ghi:g} mmol/L, "
            f"{hormone} {hlo:g}-{hhi:g} {grid.unit}); first: glucose {g.ravel()[k]:g}, {hormone} {h.ravel()[k]:g}")
    if invalid not in ("raise", "nan"):
        raise ValueError(f"invalid must be 'raise' or 'nan', not {invalid!r}")
    beta = np.full(g.shape, np.nan)
    sens = np.full(g.shape, np.nan)
    if ok.any():
        b, s = _evaluate(grid, np.clip(g[ok], glo, ghi), np.clip(h[ok], hlo, hhi))
        beta[ok], sens[ok] = b, s
    with np.errstate(divide="ignore", invalid="ignore"):
        ir = 100.0 / sens
    return Homa2Result(ir, beta, sens, ok)


# ---------------------------------------------------------------------------
# Registered calculators (inputs in canonical units: glucose mg/dL, insulin uIU/mL)
# ---------------------------------------------------------------------------
