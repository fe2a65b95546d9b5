"""A table surrogate of the Dalla Man meal model, for the years-scale progression (multi-rate coupling).

Decades cannot be simulated minute by minute for millions of persons. The slow model instead asks, once per
month and per person, what the fast model would show for the person's current knobs (muscle and liver
insulin sensitivity, beta-cell mass and function) and body weight:

* the fasting (basal) state: glucose and insulin;
* a 75 g OGTT: glucose at 30, 60 and 120 min, insulin at 30 min;
* a representative day of three meals (``progression.yaml: glycaemia.day_meals``): day-mean glucose and
  day-mean insulin secretion.

Hepatic insulin resistance also lowers hepatic insulin clearance here (``clearance = liver_si ** exponent``).
These come from full simulations of the fast model (:func:`irsim.models.meal.simulate_meal`, RK4) on a
regular grid in log-knob space x body weight, interpolated multilinearly in the log of each output. The
table is computed on first use (about 20 s on 2 cores) and cached on disk, keyed by the meal-model parameter
files, the grid and irsim's version. Its error against the full fast model is measured by
``tests/test_meal_surrogate.py`` and reported in docs/progression.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import jax
import numpy as np

from .. import __version__
from .. import parameters as _parameters
from ..solvers._jax import cache_dir, jnp

#: Grid: knob multipliers of the published normal subject (log-spaced), and body weights (kg). Grid points where
#: the fast model leaves its physiological domain (glucose <= 0 with far too much insulin for the sensitivity)
#: are stored as NaN, so any lookup that touches them returns NaN and is reported, never used.
KNOB_NAMES = ("muscle_si", "liver_si", "beta_mass", "beta_function")
KNOB_RANGE = {"muscle_si": (0.003, 4.0), "liver_si": (0.003, 4.0), "beta_mass": (0.003, 16.0), "beta_function": (0.05, 4.0),
              "egp": (0.4, 2.5)}
KNOB_POINTS = {"muscle_si": 12, "liver_si": 12, "beta_mass": 13, "beta_function": 10}
WEIGHT_RANGE_KG = (45.0, 180.0)
WEIGHT_POINTS = 6
#: The fasting state needs no simulation (closed-form basal state): a finer table over the knobs it depends on, and
#: a factor on the glucose-production drive beyond the coupling's (``egp``, 1 = none, the grid's middle point; a glucose
#: sink such as SGLT2-inhibitor glycosuria lowers it, and basal insulin's part of the mass knob raises it back by the
#: glucagon suppression that subcutaneous insulin lacks, models.progression.derive). Thirteen egp points over
#: 0.4-2.5 (the same log spacing as eight over 0.4-1.0 had within 15 %; compiled programs hold copies, see
#: SurrogateTable).
FASTING_KNOBS = ("muscle_si", "liver_si", "beta_mass", "egp")
FASTING_POINTS = {"muscle_si": 61, "liver_si": 61, "beta_mass": 61, "egp": 13}
FASTING_OUTPUTS = ("fasting_glucose_mg_dl", "fasting_insulin_pmol_l")
DYNAMIC_OUTPUTS = ("ogtt_glucose_30", "ogtt_glucose_60", "ogtt_glucose_120", "ogtt_insulin_30",
                   "day_mean_glucose_mg_dl", "day_mean_secretion_pmol_kg_min")
OUTPUTS = FASTING_OUTPUTS + DYNAMIC_OUTPUTS

_prog = _parameters.lookup("progression")
#: progression.yaml entries the table depends on (part of its cache key).
TABLE_PARAMETERS = ("glycaemia.day_meals", "sensitivity.clearance_liver_exponent",
                    "sensitivity.glucagon_mass_exponent", "sensitivity.gluconeogenesis_liver_exponent",
                    "sensitivity.glucose_effectiveness_liver_exponent")


@dataclass(frozen=True)
class SurrogateTable:
    fasting_axes: tuple[np.ndarray, ...]  # 4 log-knob axes (FASTING_KNOBS)
    fasting: np.ndarray                   # (*grid, 2): log fasting glucose and insulin
    axes: tuple[np.ndarray, ...]          # 4 log-knob axes + body-weight axis
    values: np.ndarray                    # (*grid, n_dynamic): log of each dynamic output

    def lookup(self, knobs: dict[str, np.ndarray], body_weight) -> dict[str, np.ndarray]:
        """Interpolate (numpy or JAX arrays of a common shape); returns each output in its natural unit."""
        logk = {k: jnp.log(jnp.asarray(knobs[k], dtype=jnp.float64)) for k in KNOB_NAMES}
        dyn = interpolate(self.axes, jnp.asarray(self.values),
                          [logk[k] for k in KNOB_NAMES] + [jnp.asarray(body_weight, dtype=jnp.float64)])
        out = self.lookup_fasting(knobs)
        out.update(_split(dyn, DYNAMIC_OUTPUTS))
        return out

    # Compiled programs hold copies of the tables they read (the progression benchmark measured 4.5 GiB with the 4-D
    # table in every lookup, 3.6 GiB like this): the 4-D table serves only medicines' fasting shifts, as float32 logs
    # (7 digits); every other lookup reads its 3-D slice at egp = 1, one device array shared by all traces.
    @cached_property
    def _fasting_f32(self):
        return self.fasting.astype(np.float32)

    @cached_property
    def _fasting_at_one(self):
        one = int(np.argmin(np.abs(self.fasting_axes[-1])))  # the egp grid point at log 1
        with jax.ensure_compile_time_eval():  # concrete even when first asked inside a trace
            return jnp.asarray(np.ascontiguousarray(self.fasting[..., one, :]))

    def lookup_fasting(self, knobs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The fasting state only (glucose and insulin), from the knobs it depends on (:data:`FASTING_KNOBS`). Without
        ``egp`` (1: no medicine's sink), from the 3-D slice at egp = 1, the grid's middle point, where the 4-D table
        gives the same values: the slice keeps every compiled program's copy of the table small."""
        if "egp" not in knobs:
            logk = [jnp.log(jnp.asarray(knobs[k], dtype=jnp.float64)) for k in FASTING_KNOBS[:-1]]
            return _split(interpolate(self.fasting_axes[:-1], self._fasting_at_one, logk), FASTING_OUTPUTS)
        logk = [jnp.log(jnp.asarray(knobs[k], dtype=jnp.float64)) for k in FASTING_KNOBS]
        return _split(interpolate(self.fasting_axes, jnp.asarray(self._fasting_f32), logk), FASTING_OUTPUTS)


def _split(logs, names) -> dict:
    """Named outputs from interpolated logs ``(..., len(names))``. One ``exp`` of the whole array: exponentiating
    each output's slice lets XLA fuse, and so repeat, the whole interpolation into every output (measured 2.2 x
    slower for the six dynamic outputs on CPU)."""
    vals = jnp.exp(logs)
    return {name: vals[..., i] for i, name in enumerate(names)}


def interpolate(axes, values, coords):
    """Multilinear interpolation on a regular grid (linear extrapolation beyond its edges, never clamped). Every
    corner's flat index and weight come from one array operation per axis, the ``2^d`` corners along a last axis;
    only the gather and the sum go corner by corner (one gather of all corners ran the decades model 2 x slower on
    CPU). Computed corner by corner, a 6-D lookup traced more than 1,000 operations, about 70 % of the `jnp` calls
    in the start and run programs' traces (docs/performance.md)."""
    idx, wts = [], []
    for ax, x in zip(axes, coords):
        ax = jnp.asarray(ax)
        h = ax[1] - ax[0]
        u = (x - ax[0]) / h
        i = jnp.clip(jnp.floor(u), 0, ax.shape[0] - 2).astype(jnp.int32)
        idx.append(i)
        wts.append(u - i)
    shape = values.shape[:-1]
    strides = np.cumprod((1,) + shape[::-1][:-1])[::-1]
    bits = (np.arange(1 << len(axes))[:, None] >> np.arange(len(axes))) & 1  # (corners, d): a corner's side per axis
    base = sum(i * int(s) for i, s in zip(idx, strides))
    lin = base[..., None] + jnp.asarray(bits @ strides, dtype=jnp.int32)     # (..., corners)
    w = 1.0
    for d, wd in enumerate(wts):
        w = w * jnp.where(bits[:, d] == 1, wd[..., None], 1.0 - wd[..., None])
    flat = values.reshape(-1, values.shape[-1])
    result = 0.0
    for c in range(bits.shape[0]):
        result = result + w[..., c, None] * flat[lin[..., c]]
    return result


def _axis(name: str, points: int) -> np.ndarray:
    return np.linspace(np.log(KNOB_RANGE[name][0]), np.log(KNOB_RANGE[name][1]), points)


def _grid_axes() -> tuple[np.ndarray, ...]:
    knobs = tuple(_axis(k, KNOB_POINTS[k]) for k in KNOB_NAMES)
    return knobs + (np.linspace(WEIGHT_RANGE_KG[0], WEIGHT_RANGE_KG[1], WEIGHT_POINTS),)


def _day_schedule():
    from .meal import Schedule

    meals = _prog("glycaemia.day_meals")
    return Schedule.meals(*[(float(t), float(g)) for t, g in meals])


def _clearance(liver_si):
    """Hepatic insulin clearance falls with hepatic insulin resistance (Kotronen A et al. Gastroenterology
    2008;135:122-30): in the slow model's coupling, clearance = liver_si ** exponent (progression.yaml)."""
    return np.asarray(liver_si, float) ** _prog("sensitivity.clearance_liver_exponent")


def _egp_drive(beta_mass, liver_si):
    """Endogenous glucose production drive (the meal model's kp1) in the coupling:

    * glucagon follows the islet's insulin: intra-islet insulin restrains the alpha cells, so as beta-cell secretory
      mass fails glucagon and glucose production rise (Unger RH, Orci L PNAS 2010;107:16009-12): beta_mass ** -e1;
    * hepatic insulin resistance is largely substrate-driven: the fatty-acid flux into the liver raises acetyl-CoA,
      which activates pyruvate carboxylase and gluconeogenesis (Perry RJ et al. Cell 2015;160:745-58), so the drive
      rises as hepatic sensitivity falls: liver_si ** -e2. An energy deficit that empties the hepatic lipid flux
      lowers fasting glucose within days (Lim 2011).

    Together they let the fasting state reach the glucose of uncontrolled diabetes (600 mg/dL), which the meal model's
    fasting glucose (at most about 220 mg/dL with no insulin) cannot."""
    return (np.asarray(beta_mass, float) ** -_prog("sensitivity.glucagon_mass_exponent")
            * np.asarray(liver_si, float) ** -_prog("sensitivity.gluconeogenesis_liver_exponent"))


def egp_drive_mg_kg_min(beta_mass, liver_si):
    """The coupling's glucose-production drive in mg/kg/min (the normal subject's kp1 x :func:`_egp_drive`), for
    JAX arrays (traceable): what a factor on the ``egp`` axis multiplies, so a glucose sink of ``r`` mg/kg/min at the
    fasting state is the factor ``1 - r / drive`` (SGLT2 inhibitors, models/medicines.py)."""
    from .meal import table as meal_table

    kp1 = meal_table("normal").values["kp1"]
    return (kp1 * jnp.asarray(beta_mass) ** -_prog("sensitivity.glucagon_mass_exponent")
            * jnp.asarray(liver_si) ** -_prog("sensitivity.gluconeogenesis_liver_exponent"))


def _glucose_effectiveness(liver_si):
    """Hepatic glucose effectiveness (the meal model's kp2) in the coupling: glucose's own suppression of glucose
    production is impaired along with insulin's in hepatic insulin resistance (Dalla Man 2007 Table 1: kp2 is a third
    and kp3 about half of normal in type 2 diabetes; Basu R et al. Diabetes 2004;53:2042-50): liver_si ** exponent."""
    return np.asarray(liver_si, float) ** _prog("sensitivity.glucose_effectiveness_liver_exponent")


def _params(knobs: dict[str, np.ndarray], body_weight=None):
    from .meal import knobs_to_params

    k = {name: np.asarray(knobs[name], float) for name in knobs}
    extra = k.pop("egp", 1.0)
    return knobs_to_params("normal", body_weight=None if body_weight is None else np.asarray(body_weight, float),
                           clearance=_clearance(k["liver_si"]), egp=_egp_drive(k["beta_mass"], k["liver_si"]) * extra,
                           glucose_effectiveness=_glucose_effectiveness(k["liver_si"]), **k)


def fast_outputs(knobs: dict[str, np.ndarray], body_weight: np.ndarray) -> dict[str, np.ndarray]:
    """The surrogate's outputs from full fast-model simulations (batched); used to build and to test the table."""
    from .meal import Schedule, simulate_meal

    p = _params({k: knobs[k] for k in KNOB_NAMES}, body_weight)
    og = simulate_meal(p, Schedule.ogtt(), times=np.array([0.0, 30.0, 60.0, 120.0]),
                       outputs=("glucose_mg_dl", "insulin_pmol_l"))
    day = simulate_meal(p, _day_schedule(), times=np.arange(0.0, 1440.0 + 1, 5.0),
                        outputs=("glucose_mg_dl", "secretion_pmol_kg_min"))
    # day means by the trapezoidal rule over 24 h
    tg = day["time_min"]
    mean = lambda a: np.trapezoid(a, tg, axis=-1) / (tg[-1] - tg[0])  # noqa: E731
    return {
        "fasting_glucose_mg_dl": np.asarray(p.Gb),
        "fasting_insulin_pmol_l": np.asarray(p.Ib),
        "ogtt_glucose_30": og["glucose_mg_dl"][:, 1],
        "ogtt_glucose_60": og["glucose_mg_dl"][:, 2],
        "ogtt_glucose_120": og["glucose_mg_dl"][:, 3],
        "ogtt_insulin_30": og["insulin_pmol_l"][:, 1],
        "day_mean_glucose_mg_dl": mean(day["glucose_mg_dl"]),
        "day_mean_secretion_pmol_kg_min": mean(day["secretion_pmol_kg_min"]),
    }


def _cache_key() -> str:
    h = hashlib.sha256()
    data = resources.files(_parameters.__name__).joinpath("data")
    for name in ("dalla_man_2007_common.yaml", "dalla_man_2007_normal.yaml"):
        h.update(data.joinpath(name).read_bytes())
    h.update(json.dumps([_prog(k) for k in TABLE_PARAMETERS]).encode())
    h.update(json.dumps([__version__, sorted(KNOB_RANGE.items()), sorted(KNOB_POINTS.items()), WEIGHT_RANGE_KG, WEIGHT_POINTS, sorted(FASTING_POINTS.items()), OUTPUTS]).encode())
    h.update(Path(__file__).with_name("meal.py").read_bytes())
    return h.hexdigest()[:16]


def _log_or_nan(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & (x > 0)
    out[ok] = np.log(x[ok])
    return out


def build_table(chunk: int = 8192) -> SurrogateTable:
    fax = tuple(_axis(k, FASTING_POINTS[k]) for k in FASTING_KNOBS)
    fm = np.meshgrid(*fax, indexing="ij")
    p = _params({k: np.exp(m.ravel()) for k, m in zip(FASTING_KNOBS, fm)})
    fasting = np.stack([_log_or_nan(np.asarray(p.Gb)).reshape(fm[0].shape),
                        _log_or_nan(np.asarray(p.Ib)).reshape(fm[0].shape)], axis=-1)
    axes = _grid_axes()
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.ravel() for m in mesh]
    n = flat[0].size
    cols = {name: np.empty(n) for name in DYNAMIC_OUTPUTS}
    for s in range(0, n, chunk):
        sl = slice(s, s + chunk)
        res = fast_outputs({k: np.exp(flat[i][sl]) for i, k in enumerate(KNOB_NAMES)}, flat[4][sl])
        for name in DYNAMIC_OUTPUTS:
            cols[name][sl] = res[name]
    values = np.stack([_log_or_nan(cols[name]).reshape(mesh[0].shape) for name in DYNAMIC_OUTPUTS], axis=-1)
    # a grid point is valid only if every output is: poison the whole point otherwise
    values[~np.all(np.isfinite(values), axis=-1)] = np.nan
    return SurrogateTable(fax, fasting, axes, values)


@lru_cache(maxsize=1)
def table() -> SurrogateTable:
    """The surrogate table (computed once, then read from the disk cache)."""
    path = cache_dir() / f"meal_surrogate_{_cache_key()}.npz"
    if path.exists():
        with np.load(path) as z:
            return SurrogateTable(tuple(z[f"faxis{i}"] for i in range(len(FASTING_KNOBS))), z["fasting"],
                                  tuple(z[f"axis{i}"] for i in range(5)), z["values"])
    tab = build_table()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, fasting=tab.fasting, values=tab.values, **{f"axis{i}": a for i, a in enumerate(tab.axes)},
             **{f"faxis{i}": a for i, a in enumerate(tab.fasting_axes)})
    os.replace(tmp, path)
    return tab
