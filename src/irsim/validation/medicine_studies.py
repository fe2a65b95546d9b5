"""Validation protocols of the medicines (docs/medicines.md): mechanism studies and trials, run as the trials ran
them (populations in parameters/data/populations.yaml, dose escalation, arms compared with their placebo or active
comparator on the same virtual persons). Registered into :data:`irsim.validation.studies.PROTOCOLS`.

Calibration studies (their sources name them in parameters/data/medicines.yaml): Kapitza 2017, STEP 2, SURPASS-2,
Bajaj 2003, ADOPT and the SGLT2-inhibitor urinary glucose meta-analysis (Front Endocrinol 2021). The rest are held
out. Nothing here changes the model.
"""

from __future__ import annotations

import math

import numpy as np

from ..scenarios.schema import BASELINE, Scenario
from .protocol import (MGDL, Cohorts, Protocol, StudyResult, column, event_times_at_visits, homa2_of, incidence, nanmean,
                       register)
from .reversal_studies import WEEK, first_phase
from .studies import ACTNOW_YEARS, DPP_YEARS, dpp_screen

#: Dose escalations as the trials gave them: a dose every 4 weeks up to the maintenance dose.
SEMAGLUTIDE_STEPS = (0.25, 0.5, 1.0, 1.7, 2.4)
TIRZEPATIDE_STEPS = (2.5, 5.0, 7.5, 10.0, 12.5, 15.0)


def _scenario(name: str, *interventions: dict) -> Scenario:
    return Scenario.parse({"name": name, "interventions": list(interventions)})


def escalated(drug: str, steps: tuple[float, ...], dose: float, stop_year: float | None = None, *extra: dict) -> Scenario:
    """``drug`` (mg/week) escalated every 4 weeks through ``steps`` up to ``dose``, kept until ``stop_year`` (which
    may fall during the escalation: the drug is then stopped at the dose reached)."""
    doses = [d for d in steps if d < dose] + [dose]
    last = math.inf if stop_year is None else stop_year
    entries = []
    for i, d in enumerate(doses):
        start = i * 4 * WEEK
        if start >= last:
            break
        stop = min(last, (i + 1) * 4 * WEEK if i < len(doses) - 1 else math.inf)
        entries.append({"type": drug, "start_year": start, "mg_per_week": d}
                       | ({"stop_year": stop} if math.isfinite(stop) else {}))
    return _scenario(f"{drug}_{dose:g}" + (f"_stop{stop_year:.2f}" if stop_year else ""), *entries, *extra)


def _mean_at(out: np.ndarray, name: str, k: int) -> float:
    return float(nanmean(column(out, name)[k]))


def _weight_pct(out: np.ndarray, k: int, base: np.ndarray) -> float:
    """Mean % change of weight at record ``k`` from each person's baseline weight."""
    return 100.0 * float(nanmean(column(out, "weight_kg")[k] / base - 1.0))


def _curves(res: StudyResult, runs: dict[str, np.ndarray], name: str, label: str, change: bool = False) -> None:
    """Keep each arm's mean ``name`` over time for the report's plot (``change``: % change from the first arm's
    baseline, person by person)."""
    first = next(iter(runs.values()))
    res.data["weeks"] = column(first, "year")[:, 0] * 365.25 / 7.0
    res.data["ylabel"] = label
    base = column(first, name)[0]
    for arm, out in runs.items():
        v = column(out, name)
        res.data[arm] = nanmean(100.0 * (v / base - 1.0) if change else v, axis=1)


def _plot_arms(plt, r: StudyResult):
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for arm, v in r.data.items():
        if arm not in ("weeks", "ylabel"):
            ax.plot(r.data["weeks"], v, label=arm)
    ax.set_xlabel("weeks")
    ax.set_ylabel(r.data["ylabel"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(PROTOCOLS[r.name].title, fontsize=10)
    return fig


def semaglutide_mechanism(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("semaglutide_mechanism")
    years = 12 * WEEK
    pla = cohorts.run("kapitza_t2d", n, years, BASELINE, step="week")
    sema = cohorts.run("kapitza_t2d", n, years, escalated("semaglutide", SEMAGLUTIDE_STEPS, 1.0), step="week")
    k = pla.shape[0] - 1
    ratio = float(nanmean(first_phase(sema, k)) / nanmean(first_phase(pla, k)))
    res.set("med_sema_first_phase", ratio)
    _curves(res, {"placebo": pla, "semaglutide 1.0 mg": sema}, "hba1c_percent", "mean HbA1c (%)")
    res.counts.update(persons=n)
    res.notes.append(f"First-phase secretion at week 12, semaglutide over placebo: {ratio:.2f}; HbA1c "
                     f"{_mean_at(pla, 'hba1c_percent', k):.2f} vs {_mean_at(sema, 'hba1c_percent', k):.2f} %.")
    return res


def _dose_trial(name: str, cohorts: Cohorts, population: str, n: int, weeks: int, drug: str, steps: tuple[float, ...],
                doses: dict[str, float]) -> tuple[StudyResult, dict[str, np.ndarray], int]:
    """Escalated doses of ``drug`` vs placebo on the same persons, weekly steps (the placebo arm first); sets the rows
    ``med_<name>_hba1c_<tag>`` and ``med_<name>_weight_<tag>`` of each dose: the arm minus placebo at the last week."""
    res = StudyResult(name)
    pla = cohorts.run(population, n, weeks * WEEK, BASELINE, step="week")
    runs = {"placebo": pla, **{f"{drug} {dose:g} mg": cohorts.run(population, n, weeks * WEEK, escalated(
        drug, steps, dose), step="week") for dose in doses.values()}}
    k = pla.shape[0] - 1
    for tag, dose in doses.items():
        for row, column_name in (("hba1c", "hba1c_percent"), ("weight", "weight_kg")):
            res.set(f"med_{name}_{row}_{tag}", _vs_placebo(runs, f"{drug} {dose:g} mg", column_name, k))
    _curves(res, runs, "hba1c_percent", "mean HbA1c (%)")
    res.counts.update(persons=n)
    res.notes.append(f"Placebo arm: HbA1c {_mean_at(pla, 'hba1c_percent', 0):.2f} -> {_mean_at(pla, 'hba1c_percent', k):.2f} "
                     f"%, weight {_mean_at(pla, 'weight_kg', 0):.1f} -> {_mean_at(pla, 'weight_kg', k):.1f} kg (no lifestyle "
                     "advice modelled: trial arms are compared with each other).")
    return res, runs, k


def _vs_placebo(runs: dict[str, np.ndarray], arm: str, name: str, k: int) -> float:
    """Mean of ``name`` at record ``k``, the arm minus placebo (the same persons)."""
    return float(nanmean(column(runs[arm], name)[k] - column(runs["placebo"], name)[k]))


def sustain1(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res, _, _ = _dose_trial("sustain1", cohorts, "sustain1_t2d", n, 30, "semaglutide", SEMAGLUTIDE_STEPS,
                            {"05": 0.5, "10": 1.0})
    return res


def surpass1(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res, runs, k = _dose_trial("surpass1", cohorts, "surpass1_t2d", n, 40, "tirzepatide", TIRZEPATIDE_STEPS,
                               {"5": 5.0, "15": 15.0})
    res.set("med_surpass1_fpg_15", MGDL * _vs_placebo(runs, "tirzepatide 15 mg", "fasting_glucose_mmol_l", k))
    return res


def _weight_trial(cohorts: Cohorts, population: str, n: int, weeks: int, arms: dict[str, Scenario], comparator: str):
    """% weight change at the last week of each arm minus the comparator's, on the same persons."""
    runs = {name: cohorts.run(population, n, weeks * WEEK, sc, step="week") for name, sc in arms.items()}
    base = column(runs[comparator], "weight_kg")[0]
    k = runs[comparator].shape[0] - 1
    change = {name: _weight_pct(out, k, base) for name, out in runs.items()}
    return runs, change


def _weight_study(name: str, cohorts: Cohorts, population: str, n: int, weeks: int, arms: dict[str, Scenario],
                  comparator: str):
    res = StudyResult(name)
    runs, change = _weight_trial(cohorts, population, n, weeks, arms, comparator)
    _curves(res, {comparator: runs[comparator], **{a: o for a, o in runs.items() if a != comparator}}, "weight_kg",
            "mean weight change (%)", change=True)
    res.counts.update(persons=n)
    return res, runs, change


def step2(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res, _, ch = _weight_study("step2", cohorts, "step2_t2d", n, 68, {"placebo": BASELINE, "sema": escalated(
        "semaglutide", SEMAGLUTIDE_STEPS, 2.4)}, "placebo")
    res.set("med_step2_weight", ch["sema"] - ch["placebo"])
    res.notes.append(f"Weight change at week 68: semaglutide 2.4 mg {ch['sema']:+.1f} %, placebo {ch['placebo']:+.1f} %.")
    return res


STEP1_STOP_WEEK = 68
STEP1_END_WEEK = 120


def step1(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    stop = STEP1_STOP_WEEK * WEEK
    res, runs, _ = _weight_study("step1", cohorts, "step1_obese", n, STEP1_END_WEEK, {"placebo": BASELINE, "sema": escalated(
        "semaglutide", SEMAGLUTIDE_STEPS, 2.4, stop)}, "placebo")
    base = column(runs["placebo"], "weight_kg")[0]
    at68 = {a: _weight_pct(out, STEP1_STOP_WEEK, base) for a, out in runs.items()}
    at120 = _weight_pct(runs["sema"], STEP1_END_WEEK, base)
    res.set("med_step1_weight", at68["sema"] - at68["placebo"])
    res.set("med_step1_regain_share", (at120 - at68["sema"]) / -at68["sema"] if at68["sema"] < 0 else np.nan,
            "no weight lost by week 68")
    res.set("med_step1_net_week120", at120)
    res.notes.append(f"Semaglutide arm: {at68['sema']:+.1f} % at week 68, {at120:+.1f} % at week 120 (stopped at week 68); "
                     f"placebo {at68['placebo']:+.1f} % at week 68.")
    return res


def _homa2_ir_change(out: np.ndarray, k: int, ir0: np.ndarray) -> float:
    """% change of the geometric mean HOMA2-IR (Oxford calculator grid) at record ``k`` from the same persons' ``ir0``
    at year 0 of a run without the drug (a drug's record 0 already carries its first week)."""
    return 100.0 * (float(np.exp(nanmean(np.log(homa2_of(out[k:k + 1]).ir[0] / ir0)))) - 1.0)


def surpass2(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("surpass2")
    years = 40 * WEEK
    base = cohorts.run("surpass2_t2d", n, years, BASELINE, step="week")
    sema = cohorts.run("surpass2_t2d", n, years, escalated("semaglutide", SEMAGLUTIDE_STEPS, 1.0), step="week")
    tirz = cohorts.run("surpass2_t2d", n, years, escalated("tirzepatide", TIRZEPATIDE_STEPS, 15.0), step="week")
    k = sema.shape[0] - 1
    res.set("med_surpass2_weight_15", float(nanmean(column(tirz, "weight_kg")[k] - column(sema, "weight_kg")[k])))
    ir0 = homa2_of(base[:1]).ir[0]
    ir_sema, ir_tirz = _homa2_ir_change(sema, k, ir0), _homa2_ir_change(tirz, k, ir0)
    res.set("med_surpass2_homa2ir_15", ir_tirz - ir_sema)
    _curves(res, {"semaglutide 1 mg": sema, "tirzepatide 15 mg": tirz}, "hba1c_percent", "mean HbA1c (%)")
    res.counts.update(persons=n)
    res.notes.append(f"Week 40: HbA1c {_mean_at(sema, 'hba1c_percent', k):.2f} (semaglutide 1 mg) vs "
                     f"{_mean_at(tirz, 'hba1c_percent', k):.2f} % (tirzepatide 15 mg), from "
                     f"{_mean_at(base, 'hba1c_percent', 0):.2f} % (published -1.86 and -2.30 %-points from 8.28); HOMA2-IR "
                     f"{ir_sema:+.1f} vs {ir_tirz:+.1f} % (published -5.1 and -24.0 %, Frias 2024).")
    return res


#: Share of each tirzepatide arm (mg/week) that stopped the drug for good during SURMOUNT-1's 72 weeks (placebo 26.4 %,
#: nothing to stop in the model): Zepbound (tirzepatide) prescribing information, section 14.1. When they stopped was
#: not found; the protocol spreads the stops evenly over the trial.
SURMOUNT1_WEEKS = 72
SURMOUNT1_DISCONTINUED = {5.0: 0.143, 10.0: 0.164, 15.0: 0.151}
#: Stop times of the discontinuing share: the midpoints of this many equal spans of the trial.
DISCONTINUATION_SPANS = 4


def _with_discontinuation(runs: dict[str, np.ndarray], kept: str, stopped: list[str], share: float, k: int,
                          base: np.ndarray) -> float:
    """Mean % weight change at record ``k`` over the trial's treatment discontinuation (the treatment-policy estimand:
    every randomised person, on the drug or not): ``1 - share`` of the persons keep the drug (arm ``kept``), the rest
    stop it at each of the times of the ``stopped`` arms in equal parts; the expectation over the same virtual persons,
    so the mix adds no sampling noise."""
    stops = [_weight_pct(runs[a], k, base) for a in stopped]
    return (1.0 - share) * _weight_pct(runs[kept], k, base) + share * float(np.mean(stops))


def surmount1(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    weeks, doses = SURMOUNT1_WEEKS, tuple(SURMOUNT1_DISCONTINUED)
    stops = [(i + 0.5) * weeks / DISCONTINUATION_SPANS for i in range(DISCONTINUATION_SPANS)]
    arms = {"placebo": BASELINE, **{f"tirz{d:g}": escalated("tirzepatide", TIRZEPATIDE_STEPS, d) for d in doses}}
    res, runs, ch = _weight_study("surmount1", cohorts, "surmount1_obese", n, weeks, arms, "placebo")
    base = column(runs["placebo"], "weight_kg")[0]
    for d in doses:
        for w in stops:
            runs[f"tirz{d:g}@{w:g}"] = cohorts.run("surmount1_obese", n, weeks * WEEK, escalated(
                "tirzepatide", TIRZEPATIDE_STEPS, d, w * WEEK), step="week")
    policy = {d: _with_discontinuation(runs, f"tirz{d:g}", [f"tirz{d:g}@{w:g}" for w in stops], share, weeks, base)
              for d, share in SURMOUNT1_DISCONTINUED.items()}
    for d in doses:
        res.set(f"med_surmount1_weight_{d:g}", policy[d] - ch["placebo"])
    res.notes.append(
        "Weight change at week 72 with the trial's treatment discontinuation (" + ", ".join(
            f"{d:g} mg {100 * s:.1f} %" for d, s in SURMOUNT1_DISCONTINUED.items()) + " stopped, at weeks " + ", ".join(
            f"{w:g}" for w in stops) + " in equal parts): " + ", ".join(f"{d:g} mg {v:+.1f} %" for d, v in policy.items())
        + f"; placebo {ch['placebo']:+.1f} %. Everyone on the drug (what the trial's efficacy estimand describes): " + ", ".join(
            f"{d:g} mg {ch[f'tirz{d:g}']:+.1f} %" for d in doses) + ".")
    return res


def pioglitazone_mechanism(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("pioglitazone_mechanism")
    pio = cohorts.run("bajaj_t2d", n, 16 * WEEK, _scenario("pioglitazone_45", {"type": "pioglitazone", "start_year": 0,
                                                                                "mg_per_day": 45}), step="week")
    base = cohorts.run("bajaj_t2d", n, 16 * WEEK, BASELINE, step="week")
    k = pio.shape[0] - 1
    rel = lambda name: 100.0 * (_mean_at(pio, name, k) / _mean_at(base, name, 0) - 1.0)  # noqa: E731
    res.set("med_pio_rd_change", rel("muscle_insulin_sensitivity_rel"))
    res.set("med_pio_liver_fat_change", rel("liver_fat_percent"))
    res.set("med_pio_weight_change", float(nanmean(column(pio, "weight_kg")[k] - column(base, "weight_kg")[0])))
    _curves(res, {"no drug": base, "pioglitazone 45 mg": pio}, "liver_fat_percent", "mean liver fat change (%)", change=True)
    res.counts.update(persons=n)
    res.notes.append(f"16 weeks of pioglitazone 45 mg: HbA1c {_mean_at(base, 'hba1c_percent', 0):.2f} -> "
                     f"{_mean_at(pio, 'hba1c_percent', k):.2f} %, fasting glucose {_mean_at(base, 'fasting_glucose_mmol_l', 0):.1f} "
                     f"-> {_mean_at(pio, 'fasting_glucose_mmol_l', k):.1f} mmol/L (published 7.8 -> 6.7 %, 10.0 -> 7.5).")
    return res


#: ACT NOW: pioglitazone 30 mg for a month, then 45 mg (DeFronzo 2011).
ACTNOW_PIO = _scenario("actnow_pioglitazone", {"type": "pioglitazone", "start_year": 0, "stop_year": 1 / 12, "mg_per_day": 30},
                       {"type": "pioglitazone", "start_year": 1 / 12, "mg_per_day": 45})


def actnow_pioglitazone(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    """ACT NOW's screen and visits as the conversion protocol's placebo arm (IGT with fasting glucose 95-125 mg/dL in
    the DPP-like cohort; fasting glucose every 3 months, OGTT yearly, confirmed by a repeat test)."""
    res = StudyResult("actnow_pioglitazone")
    base = cohorts.measured("dpp", n, DPP_YEARS, BASELINE, step="month")
    screened = dpp_screen(base)
    rates, weight, runs = {}, {}, {}
    for arm, sc in (("placebo", BASELINE), ("pioglitazone", ACTNOW_PIO)):
        out = cohorts.measured("dpp", n, DPP_YEARS, sc, step="month")
        repeat = cohorts.measured("dpp", n, DPP_YEARS, sc, step="month", draw=1)
        t = event_times_at_visits(out, fpg_every=3, ogtt_every=12, confirm=repeat)[screened]
        rates[arm], _, _ = incidence(np.where(t <= ACTNOW_YEARS, t, np.nan), ACTNOW_YEARS)
        k = int(round(ACTNOW_YEARS * 12))
        runs[arm] = cohorts.run("dpp", n, DPP_YEARS, sc, step="month")
        weight[arm] = float(nanmean(column(runs[arm], "weight_kg")[k, screened]))
    res.set("med_actnow_pio_hr", rates["pioglitazone"] / rates["placebo"] if rates["placebo"] > 0 else np.nan,
            "no diabetes in the placebo arm")
    res.set("med_actnow_pio_weight", weight["pioglitazone"] - weight["placebo"])
    _curves(res, {a: o[:, :, screened] for a, o in runs.items()}, "fasting_glucose_mmol_l", "mean fasting glucose (mmol/L)")
    res.counts.update(persons=n, screened=int(screened.sum()))
    res.notes.append(f"{int(screened.sum())} of {n} pass the screen; diabetes {rates['placebo']:.1f} (placebo) vs "
                     f"{rates['pioglitazone']:.1f} (pioglitazone) per 100 person-years (published 7.6 vs 2.1).")
    return res


#: Belfort 2006: pioglitazone 45 mg or placebo for 6 months. Both arms were advised a -500 kcal/day diet, but the
#: placebo arm's liver fat did not change (0 %), so the advice is not modelled: no deficit in either arm.
BELFORT_PIO = _scenario("belfort_pioglitazone", {"type": "pioglitazone", "start_year": 0, "mg_per_day": 45})


def belfort(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("belfort")
    years = 0.5
    pla = cohorts.run("belfort_nash", n, years, BASELINE, step="month")
    pio = cohorts.run("belfort_nash", n, years, BELFORT_PIO, step="month")
    k = pla.shape[0] - 1
    fat0 = _mean_at(pla, "liver_fat_percent", 0)
    si0 = _mean_at(pla, "liver_insulin_sensitivity_rel", 0)
    change = {a: 100.0 * (_mean_at(o, "liver_fat_percent", k) / fat0 - 1.0) for a, o in (("placebo", pla), ("pio", pio))}
    res.set("med_belfort_liver_fat", change["pio"] - change["placebo"])
    res.set("med_belfort_hepatic_si", _mean_at(pio, "liver_insulin_sensitivity_rel", k) / _mean_at(
        pla, "liver_insulin_sensitivity_rel", k))
    _curves(res, {"placebo": pla, "pioglitazone 45 mg": pio}, "liver_fat_percent", "mean liver fat change (%)", change=True)
    res.counts.update(persons=n)
    res.notes.append(f"Liver fat {fat0:.1f} % at baseline: {change['placebo']:+.0f} % on placebo, "
                     f"{change['pio']:+.0f} % with pioglitazone; hepatic sensitivity {si0:.2f} x reference at baseline.")
    return res


#: Chiquette 2004's meta-analysis of placebo-controlled pioglitazone trials in type 2 diabetes (at least 12 weeks; doses
#: 15-45 mg): pioglitazone 30 mg/day (the usual dose, as usual care adds it) for 24 weeks in drug-naive type 2 diabetes
#: (the SUSTAIN 1 population stands in); lipids at the end, pioglitazone minus placebo (the same persons).
CHIQUETTE_WEEKS = 24
CHIQUETTE_PIO = _scenario("chiquette_pioglitazone", {"type": "pioglitazone", "start_year": 0, "mg_per_day": 30})


def pioglitazone_lipids(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("pioglitazone_lipids")
    years = CHIQUETTE_WEEKS * WEEK
    runs = {"placebo": cohorts.run("sustain1_t2d", n, years, BASELINE, step="month"),
            "pioglitazone 30 mg": cohorts.run("sustain1_t2d", n, years, CHIQUETTE_PIO, step="month")}
    k = runs["placebo"].shape[0] - 1
    diff = {col: _vs_placebo(runs, "pioglitazone 30 mg", col, k) for col in ("triglycerides_mg_dl", "hdl_mg_dl")}
    res.set("med_pio_tg_diff", diff["triglycerides_mg_dl"])
    res.set("med_pio_hdl_diff", diff["hdl_mg_dl"])
    _curves(res, runs, "triglycerides_mg_dl", "mean triglycerides (mg/dL)")
    res.counts.update(persons=n)
    res.notes.append(f"Baseline triglycerides {_mean_at(runs['placebo'], 'triglycerides_mg_dl', 0):.0f} mg/dL and HDL "
                     f"{_mean_at(runs['placebo'], 'hdl_mg_dl', 0):.1f} mg/dL (the pooled trials' baselines are not "
                     f"given in the abstract); at week {CHIQUETTE_WEEKS}, pioglitazone minus placebo: triglycerides "
                     f"{diff['triglycerides_mg_dl']:+.1f} mg/dL, HDL {diff['hdl_mg_dl']:+.1f} mg/dL.")
    return res


T2T = _scenario("treat_to_target", {"type": "basal_insulin", "start_year": 0, "titrate_to_fasting_glucose": "100 mg/dL"})


def treat_to_target(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("treat_to_target")
    out = cohorts.run("t2t_t2d", n, 24 * WEEK, T2T, step="week")
    k = out.shape[0] - 1
    a1c = column(out, "hba1c_percent")
    res.set("med_t2t_hba1c", float(nanmean(a1c[k])))
    res.set("med_t2t_fpg", _mean_at(out, "fasting_glucose_mmol_l", k))
    res.set("med_t2t_hba1c7", 100.0 * float(np.mean(a1c[k] <= 7.0)))
    _curves(res, {"basal insulin": out}, "fasting_glucose_mmol_l", "mean fasting glucose (mmol/L)")
    res.counts.update(persons=n)
    res.notes.append(f"HbA1c {float(nanmean(a1c[0])):.2f} -> {float(nanmean(a1c[k])):.2f} %; fasting glucose "
                     f"{_mean_at(out, 'fasting_glucose_mmol_l', 0) * MGDL:.0f} -> {_mean_at(out, 'fasting_glucose_mmol_l', k) * MGDL:.0f} mg/dL; "
                     f"weight {_mean_at(out, 'weight_kg', k) - _mean_at(out, 'weight_kg', 0):+.1f} kg; "
                     f"basal insulin at week 24 {_mean_at(out, 'basal_insulin_iu_day', k):.0f} units/day "
                     f"({float(nanmean(column(out, 'basal_insulin_iu_day')[k] / column(out, 'weight_kg')[k])):.2f} "
                     f"units/kg).")
    return res


#: ADOPT: each drug titrated towards the trial's maximum (FPG goal < 140 mg/dL), for 5 years: glyburide 15 mg/day,
#: metformin 2 g/day, and rosiglitazone 8 mg/day, for which pioglitazone 45 mg/day (its maximum) stands in as the class
#: (issue #12: the model carries pioglitazone only).
ADOPT_YEARS = 5
ADOPT_ARMS = {
    "glyburide 15 mg": ("med_adopt_su_failure", _scenario("adopt_glyburide", {
        "type": "sulfonylurea", "start_year": 0, "drug": "glyburide", "mg_per_day": 15})),
    "metformin 2 g": ("med_adopt_met_failure", _scenario("adopt_metformin", {
        "type": "metformin", "start_year": 0, "mg_per_day": 2000})),
    "pioglitazone 45 mg (for rosiglitazone)": ("med_adopt_tzd_failure", _scenario("adopt_pioglitazone", {
        "type": "pioglitazone", "start_year": 0, "mg_per_day": 45})),
}
ADOPT_FAILURE_MG_DL = 180.0


def adopt(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("adopt")
    runs = {arm: cohorts.run("adopt_t2d", n, ADOPT_YEARS, sc, step="month") for arm, (_, sc) in ADOPT_ARMS.items()}
    failed = {}
    for arm, (tid, _) in ADOPT_ARMS.items():
        fpg = column(runs[arm], "fasting_glucose_mmol_l") * MGDL
        failed[arm] = (fpg[np.arange(0, fpg.shape[0], 3)] > ADOPT_FAILURE_MG_DL).any(axis=0)  # quarterly visits
        res.set(tid, 100.0 * float(np.mean(failed[arm])))
    out = runs["glyburide 15 mg"]
    res.set("med_adopt_su_hba1c7", 100.0 * float(np.mean(column(out, "hba1c_percent")[48] < 7.0)))
    _curves(res, {**runs, "no drug": cohorts.run("adopt_t2d", n, ADOPT_YEARS, BASELINE, step="month")},
            "hba1c_percent", "mean HbA1c (%)")
    res.counts.update(persons=n, failed=int(failed["glyburide 15 mg"].sum()))
    res.notes.append(f"Glyburide 15 mg/day: HbA1c {_mean_at(out, 'hba1c_percent', 0):.2f} -> "
                     f"{_mean_at(out, 'hba1c_percent', 6):.2f} % at 6 months, {_mean_at(out, 'hba1c_percent', 48):.2f} % at 4 "
                     f"years. Fasting glucose > {ADOPT_FAILURE_MG_DL:.0f} mg/dL at a quarterly visit by 5 years: " + ", ".join(
                         f"{arm} {int(f.sum())} of {n}" for arm, f in failed.items()) + ".")
    return res


#: Hirst's meta-analyses of monotherapy against placebo (median 16 weeks): metformin (Diabetes Care 2012) and
#: sulfonylureas (Diabetologia 2013), in drug-naive type 2 diabetes (the SUSTAIN 1 population stands in: drug-naive,
#: HbA1c 8.1 %); the usual doses: metformin 2000 mg/day, a sulfonylurea at half its maximum (higher doses added nothing)
HIRST_WEEKS = 16
HIRST_ARMS = {"metformin": _scenario("hirst_metformin", {"type": "metformin", "start_year": 0, "mg_per_day": 2000}),
              "sulfonylurea": _scenario("hirst_sulfonylurea", {"type": "sulfonylurea", "start_year": 0,
                                                               "drug": "gliclazide", "mg_per_day": 160})}


def hirst_monotherapy(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("hirst_monotherapy")
    years = HIRST_WEEKS * WEEK
    runs = {"placebo": cohorts.run("sustain1_t2d", n, years, BASELINE, step="week")}
    runs.update({arm: cohorts.run("sustain1_t2d", n, years, sc, step="week") for arm, sc in HIRST_ARMS.items()})
    k = runs["placebo"].shape[0] - 1
    for arm, tid in (("metformin", "med_hirst_metformin"), ("sulfonylurea", "med_hirst_sulfonylurea")):
        res.set(tid, _mean_at(runs[arm], "hba1c_percent", k) - _mean_at(runs["placebo"], "hba1c_percent", k))
    _curves(res, runs, "hba1c_percent", "mean HbA1c (%)")
    res.counts.update(persons=n)
    res.notes.append("HbA1c at week 16: " + ", ".join(f"{a} {_mean_at(o, 'hba1c_percent', k):.2f} %" for a, o in runs.items())
                     + f" (from {_mean_at(runs['placebo'], 'hba1c_percent', 0):.2f} %).")
    return res


#: SGLT2 inhibitors: empagliflozin 25 mg/day (the maximal licensed dose), as in the calibration and EMPA-REG MONO
EMPA25 = _scenario("empagliflozin_25", {"type": "sglt2_inhibitor", "start_year": 0, "drug": "empagliflozin",
                                        "mg_per_day": 25})
SGLT2_UGE_WEEKS = 4


def sglt2_uge(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    """Drug-induced 24-h urinary glucose excretion at week 4 (calibration of ``sglt2.excretion_slope``)."""
    res = StudyResult("sglt2_uge")
    out = cohorts.run("sustain1_t2d", n, SGLT2_UGE_WEEKS * WEEK, EMPA25, step="week")
    k = out.shape[0] - 1
    res.set("med_sglt2_uge", _mean_at(out, "urinary_glucose_g_day", k))
    _curves(res, {"empagliflozin 25 mg": out}, "urinary_glucose_g_day", "mean urinary glucose (g/day)")
    res.counts.update(persons=n)
    res.notes.append(f"Week {SGLT2_UGE_WEEKS}: urinary glucose {_mean_at(out, 'urinary_glucose_g_day', k):.0f} g/day at "
                     f"fasting glucose {_mean_at(out, 'fasting_glucose_mmol_l', k) * MGDL:.0f} mg/dL (from "
                     f"{_mean_at(out, 'fasting_glucose_mmol_l', 0) * MGDL:.0f}), eGFR {_mean_at(out, 'egfr_ml_min', k):.0f} "
                     "mL/min/1.73 m2.")
    return res


EMPAREG_WEEKS = 76
EMPAREG_PRIMARY_WEEK = 24


def empareg_mono(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    """EMPA-REG MONO and its extension: empagliflozin 25 mg vs placebo, drug-naive type 2 diabetes, to week 76."""
    res = StudyResult("empareg_mono")
    years = EMPAREG_WEEKS * WEEK
    pla = cohorts.run("empareg_mono_t2d", n, years, BASELINE, step="week")
    emp = cohorts.run("empareg_mono_t2d", n, years, EMPA25, step="week")
    k, k24 = pla.shape[0] - 1, EMPAREG_PRIMARY_WEEK
    diff = lambda name, i: _mean_at(emp, name, i) - _mean_at(pla, name, i)  # noqa: E731
    res.set("med_empareg_hba1c_25", diff("hba1c_percent", k))
    res.set("med_empareg_weight_25", diff("weight_kg", k))
    _curves(res, {"placebo": pla, "empagliflozin 25 mg": emp}, "hba1c_percent", "mean HbA1c (%)")
    res.counts.update(persons=n)
    res.notes.append(
        f"Week {k24} (the primary end point, not a row): HbA1c {diff('hba1c_percent', k24):+.2f} %-points vs placebo "
        f"(published -0.85), fasting glucose {diff('fasting_glucose_mmol_l', k24) * MGDL:+.0f} mg/dL (published -36, "
        f"95 % CI -42 to -31), weight {diff('weight_kg', k24):+.1f} kg, systolic BP {diff('systolic_bp_mmhg', k24):+.1f} "
        "mmHg (Baker 2014's class effect -4.0, on which vessels.sbp_sglt2 was calibrated). Placebo arm HbA1c "
        f"{_mean_at(pla, 'hba1c_percent', 0):.2f} -> {_mean_at(pla, 'hba1c_percent', k24):.2f} -> "
        f"{_mean_at(pla, 'hba1c_percent', k):.2f} % (weeks 0, {k24}, {EMPAREG_WEEKS}; published +0.1 at week 24); urinary "
        f"glucose {_mean_at(emp, 'urinary_glucose_g_day', k):.0f} g/day at week {EMPAREG_WEEKS}.")
    return res


def _p(name, title, population, targets, description, fn, keywords):
    return Protocol(name, title, population, targets, description, fn, keywords)


PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    _p("semaglutide_mechanism", "Semaglutide and insulin secretion (Kapitza 2017)", "kapitza_t2d",
       ("med_sema_first_phase",), "Population `kapitza_t2d` ({n} persons), weekly steps: semaglutide 0.25, 0.5 and 1.0 mg "
       "(4 weeks each) vs placebo; first-phase secretion (mass x function x stimulated responsivity) at week 12, ratio of "
       "the arms' means.", semaglutide_mechanism, ("Kapitza 2017",)),
    _p("sustain1", "SUSTAIN 1: semaglutide monotherapy (Sorli 2017)", "sustain1_t2d",
       ("med_sustain1_hba1c_05", "med_sustain1_hba1c_10", "med_sustain1_weight_05", "med_sustain1_weight_10"),
       "Population `sustain1_t2d` ({n}), weekly steps for 30 weeks: semaglutide 0.5 mg (after 4 weeks of 0.25) and 1.0 mg "
       "(0.25, 0.5, then 1.0) vs placebo on the same persons; HbA1c and weight at week 30, drug minus placebo.",
       sustain1, ("SUSTAIN 1",)),
    _p("surpass1", "SURPASS-1: tirzepatide monotherapy (Rosenstock 2021)", "surpass1_t2d",
       ("med_surpass1_hba1c_5", "med_surpass1_hba1c_15", "med_surpass1_weight_5", "med_surpass1_weight_15",
        "med_surpass1_fpg_15"),
       "Population `surpass1_t2d` ({n}), weekly steps for 40 weeks: tirzepatide escalated by 2.5 mg every 4 weeks to 5 or "
       "15 mg vs placebo on the same persons; HbA1c, weight and fasting glucose at week 40, drug minus placebo.",
       surpass1, ("SURPASS-1",)),
    _p("step2", "STEP 2: semaglutide 2.4 mg in type 2 diabetes (Davies 2021)", "step2_t2d", ("med_step2_weight",),
       "Population `step2_t2d` ({n}), weekly steps for 68 weeks: semaglutide escalated every 4 weeks to 2.4 mg vs placebo; "
       "% weight change, drug minus placebo.", step2, ("STEP 2",)),
    _p("step1", "STEP 1 and its extension: semaglutide 2.4 mg without diabetes (Wilding 2021, 2022)", "step1_obese",
       ("med_step1_weight", "med_step1_regain_share", "med_step1_net_week120"),
       "Population `step1_obese` ({n}), weekly steps: semaglutide escalated to 2.4 mg and stopped at week 68, followed to "
       "week 120, vs placebo; % weight change at week 68 (drug minus placebo), share of the loss regained by week 120, "
       "net change at week 120.", step1, ("STEP 1",)),
    _p("surpass2", "SURPASS-2: tirzepatide vs semaglutide (Frias 2021)", "surpass2_t2d",
       ("med_surpass2_weight_15", "med_surpass2_homa2ir_15"),
       "Population `surpass2_t2d` ({n}), weekly steps for 40 weeks: tirzepatide escalated by 2.5 mg every 4 weeks to "
       "15 mg vs semaglutide 1 mg; weight change (kg), tirzepatide minus semaglutide; % change of the geometric mean "
       "HOMA2-IR from the same persons' year 0 without a drug, tirzepatide minus semaglutide.", surpass2,
       ("SURPASS-2",)),
    _p("surmount1", "SURMOUNT-1: tirzepatide without diabetes (Jastreboff 2022)", "surmount1_obese",
       ("med_surmount1_weight_5", "med_surmount1_weight_10", "med_surmount1_weight_15"),
       "Population `surmount1_obese` ({n}), weekly steps for 72 weeks: tirzepatide escalated to 5, 10 or 15 mg vs placebo; "
       "% weight change, drug minus placebo, with the trial's treatment discontinuation (14.3, 16.4 and 15.1 % of the "
       "arms stopping the drug, spread evenly over the 72 weeks; docs/medicines.md).", surmount1, ("SURMOUNT-1",)),
    _p("pioglitazone_mechanism", "Pioglitazone: clamp, liver fat and weight (Bajaj 2003)", "bajaj_t2d",
       ("med_pio_rd_change", "med_pio_liver_fat_change", "med_pio_weight_change"),
       "Population `bajaj_t2d` ({n}), weekly steps: pioglitazone 45 mg for 16 weeks; relative change of muscle insulin "
       "sensitivity (the knob that sets clamp disposal) and liver fat, weight change.", pioglitazone_mechanism,
       ("Bajaj 2003",)),
    _p("actnow_pioglitazone", "ACT NOW: pioglitazone in IGT (DeFronzo 2011)", "dpp",
       ("med_actnow_pio_hr", "med_actnow_pio_weight"),
       "The DPP-like cohort ({n}) screened as ACT NOW (IGT, fasting glucose 95-125 mg/dL), monthly steps: pioglitazone "
       "30 mg for a month then 45 mg vs placebo; fasting glucose every 3 months and a yearly OGTT with measurement "
       "variation, diabetes confirmed by a repeat test; ratio of incidence rates over 2.4 years; weight difference.",
       actnow_pioglitazone, ("ACT NOW",)),
    _p("belfort", "Pioglitazone in NASH (Belfort 2006)", "belfort_nash", ("med_belfort_liver_fat", "med_belfort_hepatic_si"),
       "Population `belfort_nash` ({n}), monthly steps for 6 months: pioglitazone 45 mg vs placebo (both arms were "
       "advised -500 kcal/day, but the placebo arm's liver fat did not change, so no deficit is modelled); relative change of liver fat (difference of the arms), hepatic sensitivity at 6 months (ratio of arms).",
       belfort, ("Belfort 2006",)),
    _p("pioglitazone_lipids", "Pioglitazone and plasma lipids (Chiquette 2004)", "sustain1_t2d",
       ("med_pio_tg_diff", "med_pio_hdl_diff"),
       "Meta-analysis of placebo-controlled pioglitazone trials in type 2 diabetes (at least 12 weeks, 15-45 mg); "
       "population `sustain1_t2d` ({n}), monthly steps for 24 weeks: pioglitazone 30 mg/day vs placebo; triglycerides "
       "and HDL cholesterol at the end, difference of the arms.", pioglitazone_lipids, ("Chiquette 2004",)),
    _p("treat_to_target", "Treat-to-Target: titrated basal insulin (Riddle 2003)", "t2t_t2d",
       ("med_t2t_hba1c", "med_t2t_fpg", "med_t2t_hba1c7"),
       "Population `t2t_t2d` ({n}), weekly steps for 24 weeks: basal insulin from 10 units/day titrated to a fasting "
       "glucose of 100 mg/dL (the labs on oral agents are read as the untreated state); HbA1c, fasting glucose and the "
       "share with HbA1c <= 7 % at week 24.", treat_to_target, ("Riddle 2003", "Treat-to-Target")),
    _p("adopt", "ADOPT: monotherapy failure with glyburide, metformin and a glitazone (Kahn 2006)", "adopt_t2d",
       ("med_adopt_su_failure", "med_adopt_su_hba1c7", "med_adopt_met_failure", "med_adopt_tzd_failure"),
       "Population `adopt_t2d` ({n}), monthly steps for 5 years: glyburide 15 mg/day, metformin 2 g/day, or "
       "pioglitazone 45 mg/day standing in for rosiglitazone 8 mg/day; failure = fasting glucose > 180 mg/dL at a "
       "quarterly visit; share with HbA1c < 7 % at 4 years (glyburide).", adopt, ("ADOPT",)),
    _p("hirst_monotherapy", "Monotherapy against placebo: metformin and sulfonylureas (Hirst 2012, 2013)", "sustain1_t2d",
       ("med_hirst_metformin", "med_hirst_sulfonylurea"),
       "Meta-analyses of placebo-controlled monotherapy trials (median 16 weeks); population `sustain1_t2d` ({n}, "
       "drug-naive, HbA1c 8.1 %) stands in; weekly steps: metformin 2000 mg/day or gliclazide 160 mg/day (half the "
       "maximum) vs placebo; HbA1c at week 16, drug minus placebo.", hirst_monotherapy, ("Hirst 2012", "Hirst 2013")),
    _p("sglt2_uge", "SGLT2 inhibitors: urinary glucose excretion (meta-analysis, Front Endocrinol 2021)", "sustain1_t2d",
       ("med_sglt2_uge",), "Population `sustain1_t2d` ({n}, drug-naive type 2 diabetes, eGFR from the kidney module), "
       "weekly steps: empagliflozin 25 mg/day for 4 weeks; mean drug-induced 24-h urinary glucose at week 4.",
       sglt2_uge, ("SGLT2", "urinary glucose")),
    _p("empareg_mono", "EMPA-REG MONO and EXTEND MONO: empagliflozin monotherapy (Roden 2013, 2015)", "empareg_mono_t2d",
       ("med_empareg_hba1c_25", "med_empareg_weight_25"),
       "Population `empareg_mono_t2d` ({n}, drug-naive, HbA1c 7.9 %, weight 78 kg), weekly steps for 76 weeks: "
       "empagliflozin 25 mg/day vs placebo on the same persons; HbA1c and weight at week 76, drug minus placebo.",
       empareg_mono, ("EMPA-REG MONO", "EMPA-REG EXTEND MONO")),
)}

PLOTTERS = {name: _plot_arms for name in PROTOCOLS}
register(*PROTOCOLS.values())
