"""Insulin resistance and secretion indices (see docs/calculators/insulin.md)."""

from __future__ import annotations

import numpy as np

from .registry import Calculator, Computed, Inputs, categorize, register


def _homa1_ir(x: Inputs) -> Computed:
    # Matthews DR et al., Diabetologia 1985;28:412-9: FPI[uIU/mL] x FPG[mg/dL] / 405.
    v = x["fasting_insulin"] * x["fasting_glucose"] / 405.0
    # Cutoff 2.5 is a commonly used, population-dependent threshold (Matthews 1985 reference 1.0).
    return Computed(v, categorize(v, [2.5], ["normal", "insulin_resistant"]))


register(Calculator(
    key="homa1_ir", organ="glucose_insulin", unit=None,
    requires=("fasting_glucose", "fasting_insulin"), compute=_homa1_ir,
    formula="HOMA1-IR = fasting insulin [uIU/mL] x fasting glucose [mg/dL] / 405",
    reference="Matthews DR et al. Diabetologia 1985;28:412-9",
    mechanism="Fasting insulin is high for the glucose it holds: the liver and muscle need more insulin than normal to keep glucose in range.",
    abnormal=frozenset({"insulin_resistant"}),
))
