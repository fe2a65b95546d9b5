"""Sex hormones. Men: Leydig testosterone lowered by insulin resistance and by adipose aromatase (estradiol
feedback), SHBG suppressed by insulin, and the loop: low testosterone lowers muscle insulin sensitivity.
Women: insulin as co-gonadotropin on theca cells raises androgens, SHBG suppressed, LH/FSH ratio rises."""

from __future__ import annotations

from ...solvers._jax import jnp
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
