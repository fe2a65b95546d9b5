"""Reference solver: adaptive diffrax (Tsit5 + PID step-size control), vmapped over persons.

The same ``rhs`` / ``event`` / ``observe`` functions as :mod:`irsim.solvers.fixed_step` are used, for
one person at a time (state shape ``(n_states,)``, scalar parameters) and ``jax.vmap``-ed over the
batch. Integration is split at input-event times (doses are impulses; infusion rates and the
last-dose memory are piecewise constant), and only the requested output times are saved
(``SaveAt(ts=...)``), so memory does not grow with the number of steps.
"""

from __future__ import annotations

from functools import partial

import diffrax
import numpy as np

from ._jax import jax, jnp


@partial(
    jax.jit,
    static_argnames=("rhs", "event", "observe", "segments", "rtol", "atol", "max_steps", "solver"),
)
def _solve_one(rhs, event, observe, y0, aux0, params, xs, consts, *, segments, rtol, atol, max_steps, solver):
    """One person. ``segments``: tuple of (t0, t1, event_row_or_-1, ts_tuple)."""
    term = diffrax.ODETerm(lambda t, y, args: tuple(rhs(t, y, args[0], args[1])))
    solver_obj = {"tsit5": diffrax.Tsit5(), "kvaerno5": diffrax.Kvaerno5()}[solver]
    ctrl = diffrax.PIDController(rtol=rtol, atol=atol, pcoeff=0.3, icoeff=0.4)
    y, aux = y0, aux0
    outs = []
    for t0, t1, row, ts in segments:
        if row >= 0:
            x = jax.tree_util.tree_map(lambda a: a[row], xs)
            y, aux = event(y, aux, x, consts, params)
        # the observation at t0 itself is right-continuous (after the event), saved explicitly
        ts_inner = tuple(t for t in ts if t > t0)
        if ts and ts[0] == t0:
            outs.append(jnp.stack(observe(y, aux, params))[None])
        if t1 <= t0:
            continue
        sol = diffrax.diffeqsolve(
            term, solver_obj, t0, t1, None, y, (params, aux),
            saveat=diffrax.SaveAt(ts=jnp.asarray(ts_inner + (t1,))),
            stepsize_controller=ctrl, max_steps=max_steps,
        )
        ys = sol.ys
        if ts_inner:
            first = tuple(a[: len(ts_inner)] for a in ys)
            obs = jax.vmap(lambda yy: jnp.stack(observe(yy, aux, params)))(first)
            outs.append(obs)
        y = tuple(a[-1] for a in ys)
    return jnp.concatenate(outs, axis=0)


def solve_adaptive(rhs, event, observe, y0, aux0, params, xs, consts, *, event_times, times,
                   rtol, atol, max_steps, solver="tsit5"):
    """Batch solve. ``y0``: tuple of ``(N,)`` state arrays; parameter leaves ``(N,)``; ``event_times[k]`` is the time of
    row ``k`` of ``xs`` (rows with per-person payload are indexed inside ``event``).

    Returns observables ``(len(times), n_obs, N)`` like :func:`irsim.solvers.fixed_step.rk4_scan`.
    """
    times = [float(t) for t in np.asarray(times)]
    ev = [float(t) for t in np.asarray(event_times)]
    bounds = sorted(set(ev) | {times[0], times[-1]})
    segments = []
    for k, t0 in enumerate(bounds):
        t1 = bounds[k + 1] if k + 1 < len(bounds) else t0
        row = ev.index(t0) if t0 in ev else -1
        last = k + 1 == len(bounds)
        ts = tuple(t for t in times if (t0 <= t < t1) or (last and t == t0))
        segments.append((t0, t1, row, ts))
    segments = tuple(segments)
    fn = partial(_solve_one, rhs, event, observe, segments=segments, rtol=rtol, atol=atol,
                 max_steps=max_steps, solver=solver)
    out = jax.vmap(fn, in_axes=(0, 0, 0, None, -1))(y0, aux0, params, xs, consts)
    return jnp.moveaxis(out, 0, -1)
