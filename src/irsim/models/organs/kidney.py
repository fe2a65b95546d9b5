"""Kidney: filtration capacity lost with age, glucose, blood pressure, hyperfiltration and inflammation;
glomerular hyperfiltration early (glucose, obesity); albuminuria; KDIGO G stage."""

from __future__ import annotations

from ...assessment.formulas import GFR_EDGES
from ...solvers._jax import jnp
from ._common import c


def hyperfiltration(dr):
    """Filtration relative to capacity (1 = none)."""
    return (1.0 + c("kidney.hyper_glucose") * jnp.maximum(dr.fpg_mmol - c("kidney.hyper_glucose_from"), 0.0)
            + c("kidney.hyper_bmi") * jnp.maximum(dr.bmi - 25.0, 0.0))


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
