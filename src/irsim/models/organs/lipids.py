"""Lipids: VLDL-TG secretion (the liver's net triglyceride supply) over lipoprotein-lipase clearance sets plasma TG;
CETP exchange lowers HDL-C as TG rises; small dense LDL share rises steeply with TG (Austin 1990)."""

from __future__ import annotations

from ...solvers._jax import jnp
from ._common import c, excess, hill


def tg_shape(net, dr, mech):
    """Plasma TG relative to the lean reference: secretion / clearance; the ``dyslipidemia`` switch caps the
    insulin-resistant excess."""
    clearance = jnp.maximum(dr.adipose_si, 0.05) ** c("lipids.clearance_adipose_exponent")
    return excess(net ** c("lipids.secretion_exponent") / clearance, mech.dyslipidemia)


def hdl_shape(tg):
    return (tg / c("lipids.tg_reference")) ** (-c("lipids.hdl_tg_exponent"))


def sdldl_share(tg):
    return c("lipids.sdldl_min") + c("lipids.sdldl_span") * hill(tg, c("lipids.sdldl_tg_half"), c("lipids.sdldl_hill"))


def ldl(ldl0, weight, weight0):
    return jnp.maximum(ldl0 + c("lipids.ldl_weight") * (weight - weight0), 20.0)
