"""Dalla Man, Rizza & Cobelli 2007 meal model of the glucose-insulin system, in JAX.

Source: Dalla Man C, Rizza RA, Cobelli C. "Meal simulation model of the glucose-insulin system."
IEEE Trans Biomed Eng 2007;54(10):1740-9, doi:10.1109/TBME.2007.893506. Equations and parameter
tables as transcribed in ``shared/reference/models.md`` section 1; parameter values live in
``parameters/data/dalla_man_2007_{normal,t2d}.yaml``; docs in ``docs/meal_model.md``.

Design
------
* A person is a :class:`MealParams` pytree (a ``NamedTuple`` of arrays); a population is the same
  pytree with a batch dimension on every leaf (shape ``(N,)``).
* The model is three pure functions over (state, parameters, inputs): :func:`rhs`, :func:`event`
  (impulse inputs: oral doses into ``Qsto1``, IV glucose into ``Gp``, infusion-rate changes) and
  :func:`observe`. States are stacked on the *leading* axis, ``y.shape == (12, *batch)``, so the
  same functions serve the batched fixed-step solver (batch trailing) and the per-person adaptive
  reference solver.
* :func:`knobs_to_params` maps physiological knobs (muscle / liver insulin sensitivity, beta-cell
  mass and function, insulin clearance, body weight) onto the published parameters and solves the
  basal steady state in closed form, so ``rhs(basal) == 0`` to rounding for any knob setting.

Switches (derivative secretion only while glucose rises, renal threshold, EGP >= 0, the floor on the
second-phase secretion target, HE >= 0) are implemented with exact ``max``: the right-hand side stays
continuous (only its derivative has kinks), which the adaptive reference handles without chattering
and which the fixed-step RK4 error test covers (``tests/test_meal_solvers.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Sequence

import numpy as np

from irsim import parameters as _parameters
from irsim.solvers._jax import jax, jnp
from irsim.solvers.adaptive import solve_adaptive
from irsim.solvers.fixed_step import rk4_scan
from irsim.units import GLUCOSE_MG_DL_PER_MMOL_L

# ----------------------------------------------------------------------------------------------
# Parameter sets
# ----------------------------------------------------------------------------------------------

SUBJECTS = ("normal", "t2d")

#: Names of the published (Table 1) parameters, in the order of the YAML files.
TABLE_NAMES = (
    "VG", "k1", "k2", "VI", "m1", "m2", "m4", "m5", "m6", "HEb",
    "kmax", "kmin", "kabs", "kgri", "f", "b", "d",
    "kp1", "kp2", "kp3", "kp4", "ki",
    "Fcns", "Vm0", "Vmx", "Km0", "p2U",
    "K", "alpha", "beta", "gamma", "ke1", "ke2",
)

#: The physiological knobs (multipliers, 1 = published mean subject) and what they scale.
KNOBS = ("muscle_si", "liver_si", "beta_mass", "beta_function", "clearance")


_lookup = _parameters.lookup("dalla_man_2007_common")


def _const(section: str, name: str) -> float:
    return float(_lookup(f"{section}.{name}"))


#: pmol/L per uIU/mL for insulin (common YAML, Heinemann 2010).
INSULIN_PMOL_L_PER_UIU_ML = _const("conversions", "insulin_pmol_l_per_uiu_ml")
MG_PER_G = _const("conversions", "mg_per_g")
HE_FLOOR = _const("knobs", "hepatic_extraction_floor")


class MealTable(NamedTuple):
    """Published Dalla Man 2007 Table 1 parameters for one subject class (plain floats)."""

    values: dict
    body_weight_kg: float
    subject: str


def table(subject: str = "normal") -> MealTable:
    """Load the published parameter table (``"normal"`` or ``"t2d"``) from YAML."""
    if subject not in SUBJECTS:
        raise ValueError(f"unknown subject {subject!r}; expected one of {SUBJECTS}")
    data = _parameters.load(f"dalla_man_2007_{subject}")
    vals = {k: float(data["parameters"][k]["value"]) for k in TABLE_NAMES}
    return MealTable(vals, float(data["body_weight_kg"]["value"]), subject)


class MealParams(NamedTuple):
    """Everything the right-hand side needs, for one person (scalars) or a batch (shape ``(N,)``).

    Published parameters keep their Table 1 names; ``Vmx``, ``kp3``, ``K``, ``beta``, ``m2``, ``m4``
    are after the knobs; the rest of the fields are the derived basal state.
    """

    VG: Any; k1: Any; k2: Any; VI: Any; m1: Any; m2: Any; m4: Any; m5: Any; m6: Any  # noqa: E702
    kmax: Any; kmin: Any; kabs: Any; kgri: Any; f: Any; b: Any; d: Any  # noqa: E702
    kp1: Any; kp2: Any; kp3: Any; kp4: Any; ki: Any  # noqa: E702
    Fcns: Any; Vm0: Any; Vmx: Any; Km0: Any; p2U: Any  # noqa: E702
    K: Any; alpha: Any; beta: Any; gamma: Any; ke1: Any; ke2: Any  # noqa: E702
    BW: Any
    # derived basal steady state
    Sb: Any; HEb: Any; Ipb: Any; Ilb: Any; Ib: Any; Ipob: Any
    Gpb: Any; Gtb: Any; Gb: Any; EGPb: Any

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(jnp.shape(self.VG))

    def take(self, idx) -> "MealParams":
        """Select persons ``idx`` from a batch (numpy-style index)."""
        return MealParams(*[jnp.asarray(v)[idx] for v in self])


def _hepatic_extraction(m5, m6, S):
    """HE = m6 - m5*S (Dalla Man 2007 eq. for hepatic extraction), floored at ``HE_FLOOR``."""
    return jnp.maximum(m6 - m5 * S, HE_FLOOR)


def _insulin_basal(m1, m2, m4, m5, m6, VI, Sb):
    """Basal insulin kinetics given basal secretion ``Sb`` (Dalla Man 2007 Appendix, solved for Ipb)."""
    HEb = _hepatic_extraction(m5, m6, Sb)
    m3b = HEb * m1 / (1.0 - HEb)
    Ipb = Sb / (m3b * (m2 + m4) / m1 + m4)
    Ilb = Ipb * (m2 + m4) / m1
    return HEb, Ipb, Ilb, Ipb / VI


def _glucose_basal(kp1, kp2, kp3, kp4, Ib, Ipob, Fcns, k1, k2, Vm0, Km0, ke1, ke2):
    """Solve the glucose basal steady state for Gpb in closed form.

    Steady state of Gp and Gt with EGPb = kp1 - kp2*Gpb - kp3*Ib - kp4*Ipob and renal excretion
    E = ke1*max(Gpb - ke2, 0): with U = EGPb - Fcns - E (linear in Gpb on each side of ke2),
    Gtb = (k1*Gpb - U)/k2 and Vm0*Gtb/(Km0 + Gtb) = U. Substituting gives a quadratic in Gpb with one
    positive root; it is solved for both renal branches and the consistent one kept.
    """

    def root(a0, a1):
        # U = a0 - a1*Gp ; Gt = (k1*Gp - U)/k2 = c0 + c1*Gp
        c0 = -a0 / k2
        c1 = (k1 + a1) / k2
        A = a1 * c1
        B = Vm0 * c1 - a0 * c1 + a1 * (Km0 + c0)
        C = Vm0 * c0 - a0 * (Km0 + c0)
        disc = jnp.sqrt(jnp.maximum(B * B - 4.0 * A * C, 0.0))
        # numerically stable quadratic roots (Press et al., Numerical Recipes 3rd ed. s.5.6)
        q = -0.5 * (B + jnp.where(B >= 0, disc, -disc))
        r1 = q / jnp.where(A == 0, 1.0, A)
        r2 = C / jnp.where(q == 0, 1.0, q)
        r1 = jnp.where(A == 0, r2, r1)  # A == 0 (kp2 == 0): the equation is linear, root C/q = -C/B
        # the physiological root has positive tissue glucose Gt (F is increasing there: unique)
        ok1 = c0 + c1 * r1 > 0
        return jnp.where(ok1, r1, r2)

    a0 = kp1 - kp3 * Ib - kp4 * Ipob - Fcns
    g_lo = root(a0, kp2)
    g_hi = root(a0 + ke1 * ke2, kp2 + ke1)
    Gpb = jnp.where(g_lo <= ke2, g_lo, g_hi)
    EGPb = kp1 - kp2 * Gpb - kp3 * Ib - kp4 * Ipob
    E = ke1 * jnp.maximum(Gpb - ke2, 0.0)
    Gtb = (k1 * Gpb - (EGPb - Fcns - E)) / k2
    return Gpb, Gtb, EGPb


#: Glucose dependence of basal secretion, Topp et al. 2000 (J Theor Biol 206:605) sigma*G^2/(alpha + G^2),
#: alpha in mg^2/dL^2 (models.md s.2); used only to place the fasting state (see _basal_state).
TOPP_ALPHA_MG2_DL2 = _const("basal_secretion", "topp_alpha")
_BISECTION_ITERS = 80  # halvings of the bracket: 2**-80 relative, far below float64 resolution


def _secretion_shape(G):
    return G * G / (TOPP_ALPHA_MG2_DL2 + G * G)


@jax.jit
def _basal_state(v, Vmx, kp3, m2, m4, bm, kp1, kp2):
    """Fasting steady state for the given (knob-scaled) parameters; all outputs have ``bm``'s shape.

    Basal secretion is ``Sb = Sb0 * beta_mass * s(Gb)/s(Gb_ref)`` with ``s`` Topp's G^2/(alpha+G^2)
    and ``Gb_ref`` the published subject's fasting glucose, so the fasting state is a fixed point
    (glucose -> secretion -> insulin -> EGP, uptake -> glucose). At beta_mass = 1 and the published
    parameters it returns exactly the paper's basal state. The fixed point is found by bisection on
    Gb (the map is monotone, so the root is unique), then ``Sb`` is evaluated at the root and every
    other basal quantity is computed from that ``Sb`` in closed form, so ``rhs(basal) = 0`` exactly.
    A final Newton step (with the bisection result held constant) makes the result differentiable.
    """
    VG, VI, m1, m5, m6, gamma = v["VG"], v["VI"], v["m1"], v["m5"], v["m6"], v["gamma"]
    # published basal secretion (HE = m6 - m5*S at S = Sb, HE = HEb) and published basal insulin
    Sb0 = (m6 - v["HEb"]) / m5
    _, _, _, Ib0 = _insulin_basal(m1, v["m2"], v["m4"], m5, m6, VI, Sb0)
    Vm0_ii = v["Vm0"] - v["Vmx"] * Ib0  # insulin-independent part of basal Vm

    def from_sb(Sb, Vmx, kp3, m2, m4, kp1, kp2):
        HEb, Ipb, Ilb, Ib = _insulin_basal(m1, m2, m4, m5, m6, VI, Sb)
        Ipob = Sb / gamma
        Vm0 = Vm0_ii + Vmx * Ib
        Gpb, Gtb, EGPb = _glucose_basal(kp1, kp2, kp3, v["kp4"], Ib, Ipob, v["Fcns"], v["k1"], v["k2"],
                                        Vm0, v["Km0"], v["ke1"], v["ke2"])
        return HEb, Ipb, Ilb, Ib, Ipob, Vm0, Gpb, Gtb, EGPb

    Gb_ref = from_sb(Sb0, v["Vmx"], v["kp3"], v["m2"], v["m4"], v["kp1"], v["kp2"])[6] / VG
    s_ref = _secretion_shape(Gb_ref)

    def sb_of_g(G, bm):
        return Sb0 * bm * _secretion_shape(G) / s_ref

    def resid(G, bm, Vmx, kp3, m2, m4, kp1, kp2):  # decreasing in G
        return from_sb(sb_of_g(G, bm), Vmx, kp3, m2, m4, kp1, kp2)[6] / VG - G

    ng = jax.lax.stop_gradient
    args = tuple(ng(a) for a in (bm, Vmx, kp3, m2, m4, kp1, kp2))
    hi = from_sb(jnp.zeros_like(bm), *args[1:])[6] / VG  # no insulin: highest possible fasting glucose
    lo = jnp.zeros_like(hi)

    def body(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        pos = resid(mid, *args) > 0
        return jnp.where(pos, mid, lo), jnp.where(pos, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _BISECTION_ITERS, body, (lo, hi))
    G0 = 0.5 * (lo + hi)
    # one Newton step for differentiability (implicit-function gradient); value changes by ~1 ulp
    r, dr = jax.jvp(lambda g: resid(g, bm, Vmx, kp3, m2, m4, kp1, kp2), (G0,), (jnp.ones_like(G0),))
    G = G0 - (r - ng(r)) / ng(dr)
    Sb = sb_of_g(G, bm)
    HEb, Ipb, Ilb, Ib, Ipob, Vm0, Gpb, Gtb, EGPb = from_sb(Sb, Vmx, kp3, m2, m4, kp1, kp2)
    return Sb, HEb, Ipb, Ilb, Ib, Ipob, Vm0, Gpb, Gtb, EGPb


def knobs_to_params(
    base: MealTable | str = "normal",
    muscle_si=1.0,
    liver_si=1.0,
    beta_mass=1.0,
    beta_function=1.0,
    clearance=1.0,
    body_weight=None,
    egp=1.0,
    glucose_effectiveness=1.0,
) -> MealParams:
    """Build :class:`MealParams` from a published table and physiological knobs.

    Knobs are multipliers (1 = the published mean subject); scalars or arrays of a common batch shape.

    * ``muscle_si``   peripheral insulin sensitivity: scales ``Vmx``. The insulin-dependent part of
      basal utilisation, ``Vmx*Ib``, scales too: ``Vm0 = (Vm0_table - Vmx_table*Ib_table) + Vmx*Ib``,
      i.e. Vm is treated as linear in plasma insulin with slope Vmx (irsim choice, docs/meal_model.md).
    * ``liver_si``    hepatic insulin sensitivity: scales ``kp3`` (insulin suppression of EGP).
    * ``beta_mass``   beta-cell mass: scales basal secretion ``Sb`` and both control gains ``K`` and ``beta``.
      Basal secretion also follows fasting glucose (Topp 2000 G^2/(alpha+G^2) shape, see
      :func:`_basal_state`), so the fasting state is a glucose-insulin fixed point that always exists.
    * ``beta_function`` per-cell glucose responsivity: scales ``K`` and ``beta`` (not ``Sb``).
    * ``clearance``   insulin clearance: scales ``m2`` and ``m4`` (removal from plasma).
    * ``body_weight`` kg (default: the table's 78 kg); the model is per kg, weight only sets dose/kg.
    * ``egp``         endogenous glucose production drive: scales ``kp1`` (EGP extrapolated to zero glucose and
      insulin; glucagon-driven). Not a fitted knob (:data:`KNOBS`); the progression coupling sets it.
    * ``glucose_effectiveness`` hepatic glucose effectiveness: scales ``kp2`` (glucose's own suppression of EGP).
      Not a fitted knob either; the progression coupling ties it to hepatic insulin resistance.

    The basal steady state is then recomputed: ``Sb`` -> ``HEb = m6 - m5*Sb`` -> ``Ipb, Ilb, Ib``
    -> ``Ipob = Sb/gamma`` -> ``Gpb`` (closed form, :func:`_glucose_basal`) with ``kp1`` and the
    insulin-independent part of ``Vm0`` held at their published values, ``Sb`` itself depending on
    ``Gb`` (fixed point, :func:`_basal_state`). At all knobs = 1 this gives the paper's basal means
    (normal: Gb 91.8 mg/dL, Ib 25.6 pmol/L).
    """
    if isinstance(base, str):
        base = table(base)
    v = {k: jnp.asarray(x, dtype=jnp.float64) for k, x in base.values.items()}
    knobs = [jnp.asarray(x, dtype=jnp.float64)
             for x in (muscle_si, liver_si, beta_mass, beta_function, clearance, egp, glucose_effectiveness)]
    bw = jnp.asarray(base.body_weight_kg if body_weight is None else body_weight, dtype=jnp.float64)
    shape = jnp.broadcast_shapes(*(k.shape for k in knobs), bw.shape)
    ms, ls, bm, bf, cl, eg, ge = (jnp.broadcast_to(k, shape) for k in knobs)
    bw = jnp.broadcast_to(bw, shape)

    Vmx = v["Vmx"] * ms
    kp3 = v["kp3"] * ls
    K = v["K"] * bm * bf
    beta = v["beta"] * bm * bf
    m2 = v["m2"] * cl
    m4 = v["m4"] * cl
    Sb, HEb, Ipb, Ilb, Ib, Ipob, Vm0, Gpb, Gtb, EGPb = _basal_state(
        v, jnp.broadcast_to(Vmx, shape), jnp.broadcast_to(kp3, shape), jnp.broadcast_to(m2, shape),
        jnp.broadcast_to(m4, shape), bm, v["kp1"] * eg, v["kp2"] * ge)
    b = lambda x: jnp.broadcast_to(x, shape)  # noqa: E731
    return MealParams(
        VG=b(v["VG"]), k1=b(v["k1"]), k2=b(v["k2"]), VI=b(v["VI"]), m1=b(v["m1"]), m2=b(m2), m4=b(m4),
        m5=b(v["m5"]), m6=b(v["m6"]),
        kmax=b(v["kmax"]), kmin=b(v["kmin"]), kabs=b(v["kabs"]), kgri=b(v["kgri"]), f=b(v["f"]),
        b=b(v["b"]), d=b(v["d"]),
        kp1=b(v["kp1"] * eg), kp2=b(v["kp2"] * ge), kp3=b(kp3), kp4=b(v["kp4"]), ki=b(v["ki"]),
        Fcns=b(v["Fcns"]), Vm0=b(Vm0), Vmx=b(Vmx), Km0=b(v["Km0"]), p2U=b(v["p2U"]),
        K=b(K), alpha=b(v["alpha"]), beta=b(beta), gamma=b(v["gamma"]), ke1=b(v["ke1"]), ke2=b(v["ke2"]),
        BW=bw,
        Sb=b(Sb), HEb=b(HEb), Ipb=b(Ipb), Ilb=b(Ilb), Ib=b(Ib), Ipob=b(Ipob),
        Gpb=b(Gpb), Gtb=b(Gtb), Gb=b(Gpb / v["VG"]), EGPb=b(EGPb),
    )


def feasible(p: MealParams) -> np.ndarray:
    """Boolean mask: persons whose knob setting has a positive basal steady state."""
    return np.isfinite(np.asarray(p.Gb))


def subject(name: str = "normal", body_weight_kg: float | None = None, **knobs) -> MealParams:
    """A named mean subject (``"normal"`` or ``"t2d"``, Dalla Man 2007 Table 1), optionally with knobs."""
    return knobs_to_params(table(name), body_weight=body_weight_kg, **knobs)


def stack(people: Sequence[MealParams]) -> MealParams:
    """Stack single persons (scalar leaves) or batches into one batch."""
    return MealParams(*[jnp.concatenate([jnp.atleast_1d(getattr(p, f)) for p in people]) for f in MealParams._fields])


# ----------------------------------------------------------------------------------------------
# State, inputs, right-hand side
# ----------------------------------------------------------------------------------------------

STATE_NAMES = ("Gp", "Gt", "Il", "Ip", "Qsto1", "Qsto2", "Qgut", "I1", "Id", "X", "Ipo", "Y")
(GP, GT, IL, IP, QSTO1, QSTO2, QGUT, I1, ID, XX, IPO, YY) = range(12)


class MealAux(NamedTuple):
    """Piecewise-constant inputs carried between events."""

    D: Any  # last oral dose, mg (kempt depends on it)
    insulin: Any  # exogenous IV insulin infusion into plasma, pmol/kg/min


def initial_state(p: MealParams) -> tuple:
    """Basal steady state: tuple of the 12 states, each of shape ``batch`` (Dalla Man 2007 Appendix;
    X = Y = 0). States are kept as a tuple (not a stacked array) so XLA fuses each RK stage well."""
    z = jnp.zeros_like(p.Gpb)
    return (p.Gpb, p.Gtb, p.Ilb, p.Ipb, z, z, z, p.Ib, p.Ib, z, p.Ipob, z)


def initial_aux(p: MealParams) -> MealAux:
    z = jnp.zeros_like(p.Gpb)
    return MealAux(z, z)


def _fluxes(y, p: MealParams, u: MealAux):
    """All model equations; returns (dy/dt, dict of observables)."""
    Gp, Gt, Il, Ip, Qsto1, Qsto2, Qgut, I1_, Id, X, Ipo, Y = (y[i] for i in range(12))
    G = Gp / p.VG
    I = Ip / p.VI  # noqa: E741

    # gastro-intestinal tract; kempt shape constants aa = 5/(2D(1-b)), cc = 5/(2Dd): Dalla Man 2007 eq. (13)
    D = jnp.where(u.D > 0, u.D, 1.0)  # no dose yet: stomach empty, kempt irrelevant
    Qsto = Qsto1 + Qsto2
    aa = 5.0 / (2.0 * D * (1.0 - p.b))
    cc = 5.0 / (2.0 * D * p.d)
    kempt = p.kmin + (p.kmax - p.kmin) / 2.0 * (
        jnp.tanh(aa * (Qsto - p.b * D)) - jnp.tanh(cc * (Qsto - p.d * D)) + 2.0
    )
    Ra = p.f * p.kabs * Qgut / p.BW

    # glucose production and utilisation
    EGP = jnp.maximum(p.kp1 - p.kp2 * Gp - p.kp3 * Id - p.kp4 * Ipo, 0.0)
    Uii = p.Fcns
    Uid = (p.Vm0 + p.Vmx * X) * Gt / (p.Km0 + Gt)
    E = p.ke1 * jnp.maximum(Gp - p.ke2, 0.0)

    dGp = EGP + Ra - Uii - E - p.k1 * Gp + p.k2 * Gt
    dGt = -Uid + p.k1 * Gp - p.k2 * Gt
    dGdt = dGp / p.VG

    # secretion: derivative control only while glucose rises; 2nd-phase target floored at -Sb
    Spo = Y + p.Sb + p.K * jnp.maximum(dGdt, 0.0)
    dY = -p.alpha * (Y - jnp.maximum(p.beta * (G - p.Gb), -p.Sb))
    S = p.gamma * Ipo
    dIpo = -p.gamma * Ipo + Spo

    # insulin kinetics with hepatic extraction HE = m6 - m5*S
    HE = _hepatic_extraction(p.m5, p.m6, S)
    m3 = HE * p.m1 / (1.0 - HE)
    dIl = -(p.m1 + m3) * Il + p.m2 * Ip + S
    dIp = -(p.m2 + p.m4) * Ip + p.m1 * Il + u.insulin

    dQsto1 = -p.kgri * Qsto1
    dQsto2 = -kempt * Qsto2 + p.kgri * Qsto1
    dQgut = -p.kabs * Qgut + kempt * Qsto2
    dI1 = -p.ki * (I1_ - I)
    dId = -p.ki * (Id - I1_)
    dX = -p.p2U * X + p.p2U * (I - p.Ib)

    dy = (dGp, dGt, dIl, dIp, dQsto1, dQsto2, dQgut, dI1, dId, dX, dIpo, dY)
    obs = {
        "glucose_mg_dl": G,
        "insulin_pmol_l": I,
        "ra_mg_kg_min": Ra,
        "egp_mg_kg_min": EGP,
        "uptake_mg_kg_min": Uii + Uid,
        "secretion_pmol_kg_min": S,
        "renal_mg_kg_min": E,
    }
    return dy, obs


def rhs(t, y, params: MealParams, inputs: MealAux):
    """dy/dt of the 12 states (``y``: tuple or leading-axis array of the states in :data:`STATE_NAMES`
    order, each of shape ``batch``); returns a tuple. Autonomous given ``inputs``."""
    return _fluxes(y, params, inputs)[0]


#: Observable names = DataFrame columns (after ``time_min``).
OUTPUTS = (
    "glucose_mg_dl", "insulin_pmol_l", "ra_mg_kg_min", "egp_mg_kg_min", "uptake_mg_kg_min",
    "secretion_pmol_kg_min", "renal_mg_kg_min",
)
DATAFRAME_COLUMNS = ("time_min",) + OUTPUTS


def _make_observe(names: tuple[str, ...]):
    return _OBSERVERS.setdefault(names, _observer(names))


def _observer(names):
    def observe(y, aux, params):
        obs = _fluxes(y, params, aux)[1]
        return tuple(jnp.broadcast_to(obs[n], jnp.shape(y[GP])) for n in names)

    return observe


_OBSERVERS: dict = {}


class EventRow(NamedTuple):
    meal: Any  # index into meal doses (-1: none)
    iv: Any  # index into IV glucose doses (-1: none)
    insulin: Any  # infusion rate from this point on, pmol/kg/min


def event(y, aux: MealAux, x: EventRow, consts, params: MealParams):
    """Apply the inputs of one event point: oral dose impulse into Qsto1 (and remember it as D),
    IV glucose impulse into Gp, and set the insulin infusion rate."""
    meal_mg, iv_mg_kg = consts
    has_meal = x.meal >= 0
    dose = jnp.where(has_meal, meal_mg[jnp.maximum(x.meal, 0)], 0.0)
    ivd = jnp.where(x.iv >= 0, iv_mg_kg[jnp.maximum(x.iv, 0)], 0.0)
    y = list(y)
    y[QSTO1] = y[QSTO1] + dose
    y[GP] = y[GP] + ivd
    y = tuple(y)
    D = jnp.where(has_meal, dose, aux.D)
    return y, MealAux(D, jnp.broadcast_to(x.insulin, jnp.shape(aux.insulin)))


# ----------------------------------------------------------------------------------------------
# Input schedules
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Inputs: oral glucose/carbohydrate doses, IV glucose boluses, IV insulin infusions.

    ``meal_grams`` / ``iv_grams`` may be per-person arrays of shape ``(n_events, N)``.
    ``infusions``: tuples ``(start_min, stop_min, rate_pmol_per_kg_min)``.
    """

    meal_times: tuple = ()
    meal_grams: Any = ()
    iv_times: tuple = ()
    iv_grams: Any = ()
    infusions: tuple = field(default=())

    @staticmethod
    def meal(grams: float = 78.0, at: float = 0.0) -> "Schedule":
        return Schedule(meal_times=(float(at),), meal_grams=(grams,))

    @staticmethod
    def meals(*times_grams: tuple[float, float]) -> "Schedule":
        return Schedule(meal_times=tuple(float(t) for t, _ in times_grams), meal_grams=tuple(g for _, g in times_grams))

    @staticmethod
    def ogtt(grams: float | None = None) -> "Schedule":
        """Oral glucose tolerance test at t=0 (default 75 g, WHO/ADA)."""
        return Schedule.meal(_const("ogtt", "dose_g") if grams is None else grams)

    @staticmethod
    def ivgtt(grams: float, at: float = 0.0) -> "Schedule":
        """IV glucose bolus of ``grams`` (standard FSIGT: 0.3 g/kg x body weight)."""
        return Schedule(iv_times=(float(at),), iv_grams=(grams,))

    def with_infusion(self, start: float, stop: float, rate_pmol_kg_min: float) -> "Schedule":
        return Schedule(self.meal_times, self.meal_grams, self.iv_times, self.iv_grams,
                        self.infusions + ((float(start), float(stop), float(rate_pmol_kg_min)),))

    def event_times(self) -> list[float]:
        ts = set(self.meal_times) | set(self.iv_times)
        for a, bb, _ in self.infusions:
            ts |= {a, bb}
        return sorted(ts)

    def infusion_rate(self, t: float) -> float:
        return float(sum(r for a, bb, r in self.infusions if a <= t < bb))


def _dose_table(grams, n, per_kg_bw=None):
    """(M, N) doses in mg (or mg/kg if ``per_kg_bw`` given), plus a zero pad row."""
    g = np.asarray(grams, dtype=np.float64)
    g = g.reshape(g.shape[0], -1) if g.size else np.zeros((0, 1))
    g = np.broadcast_to(g, (g.shape[0], n))
    g = np.concatenate([g, np.zeros((1, n))], axis=0)
    mg = jnp.asarray(g * MG_PER_G)
    if per_kg_bw is not None:
        mg = mg / per_kg_bw[None, :]
    return mg


def _as_batch(params: MealParams) -> tuple[MealParams, bool]:
    shape = params.batch_shape
    if len(shape) == 0:
        return MealParams(*[jnp.reshape(v, (1,)) for v in params]), True
    if len(shape) != 1:
        raise ValueError("parameters must be a single person or a 1-D batch")
    n = shape[0]
    return MealParams(*[jnp.broadcast_to(v, (n,)) for v in params]), False


# ----------------------------------------------------------------------------------------------
# Simulation API
# ----------------------------------------------------------------------------------------------

DEFAULT_DT = _const("solver", "rk4_dt_min")


def _grid(times: np.ndarray, sched: Schedule, dt: float):
    pts = np.concatenate([np.asarray(times, float), np.asarray(sched.event_times(), float), [0.0]])
    if np.any(pts < 0):
        raise ValueError("times and events must be >= 0 min (the simulation starts at basal state at t=0)")
    steps = np.rint(pts / dt)
    if np.max(np.abs(steps * dt - pts)) > 1e-9 * max(1.0, float(np.max(pts))):
        raise ValueError(f"output and event times must be multiples of dt={dt} min")
    steps = steps.astype(np.int64)
    n_sub = int(np.gcd.reduce(steps[steps > 0])) if np.any(steps > 0) else 1
    n_base = int(steps.max() // n_sub) + 1
    return n_sub, n_base


def stiffness_estimate(p: MealParams) -> np.ndarray:
    """Per-person bound on the fastest decay rate of the linearised model (1/min).

    Largest of: the trace of the (Il, Ip) insulin block at maximal hepatic extraction (HE = m6, S = 0),
    which bounds its real negative eigenvalues; the portal-secretion loop gamma + K*kp4/VG
    (derivative control feeding back through EGP); and glucose exchange k1 + k2. Used to keep the
    fixed-step RK4 inside its stability interval (|lambda*dt| < 2.785 on the real axis).
    """
    m3max = p.m6 * p.m1 / (1.0 - p.m6)
    lam = jnp.maximum(p.m1 + m3max + p.m2 + p.m4, p.gamma + p.K * p.kp4 / p.VG)
    return np.asarray(jnp.maximum(lam, p.k1 + p.k2))


#: Largest lambda*dt accepted by the automatic step choice: 2.0, a margin under RK4's real-axis stability
#: limit 2.785 (Hairer, Norsett & Wanner, Solving ODEs I, s.IV.2).
RK4_MAX_LAMBDA_DT = 2.0


#: Smallest per-device batch worth sharding over several devices (irsim choice: below this the
#: partitioning overhead outweighs the gain).
_MIN_PER_DEVICE = 256


def _shard(batch_tree, consts, n):
    """Shard the person axis over all devices of JAX's default backend (e.g. several GPUs, or CPU cores
    exposed as host devices via XLA_FLAGS=--xla_force_host_platform_device_count). The batch is padded
    by repeating the last person to a multiple of the device count; callers drop the padding."""
    devs = jax.devices()
    nd = len(devs)
    if nd < 2 or n < nd * _MIN_PER_DEVICE:
        return batch_tree, consts
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    pad = (-n) % nd
    if pad:
        idx = np.concatenate([np.arange(n), np.full(pad, n - 1)])
        batch_tree = jax.tree_util.tree_map(lambda a: a[idx], batch_tree)
        consts = jax.tree_util.tree_map(lambda a: a[:, idx], consts)
    mesh = Mesh(np.array(devs), ("batch",))
    batch_tree = jax.device_put(batch_tree, NamedSharding(mesh, P("batch")))
    consts = jax.device_put(consts, NamedSharding(mesh, P(None, "batch")))
    return batch_tree, consts


def simulate_meal(
    params: MealParams,
    schedule: Schedule | None = None,
    times=None,
    *,
    solver: str = "rk4",
    dt: float | None = None,
    outputs: Sequence[str] = OUTPUTS,
    rtol: float | None = None,
    atol: float | None = None,
) -> dict[str, np.ndarray]:
    """Simulate a person or a batch from the basal state at t=0 under ``schedule``.

    ``times``: output times in minutes (default 0..420 every minute); with the RK4 solver they and the
    event times must be multiples of ``dt`` (default 0.5 min, halved while the stiffest person in the
    batch has ``lambda*dt > 2``, see :func:`stiffness_estimate`). ``solver``: ``"rk4"`` (production,
    fixed-step lax.scan) or ``"adaptive"`` (diffrax Tsit5 reference). Returns a dict with ``"time_min"``
    (T,) and each requested output as an array ``(N, T)`` (``N`` = 1 for a single person), plus the
    unit conversions ``glucose_mmol_l`` and ``insulin_uiu_ml`` when glucose / insulin are requested.
    """
    schedule = Schedule.meal() if schedule is None else schedule
    times = np.arange(0.0, 421.0) if times is None else np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times must be a non-empty, strictly increasing 1-D array")
    outputs = tuple(outputs)
    unknown = set(outputs) - set(OUTPUTS)
    if unknown:
        raise ValueError(f"unknown outputs {sorted(unknown)}; choose from {OUTPUTS}")
    p, _ = _as_batch(params)
    n = p.batch_shape[0]
    consts = (_dose_table(schedule.meal_grams, n), _dose_table(schedule.iv_grams, n, per_kg_bw=p.BW))
    observe = _make_observe(outputs)
    y0, aux0 = initial_state(p), initial_aux(p)
    n_meal = len(schedule.meal_times)
    n_iv = len(schedule.iv_times)

    def row(t):
        m = schedule.meal_times.index(t) if t in schedule.meal_times else -1
        i = schedule.iv_times.index(t) if t in schedule.iv_times else -1
        return m, i, schedule.infusion_rate(t)

    if len(set(schedule.meal_times)) != n_meal or len(set(schedule.iv_times)) != n_iv:
        raise ValueError("two doses of the same kind at the same time: merge them")

    if solver == "rk4":
        if dt is None:
            dt = DEFAULT_DT
            lam = float(np.max(stiffness_estimate(p)))
            while lam * dt > RK4_MAX_LAMBDA_DT:  # halving keeps every grid time a multiple of dt
                dt /= 2.0
        dt = float(dt)
        n_sub, n_base = _grid(times, schedule, dt)
        h = n_sub * dt
        # exact matching on the grid: event times were validated as multiples of dt
        ev_idx = {int(round(t / h)): t for t in schedule.event_times()}
        rows = []
        for k in range(n_base):
            t = ev_idx.get(k, None)
            rows.append(row(t) if t is not None else (-1, -1, schedule.infusion_rate(k * h)))
        xs = EventRow(*(jnp.asarray(np.array(c)) for c in zip(*rows)))
        args = _shard((y0, aux0, p), consts, n)
        obs = rk4_scan(rhs, event, observe, args[0][0], args[0][1], args[0][2], xs, args[1], dt=dt, n_sub=n_sub)
        take = np.rint(times / h).astype(np.int64)
        obs = np.asarray(obs)[take][..., :n]
    elif solver == "adaptive":
        ev_t = schedule.event_times()
        rows = [row(t) for t in ev_t] or [(-1, -1, 0.0)]
        ev_t = ev_t or [0.0]
        xs = EventRow(*(jnp.asarray(np.array(c)) for c in zip(*rows)))
        obs = solve_adaptive(
            rhs, event, observe, y0, aux0, p, xs, consts, event_times=ev_t, times=times,
            rtol=_const("solver", "adaptive_rtol") if rtol is None else rtol,
            atol=_const("solver", "adaptive_atol") if atol is None else atol,
            max_steps=int(_const("solver", "adaptive_max_steps")),
        )
        obs = np.asarray(obs)
    else:
        raise ValueError(f"unknown solver {solver!r}; use 'rk4' or 'adaptive'")
    out: dict[str, np.ndarray] = {"time_min": times}
    for k, name in enumerate(outputs):
        out[name] = np.ascontiguousarray(obs[:, k, :].T)
    if "glucose_mg_dl" in out:
        out["glucose_mmol_l"] = out["glucose_mg_dl"] / GLUCOSE_MG_DL_PER_MMOL_L
    if "insulin_pmol_l" in out:
        out["insulin_uiu_ml"] = out["insulin_pmol_l"] / INSULIN_PMOL_L_PER_UIU_ML
    return out


def meal_dataframe(params: MealParams, schedule: Schedule | None = None, times=None, person: int = 0, **kw):
    """Simulate and return a pandas DataFrame with exactly :data:`DATAFRAME_COLUMNS` (one person)."""
    import pandas as pd

    res = simulate_meal(params, schedule, times, outputs=OUTPUTS, **kw)
    return pd.DataFrame({c: (res[c] if c == "time_min" else res[c][person]) for c in DATAFRAME_COLUMNS})


def ada_ogtt_class(g120_mg_dl: float) -> str:
    """ADA 2-h OGTT category: 'normal' (< 140), 'impaired glucose tolerance' (140-199), 'diabetes' (>= 200)."""
    lo = _const("ogtt", "normal_below_mg_dl")
    hi = _const("ogtt", "diabetes_at_or_above_mg_dl")
    if not math.isfinite(g120_mg_dl):
        return "unknown"
    if g120_mg_dl < lo:
        return "normal glucose tolerance"
    if g120_mg_dl < hi:
        return "impaired glucose tolerance"
    return "diabetes range"


__all__ = [
    "MealParams", "MealTable", "MealAux", "Schedule", "table", "subject", "knobs_to_params", "stack",
    "rhs", "event", "initial_state", "feasible", "TOPP_ALPHA_MG2_DL2", "simulate_meal", "meal_dataframe", "ada_ogtt_class",
    "OUTPUTS", "DATAFRAME_COLUMNS", "STATE_NAMES", "KNOBS", "SUBJECTS",
    "GLUCOSE_MG_DL_PER_MMOL_L", "INSULIN_PMOL_L_PER_UIU_ML",
]
