"""Production solver: classical fixed-step RK4 as a ``lax.scan``, batch on the trailing axis.

The state is a tuple of arrays (one per state variable), each of shape ``batch``, and every parameter leaf has shape
``batch`` (or is a scalar), so one RK4 step is a handful of elementwise array operations over the whole
population: all persons step in lock-step with perfect SIMD use, and memory does not depend on the
number of steps (only the requested output points are stored).

Time is organised on a *base grid*: output points and input events (doses, infusion changes) all lie
on multiples of ``dt * n_sub``. The scan walks the base grid; at each base point it applies the
events of that point, records the observables (right-continuous: after the events) and then takes
``n_sub`` RK4 steps of length ``dt``.

The model supplies three pure functions (all must be module-level so ``jit`` can cache on them):

* ``rhs(t, y, params, aux) -> dy/dt``
* ``event(y, aux, x, consts, params) -> (y, aux)`` applies the inputs ``x`` of one base point
* ``observe(y, aux, params) -> tuple of arrays`` (each of shape ``batch``)
"""

from __future__ import annotations

from functools import partial

from ._jax import jax, jnp

lax = jax.lax


def _axpy(y, a, k):
    return tuple(yi + a * ki for yi, ki in zip(y, k))


def rk4_step(rhs, t, y, dt, params, aux):
    """One classical 4th-order Runge-Kutta step (Kutta 1901) of ``dy/dt = rhs(t, y, params, aux)``;
    ``y`` is a tuple of arrays."""
    k1 = rhs(t, y, params, aux)
    k2 = rhs(t + 0.5 * dt, _axpy(y, 0.5 * dt, k1), params, aux)
    k3 = rhs(t + 0.5 * dt, _axpy(y, 0.5 * dt, k2), params, aux)
    k4 = rhs(t + dt, _axpy(y, dt, k3), params, aux)
    return tuple(yi + (dt / 6.0) * (a + 2.0 * b + 2.0 * c + d) for yi, a, b, c, d in zip(y, k1, k2, k3, k4))


@partial(jax.jit, static_argnames=("rhs", "event", "observe", "dt", "n_sub", "unroll"))
def rk4_scan(rhs, event, observe, y0, aux0, params, xs, consts, *, dt, n_sub, unroll=1):
    """Integrate over the base grid; return observables stacked as ``(n_base, n_obs, *batch)``.

    ``xs`` is a pytree whose leaves have leading dimension ``n_base`` (per-base-point inputs);
    base point ``i`` sits at time ``i * n_sub * dt``. The final base point is observed without a
    further (wasted) integration interval.
    """
    n_base = jax.tree_util.tree_leaves(xs)[0].shape[0]
    h = dt * n_sub

    def substeps(i, y, aux):
        t0 = i * h

        def body(j, yy):
            return rk4_step(rhs, t0 + j * dt, yy, dt, params, aux)

        return lax.fori_loop(0, n_sub, body, y, unroll=unroll)

    def outer(carry, ix):
        i, x = ix
        y, aux = carry
        y, aux = event(y, aux, x, consts, params)
        obs = jnp.stack(observe(y, aux, params))
        y = substeps(i, y, aux)
        return (y, aux), obs

    head = jax.tree_util.tree_map(lambda a: a[:-1], xs)
    last = jax.tree_util.tree_map(lambda a: a[-1], xs)
    (y, aux), obs = lax.scan(outer, (y0, aux0), (jnp.arange(n_base - 1), head))
    y, aux = event(y, aux, last, consts, params)
    obs_last = jnp.stack(observe(y, aux, params))[None]
    return jnp.concatenate([obs, obs_last], axis=0)
