"""Validation protocols of the organ modules (liver, lipids, kidney, hormones, vessels): virtual populations, the
progression run with organs, and the measurement of the ``validation/targets.yaml`` rows named ``liv_*``,
``lip_*``, ``kid_*``, ``hor_*`` and ``ves_*``. Registered into :data:`irsim.validation.protocol.PROTOCOLS`.

Nothing here changes the model: protocols set the population, scenario and follow-up and measure outputs.
"""

from __future__ import annotations

import numpy as np

from ..models import organs as om
from ..scenarios.schema import Scenario
from .protocol import Cohorts, Protocol, StudyResult, column, nanmean, register

#: People with type 2 diabetes as in the NAFLD-in-T2D meta-analysis (Younossi 2019: age 58.5, BMI 27.9): the
#: DPP population's spread, re-centred (overrides of ``populations.yaml`` dpp), fasting glucose in the diabetic range.
T2D_OVERRIDES = {"age_mean": 58.5, "age_sd": 9.0, "age_min": 35.0, "age_max": 80.0, "bmi_mean": 28.5, "bmi_sd": 4.5,
                 "bmi_min": 20.0, "bmi_max": 45.0, "glucose_mean": 150.0, "glucose_sd": 22.0, "glucose_min": 127.0,
                 "glucose_max": 230.0, "female_share": 0.45, "insulin_median": 12.0}
NAFLD = om.EVENTS["nafld"]["threshold"]
FREE_T_LOW = 0.225     # nmol/L (6.5 ng/dL): lower limit of calculated free T used by Dhindsa and Dandona
NASH = om.EVENTS["nash"]["threshold"]
FIB_YEARS = 6          # paired-biopsy follow-up of the Singh 2015 cohorts (mean ~6.6 y)
SLOPE_YEARS = 10
WEIGHT_LOSS = Scenario.parse({"name": "vitola_weight_loss", "description": "8 % weight loss over 3 months",
                              "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 8,
                                                 "over_months": 3, "then": "maintain"}]})


def _share(mask, within) -> float:
    k = int(within.sum())
    return float(np.mean(mask[within])) if k else float("nan")


def liver(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("organs_liver")
    gen = cohorts.run("whitehall_ii", n, FIB_YEARS)
    t2d_out = cohorts.run("dpp", n, FIB_YEARS, overrides=T2D_OVERRIDES)
    fat, fat_t2d = column(gen, "liver_fat_percent"), column(t2d_out, "liver_fat_percent")
    t2d = column(t2d_out, "glycemic_status")[0] == 4
    res.set("liv_nafld_general", 100.0 * float(np.mean(fat[0] >= NAFLD)))
    res.set("liv_nafld_t2d", 100.0 * _share(fat_t2d[0] >= NAFLD, t2d))
    res.set("liv_nash_t2d", 100.0 * _share(column(t2d_out, "nash_activity")[0] >= NASH, t2d))
    rates, groups = [], {}
    for out in (gen, t2d_out):
        f, nas, st = column(out, "liver_fat_percent")[0], column(out, "nash_activity")[0], column(out, "fibrosis_stage")
        rate = (st[FIB_YEARS] - st[0]) / FIB_YEARS
        rates.append((rate, (f >= NAFLD) & (nas < NASH) & (st[0] < 1.0), (nas >= NASH) & (st[0] < 1.0)))
    rate = np.concatenate([r[0] for r in rates])
    for name, k in (("nafl", 1), ("nash", 2)):
        mask = np.concatenate([r[k] for r in rates])
        groups[name] = int(mask.sum())
        res.set(f"liv_fib_{name}", float(rate[mask].mean()) if mask.any() else None, f"no {name.upper()} at F0")
    wl = cohorts.run("dpp", n, 0.5, WEIGHT_LOSS, step="month")
    base_fat = column(wl, "liver_fat_percent")
    obese = base_fat[0] >= NAFLD
    change = 100.0 * (base_fat[3] / base_fat[0] - 1.0)  # at the end of the weight loss, when the study measured
    res.set("liv_fat_weight_loss", float(nanmean(change[obese])) if obese.any() else None)
    res.counts.update(persons=n, t2d=int(t2d.sum()), nafl_f0=groups["nafl"], nash_f0=groups["nash"],
                      weight_loss_nafld=int(obese.sum()))
    res.notes.append(f"median liver fat {np.median(fat[0]):.1f} % (general) and {np.median(fat_t2d[0][t2d]):.1f} % "
                     "(T2D) at year 0.")
    res.data.update(liver_fat_general=fat[0], liver_fat_t2d=fat_t2d[0][t2d], weight_loss_change=change[obese])
    return res


def lipids(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    """McLaughlin 2003: overweight (BMI >= 25) non-diabetic volunteers, here those of the general-population
    (Whitehall-like) cohort, not the DPP's IGT trial population; insulin resistance = the top tertile of resistance
    (here the lowest tertile of muscle insulin sensitivity, the model's clamp-like measure)."""
    res = StudyResult("organs_lipids")
    out = cohorts.run("whitehall_ii", n, 1)
    si, tg, hdl = (column(out, c)[0] for c in ("muscle_insulin_sensitivity_rel", "triglycerides_mg_dl", "hdl_mg_dl"))
    keep = (column(out, "bmi")[0] >= 25.0) & (column(out, "glycemic_status")[0] != 4)
    ir = si <= np.quantile(si[keep], 1.0 / 3.0)
    for tid, pos in (("lip_tg130", tg >= 130.0), ("lip_tghdl3", tg / hdl >= 3.0)):
        res.set(f"{tid}_sensitivity", _share(pos, keep & ir))
        res.set(f"{tid}_specificity", 1.0 - _share(pos, keep & ~ir))
    res.counts.update(persons=n, overweight_non_diabetic=int(keep.sum()), insulin_resistant=int((keep & ir).sum()))
    res.notes.append(f"median TG {np.median(tg[keep & ir]):.0f} (insulin resistant) vs {np.median(tg[keep & ~ir]):.0f} "
                     "mg/dL (rest); TG and HDL also vary between persons beyond insulin resistance (organs.yaml heterogeneity).")
    res.data.update(tg=tg[keep], hdl=hdl[keep], insulin_resistant=ir[keep])
    return res


def kidney(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("organs_kidney")
    gen = cohorts.run("whitehall_ii", n, SLOPE_YEARS)
    t2d_out = cohorts.run("dpp", n, SLOPE_YEARS, overrides=T2D_OVERRIDES)
    egfr = column(gen, "egfr_ml_min")
    healthy = ((column(gen, "glycemic_status") == 0).all(axis=0) & (column(gen, "bmi")[0] < 30.0)
               & (column(gen, "systolic_bp_mmhg") < 140.0).all(axis=0))
    slope = (egfr[SLOPE_YEARS] - egfr[0]) / SLOPE_YEARS
    res.set("kid_slope_healthy", float(slope[healthy].mean()) if healthy.any() else None)
    e2 = column(t2d_out, "egfr_ml_min")
    t2d = column(t2d_out, "glycemic_status")[0] == 4
    res.set("kid_slope_t2d", float(((e2[SLOPE_YEARS] - e2[0]) / SLOPE_YEARS)[t2d].mean()) if t2d.any() else None)
    res.set("kid_hyperfiltration_t2d", 100.0 * _share(e2[0] >= 120.0, t2d))
    res.counts.update(persons=n, healthy=int(healthy.sum()), t2d=int(t2d.sum()))
    res.notes.append(f"median eGFR at year 0 {np.median(e2[0][t2d]):.0f} mL/min/1.73m2 in the T2D cohort (no "
                     "creatinine: the age default capacity x the person's nephron endowment x glucose and obesity "
                     "hyperfiltration).")
    res.data.update(slope_healthy=slope[healthy], egfr_t2d=e2[:, t2d])
    return res


def hormones(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    """Dhindsa: low = calculated free testosterone (Vermeulen 1999 from total T, SHBG and albumin) below the
    lower limit of normal, 0.225 nmol/L (6.5 ng/dL); albumin not modelled: the calculator's default 4.3 g/dL."""
    from ..assessment.hormones import ALBUMIN_DEFAULT, free_testosterone

    res = StudyResult("organs_hormones")
    out = cohorts.run("dpp", n, 1, overrides=T2D_OVERRIDES)
    men = np.asarray(cohorts.start("dpp", n, T2D_OVERRIDES).params.female) < 0.5
    t2d_men = men & (column(out, "glycemic_status")[0] == 4)
    tt, shbg = column(out, "testosterone_nmol_l")[0], column(out, "shbg_nmol_l")[0]
    ft = free_testosterone(tt, shbg, np.full_like(tt, ALBUMIN_DEFAULT))
    res.set("hor_low_t_t2d_men", 100.0 * _share(ft < FREE_T_LOW, t2d_men))
    res.counts.update(persons=n, t2d_men=int(t2d_men.sum()))
    res.notes.append(f"median total testosterone {np.median(tt[t2d_men]):.1f} nmol/L, calculated free testosterone "
                     f"{1000 * np.median(ft[t2d_men]):.0f} pmol/L in men with T2D; total T < 10.4 nmol/L in "
                     f"{100 * _share(tt < 10.4, t2d_men):.0f} %.")
    res.data.update(testosterone=tt[t2d_men], free_testosterone=ft[t2d_men])
    return res


def vessels(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    """Model 10-year MI + stroke risk against PREVENT ASCVD evaluated on the model's own year-0 values."""
    from ..assessment.formulas import prevent_risk, prevent_terms

    res = StudyResult("organs_vessels")
    out = cohorts.run("whitehall_ii", n, 10)
    st = cohorts.start("whitehall_ii", n)
    age = column(out, "age")[0]
    ok = (age >= 30) & (age <= 79)
    y0 = {c: column(out, c)[0] for c in ("hdl_mg_dl", "non_hdl_mg_dl", "systolic_bp_mmhg", "egfr_ml_min")}
    zeros = np.zeros_like(age)
    dm = (column(out, "glycemic_status")[0] == 4).astype(float)
    terms = prevent_terms(age, y0["non_hdl_mg_dl"] + y0["hdl_mg_dl"], y0["hdl_mg_dl"], y0["systolic_bp_mmhg"], dm,
                          zeros, zeros, zeros, y0["egfr_ml_min"], np.full_like(age, 25.0))
    prevent = prevent_risk("ascvd", np.asarray(st.params.female), terms) / 100.0
    model = 1.0 - np.exp(-column(out, "cvd_events_expected")[10])
    res.set("ves_prevent_ratio", float(np.median(model[ok] / prevent[ok])))
    res.counts.update(persons=n, in_prevent_range=int(ok.sum()))
    ratio = model[ok] / prevent[ok]
    res.notes.append(f"ratio 5th-95th percentile {np.percentile(ratio, 5):.2f}-{np.percentile(ratio, 95):.2f}.")
    res.data.update(model=model[ok], prevent=prevent[ok])
    return res


PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    Protocol("organs_liver", "Liver: NAFLD, NASH, fibrosis progression, liver fat with weight loss", "whitehall_ii",
             ("liv_nafld_general", "liv_nafld_t2d", "liv_nash_t2d", "liv_fib_nafl", "liv_fib_nash",
              "liv_fat_weight_loss"),
             "Prevalence at year 0: NAFLD = liver fat >= 5.56 % (Szczepaniak 2005), NASH = NAS >= 5, in the "
             "Whitehall-like cohort ({n} persons) and in a T2D cohort ({n} persons of the `dpp` population re-centred "
             "to the meta-analysis: age 58.5, BMI 28.5, fasting glucose 127-230 mg/dL; counted among those the model "
             f"classes T2D). Fibrosis: mean change of the expected stage over {FIB_YEARS} years in persons at F0-F1 "
             "with NAFL (steatosis, NAS < 5) or NASH at year 0, both cohorts pooled. Weight loss: persons with NAFLD "
             "in the `dpp` cohort lose 8 % of weight over 3 months (Vitola 2009), liver fat change at the end of the loss (3 months).",
             liver, ("Younossi", "Szczepaniak", "Le 2023")),
    Protocol("organs_lipids", "Lipids: TG and TG/HDL-C as markers of insulin resistance (McLaughlin 2003)",
             "whitehall_ii",
             ("lip_tg130_sensitivity", "lip_tg130_specificity", "lip_tghdl3_sensitivity", "lip_tghdl3_specificity"),
             "Overweight (BMI >= 25) non-diabetic persons of the Whitehall-like cohort ({n} persons; the study's "
             "community volunteers, not an IGT trial population) at year 0; insulin "
             "resistant = lowest tertile of muscle insulin sensitivity (the study: top tertile of SSPG). Sensitivity "
             "and specificity of TG >= 130 mg/dL and of TG/HDL-C >= 3.0 (mg/dL ratio).",
             lipids, ("NHANES order",)),
    Protocol("organs_kidney", "Kidney: eGFR slopes and hyperfiltration", "whitehall_ii",
             ("kid_slope_healthy", "kid_slope_t2d", "kid_hyperfiltration_t2d"),
             f"Mean eGFR change per year over {SLOPE_YEARS} years: healthy = Whitehall-like persons ({{n}}) who stay "
             "NGT with BMI < 30 and SBP < 140 throughout; T2D = the T2D cohort of the liver protocol. Hyperfiltration: "
             "share of the T2D cohort with eGFR >= 120 mL/min/1.73m2 at year 0 (the study measured GFR by iohexol).",
             kidney, ("Cohen", "Zoppini", "Melsom")),
    Protocol("organs_hormones", "Hormones: low testosterone in men with T2D", "dpp", ("hor_low_t_t2d_men",),
             "Men of the T2D cohort ({n} persons) at year 0; low = calculated free testosterone (Vermeulen 1999, "
             "albumin 4.3 g/dL) < 0.225 nmol/L (6.5 ng/dL), as the source defined it (not total T).",
             hormones, ("Pitteloud",)),
    Protocol("organs_vessels", "Vessels: 10-year MI + stroke risk against PREVENT", "whitehall_ii",
             ("ves_prevent_ratio",),
             "Whitehall-like cohort ({n} persons) aged 30-79: median ratio of the model's 10-year MI + stroke risk "
             "(1 - exp(-cumulative hazard), no competing death) to PREVENT ASCVD at the model's year-0 values "
             "(non-smokers, untreated).",
             vessels, ("PREVENT",)),
)}


def plot(plt, r: StudyResult):
    """Histograms of the 1-D arrays a protocol kept (one panel each)."""
    arrays = [(k, np.asarray(v, float).ravel()) for k, v in r.data.items() if np.asarray(v).ndim == 1][:3]
    fig, axes = plt.subplots(1, max(len(arrays), 1), figsize=(4 * max(len(arrays), 1), 3), squeeze=False)
    for ax, (name, v) in zip(axes[0], arrays):
        ax.hist(v[np.isfinite(v)], bins=30)
        ax.set_title(name.replace("_", " "), fontsize=9)
    return fig


PLOTTERS = {name: plot for name in PROTOCOLS}
register(*PROTOCOLS.values())
