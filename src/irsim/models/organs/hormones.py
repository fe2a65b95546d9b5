"""Sex hormones. Men: Leydig testosterone lowered by insulin resistance and by adipose aromatase (estradiol
feedback), SHBG suppressed by insulin, and the loop: low testosterone lowers muscle insulin sensitivity.
Women: insulin as co-gonadotropin on theca cells raises androgens, SHBG suppressed, LH/FSH ratio rises."""

from __future__ import annotations

import numpy as np

from ...solvers._jax import jnp
from ..organ import Organ, register
from ._common import c, excess

REFERENCE_AGE = 45.0  # the lean reference person's age (progression.yaml visceral.reference_age)


def shbg_shape(dr, mech):
    age = jnp.where(dr.female > 0.5, 1.0, jnp.exp(c("hormones.shbg_age") * (dr.age - REFERENCE_AGE)))
    return excess(dr.insulin_rel, mech.androgens) ** (-c("hormones.shbg_insulin_exponent")) * age


def testosterone_shape(dr, mech):
    """Total testosterone relative to the lean reference of the same sex."""
    si = jnp.minimum(jnp.maximum(dr.muscle_si, 0.05), 1.0)
    shbg = shbg_shape(dr, mech) ** c("hormones.total_shbg_exponent")
    male = (jnp.exp(-c("hormones.testosterone_age") * (dr.age - REFERENCE_AGE))
            * si ** (mech.androgens * c("hormones.leydig_sensitivity_exponent"))
            * jnp.maximum(dr.fat_rel, 1.0) ** (-mech.androgens * c("hormones.leydig_fat_exponent")) * shbg)
    female = excess(dr.insulin_rel, mech.androgens) ** c("hormones.theca_insulin_exponent")
    return jnp.where(dr.female > 0.5, female, male)


def lh_fsh_shape(dr, mech):
    return jnp.where(dr.female > 0.5, excess(dr.insulin_rel, mech.androgens) ** c("hormones.lh_fsh_insulin_exponent"), 1.0)


def estradiol(testosterone, dr):
    male = c("hormones.estradiol_per_testosterone") * testosterone * dr.fat_rel ** c("hormones.aromatase_fat_exponent")
    return jnp.where(dr.female > 0.5, c("hormones.estradiol_female"), male)


def muscle_factor(testosterone, testosterone0, female, mech):
    """Multiplier on intrinsic muscle insulin sensitivity in men: (T / T at year 0) ** 0.131 when T has fallen
    (Yialamas 2007), 1 otherwise and in women."""
    drop = jnp.minimum(jnp.log(jnp.maximum(testosterone, 1e-3) / testosterone0), 0.0)
    return jnp.where(female > 0.5, 1.0, jnp.exp(mech.androgens * c("hormones.sensitivity_testosterone_exponent") * drop))


# ------------------------------------------------------------------ the organ (models/organ.py)


def _initialise(y0):
    dr, mech, col, female = y0.dr, y0.mech, y0.col, y0.female
    s_shape = np.asarray(shbg_shape(dr, mech))
    s_median = np.where(female, c("hormones.shbg_default_female"), c("hormones.shbg_default_male"))
    s_scale = y0.scaled("shbg", s_shape, s_median * np.where(female, 1.0, y0.effect("shbg_factor")), "SHBG", "nmol/L")
    t_shape = np.asarray(testosterone_shape(dr, mech))
    # men: the person's Leydig output, and total T follows their SHBG at the model's elasticity (binding)
    t_men = (c("hormones.testosterone_default_male") * y0.effect("testosterone_factor")
             * (s_scale / s_median) ** c("hormones.total_shbg_exponent"))
    t_scale = y0.scaled("total_testosterone", t_shape, np.where(female, c("hormones.testosterone_default_female"),
                                                                t_men), "total testosterone", "nmol/L")
    lh, fsh = col("lh"), col("fsh")
    ratio_lab = np.where(fsh > 0, lh / np.where(fsh > 0, fsh, 1.0), np.nan)
    lf_shape = np.asarray(lh_fsh_shape(dr, mech))
    lf_scale = np.where(np.isnan(ratio_lab), c("hormones.lh_fsh_default"), ratio_lab / lf_shape)
    y0.assume(np.isnan(ratio_lab) & female, "LH/FSH ratio (model, from the default 1)")
    params = {"testosterone_scale": t_scale, "testosterone0": t_scale * t_shape, "shbg_scale": s_scale,
              "lh_fsh_scale": lf_scale}
    return params, {"testosterone": t_scale * t_shape}


def _derive(t, dr, o, op, mech, q):
    q["testosterone"] = tt = op.testosterone_scale * testosterone_shape(dr, mech)
    q["shbg"] = shbg = op.shbg_scale * shbg_shape(dr, mech)
    q["fai"] = 100.0 * tt / shbg
    q["lh_fsh"] = op.lh_fsh_scale * lh_fsh_shape(dr, mech)
    q["estradiol"] = estradiol(tt, dr)


def _step(dr, o, op, mech, q, dt):
    return {"testosterone": q["testosterone"]}  # the loop reads last month's


def _observe(dr, o, op, q):
    return {"testosterone_nmol_l": q["testosterone"], "shbg_nmol_l": q["shbg"], "androgen_index": q["fai"],
            "lh_fsh_ratio": q["lh_fsh"], "estradiol_pmol_l": q["estradiol"]}


def _couple(p, o, op, mech):
    """Low testosterone lowers the core's muscle insulin sensitivity (men)."""
    return p._replace(muscle0=p.muscle0 * muscle_factor(o.testosterone, op.testosterone0, p.female, mech))


ORGAN = register(Organ(
    name="hormones", order=50,
    columns={"testosterone_nmol_l": ("nmol/L", "total testosterone"),
             "shbg_nmol_l": ("nmol/L", "sex hormone-binding globulin"),
             "androgen_index": ("index", "free androgen index (100 x testosterone / SHBG)"),
             "lh_fsh_ratio": ("1", "LH/FSH ratio"), "estradiol_pmol_l": ("pmol/L", "estradiol")},
    switches={"androgens": ("sex-hormone loop", "low testosterone lowering muscle sensitivity (men), "
                                                "insulin-driven androgens (women)")},
    pathways=("androgens",),
    states=("testosterone",), params=("testosterone_scale", "testosterone0", "shbg_scale", "lh_fsh_scale"),
    initialise=_initialise, derive=_derive, step=_step, observe=_observe, couple=_couple))
