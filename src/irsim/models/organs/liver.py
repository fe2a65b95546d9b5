"""Liver: hepatic triglyceride balance, steatosis, NASH activity, fibrosis stage, enzymes and platelets.

Liver fat (%, 1H-MRS scale) relaxes to the steady state of
    dL/dt = supply_net - export(L),  export(L) = Vmax L / (Km + s L) + k L
where supply = FFA influx (adipose lipolysis) + de novo lipogenesis + diet (Donnelly 2005 shares), net of fatty-acid
oxidation; ``s`` is the ``vldl_export`` switch (1: export saturates, 0: linear, not saturated). A person's export
capacity scales ``export`` (PNPLA3 I148M lowers it: :func:`export_capacity`); steady and relaxing fat read ``net /
capacity``.
"""

from __future__ import annotations

import numpy as np

from ...assessment.formulas import fib4_index
from ...solvers._jax import jnp
from ..organ import Organ, register
from ._common import c, relax


def export_capacity(alleles):
    """Relative VLDL export capacity for a PNPLA3 148M allele count (0-2; the population mean dose 2p gives 1):
    I148M impairs mobilisation of lipid-droplet TG (Romeo 2008; Sookoian & Pirola 2011)."""
    p = c("heterogeneity.pnpla3_148m_frequency")
    return c("heterogeneity.pnpla3_export_per_allele") ** (alleles - 2.0 * p)


def steady_fat(net, mech):
    """Liver fat (%) at which export balances the net supply (positive root of the quadratic)."""
    vmax, km, k = c("liver.export_vmax"), c("liver.export_km"), c("liver.export_linear")
    s = mech.vldl_export
    b = vmax + k * km - s * net
    return 2.0 * net * km / (b + jnp.sqrt(b * b + 4.0 * k * s * net * km))


def fat_step(fat, net, mech, dt):
    return relax(fat, steady_fat(net, mech), c("liver.tau"), dt)


def steatosis_grade(fat):
    """Histological steatosis grade 0-3 (continuous) from liver fat (Tang 2013 PDFF thresholds)."""
    x = c("liver.steatosis_pdff")
    return jnp.interp(fat, jnp.asarray(x), jnp.arange(4.0))


def activity(fat, dr):
    """Lobular inflammation + ballooning, 0-5 NAS points: lipotoxic fat excess amplified by inflammation and ER
    stress."""
    over = jnp.maximum(fat / c("liver.nafld_threshold") - 1.0, 0.0)
    z = (c("liver.activity_gain") * over
         * (1.0 + c("liver.activity_inflammation") * dr.inflammation + c("liver.activity_er") * dr.er_stress))
    return 5.0 * z / (1.0 + z)


def fibrosis_step(stage, act, dt):
    """Expected fibrosis stage (0-4): progression driven by NAS activity, slowing at higher stages (Le 2023 shape);
    regression when activity is low."""
    shape = jnp.interp(stage, jnp.arange(4.0), jnp.asarray(c("liver.fibrosis_stage_rate_shape")))
    up = c("liver.fibrosis_rate") * act * shape
    down = (c("liver.fibrosis_regression") * stage
            * jnp.maximum(1.0 - act / c("liver.regression_activity"), 0.0))
    return jnp.clip(stage + (up - down) * dt, 0.0, 4.0)


def enzyme_shapes(nas, stage):
    """ALT, AST and platelet multipliers (1 at no activity and F0); the person's scales multiply them."""
    alt = 1.0 + c("liver.alt_activity") * nas
    ast = (1.0 + c("liver.ast_activity") * nas) * (1.0 + c("liver.ast_fibrosis") * stage)
    plt = jnp.maximum(1.0 - c("liver.platelets_fibrosis") * stage, 0.3)
    return alt, ast, plt


# ------------------------------------------------------------------ the organ (models/organ.py)


def _initialise(y0):
    dr, mech, col = y0.dr, y0.mech, y0.col
    fat_export = np.asarray(export_capacity(y0.effect("pnpla3_148m_alleles",
                                                      2.0 * c("heterogeneity.pnpla3_148m_frequency")))
                            * y0.effect("liver_export_factor"))
    fat0 = np.asarray(steady_fat(dr.hepatic_supply / fat_export, mech))
    # fibrosis: from FIB-4 where AST, ALT and platelets were measured, else F0
    f4 = np.asarray(fib4_index(dr.age, col("ast"), col("alt"), col("platelets")))
    xs, ys = c("liver.fib4_to_stage")
    stage0 = np.where(np.isfinite(f4), np.interp(f4, xs, ys), 0.0)
    y0.assume(~np.isfinite(f4), "fibrosis stage F0 (no AST, ALT and platelets)")
    nas = np.asarray(steatosis_grade(fat0) + activity(fat0, dr))
    alt, ast, plt = (np.asarray(x) for x in enzyme_shapes(nas, stage0))
    params = {"alt_scale": y0.scaled("alt", alt, c("liver.alt_default"), "ALT", "U/L"),
              "ast_scale": y0.scaled("ast", ast, c("liver.ast_default"), "AST", "U/L"),
              "platelets_scale": y0.scaled("platelets", plt, c("liver.platelets_default"), "platelets", "10^9/L"),
              "fat_export": fat_export}
    return params, {"liver_fat": fat0, "fibrosis": stage0}


def _derive(t, dr, o, op, mech, q):
    q["supply"] = dr.hepatic_supply
    q["lobular"] = act = activity(o.liver_fat, dr)
    q["nas"] = nas = steatosis_grade(o.liver_fat) + act
    alt, ast, plt = enzyme_shapes(nas, o.fibrosis)
    q["alt"], q["ast"], q["platelets"] = op.alt_scale * alt, op.ast_scale * ast, op.platelets_scale * plt


def _step(dr, o, op, mech, q, dt):
    return {"liver_fat": fat_step(o.liver_fat, q["supply"] / op.fat_export, mech, dt),
            "fibrosis": fibrosis_step(o.fibrosis, q["lobular"], dt)}


def _observe(dr, o, op, q):
    return {"liver_fat_percent": o.liver_fat, "fibrosis_stage": o.fibrosis, "nash_activity": q["nas"],
            "alt_u_l": q["alt"], "ast_u_l": q["ast"], "platelets_10e9_l": q["platelets"],
            "fib4": fib4_index(dr.age, q["ast"], q["alt"], q["platelets"])}


ORGAN = register(Organ(
    name="liver", order=10,
    columns={"liver_fat_percent": ("%", "liver fat (1H-MRS scale)"),
             "fibrosis_stage": ("1", "expected fibrosis stage, F0-F4"),
             "nash_activity": ("1", "NAFLD activity score, 0-8"),
             "alt_u_l": ("U/L", "alanine aminotransferase"), "ast_u_l": ("U/L", "aspartate aminotransferase"),
             "platelets_10e9_l": ("10^9/L", "platelet count"), "fib4": ("1", "FIB-4 index (Sterling 2006)")},
    switches={"ffa_influx": ("fatty-acid influx",
                             "free fatty acids from adipose lipolysis that insulin no longer suppresses"),
              "lipogenesis": ("de novo lipogenesis", "new fat made in the liver from carbohydrate under high insulin"),
              "vldl_export": ("impaired VLDL export", "saturating export of liver fat as VLDL")},
    pathways=("ffa_influx", "lipogenesis", "vldl_export"),
    events={"nafld": {"column": "liver_fat_percent", "op": ">=", "threshold": c("liver.nafld_threshold"),
                      "name": "NAFLD", "label": "fatty liver (NAFLD)",
                      "source": "Szczepaniak LS et al. Am J Physiol Endocrinol Metab 2005;288:E462-8 (1H-MRS 5.56 %)"},
            "nash": {"column": "nash_activity", "op": ">=", "threshold": c("liver.nash_threshold"),
                     "name": "NASH", "label": "steatohepatitis (NASH)",
                     "source": "NAS >= 5 (Kleiner DE et al. Hepatology 2005;41:1313-21)"},
            "cirrhosis": {"column": "fibrosis_stage", "op": ">=", "threshold": 4.0,
                          "name": "cirrhosis", "label": "cirrhosis (fibrosis stage F4)",
                          "source": "F4 (NASH CRN staging, Kleiner 2005)"}},
    panels=(("liver_fat_percent", "Liver fat (%)"),),
    states=("liver_fat", "fibrosis"), params=("alt_scale", "ast_scale", "platelets_scale", "fat_export"),
    initialise=_initialise, derive=_derive, step=_step, observe=_observe))
