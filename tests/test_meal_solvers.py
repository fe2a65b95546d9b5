"""Production fixed-step RK4 (lax.scan) vs the adaptive diffrax reference (Tsit5, rtol=atol=1e-10).

Same right-hand side (Dalla Man et al., IEEE TBME 2007;54:1740) in both; requirement: max relative
error < 0.1 % on every output for the published subjects and a random knob population, for a single
meal, a mixed-meal day, an IV glucose bolus and an insulin infusion.
"""

from __future__ import annotations

import numpy as np
import pytest

from irsim.models import meal as M

TOL = 1e-3


def _rel_err(a, ref, pointwise):
    """Glucose, insulin: pointwise relative error. Fluxes (which touch 0 at the EGP >= 0 and renal
    switches): absolute error relative to each person's largest value of that flux."""
    if pointwise:
        return np.max(np.abs(a - ref) / np.abs(ref))
    return np.max(np.abs(a - ref) / (np.max(np.abs(ref), axis=1, keepdims=True) + 1e-12))


def _population():
    rng = np.random.default_rng(11)
    n = 12
    kn = {k: np.exp(rng.normal(0.0, 0.3, n)) for k in M.KNOBS}
    pop = M.knobs_to_params("normal", **kn, body_weight=rng.uniform(50, 120, n))
    return M.stack([M.subject("normal"), M.subject("t2d"), pop])


@pytest.fixture(scope="module")
def people():
    return _population()


SCHEDULES = {
    "meal78": (M.Schedule.meal(78.0), slice(None)),
    # two meals, an IV glucose bolus and a 30-min insulin infusion, for the two published subjects + 2
    "mixed": (
        M.Schedule(meal_times=(0.0, 240.0), meal_grams=(45.0, 70.0), iv_times=(120.0,), iv_grams=(10.0,),
                   infusions=((150.0, 180.0, 2.0),)),
        slice(0, 4),
    ),
}


@pytest.mark.parametrize("name", [
    "meal78",
    pytest.param("mixed", marks=pytest.mark.slow),  # ~20 s: compiles one adaptive solve per segment
])
def test_rk4_matches_adaptive_reference(people, name):
    sched, who = SCHEDULES[name]
    ppl = people.take(who)
    times = np.arange(0.0, 421.0, 1.0)
    fast = M.simulate_meal(ppl, sched, times)
    ref = M.simulate_meal(ppl, sched, times, solver="adaptive", rtol=1e-10, atol=1e-10)
    for k in M.OUTPUTS:
        assert np.all(np.isfinite(fast[k]))
        assert _rel_err(fast[k], ref[k], k in ("glucose_mg_dl", "insulin_pmol_l")) < TOL, k


def test_events_act_as_impulses(people):
    r = M.simulate_meal(people.take(slice(0, 1)), M.Schedule.meals((0.0, 45.0), (240.0, 70.0)),
                        np.arange(0.0, 421.0))
    ra = r["ra_mg_kg_min"][0]
    assert ra[0] == 0.0 and ra[239] > 0.0
    # a second meal raises Ra again after the first has waned
    assert ra[260] > ra[239]
    iv = M.simulate_meal(people.take(slice(0, 1)), M.Schedule.ivgtt(0.3 * 78.0), np.arange(0.0, 11.0))
    # 0.3 g/kg bolus into VG 1.88 dL/kg: +300/1.88 = 159.6 mg/dL at t=0+
    assert iv["glucose_mg_dl"][0, 0] - float(M.subject("normal").Gb) == pytest.approx(300.0 / 1.88, rel=1e-9)


def test_grid_validation():
    with pytest.raises(ValueError, match="multiples"):
        M.simulate_meal(M.subject("normal"), M.Schedule.meal(78.0, at=0.3), np.arange(0.0, 10.0))
    with pytest.raises(ValueError, match="increasing"):
        M.simulate_meal(M.subject("normal"), None, np.array([5.0, 1.0]))


def test_compiled_programs_are_released_before_the_process_map_limit():
    # XLA's CPU backend maps about 1,000 code regions per compiled progression program; Linux stops a process at
    # vm.max_map_count (65,530 by default) and the next compile segfaults (seen in CI after ~60 programs per worker)
    from pathlib import Path

    from irsim.solvers._jax import MAP_LIMIT, release_compiled

    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc/self/maps (not Linux)")
    limit = int(Path("/proc/sys/vm/max_map_count").read_text())
    assert MAP_LIMIT < limit / 2
    count = lambda: sum(1 for _ in maps.open("rb"))  # noqa: E731
    assert not release_compiled(limit=10**9)
    before = count()
    assert release_compiled(limit=0)
    assert count() <= before
