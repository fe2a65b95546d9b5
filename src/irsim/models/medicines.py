"""Medicines acting through the progression model's own pathways (pure functions of state, parameters, inputs).

Each drug's exposure is an Emax occupancy of its dose, ``dose / (dose + ed50)``; each effect is a gain at full
occupancy on a pathway the model already has, behind a switch of :class:`~.progression.Mechanisms` so that
``irsim explain`` can attribute a drug's effect and a drug knocked out of its pathways does nothing:

* ``appetite``: GLP-1 and GIP receptor agonists lower energy intake by a share of maintenance intake; intake then
  rises again by ``appetite.feedback`` kcal/day per kg of drug-induced loss (Polidori 2016), so weight settles;
* ``incretin``: the same drugs raise the stimulated (glucose-dependent) responsivity of secretion;
* ``insulin_sensitizer``: pioglitazone raises adipose, hepatic and muscle insulin sensitivity and adds weight
  (subcutaneous fat and fluid) outside the energy balance;
* ``gip_adipose``: tirzepatide's GIP-receptor agonism raises adipose insulin sensitivity (less lipolysis, so less
  fatty acid reaches liver and muscle), beyond what its weight loss gives (its gain is fitted to 0 since v2.8:
  SURPASS-2's HOMA2-IR difference is tirzepatide's larger weight loss, docs/medicines.md);
* ``secretagogue``: sulfonylureas raise secretion at any glucose (the secretory mass knob) and wear capacity out;
* ``exogenous_insulin``: basal insulin adds insulin that reaches plasma without the first pass through the liver
  (its portal-equivalent secretion moves the fasting state; the day keeps its postprandial excess);
* ``glycosuria``: SGLT2 inhibitors lower the renal threshold for glucose; the glucose lost in urine is a sink at the
  fasting state (a factor on the glucose-production drive) and its calories enter the energy balance.

``usual_care`` adds the next of its steps at each check after diagnosis (yearly by default) while HbA1c is above
target or fasting glucose above the policy's limit.
Numbers and sources: parameters/data/medicines.yaml; equations: docs/medicines.md.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from .. import parameters as _parameters
from ..scenarios.schema import CARE_DRUGS
from ..solvers._jax import jnp

c = _parameters.lookup("medicines")

#: Pathway switches of the medicines (fields of Mechanisms after the organs'): label, what switching it off removes.
SWITCHES = {
    "appetite": ("appetite (GLP-1/GIP)", "the drug-induced fall in energy intake"),
    "incretin": ("incretin secretion (GLP-1/GIP)", "the drug-induced rise in glucose-stimulated insulin secretion"),
    "insulin_sensitizer": ("PPAR-gamma (pioglitazone)", "pioglitazone's insulin sensitisation and energy storage"),
    "gip_adipose": ("GIP receptor in adipose tissue (tirzepatide)", "tirzepatide's adipose insulin sensitisation "
                                                                    "beyond what its weight loss gives"),
    "secretagogue": ("K-ATP secretagogue (sulfonylurea)", "sulfonylurea-driven secretion and beta-cell wear"),
    "exogenous_insulin": ("exogenous insulin", "injected basal insulin"),
    "glycosuria": ("renal glucose threshold (SGLT2 inhibitor)", "glucose lost in urine below the untreated renal "
                                                                 "threshold and its calories, the restored "
                                                                 "tubuloglomerular feedback (less hyperfiltration) "
                                                                 "and the natriuretic fall of blood pressure"),
    "gluconeogenesis": ("hepatic gluconeogenesis (metformin)", "metformin's cut of gluconeogenesis above fasting "
                                                               "glucose 140 mg/dL and its gains in liver and muscle "
                                                               "insulin action"),
    "gdf15": ("GDF15 appetite (metformin)", "metformin's GDF15-mediated fall in energy intake"),
}

#: The pathways each intervention type acts through (``irsim explain`` adds them when a scenario holds the drug).
PATHWAYS_OF = {"semaglutide": ("appetite", "incretin"), "tirzepatide": ("appetite", "incretin", "gip_adipose"),
               "pioglitazone": ("insulin_sensitizer",), "sulfonylurea": ("secretagogue",),
               "basal_insulin": ("exogenous_insulin",), "sglt2_inhibitor": ("glycosuria",),
               "metformin": ("gluconeogenesis", "gdf15")}

#: Drugs ``usual_care`` can add, each with its field ``care_<drug>`` of :class:`~.progression.Inputs` (its step).
CARE_STEPS = CARE_DRUGS


def occupancy(dose, ed50):
    """Emax occupancy of a dose (0 at no drug, 1/2 at ed50)."""
    return dose / (dose + ed50)


class Exposure(NamedTuple):
    """Doses in effect this month: the scenario's plus those usual care has added (arrays of the batch shape)."""

    metformin: Any       # mg/day
    semaglutide: Any     # mg/week
    tirzepatide: Any     # mg/week
    pioglitazone: Any    # mg/day
    sulfonylurea: Any    # fraction of the drug's maximal licensed dose
    insulin_target: Any  # fasting glucose the basal insulin dose is titrated to, mg/dL (NaN: not titrated)
    insulin_fixed: Any   # fixed basal insulin dose, IU/day
    sglt2: Any           # SGLT2 inhibitor, fraction of the drug's maximal licensed dose


def care_on(u, s, drug: str):
    """Whether usual care has reached the step that adds ``drug``."""
    order = getattr(u, f"care_{drug}")
    return ~jnp.isnan(u.care_target) & (order > 0) & (s.care_step >= order)


def exposure(u, s) -> Exposure:
    def add(drug, dose):
        return jnp.where(care_on(u, s, drug), c(dose), 0.0)

    care_target = jnp.where(care_on(u, s, "basal_insulin"), c("usual_care.fasting_target"), jnp.nan)
    target = jnp.fmin(u.insulin_target, care_target)  # fmin: NaN where neither titrates
    return Exposure(
        metformin=u.metformin + add("metformin", "usual_care.metformin_mg"),
        semaglutide=u.semaglutide + add("semaglutide", "usual_care.semaglutide_mg"),
        tirzepatide=u.tirzepatide + jnp.zeros_like(s.care_step),
        pioglitazone=u.pioglitazone + add("pioglitazone", "usual_care.pioglitazone_mg"),
        sulfonylurea=u.sulfonylurea + add("sulfonylurea", "usual_care.sulfonylurea_fraction"),
        insulin_target=target + jnp.zeros_like(s.care_step),
        insulin_fixed=u.insulin + jnp.zeros_like(s.care_step),
        sglt2=u.sglt2 + add("sglt2_inhibitor", "usual_care.sglt2_fraction"))


# ------------------------------------------------------------------ effects on the model's pathways

def intake_reduction(x: Exposure, maintenance_kcal, diabetes, mech):
    """Fall in energy intake, kcal/day, before the body's feedback on intake (GLP-1 and GIP receptor agonists); in a
    person with diabetes (``diabetes`` 1) the share ``appetite.diabetes_response`` of it (an observed difference whose
    cause is not known: docs/medicines.md)."""
    share = (c("semaglutide.intake_max") * occupancy(x.semaglutide, c("semaglutide.ed50"))
             + c("tirzepatide.intake_max") * occupancy(x.tirzepatide, c("tirzepatide.ed50")))
    response = 1.0 - diabetes * (1.0 - c("appetite.diabetes_response"))
    return mech.appetite * share * response * maintenance_kcal


def stimulated_gain(x: Exposure, mech):
    """Multiplier of the stimulated responsivity of secretion (glucose-dependent: basal secretion is untouched)."""
    # tirzepatide: GLP-1 receptor agonism with semaglutide's gain; GIP adds little secretion in type 2 diabetes
    occ = occupancy(x.semaglutide, c("semaglutide.ed50")) + occupancy(x.tirzepatide, c("tirzepatide.ed50"))
    return 1.0 + mech.incretin * c("semaglutide.insulinotropic") * occ


def _su(x: Exposure, mech):
    return mech.secretagogue * occupancy(x.sulfonylurea, c("sulfonylurea.ed50"))


def _pio(x: Exposure, mech):
    return mech.insulin_sensitizer * occupancy(x.pioglitazone, c("pioglitazone.ed50"))


def metformin_occupancy(x: Exposure):
    """Metformin's Emax occupancy, the share every metformin effect scales with (ED50 progression.yaml
    ``sensitivity.metformin_ed50``)."""
    return occupancy(x.metformin, _parameters.lookup("progression")("sensitivity.metformin_ed50"))


def secretion_gain(x: Exposure, mech):
    """Multiplier of secretion at any glucose (sulfonylurea: the secretory mass knob, basal and stimulated)."""
    return 1.0 + c("sulfonylurea.secretion") * _su(x, mech)


def exhaustion(x: Exposure, mech):
    """Extra loss rate of beta-cell functional capacity, 1/year (sulfonylurea)."""
    return c("sulfonylurea.exhaustion") * _su(x, mech)


def sensitivity_gains(x: Exposure, mech):
    """Multipliers of (adipose, liver, muscle) insulin sensitivity: pioglitazone (PPAR-gamma) on all three,
    tirzepatide's GIP-receptor agonism on adipose tissue (liver and muscle then follow the lower fatty-acid flux)."""
    occ = _pio(x, mech)
    gip = mech.gip_adipose * occupancy(x.tirzepatide, c("tirzepatide.ed50"))
    tissue = 1.0 + c("pioglitazone.tissue") * occ
    return 1.0 + c("pioglitazone.adipose") * occ + c("tirzepatide.adipose") * gip, tissue, tissue


def hepatic_oxidation(x: Exposure, mech):
    """Multiplier (>= 1) of hepatic fatty-acid oxidation: pioglitazone raises adiponectin about threefold (Bajaj M et
    al. JCEM 2004;89:200-6), which activates hepatic AMPK and fatty-acid oxidation (Yamauchi T et al. Nat Med
    2002;8:1288-95); the liver's fat falls beyond what the lower fatty-acid flux does."""
    return 1.0 + c("pioglitazone.hepatic_oxidation") * _pio(x, mech)


def weight_offset(x: Exposure, mech):
    """Weight added outside the energy balance, kg (pioglitazone: subcutaneous fat and fluid, not visceral fat)."""
    return c("pioglitazone.weight_gain") * _pio(x, mech)


# ------------------------------------------------------------------ SGLT2 inhibitors (glycosuria)

@lru_cache(maxsize=1)
def untreated_threshold() -> float:
    """The fast model's own renal threshold for glucose, mg/dL (Dalla Man 2007 normal subject: ke2 / VG)."""
    from .meal import table

    v = table("normal").values
    return v["ke2"] / v["VG"]


def sglt2_occupancy(x: Exposure):
    """SGLT2-inhibitor occupancy (Emax in the share of the maximal dose; 0 without the drug)."""
    return occupancy(x.sglt2, c("sglt2.ed50"))


def renal_threshold(x: Exposure, mech):
    """Renal threshold for glucose, mg/dL: the untreated one lowered towards ``sglt2.threshold_min`` by the drug's
    occupancy."""
    rt0 = untreated_threshold()
    occ = mech.glycosuria * sglt2_occupancy(x)
    return rt0 - (rt0 - c("sglt2.threshold_min")) * occ


def filtration_rel(filtration):
    """The kidney's filtration capacity relative to ``sglt2.egfr_reference`` (NaN, no kidney state: 1)."""
    rel = jnp.maximum(jnp.nan_to_num(filtration), 0.0) / c("sglt2.egfr_reference")
    return jnp.where(jnp.isnan(filtration), 1.0, rel)


def _excretion_slope(filtration):
    """Slope of the renal threshold line, dL/min: ``sglt2.excretion_slope`` (mL/min) scaled by filtration."""
    return c("sglt2.excretion_slope") / 100.0 * filtration_rel(filtration)


def glycosuria(x: Exposure, glucose_mg_dl, filtration, mech):
    """Glucose lost in urine because of the drug, mg/min, at plasma glucose ``glucose``: the threshold line shifted
    down, its slope kept, ``slope x filtration x [(G - RT)+ - (G - RT0)+]`` (above the untreated threshold RT0 the
    meal model's own renal term carries the rest). Non-decreasing in ``G``; 0 without the drug or its pathway."""
    rt, rt0 = renal_threshold(x, mech), untreated_threshold()
    excess = jnp.maximum(glucose_mg_dl - rt, 0.0) - jnp.maximum(glucose_mg_dl - rt0, 0.0)
    return _excretion_slope(filtration) * excess  # dL/min x mg/dL


def untreated_glycosuria(glucose_mg_dl, filtration):
    """Glucose lost in urine without the drug, mg/min: the same threshold line above the untreated threshold RT0,
    ``slope x filtration x (G - RT0)+`` (its calories are the energy hyperglycaemia wastes; progression.weight_update)."""
    return _excretion_slope(filtration) * jnp.maximum(glucose_mg_dl - untreated_threshold(), 0.0)


def gluconeogenic_sink(x: Exposure, fpg_mg_dl, mech):
    """Glucose production metformin removes at fasting glucose ``G``, mg/kg/min, a sink like urinary glucose: a share
    ``metformin.excess_inhibition`` (full occupancy) of the excess production, the reference subject's basal
    production times ``G / G_t - 1`` above ``G_t = metformin.excess_threshold`` (DeFronzo 1988; Hundal 2000). None
    at or below the threshold (or with the ``gluconeogenesis`` pathway knocked out); non-decreasing in ``G``."""
    excess = jnp.maximum(fpg_mg_dl / c("metformin.excess_threshold") - 1.0, 0.0) * _meal_reference().egp
    return c("metformin.excess_inhibition") * mech.gluconeogenesis * metformin_occupancy(x) * excess


def egp_factor(sink_mg_kg_min, drive_mg_kg_min):
    """Factor on the glucose-production drive equivalent to a glucose sink at the fasting state: ``1 - sink / drive``
    (exact at the fixed point, where production and disposal balance), floored at the fasting table's edge."""
    from .meal_surrogate import KNOB_RANGE

    return jnp.maximum(1.0 - sink_mg_kg_min / drive_mg_kg_min, KNOB_RANGE["egp"][0])


# ------------------------------------------------------------------ basal insulin

class _Reference(NamedTuple):
    secretion: float    # basal secretion, pmol/kg/min
    extraction: float   # basal hepatic insulin extraction
    glucose: float      # fasting glucose, mg/dL
    egp: float          # basal glucose production, mg/kg/min


@lru_cache(maxsize=1)
def _meal_reference() -> _Reference:
    """The reference (Dalla Man normal) subject's basal state."""
    from . import meal
    from ..solvers._jax import jax

    with jax.ensure_compile_time_eval():  # may first be called while a model is traced
        p = meal.subject("normal")
        return _Reference(float(p.Sb), float(p.HEb), float(p.Gb), float(p.EGPb))


def insulin_dose(u, s, x: Exposure):
    """Basal insulin dose in effect this month, IU/day: the titrated state where titrated, else the fixed dose."""
    return jnp.where(jnp.isnan(x.insulin_target), x.insulin_fixed, s.insulin_dose)


def hypoglycaemia_hazard(x: Exposure, dose, mech):
    """Annual hazard of substantive hypoglycaemia (UKPDS grades 2-4) from the drugs that raise insulin whatever the
    glucose: a sulfonylurea by its occupancy, basal insulin (``dose``, IU/day) while in use. No glycaemia term: within
    a treatment the risk hardly changes with HbA1c (Lipska 2013; medicines.yaml ``hypoglycaemia``)."""
    return (c("hypoglycaemia.sulfonylurea") * _su(x, mech)
            + c("hypoglycaemia.basal_insulin") * mech.exogenous_insulin * (dose > 0.0))


def mass_equivalent(dose, weight, fpg_mg_dl, mech):
    """Increment of the fast model's secretory mass knob whose basal secretion at fasting glucose ``fpg`` equals the
    dose's insulin reaching plasma, whatever the glucose (read at the treated fasting glucose, the root that
    :func:`irsim.models.progression.with_fasting_secretion` solves for: the knob rises as glucose falls), at no less
    than ``insulin.counterregulation_glucose``: the fasting table has no counter-regulation, which below it stands
    against a further fall. Subcutaneous insulin reaches plasma without hepatic extraction, so its portal-equivalent secretion is
    ``dose x bioavailability / (1 - HE)``; basal secretion per unit of mass knob is ``Sb0 s(G)/s(Gb0)`` (the meal model's
    Topp shape, :func:`irsim.models.meal._secretion_shape`)."""
    from .meal import _secretion_shape

    sb0, he, gb0, _ = _meal_reference()
    rate = mech.exogenous_insulin * dose * c("insulin.pmol_per_unit") * c("insulin.bioavailability") / 1440.0 / weight
    g = jnp.maximum(fpg_mg_dl, c("insulin.counterregulation_glucose"))
    return rate / (1.0 - he) / (sb0 * _secretion_shape(g) / _secretion_shape(gb0))


def incretin_mass_increment(mass_knob, incretin_gain, fpg_mg_dl):
    """Increment of the secretory mass knob for the fasting state under incretin drugs, at fasting glucose ``fpg``:
    they potentiate glucose-stimulated secretion at fasting glucose too, so the part of basal secretion above the
    reference subject's (the Topp shape's ``1 - s(Gb0)/s(G)``: 0 at or below normal fasting glucose, hence no
    hypoglycaemia) is multiplied by the stimulated responsivity's gain (``incretin_gain``: gain - 1)."""
    from .meal import _secretion_shape

    gb0 = _meal_reference().glucose
    return mass_knob * incretin_gain * jnp.maximum(1.0 - _secretion_shape(gb0) / _secretion_shape(fpg_mg_dl), 0.0)


def titrate(dose, fpg_mg_dl, target, weight, dt, elasticity, share):
    """Next step's titrated dose: start at ``insulin.start_units``; then close ``insulin.titration_rate`` of the log
    gap between fasting glucose and its target per month (compounded for other steps) by a Newton step through the
    treated fasting glucose's ``elasticity`` to the dose (the loop gain is the rate whatever the shape of the dose
    response). The elasticity grows with insulin's ``share`` of the secretory knob, ``w = D / (D + k)`` in dose
    units, so the step is taken in ``ln(D + k)``, along which log glucose is straight while the rest of the knob
    holds. Raised by at most ``insulin.max_increase_per_week`` and lowered by at most half per month, up to
    ``insulin.max_units_per_kg`` x weight."""
    months = dt * 12.0
    closed = 1.0 - (1.0 - c("insulin.titration_rate")) ** months
    w = jnp.clip(share, 1e-3, 1.0)
    slope = jnp.minimum(elasticity / w, -c("insulin.min_dose_elasticity"))
    factor = jnp.exp(closed * jnp.log(fpg_mg_dl / target) / -slope)  # on D + k = D / w
    up = dose + c("insulin.max_increase_per_week") * dt * 365.25 / 7.0
    down = dose * 0.5 ** months
    nxt = jnp.where(dose > 0, jnp.clip(dose * (factor - (1.0 - w)) / w, down, up), c("insulin.start_units"))
    return jnp.minimum(nxt, c("insulin.max_units_per_kg") * weight)
