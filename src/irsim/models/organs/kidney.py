"""Kidney: filtration capacity lost with age, glucose, blood pressure, hyperfiltration and inflammation;
glomerular hyperfiltration early (glucose, obesity); albuminuria; KDIGO G stage."""

from __future__ import annotations

import numpy as np

from ...assessment.formulas import GFR_EDGES, egfr_ckd_epi_2021_cr
from ...solvers._jax import jnp
from ..organ import Organ, register
from ._common import c


def hyperfiltration(dr, glycosuria=1.0):
    """Filtration relative to capacity (1 = none): glucose- and obesity-driven hyperfiltration, of which an SGLT2
    inhibitor removes a share by restoring tubuloglomerular feedback (``glycosuria``: its pathway switch)."""
    excess = (c("kidney.hyper_glucose") * jnp.maximum(dr.fpg_mmol - c("kidney.hyper_glucose_from"), 0.0)
              + c("kidney.hyper_bmi") * jnp.maximum(dr.bmi - 25.0, 0.0))
    return 1.0 + excess * (1.0 - c("kidney.sglt2_hyperfiltration") * glycosuria * dr.sglt2)


def loss_rate(dr, sbp, hyper):
    """Relative loss of filtration capacity per year."""
    return (c("kidney.loss_age") + c("kidney.loss_glucose") * dr.glucose_excess
            + c("kidney.loss_bp") * jnp.maximum(sbp - 120.0, 0.0) / 10.0
            + c("kidney.loss_hyperfiltration") * (hyper - 1.0) + c("kidney.loss_inflammation") * dr.inflammation)


def egfr(capacity, hyper):
    return jnp.maximum(capacity * hyper, c("kidney.egfr_floor"))


def uacr_log_drive(dr, sbp, hyper):
    """ln UACR up to the person's offset."""
    return (c("kidney.uacr_glucose") * dr.glucose_excess + c("kidney.uacr_bp") * (sbp - 120.0) / 10.0
            + c("kidney.uacr_hyperfiltration") * (hyper - 1.0) + c("kidney.uacr_insulin") * jnp.log(dr.insulin_rel))


def g_index(egfr_):
    """KDIGO G category as 0 = G1, 1 = G2, 2 = G3a, 3 = G3b, 4 = G4, 5 = G5 (edges of assessment.kidney; a value
    on a cutoff goes to the better stage)."""
    edges = jnp.asarray(GFR_EDGES)
    return (len(GFR_EDGES) - jnp.sum(egfr_[..., None] >= edges, axis=-1)).astype(jnp.float64)


#: Labels of the numeric ``kdigo_stage`` column (KDIGO G category, 0 = G1 ... 5 = G5).
KDIGO_LABELS = ("G1", "G2", "G3a", "G3b", "G4", "G5")


# ------------------------------------------------------------------ the organ (models/organ.py)


def _initialise(y0):
    dr = y0.dr
    egfr_lab = np.asarray(egfr_ckd_epi_2021_cr(y0.col("creatinine"), dr.age, dr.female))
    hyper0 = np.asarray(hyperfiltration(dr))
    # without creatinine the age default is the capacity (times the person's nephron endowment); hyperfiltration on top
    ages, values = c("kidney.egfr_default_age")
    capacity_default = np.interp(dr.age, ages, values) * y0.effect("filtration_factor")
    y0.assume(np.isnan(egfr_lab), lambda i: f"eGFR (model: {capacity_default[i] * hyper0[i]:.0f} mL/min/1.73m2 "
                                            "from the default for age; no creatinine)")
    egfr0 = np.where(np.isnan(egfr_lab), capacity_default * hyper0, egfr_lab)
    drive = np.asarray(uacr_log_drive(dr, y0.params["sbp0"], hyper0))
    # the lean reference's drive is 0 (SBP 120, no glucose excess, hyperfiltration or hyperinsulinaemia)
    uacr_scale = y0.scaled("uacr", np.exp(drive), c("kidney.uacr_default"), "UACR", "mg/g")
    return {"uacr_offset": np.log(uacr_scale)}, {"filtration": egfr0 / hyper0}


def _derive(t, dr, o, op, mech, q):
    q["hyper"] = hyper = hyperfiltration(dr, mech.glycosuria)
    q["egfr"] = egfr(o.filtration, hyper)
    q["uacr"] = jnp.exp(op.uacr_offset + uacr_log_drive(dr, q["sbp"], hyper))


def _step(dr, o, op, mech, q, dt):
    return {"filtration": o.filtration * jnp.exp(-loss_rate(dr, q["sbp"], q["hyper"]) * dt)}


def _couple(p, o, op, mech):
    """The core reads the filtration capacity this month (SGLT2-inhibitor glycosuria scales with it)."""
    return p._replace(filtration=o.filtration * jnp.ones_like(p.filtration))


def _observe(dr, o, op, q):
    return {"egfr_ml_min": q["egfr"], "uacr_mg_g": q["uacr"], "kdigo_stage": g_index(q["egfr"])}


ORGAN = register(Organ(
    name="kidney", order=40,
    columns={"egfr_ml_min": ("mL/min/1.73m2", "estimated glomerular filtration rate"),
             "uacr_mg_g": ("mg/g", "urine albumin-to-creatinine ratio"),
             "kdigo_stage": ("", "KDIGO GFR category")},
    pathways=("endothelial",),
    events={"ckd3": {"column": "egfr_ml_min", "op": "<", "threshold": 60.0, "name": "CKD3+",
                     "label": "chronic kidney disease stage 3+", "source": "KDIGO 2012 G3a-G5"}},
    panels=(("egfr_ml_min", "eGFR (mL/min/1.73 m²)"),),
    labels={"kdigo_stage": KDIGO_LABELS},
    states=("filtration",), params=("uacr_offset",),
    initialise=_initialise, derive=_derive, step=_step, observe=_observe, couple=_couple))
