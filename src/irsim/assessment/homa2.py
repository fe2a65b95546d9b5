"""HOMA2 calculators (IR, %B, %S) for the assessment engine; the model lives in :mod:`.homa2_grid`."""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, no_reasons
from ..units import from_canonical, settings, to_canonical
from .homa2_grid import _EDGE, Homa2Result, homa2, homa2_range
from .registry import Calculator, Computed, Inputs, categorize, register


def _homa2_inputs(x: Inputs) -> tuple[Homa2Result, np.ndarray]:
    """HOMA2 of every row and the reasons for rows out of the calculator's range, once per input table
    (the three HOMA2 calculators share them; read-only)."""
    return x.memo("homa2", lambda: _homa2_compute(x))


def _homa2_compute(x: Inputs) -> tuple[Homa2Result, np.ndarray]:
    g = from_canonical("fasting_glucose", x["fasting_glucose"], "mmol/L")
    i = from_canonical("fasting_insulin", x["fasting_insulin"], "pmol/L")
    r = homa2(g, i, invalid="nan")
    (glo, ghi), (hlo, hhi), _ = homa2_range("insulin")
    reason = no_reasons(x.n)
    have = ~np.isnan(g) & ~np.isnan(i)
    with np.errstate(invalid="ignore"):
        g_out = have & ~((g >= glo * (1 - _EDGE)) & (g <= ghi * (1 + _EDGE)))
        i_out = have & ~((i >= hlo * (1 - _EDGE)) & (i <= hhi * (1 + _EDGE)))
    f = settings().insulin_pmol_per_uiu
    mg_lo, mg_hi = to_canonical("fasting_glucose", np.array([glo, ghi]), "mmol/L")
    add_reason(reason, g_out, f"fasting_glucose outside the HOMA2 calculator range {glo:g}-{ghi:g} mmol/L "
                              f"({mg_lo:.1f}-{mg_hi:.1f} mg/dL)")
    add_reason(reason, i_out, f"fasting_insulin outside the HOMA2 calculator range {hlo:g}-{hhi:g} pmol/L "
                              f"({hlo / f:.3g}-{hhi / f:.3g} uIU/mL)")
    return r, reason


def _homa2_ir(x: Inputs) -> Computed:
    r, reason = _homa2_inputs(x)
    # Geloneze B et al., Arq Bras Endocrinol Metabol 2009;53:281-7 (BRAMS): HOMA2-IR > 1.8 marks
    # insulin resistance (90th percentile of healthy adults; population dependent).
    return Computed(r.ir, categorize(r.ir, [1.8], ["normal", "insulin_resistant"], right=True),
                    computable=r.valid, reason=reason)


def _homa2_beta(x: Inputs) -> Computed:
    r, reason = _homa2_inputs(x)
    return Computed(r.beta_percent, computable=r.valid, reason=reason)


def _homa2_s(x: Inputs) -> Computed:
    r, reason = _homa2_inputs(x)
    return Computed(r.s_percent, computable=r.valid, reason=reason)


_REF = ("Levy JC, Matthews DR, Hermans MP. Diabetes Care 1998;21:2191-2; values interpolated from "
        "HOMA2 Calculator v2.2.4 outputs (Diabetes Trials Unit, University of Oxford)")
_RANGE = "fasting glucose 3.0-25.0 mmol/L, insulin 20-400 pmol/L (conventional assay); else not computable"

register(Calculator(
    key="homa2_ir", label='HOMA2-IR (insulin resistance)',
    ranges='typical below about 1.8', organ="glucose_insulin", unit=None,
    requires=("fasting_glucose", "fasting_insulin"), compute=_homa2_ir,
    formula=f"HOMA2-IR = 100 / HOMA2-%S, from the Oxford HOMA2 model (no closed form; interpolated "
            f"from the calculator's output grid); {_RANGE}; > 1.8 insulin resistant (BRAMS)",
    reference=_REF + "; cutoff: Geloneze B et al. Arq Bras Endocrinol Metabol 2009;53:281-7",
    mechanism="The model needs more insulin than a healthy young adult would to hold this fasting glucose, "
              "so liver and muscle respond weakly to insulin.",
    abnormal=frozenset({"insulin_resistant"}),
))

register(Calculator(
    key="homa2_beta_percent", label='HOMA2-%B (beta-cell function)',
    ranges='100 % = young, normal-weight reference', organ="glucose_insulin", unit="%",
    requires=("fasting_glucose", "fasting_insulin"), compute=_homa2_beta,
    formula=f"HOMA2-%B: steady-state beta-cell function from the Oxford HOMA2 model, 100 % in healthy "
            f"young adults (no closed form; interpolated from the calculator's output grid); {_RANGE}",
    reference=_REF,
    mechanism="Beta cells first raise their output to make up for insulin resistance; a falling %B means "
              "they can no longer keep up.",
))

register(Calculator(
    key="homa2_s_percent", label='HOMA2-%S (insulin sensitivity)',
    ranges='100 % = young, normal-weight reference', organ="glucose_insulin", unit="%",
    requires=("fasting_glucose", "fasting_insulin"), compute=_homa2_s,
    formula=f"HOMA2-%S: insulin sensitivity from the Oxford HOMA2 model, 100 % in healthy young adults "
            f"(no closed form; interpolated from the calculator's output grid); {_RANGE}",
    reference=_REF,
    mechanism="A low %S means each unit of insulin lowers glucose less than in a healthy young adult.",
))
