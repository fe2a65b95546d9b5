"""Studies outside the targets: published numbers the model is measured against but that are not rows of
``validation/targets.yaml``, so they are never counted in the report. They serve as calibration sources (a study that
is not a row may calibrate a parameter; docs/progression.md says which) or as checks (UKPDS 7 and 45 describe UKPDS's
own patients, so they can check the model but not calibrate it while UKPDS's rows are held out).

    irsim validate --outside [--seed 0] [--set section.name=value ...]

- WOSCOPS (Sattar N et al. Diabetes 2007;56:984-91): men aged 45-64 with fasting glucose measured every 6 months; in
  those who converted, fasting glucose rose 1.80 mmol/L (SD 1.52) over the 18 months before the first of two
  consecutive values >= 7.0 mmol/L, in the others 0.10 (SD 0.57); 139 cases in 5,974 men over 4.9 years.
- UKPDS 7 (Metabolism 1990;39:905-12) and UKPDS 45 (Diabet Med 2000;17:518-23): newly presenting patients, fasting
  glucose 12.1 +- 3.7 mmol/L; after 3 months of diet (4.5 of 83 kg lost) it fell 11 -> 8 mmol/L and HbA1c 9 -> 7 %;
  16 % were below 6 mmol/L, 50 % of those presenting at 6-8 and 10 % of those at 16-22.
- Glucose lowering in established diabetes, against placebo at the same weeks: pioglitazone 45 mg for 16 weeks in
  Bajaj's cohort (Bajaj M et al. Diabetes 2003;52:1364-70: fasting glucose 10.0 -> 7.5 mmol/L, HbA1c 7.8 -> 6.7 %;
  its liver fat and glucose disposal calibrate the drug's gains, its glycaemia does not) and the same dose and
  duration in Miyazaki Y et al. (Diabetes Care 2001;24:710-9: fasting glucose 184 -> 135 mg/dL, -27 %, with fasting
  insulin unchanged); metformin for 3 months at fasting glucose 15.5 mmol/L (Hundal RS et al. Diabetes
  2000;49:2063-9: fasting glucose -30 %, glucose production -24 %; the share of excess production it removes,
  ``metformin.excess_inhibition``, is read from the same abstract, so this one checks the fasting state's answer).
- Short-term intensive insulin therapy in newly diagnosed type 2 diabetes (Kramer CK, Zinman B, Retnakaran R. Lancet
  Diabetes Endocrinol 2013;1:28-34; meta-analysis of 7 studies, 839 patients): 2-3 weeks of near-normoglycaemia on
  insulin, then no drug; drug-free remission in 66.2 % (292 of 441) at 3 months, 58.9 % (222 of 377) at 6 and 46.3 %
  (229 of 495) at 12. In the largest study (Weng J et al. Lancet 2008;371:1753-60: 382 patients, fasting glucose
  7.0-16.7 mmol/L) oral agents to the same normoglycaemia left 26.7 % in remission at a year, insulin 44.9-51.1 %.
- Sulfonylurea withdrawal (Sumi S et al. Endocrinol Jpn 1982;29:41-7): 24 patients on a sulfonylurea for 1.5-19
  years; one month without it raised fasting glucose 134 -> 194 mg/dL in 14 and left it unchanged in 10, with mean
  fasting insulin unchanged; the calibration source of ``sulfonylurea.secretion`` (the mean rise, 14 x 60 / 24 = 35
  mg/dL, the unchanged group taken as 0; doses not in the abstract, read at half the maximal dose).
- The OGTT of people whose fasting glucose alone is known (NHANES 2009-2016, 7,412 adults without diagnosed diabetes
  with both tests; J Clin Med 2020;9:2207, Table 4, counts): with fasting glucose < 100 mg/dL, 418 of 4,013 (10.4 %)
  had a 2-h glucose >= 140 mg/dL and 37 (0.9 %) >= 200; at 100-125 mg/dL, 1,006 of 3,049 (33.0 %) and 248 (8.1 %).
  A person started without an OGTT takes one typical split of the 2-h glucose, ``sensitivity.ogtt_absent_offset``,
  calibrated on the first class's median (the two shares read as log-normal); the second class's median checks it,
  and the shares show the spread that one value for everyone leaves out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: A WOSCOPS-like cohort (the Whitehall-like population re-centred): men 55 +- 5.5 years (45-64), BMI 26 +- 3.2, fasting
#: glucose 4.7 mmol/L (WOSCOPS's baseline quintile cut-offs 4.3-5.0; Freeman DJ et al. Circulation 2001;103:357-62)
WOSCOPS_OVERRIDES = {"female_share": 0.0, "age_mean": 55.0, "age_sd": 5.5, "age_min": 45.0, "age_max": 64.0,
                     "bmi_mean": 26.0, "bmi_sd": 3.2, "glucose_mean": 84.7}
WOSCOPS_YEARS = 5
WOSCOPS_VISIT_MONTHS = 6
WOSCOPS_LAG_VISITS = 3      # 18 months before the first of the two values
DIABETES_MMOL_L = 7.0


class Check(NamedTuple):
    study: str
    quantity: str
    published: float
    model: float


def converters_rise(fpg: np.ndarray, threshold: float = DIABETES_MMOL_L, lag: int = WOSCOPS_LAG_VISITS):
    """``fpg``: ``(n_visits, N)`` measured fasting glucose. Persons below ``threshold`` at the first visit convert at
    the first of two consecutive visits at or above it; returns ``(rise, stay, converted)``: each converter's rise over
    the ``lag`` visits before that visit (converters with that much record), each non-converter's change over the
    last ``lag`` visits, and the mask of converters counted."""
    high = fpg >= threshold
    two = high[:-1] & high[1:]
    first = np.where(two.any(axis=0), two.argmax(axis=0), -1)
    free = fpg[0] < threshold
    conv = free & (first >= lag)
    idx = np.flatnonzero(conv)
    rise = fpg[first[idx], idx] - fpg[first[idx] - lag, idx]
    stay = free & (first < 0)
    return rise, fpg[-1, stay] - fpg[-1 - lag, stay], conv


def woscops(n: int = 20000, seed: int = 0) -> list[Check]:
    from .protocol import Cohorts, column

    out = Cohorts(seed).measured("whitehall_ii", n, float(WOSCOPS_YEARS), step="month", overrides=WOSCOPS_OVERRIDES)
    fpg = column(out, "fasting_glucose_mmol_l")[::WOSCOPS_VISIT_MONTHS]
    rise, stay, conv = converters_rise(fpg)
    free = int((fpg[0] < DIABETES_MMOL_L).sum())
    return [Check("WOSCOPS", "converters' fasting-glucose rise over 18 months, mmol/L", 1.80, float(rise.mean())),
            Check("WOSCOPS", "its SD", 1.52, float(rise.std())),
            Check("WOSCOPS", "non-converters' change over 18 months, mmol/L", 0.10, float(stay.mean())),
            Check("WOSCOPS", "its SD", 0.57, float(stay.std())),
            Check("WOSCOPS", "converters per 100 person-years", 100.0 * 139 / 5974 / 4.9,
                  100.0 * conv.sum() / free / WOSCOPS_YEARS)]


def ukpds_run_in(n: int = 2000, seed: int = 0) -> list[Check]:
    from . import studies as S
    from .protocol import Cohorts, column

    starts, _, _, e, cases = S._ukpds_diagnosed(n, seed, Cohorts(seed))
    out, _ = S._ukpds_trial(starts, e, cases, S.UKPDS_CONVENTIONAL, S.UKPDS_RUN_IN, seed, "ukpds/run-in")
    fpg, a1c = column(out, "fasting_glucose_mmol_l"), column(out, "hba1c_percent")
    k = S.UKPDS_ENTRY
    below = fpg[k] < 6.0
    at = lambda lo, hi: (fpg[0] >= lo) & (fpg[0] < hi)  # noqa: E731
    share = lambda m: 100.0 * float(below[m].mean()) if m.any() else np.nan  # noqa: E731
    return [Check("UKPDS 7", "fasting glucose at presentation, mmol/L", 12.1, float(fpg[0].mean())),
            Check("UKPDS 7", "its SD", 3.7, float(fpg[0].std())),
            Check("UKPDS 45", "fasting glucose after the 3-month diet, mmol/L (from 11)", 8.0, float(fpg[k].mean())),
            Check("UKPDS 45", "HbA1c at presentation, %", 9.0, float(a1c[0].mean())),
            Check("UKPDS 45", "HbA1c after the diet, %", 7.0, float(a1c[k].mean())),
            Check("UKPDS 7", "share below 6 mmol/L after the diet, %", 16.0, share(np.ones_like(below))),
            Check("UKPDS 7", "the same, presenting at 6-8 mmol/L, %", 50.0, share(at(6.0, 8.0))),
            Check("UKPDS 7", "the same, presenting at 16-22 mmol/L, %", 10.0, share(at(16.0, 22.0)))]


#: Hundal 2000's patients: fasting glucose 15.5 mmol/L (279 mg/dL); the rest as the ``sustain1_t2d`` population
HUNDAL_OVERRIDES = {"glucose_mean": 279.0, "glucose_sd": 30.0, "glucose_min": 200.0, "glucose_max": 360.0,
                    "hba1c_mean": 9.5, "hba1c_sd": 0.8, "hba1c_min": 8.0, "hba1c_max": 11.5}
DRUG_WEEKS = {"pioglitazone": 16, "metformin": 13}


def drug_responses(n: int = 2000, seed: int = 0) -> list[Check]:
    """Drug minus placebo in established diabetes, as relative changes of each arm's means (weekly steps)."""
    from ..scenarios.schema import BASELINE
    from . import medicine_studies as M
    from .protocol import Cohorts

    cohorts = Cohorts(seed)

    def arms(pop, weeks, drug, overrides=None):
        """The drug arm's run, its last record, and the drug-minus-placebo relative change of a column's mean there."""
        on, placebo = (cohorts.run(pop, n, weeks * M.WEEK, sc, step="week", overrides=overrides)
                       for sc in (drug, BASELINE))
        k = on.shape[0] - 1
        return on, k, lambda name: 100.0 * (M._mean_at(on, name, k) / M._mean_at(placebo, name, k) - 1.0)

    pio = M._scenario("pioglitazone_45", {"type": "pioglitazone", "start_year": 0, "mg_per_day": 45})
    on, k, change = arms("bajaj_t2d", DRUG_WEEKS["pioglitazone"], pio)
    met = M._scenario("metformin_2000", {"type": "metformin", "start_year": 0, "mg_per_day": 2000})
    *_, met_change = arms("sustain1_t2d", DRUG_WEEKS["metformin"], met, HUNDAL_OVERRIDES)
    return [Check("Bajaj 2003", "fasting glucose after 16 weeks of pioglitazone 45 mg, mmol/L (from 10.0)", 7.5,
                  M._mean_at(on, "fasting_glucose_mmol_l", k)),
            Check("Bajaj 2003", "HbA1c after it, % (from 7.8)", 6.7, M._mean_at(on, "hba1c_percent", k)),
            Check("Miyazaki 2001", "fasting glucose, pioglitazone 45 mg against placebo at 16 weeks, %", -26.6,
                  change("fasting_glucose_mmol_l")),
            Check("Miyazaki 2001", "fasting insulin, the same, % (unchanged)", 0.0, change("fasting_insulin_uiu_ml")),
            Check("Hundal 2000", "fasting glucose, metformin 2,000 mg against placebo at 3 months from 15.5 mmol/L, %",
                  -30.0, met_change("fasting_glucose_mmol_l"))]


#: Sumi 1982's patients: lean Japanese outpatients with type 2 diabetes (BMI and untreated fasting glucose approximate;
#: the responders' off-drug glucose was 194 mg/dL), the rest as the ``sustain1_t2d`` population
SUMI_OVERRIDES = {"bmi_mean": 23.0, "bmi_sd": 3.0, "bmi_min": 18.0, "bmi_max": 32.0, "glucose_mean": 180.0,
                  "glucose_sd": 35.0}
SUMI_YEARS = 3.0                # on the drug before the withdrawal (the study: 1.5-19 years)
SUMI_MAINTAINED_MG_DL = 180.0   # still on monotherapy: fasting glucose below ADOPT's failure limit on the drug
SUMI_RESPONSE_MG_DL = 15.0      # the study's split: a rise of more than 15 mg/dL without the drug


def sulfonylurea_withdrawal(n: int = 2000, seed: int = 0) -> list[Check]:
    """One month without a sulfonylurea after years on it (gliclazide 160 mg/day, half the maximal dose), among those
    it still holds below 180 mg/dL: the mean rise of fasting glucose, the share rising more than 15 mg/dL, and
    fasting insulin's change."""
    from . import medicine_studies as M
    from .protocol import MGDL, Cohorts, column

    cohorts = Cohorts(seed)
    su = {"type": "sulfonylurea", "start_year": 0, "drug": "gliclazide", "mg_per_day": 160}
    years = SUMI_YEARS + 2.0 / 12.0
    on, off = (cohorts.run("sustain1_t2d", n, years, M._scenario(name, {**su, **extra}), step="month",
                           overrides=SUMI_OVERRIDES)
               for name, extra in (("sulfonylurea_kept", {}), ("sulfonylurea_stopped", {"stop_year": SUMI_YEARS})))
    k = int(round(SUMI_YEARS * 12)) + 1  # a month after the last dose
    mg = lambda out: column(out, "fasting_glucose_mmol_l")[k] * MGDL  # noqa: E731
    g_on, g_off = mg(on), mg(off)
    kept = g_on < SUMI_MAINTAINED_MG_DL
    rise = (g_off - g_on)[kept]
    ins = lambda out: float(np.mean(column(out, "fasting_insulin_uiu_ml")[k][kept]))  # noqa: E731
    return [Check("Sumi 1982", "fasting glucose one month after stopping a sulfonylurea, mean rise, mg/dL", 35.0,
                  float(rise.mean())),
            Check("Sumi 1982", "share rising more than 15 mg/dL, %", 100.0 * 14 / 24,
                  100.0 * float((rise > SUMI_RESPONSE_MG_DL).mean())),
            Check("Sumi 1982", "fasting insulin, the same, % (unchanged)", 0.0, 100.0 * (ins(off) / ins(on) - 1.0))]


#: Kramer 2013's patients, approximate (the pooled baselines are not in the abstract; Weng 2008's dominate): newly
#: diagnosed, untreated, fasting glucose about 11 mmol/L (7.0-16.7), HbA1c about 9.8 %, BMI about 25; the rest as the
#: ``sustain1_t2d`` population
KRAMER_OVERRIDES = {"bmi_mean": 25.0, "bmi_sd": 3.0, "bmi_min": 19.0, "bmi_max": 35.0, "glucose_mean": 200.0,
                    "glucose_sd": 40.0, "glucose_min": 126.0, "glucose_max": 300.0, "hba1c_mean": 9.8, "hba1c_sd": 1.5,
                    "hba1c_min": 7.0, "hba1c_max": 13.0, "duration_min": 0.05, "duration_max": 1.0}
KRAMER_WEEKS = 3                # of near-normoglycaemia on insulin (the studies: 2-3 weeks, 2 after reaching it)
KRAMER_UNITS = 40.0             # a day, all basal here: pumps in 104 newly diagnosed patients delivered 56.6 IU/day when
                                # euglycaemia was reached and 36.2 at the end of its 2 weeks (Diabetes Res Clin Pract 2015)
KRAMER_MONTHS = (3, 6, 12)      # after the insulin stopped


def insulin_remission(n: int = 2000, seed: int = 0) -> list[Check]:
    """Drug-free remission (measured fasting glucose < 7.0 mmol/L) 3, 6 and 12 months after 3 weeks of basal insulin
    in newly diagnosed, untreated type 2 diabetes, beside the same persons left untreated (weekly steps). Without a
    lasting effect of the weeks of normoglycaemia both arms give the same share."""
    from ..scenarios.schema import BASELINE
    from . import medicine_studies as M
    from .protocol import Cohorts, column

    cohorts = Cohorts(seed)
    years = KRAMER_WEEKS * M.WEEK + max(KRAMER_MONTHS) / 12.0
    insulin = M._scenario("short_intensive_insulin", {"type": "basal_insulin", "start_year": 0,
                                                       "stop_year": KRAMER_WEEKS * M.WEEK, "units_per_day": KRAMER_UNITS})
    treated, untreated = (cohorts.measured("sustain1_t2d", n, years, sc, step="week", overrides=KRAMER_OVERRIDES)
                          for sc in (insulin, BASELINE))
    fpg = lambda out, k: column(out, "fasting_glucose_mmol_l")[k]  # noqa: E731
    stop = KRAMER_WEEKS  # the weekly record at which the insulin stops
    at = {m: stop + int(round(m / 12.0 / M.WEEK)) for m in KRAMER_MONTHS}
    share = lambda out, k: 100.0 * float(np.mean(fpg(out, k) < DIABETES_MMOL_L))  # noqa: E731
    published = {3: 66.2, 6: 58.9, 12: 46.3}
    return ([Check("Weng 2008", f"fasting glucose in the last week on insulin, mmol/L (target < 6.1; from "
                   f"{fpg(untreated, 0).mean():.1f})", 6.1, float(fpg(treated, stop - 1).mean()))]
            + [Check("Kramer 2013", f"drug-free remission {m} months after the insulin, % (untreated: "
                     f"{share(untreated, at[m]):.0f} %)", published[m], share(treated, at[m])) for m in KRAMER_MONTHS])


#: NHANES 2009-2016's OGTT by fasting class (J Clin Med 2020;9:2207, Table 4, unweighted counts): fasting glucose
#: range (mg/dL) -> (persons, 2-h glucose >= 140 mg/dL, >= 200 mg/dL)
NHANES_OGTT = {(0.0, 100.0): (4013, 381 + 37, 37), (100.0, 126.0): (3049, 758 + 248, 248)}


def lognormal_median(above_140: float, above_200: float) -> float:
    """Median (mg/dL) of the log-normal distribution with these shares above 140 and 200 mg/dL."""
    from statistics import NormalDist

    z140, z200 = (NormalDist().inv_cdf(1.0 - p) for p in (above_140, above_200))
    sigma = np.log(200.0 / 140.0) / (z200 - z140)
    return float(140.0 * np.exp(-z140 * sigma))


def fasting_only_ogtt(n: int = 2000, seed: int = 0) -> list[Check]:
    """Persons of the Whitehall II-like population started from their fasting labs alone (the population's drawn 2-h
    glucose left out; each keeps the drawn deviation from the typical split, ``heterogeneity.ogtt_split_sd``),
    measured once at year 0 as NHANES measured its participants (within-person variation, ``cohort.progression
    .measured``): the median 2-h glucose and the shares reaching 140 and 200 mg/dL, by measured fasting class."""
    from ..cohort import progression as P
    from ..cohort import synthetic
    from .protocol import MGDL, column, nanmean, nanmedian, population_seed

    cols = synthetic.population("whitehall_ii", n, seed=seed)
    cols.pop("ogtt_glucose_120")
    # the visit's variation from a stream of its own (``seed`` itself drew the persons)
    out = P.measured(P.run(P.initialise(cols, explain=False), 1.0), population_seed(seed, "nhanes/visits"))
    fpg, g2h = (column(out, name)[0] * MGDL for name in ("fasting_glucose_mmol_l", "glucose_2h_mmol_l"))
    checks = []
    for (lo, hi), (total, igt, dm) in NHANES_OGTT.items():
        g = g2h[(fpg >= lo) & (fpg < hi)]
        where = f"fasting glucose {lo:.0f}-{hi - 1:.0f} mg/dL" if lo else f"fasting glucose < {hi:.0f} mg/dL"
        checks += [Check("NHANES 2009-2016", f"median 2-h glucose without an OGTT at the start, {where}, mg/dL (the "
                         "two shares read as log-normal)", lognormal_median(igt / total, dm / total),
                         float(nanmedian(g))),
                   Check("NHANES 2009-2016", "the same, share >= 140 mg/dL, %", 100.0 * igt / total,
                         100.0 * float(nanmean(g >= 140.0))),
                   Check("NHANES 2009-2016", "the same, share >= 200 mg/dL, %", 100.0 * dm / total,
                         100.0 * float(nanmean(g >= 200.0)))]
    return checks


def measure(n_woscops: int = 20000, n_ukpds: int = 2000, seed: int = 0) -> list[Check]:
    """Every check, with the parameters in force (``irsim validate --outside --set ...``)."""
    return (woscops(n_woscops, seed) + ukpds_run_in(n_ukpds, seed) + drug_responses(n_ukpds, seed)
            + sulfonylurea_withdrawal(n_ukpds, seed) + insulin_remission(n_ukpds, seed)
            + fasting_only_ogtt(n_ukpds, seed))


def table(checks: list[Check]) -> str:
    rows = [f"| {ch.study} | {ch.quantity} | {ch.published:.3g} | {ch.model:.3g} |" for ch in checks]
    return "\n".join(["| study | quantity | published | model |", "|---|---|---|---|", *rows])
