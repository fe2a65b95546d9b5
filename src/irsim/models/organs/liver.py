"""Liver: hepatic triglyceride balance, steatosis, NASH activity, fibrosis stage, enzymes and platelets.

Liver fat (%, 1H-MRS scale) relaxes to the steady state of
    dL/dt = supply_net - export(L),  export(L) = Vmax L / (Km + s L) + k L
where supply = FFA influx (adipose lipolysis) + de novo lipogenesis + diet (Donnelly 2005 shares), net of fatty-acid
oxidation; ``s`` is the ``vldl_export`` switch (1: export saturates, 0: linear, not saturated). A person's export
capacity scales ``export`` (PNPLA3 I148M lowers it: :func:`export_capacity`); steady and relaxing fat read ``net /
capacity``.
"""

from __future__ import annotations

from ...solvers._jax import jnp
from .. import progression as pm
from ._common import c, relax


def supply(dr, mech):
    """Net hepatic triglyceride supply relative to the lean reference (1): the core's
    (:func:`irsim.models.progression.hepatic_supply`)."""
    return pm.hepatic_supply(dr.ffa, dr.carb_rel, dr.insulin_rel, dr.mitochondria, dr.energy, mech)


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
