"""Lipids: VLDL-TG secretion (the liver's net triglyceride supply) over lipoprotein-lipase clearance sets plasma TG;
CETP exchange lowers HDL-C as TG rises; small dense LDL share rises steeply with TG (Austin 1990)."""

from __future__ import annotations

import numpy as np

from ...assessment.formulas import martin_hopkins_factor
from ...solvers._jax import jnp
from ..organ import Organ, register
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


# ------------------------------------------------------------------ the organ (models/organ.py)


def _initialise(y0):
    dr, mech, col = y0.dr, y0.mech, y0.col
    net = np.asarray(dr.hepatic_supply)
    shape = np.asarray(tg_shape(net, dr, mech))
    tg_scale = y0.scaled("triglycerides", shape, c("lipids.tg_reference") * y0.effect("triglyceride_factor"),
                         "triglycerides", "mg/dL")
    y0.values["tg0"] = tg0 = tg_scale * shape
    hdl_s = np.asarray(hdl_shape(tg0))
    hdl_default = np.where(y0.female, c("lipids.hdl_reference_female"), c("lipids.hdl_reference_male"))
    hdl_scale = y0.scaled("hdl_cholesterol", hdl_s, hdl_default * y0.effect("hdl_factor"), "HDL cholesterol", "mg/dL")
    hdl0 = hdl_scale * hdl_s
    tc, ldl_lab = col("total_cholesterol"), col("ldl_cholesterol")
    non_hdl_lab = tc - hdl0
    # Martin-Hopkins factor (TG/VLDL-C) where its table applies (TG < 400 mg/dL), else Friedewald's 5
    mh = martin_hopkins_factor(np.minimum(tg0, 399.0), np.where(np.isfinite(non_hdl_lab), non_hdl_lab, 130.0))
    mh = np.where(np.isfinite(mh), mh, c("lipids.vldl_factor_default"))
    ldl0 = np.where(np.isfinite(ldl_lab), ldl_lab,
                    np.where(np.isfinite(non_hdl_lab), non_hdl_lab - tg0 / mh, c("lipids.ldl_default")))
    y0.assume(np.isnan(ldl_lab) & np.isnan(tc), f"LDL cholesterol (default {c('lipids.ldl_default'):g} mg/dL)")
    vldl_c = np.where(np.isfinite(ldl_lab) & np.isfinite(non_hdl_lab), non_hdl_lab - ldl_lab, tg0 / mh)
    y0.values["sd_ref"] = sd_ref = float(sdldl_share(c("lipids.tg_reference")))
    params = {"tg_scale": tg_scale, "hdl_scale": hdl_scale, "ldl0": ldl0,
              "vldl_factor": np.clip(tg0 / np.maximum(vldl_c, 1.0), 3.0, 12.0), "weight0": dr.weight,
              "sdldl0": np.asarray(sdldl_share(tg0)), "sd_ref": np.full(y0.n, sd_ref)}
    return params, {}


def _derive(t, dr, o, op, mech, q):
    q["tg"] = tg = op.tg_scale * tg_shape(q["supply"], dr, mech)
    q["hdl"] = op.hdl_scale * hdl_shape(tg)
    q["ldl"] = ldl_ = ldl(op.ldl0, dr.weight, op.weight0)
    q["non_hdl"] = ldl_ + tg / op.vldl_factor
    q["sdldl"] = sdldl_share(tg)


def _observe(dr, o, op, q):
    return {"triglycerides_mg_dl": q["tg"], "hdl_mg_dl": q["hdl"], "ldl_mg_dl": q["ldl"],
            "non_hdl_mg_dl": q["non_hdl"], "sdldl_share": q["sdldl"]}


ORGAN = register(Organ(
    name="lipids", order=20,
    columns={"triglycerides_mg_dl": ("mg/dL", "fasting triglycerides"), "hdl_mg_dl": ("mg/dL", "HDL cholesterol"),
             "ldl_mg_dl": ("mg/dL", "LDL cholesterol"), "non_hdl_mg_dl": ("mg/dL", "non-HDL cholesterol"),
             "sdldl_share": ("1", "small dense LDL share of LDL cholesterol")},
    pathways=("ffa_influx", "lipogenesis", "vldl_export"),
    params=("tg_scale", "hdl_scale", "ldl0", "vldl_factor", "weight0", "sdldl0", "sd_ref"),
    initialise=_initialise, derive=_derive, observe=_observe))
