"""Study protocols of the validation suite: set up each study's virtual population and protocol, run the
progression model, and measure the quantities of ``validation/targets.yaml`` the way the study measured them.

A protocol is a function ``(n, seed, cohorts=None) -> StudyResult``; :data:`PROTOCOLS` is the registry. All
measurement is vectorised over the cohort (numpy over the ``(time, column, person)`` array of
:func:`irsim.cohort.progression.run`). Protocols that share a population share its initialisation and runs
through a :class:`Cohorts` cache. Nothing here changes the model: protocols only set inputs (population,
scenario, follow-up) and measure outputs.

Diagnosis of diabetes follows the studies, all of which predate the HbA1c criterion: fasting glucose
>= 126 mg/dL or 2-h OGTT glucose >= 200 mg/dL (:data:`DIAGNOSIS`). The model's own ``glycemic_status`` adds
HbA1c >= 6.5 %; each protocol also counts cases under that definition so the difference is visible.
"""

from __future__ import annotations

import numpy as np

from ..cohort import progression as P
from ..scenarios.schema import BASELINE, Scenario
from .protocol import FPG_DM, FPG_IFG_WHO, G2H_IGT, MGDL, Cohorts, Protocol, StudyResult, align, column
from .protocol import diabetic, event_times_at_visits, first_index, gmean, homa2_of, incidence, insulinogenic_index, nanmean
from .protocol import TRIGGERS, first_trigger, nanmedian, ols_slope, register, summarise, trajectory_fit
from .protocol import population_seed as _population_seed


def _female(cohorts: "Cohorts", population: str, n: int) -> np.ndarray:
    return np.asarray(cohorts.start(population, n).params.female)


def _counts_status(out: np.ndarray, free: np.ndarray, upto: int | None = None) -> int:
    """Persons free of diabetes at year 0 who meet the model's glycemic_status T2D (incl. HbA1c) later."""
    st = diabetic(out, "status")
    if upto is not None:
        st = st[: upto + 1]
    return int((free & ~st[0] & st[1:].any(axis=0)).sum())


#: Routine care checks fasting glucose about every 3 years (ADA's 1997 expert committee: test from age 45, repeat at
#: 3-year intervals; still "the currently recommended screening interval" in Nichols GA et al. Diabetes Care
#: 2007;30:228-33), each person at their own phase of the cycle; no OGTT in routine care
ROUTINE_CHECK_EVERY = 3


def routine_checks(seed: int, tag: str, n: int, n_years: int, every: int = ROUTINE_CHECK_EVERY) -> np.ndarray:
    """``(n_years, n)`` mask of the yearly records at which routine care checks each person's fasting glucose, every
    ``every`` years (a random phase per person)."""
    phase = np.random.default_rng(_population_seed(seed, tag)).integers(0, every, n)
    return (np.arange(n_years)[:, None] - phase[None, :]) % every == 0


def clinical_fasting(out: np.ndarray, repeat: np.ndarray) -> np.ndarray:
    """``(n_times, N)`` mask: diabetes a doctor would diagnose by fasting glucose at that record, >= 7.0 mmol/L in the
    measured run ``out`` and again in ``repeat``, an independent measurement of the same run on another day
    (:meth:`Cohorts.measured` with ``draw=1``): without unequivocal hyperglycaemia a clinical diagnosis is confirmed by
    a repeat test (ADA expert committee, Diabetes Care 1997;20:1183-97; WHO 1999). An epidemiological study's own OGTT
    diagnoses on one test."""
    return diabetic(out, "fasting") & diabetic(repeat, "fasting")


# ------------------------------------------------------------------------------------------------ Whitehall II

#: The study's examinations with an OGTT: phases 3 (1991-93, the baseline), 5 (1997-99) and 7 (2002-04), the same
#: calendar years for the whole cohort (Tabak 2009; phase dates: Vistisen D et al. Diabetologia 2019;62:1385-90 and
#: Hinnouho GM et al. Diabetes Care 2013;36:2294-300), years 0, 6 and 11 of the run. Until the thirty-ninth session
#: every 5 years at a random phase per person, over 20 years
WH_EXAMS = (0, 6, 11)
#: Follow-up to phase 7: Tabak 2009's trajectories reach "up to 13 years before diagnosis" (phase 3's first
#: examinations in 1991 to phase 7's last in 2004), median follow-up 9.7 years
WH_FOLLOW = 11
#: Share of persons a doctor also checks yearly (fasting glucose, confirmed by a repeat: clinical_fasting), fitted to
#: the study's share of doctor-diagnosed cases (50.9 %: 49.1 % of its cases were found by its OGTT): 0.85 makes 0.507
#: of the cases within the follow-up doctor-diagnosed at 5,000 persons (mean of seeds 0-3; 0.8 gives 0.48, 0.9 0.54).
#: 0.9 until the thirty-ninth session, fitted over 20 years with the random-phase examinations
WH_YEARLY_SHARE = 0.85
WH_YEARS = 20       # the Whitehall-like run (shared with the conversion protocol, which needs 20 years)
WH_OFFSETS = np.arange(-WH_FOLLOW, 1)
#: The trajectory shapes Tabak 2009 reports from its multilevel models (t: years before diagnosis, <= 0): fasting and
#: 2-h glucose linear, then a quadratic rise from -3 y; HOMA-%S linear, steeper over the last 5 y; HOMA-%B linear, with
#: changes of slope at -4 and -3 y (it rose between -4 and -3 y, then fell). HOMA indices on the log scale.
WH_GLUCOSE_SHAPE = (lambda t: t, lambda t: np.maximum(t + 3.0, 0.0) ** 2)
WH_HOMA_S_SHAPE = (lambda t: t, lambda t: np.maximum(t + 5.0, 0.0))
WH_HOMA_B_SHAPE = (lambda t: t, lambda t: np.maximum(t + 4.0, 0.0), lambda t: np.maximum(t + 3.0, 0.0))


def whitehall(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("whitehall")
    out = cohorts.measured("whitehall_ii", n, WH_YEARS)
    dm = diabetic(out)
    free = ~dm[0]
    # the study examined the whole cohort with an OGTT at its phases (WH_EXAMS) and about half of its cases were
    # diagnosed by a doctor in between: most persons are checked yearly, the others only at the examinations;
    # diagnosis at the first check that meets the criteria, which for a doctor's check is the fasting glucose confirmed
    # by a repeat (no OGTT in routine care, as in the GENNID protocol)
    yearly = np.random.default_rng(_population_seed(seed, "whitehall_visits")).random(n) < WH_YEARLY_SHARE
    examined = np.broadcast_to(np.isin(np.arange(dm.shape[0]), WH_EXAMS)[:, None], dm.shape)
    doctor = clinical_fasting(out, cohorts.measured("whitehall_ii", n, WH_YEARS, draw=1))
    by_exam = dm & examined
    dx = first_index(by_exam | (doctor & yearly[None, :]))
    # every incident case within the follow-up enters the trajectories, each with at least its baseline examination:
    # Tabak 2009 fitted its multilevel models to all 505 cases (801 measurements). Until the thirty-seventh session
    # only cases diagnosed at year >= 8 did (a balanced panel for -8..0 y, which per-offset means needed and the
    # multilevel fit does not)
    cases = free & (dx >= 1) & (dx <= WH_FOLLOW)
    controls = free & ((dx < 0) | (dx > WH_FOLLOW))
    res.counts.update(persons=n, free_at_baseline=int(free.sum()), cases=int(cases.sum()),
                      by_exam=int((cases & by_exam[np.clip(dx, 0, None), np.arange(n)]).sum()),
                      cases_8y=int((cases & (dx >= 8)).sum()), controls=int(controls.sum()),
                      cases_by_model_status=_counts_status(out, free, WH_FOLLOW))
    fpg = column(out, "fasting_glucose_mmol_l")
    g2h = column(out, "glucose_2h_mmol_l")
    # Tabak 2009 reported HOMA2 (Oxford calculator): the same scale from the measured glucose and insulin; values
    # outside the calculator's range (insulin < 20 pmol/L) are left out of the geometric means, as the calculator
    # gives none
    h2 = homa2_of(out)
    hb, hs = h2.beta_percent, h2.s_percent
    k = {int(o): i for i, o in enumerate(WH_OFFSETS)}

    # the study measured its participants at its examinations only: a case's trajectory holds the records of the
    # examinations before its diagnosis (non-diabetic by construction), and one at diagnosis only when an examination
    # found it.
    # Tabak 2009 estimated the mean trajectory from those scattered records with multilevel models of the shape it
    # reports for each measure; a mean per offset would compare different cases at different offsets (only cases a
    # doctor found 3 years after an examination have a record at -3 y, only examination-found ones at 0)
    # adjusted, as the study's were, for age (at diagnosis: with the offset it spans age at each record) and sex; the
    # model has no ethnic origin (the study's cohort was 91 % white)
    fem = _female(cohorts, "whitehall_ii", n)
    age = column(out, "age")
    adjust = np.column_stack([age[np.clip(dx, 0, None), np.arange(n)], fem])[cases]

    def traj(v, shape, log=False):
        a = align(np.where(examined, v, np.nan)[:, cases], dx[cases], WH_OFFSETS)
        if log:
            a = np.log(np.where(a > 0, a, np.nan))
        m, cnt = trajectory_fit(a, WH_OFFSETS, shape, adjust)
        return (np.exp(m) if log else m), cnt

    m_fpg, cnt = traj(fpg, WH_GLUCOSE_SHAPE)
    m_g2h, _ = traj(g2h, WH_GLUCOSE_SHAPE)
    m_hb, _ = traj(hb, WH_HOMA_B_SHAPE, log=True)
    m_hs, _ = traj(hs, WH_HOMA_S_SHAPE, log=True)
    no_cases = f"no incident cases among {n} persons"
    res.set("wh_fpg_minus3", m_fpg[k[-3]], no_cases)
    res.set("wh_fpg_at_dx", m_fpg[k[0]], no_cases)
    res.set("wh_fpg_rise_last3", m_fpg[k[0]] - m_fpg[k[-3]], no_cases)
    late = (m_fpg[k[0]] - m_fpg[k[-3]]) / 3.0
    early = (m_fpg[k[-3]] - m_fpg[k[-8]]) / 5.0
    if np.isfinite(late) and np.isfinite(early) and early <= 0:
        accel = np.inf if late > 0 else np.nan   # flat or falling before -3 y, rising after: steep by definition
    else:
        accel = late / early if cases.any() else np.nan
    res.set("wh_fpg_acceleration", accel, no_cases if not cases.any() else "fasting glucose did not rise before diagnosis")
    res.set("wh_g2h_minus3", m_g2h[k[-3]], no_cases)
    res.set("wh_g2h_at_dx", m_g2h[k[0]], no_cases)
    res.set("wh_homab_minus4", m_hb[k[-4]], no_cases)
    res.set("wh_homab_minus3", m_hb[k[-3]], no_cases)
    res.set("wh_homab_at_dx", m_hb[k[0]], no_cases)
    res.set("wh_homab_ratio_3_4", m_hb[k[-3]] / m_hb[k[-4]], no_cases)
    res.set("wh_homab_ratio_0_3", m_hb[k[0]] / m_hb[k[-3]], no_cases)
    res.set("wh_homas_at_dx", m_hs[k[0]], no_cases)
    span = slice(0, WH_FOLLOW + 1)   # the controls' records over the study's follow-up
    years = column(out, "year")[span, 0]
    c_hb = gmean(hb[span][:, controls], axis=1)
    # the controls' trend as the study estimated it: the same multilevel model on their examination records only
    # (10,989 measurements in the study), linear in time, log HOMA-%B as for the cases, adjusted for age and sex; the
    # slope is the fitted curve's mean change over the follow-up, %-points/y. Until the forty-ninth session: least
    # squares through the yearly geometric means of every yearly record
    exam_hb = np.where(examined[span] & (hb[span] > 0), hb[span], np.nan)[:, controls]
    c_fit, _ = trajectory_fit(np.log(exam_hb), years, (lambda t: t,),
                              np.column_stack([age[0], fem])[controls])
    res.set("wh_controls_homab_slope", (np.exp(c_fit[-1]) - np.exp(c_fit[0])) / (years[-1] - years[0])
            if controls.any() else np.nan, "no controls")
    # incidence in the first 10 y among those free of diabetes at baseline (yearly checks)
    t_event = np.where(dx[free] >= 1, dx[free].astype(float), np.nan)
    inc, k10, py = incidence(t_event, 10.0)
    res.set("wh_incidence", inc, "no persons free of diabetes at baseline")
    res.counts.update(cases_first_10y=k10)
    res.data.update(offsets=WH_OFFSETS, n_at_offset=cnt, fpg=m_fpg, g2h=m_g2h, homa_b=m_hb, homa_s=m_hs,
                    control_years=years - years[-1], control_fpg=nanmean(fpg[span][:, controls], axis=1),
                    control_g2h=nanmean(g2h[span][:, controls], axis=1), control_homa_b=c_hb,
                    control_homa_s=gmean(hs[span][:, controls], axis=1))
    res.baseline["cohort free of diabetes, year 0"] = summarise(out, free, fem)
    res.baseline["cases at diagnosis"] = summarise(out, cases, fem, np.clip(dx, 0, None))
    res.notes.append(f"{res.counts['cases']} incident cases within the follow-up ({res.counts['by_exam']} of them found "
                     "by an examination's OGTT, the others by a doctor), "
                     f"{res.counts['controls']} controls not diagnosed in {WH_FOLLOW} y.")
    res.notes.append(f"Incident cases by the model's glycemic_status (adds HbA1c >= 6.5 %): "
                     f"{res.counts['cases_by_model_status']}, vs {res.counts['cases']} by glucose criteria.")
    return res


# ------------------------------------------------------------------------------------------------ UKPDS

UKPDS_YEARS = 20
UKPDS_FOLLOW = 6
UKPDS_FPG_ENTRY = (6.0, 15.0)   # UKPDS entry window after the 3-month diet run-in, mmol/L (UKPDS 16)
#: Diagnosis in UKPDS's recruitment years (1977-91): fasting plasma glucose >= 7.8 mmol/L (140 mg/dL; NDDG 1979,
#: WHO 1980/1985), found in routine care without an OGTT
UKPDS_FPG_DX = 7.8
UKPDS_RUN_IN = 0.25              # years of diet between diagnosis and randomisation (UKPDS 16)
UKPDS_ENTRY = int(round(12 * UKPDS_RUN_IN))  # the monthly record of randomisation
#: A UKPDS-like population (UKPDS 33: age 53, BMI about 28, 39 % women): the high-risk `dpp` spread re-centred.
UKPDS_OVERRIDES = {"age_mean": 45.0, "age_sd": 8.0, "age_min": 25.0, "age_max": 65.0, "bmi_mean": 28.5,
                   "bmi_sd": 4.5, "bmi_min": 20.0, "female_share": 0.39}
#: The run-in diet of every newly diagnosed patient: 4.5 kg lost from a mean 83 kg in 3 months (UKPDS 45, Diabet Med
#: 2000;17:518), then kept by the continuing diet, with only the secular gain: the diet-only group had not
#: completely regained its loss 3 years later (UKPDS Group, BMJ 1995;310:1006), and in the Belfast Diet Study mean
#: weight stayed constant while patients were on diet alone, with no change in insulin sensitivity (Levy J et al.
#: Diabet Med 1998;15:290-6). Until 2026-12-01 the weight was regained freely (Hall 2011: 4.3 of 4.5 kg by month 27).
#: From randomisation, the conventional policy: diet, with a drug added only for marked hyperglycaemia, fasting glucose above 15 mmol/L at a clinic visit (every
#: 3 months), non-intensive sulfonylurea first, then metformin, then insulin (UKPDS 33, Lancet 1998;352:837); the
#: published medians are of the whole conventional group (intention to treat; UKPDS 16).
UKPDS_CONVENTIONAL = Scenario.parse({
    "name": "ukpds_conventional", "description": "run-in diet (4.5 of 83 kg in 3 months, then kept), then the "
                                                 "conventional policy: drugs only above fasting glucose 15 mmol/L",
    "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 100 * 4.5 / 83,
                       "over_months": 12 * UKPDS_RUN_IN, "then": "maintain"},
                      {"type": "usual_care", "start_year": UKPDS_RUN_IN, "hba1c_target_percent": None,
                       "fasting_glucose_limit": "15 mmol/L", "checks_per_year": 4,
                       "steps": ["sulfonylurea", "metformin", "basal_insulin"]}]})


def _ukpds_diagnosed(n: int, seed: int, cohorts: Cohorts):
    """The UKPDS-like natural history, saved year by year, and the persons clinically diagnosed in it: ``(starts,
    out, free, e, cases)``, with ``e`` each person's year of diagnosis (shared by the UKPDS protocols of a run)."""
    def make():
        starts, records = [cohorts.start("dpp", n, UKPDS_OVERRIDES)], []
        for year in range(UKPDS_YEARS):
            o, end = P.run(starts[-1], 1.0, final=True, t0=float(year))
            records.append(o[:1])
            starts.append(end)
        out = P.measured(np.concatenate(records + [o[1:]]), _population_seed(seed, "ukpds/visits"))
        free = ~diabetic(out)[0]
        dm = column(out, "fasting_glucose_mmol_l") >= UKPDS_FPG_DX
        # clinically diagnosed: a routine fasting glucose about every 3 years (random phase), not a yearly screen
        e = first_index(dm & routine_checks(seed, "ukpds_checks", n, dm.shape[0]))
        return starts, out, free, e, np.flatnonzero(free & (e >= 1))

    return cohorts.memo(("ukpds_diagnosed", n, seed), make)


def _ukpds_trial(starts, e, cases, scenario: Scenario, years: float, seed: int, tag: str):
    """Each case from the month of their diagnosis under ``scenario`` (the run-in diet first): the monthly records,
    measured at visits, and the end states."""
    follow, end = P.run(P.gather(starts, e[cases], cases), years, scenario, step="month", t0=e[cases].astype(float),
                        final=True)
    return P.measured(follow, _population_seed(seed, tag)), end


def _ukpds_entrants(follow: np.ndarray) -> np.ndarray:
    """Entrants: fasting glucose inside UKPDS 16's window after the run-in diet."""
    fpg = column(follow, "fasting_glucose_mmol_l")[UKPDS_ENTRY]
    lo, hi = UKPDS_FPG_ENTRY
    return (fpg >= lo) & (fpg <= hi)


def ukpds(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("ukpds")
    starts, out, free, e, cases = _ukpds_diagnosed(n, seed, cohorts)
    # from diagnosis: 3 months' diet, then the trial's conventional policy, in monthly records
    follow, end = _ukpds_trial(starts, e, cases, UKPDS_CONVENTIONAL, UKPDS_RUN_IN + UKPDS_FOLLOW, seed, "ukpds/trial")
    visits = UKPDS_ENTRY + 12 * np.arange(0, UKPDS_FOLLOW + 1)
    lo, hi = UKPDS_FPG_ENTRY
    sel = _ukpds_entrants(follow)
    res.counts.update(persons=n, free_at_baseline=int(free.sum()), newly_diagnosed=len(cases),
                      entrants=int(sel.sum()), diagnosed_by_model_status=_counts_status(out, free),
                      entrants_on_drugs_at_6y=int((np.asarray(end.state.care_step)[sel] > 0).sum()))
    off = np.arange(0, UKPDS_FOLLOW + 1)
    a = lambda name: column(follow, name)[visits][:, sel]  # noqa: E731
    med_fpg = nanmedian(a("fasting_glucose_mmol_l"), axis=1)
    med_a1c = nanmedian(a("hba1c_percent"), axis=1)
    # HOMA is not defined with injected insulin in plasma (Wallace TM et al. Diabetes Care 2004;27:1487-95): the
    # records of persons on basal insulin (about a fifth of the arm by year 6) are left out of the %B median
    on_insulin = a("basal_insulin_iu_day") > 0.0
    med_hb = nanmedian(np.where(on_insulin, np.nan, a("homa1_beta_percent")), axis=1)
    why = f"no newly diagnosed persons with FPG {lo:g}-{hi:g} mmol/L after the run-in diet among {n}"
    if not sel.any():
        med_fpg = med_a1c = med_hb = np.full(len(off), np.nan)
    res.set("ukpds_fpg_1y", med_fpg[1], why)
    res.set("ukpds_fpg_6y", med_fpg[6], why)
    res.set("ukpds_hba1c_1y", med_a1c[1], why)
    res.set("ukpds_hba1c_6y", med_a1c[6], why)
    res.set("ukpds_hba1c_drift", (med_a1c[6] - med_a1c[1]) / 5.0, why)
    res.set("ukpds_fpg_drift", (med_fpg[6] - med_fpg[1]) / 5.0, why)
    res.set("ukpds_homab_slope", ols_slope(off, med_hb), why)
    res.set("ukpds_homab_at_dx", med_hb[0], why)
    quart = lambda name: (np.nanpercentile(a(name), [25, 75], axis=1) if sel.any()  # noqa: E731
                          else np.full((2, len(off)), np.nan))
    res.data.update(offsets=off, fpg=med_fpg, hba1c=med_a1c, homa_b=med_hb,
                    fpg_q=quart("fasting_glucose_mmol_l"), hba1c_q=quart("hba1c_percent"))
    female = np.asarray(starts[0].params.female)[cases]
    res.baseline["newly diagnosed, at diagnosis"] = summarise(follow, np.ones(len(cases), bool), female)
    res.baseline["entrants, after the run-in diet"] = summarise(follow, sel, female, UKPDS_ENTRY)
    res.notes.append(f"{res.counts['entrants']} entrants (FPG {lo:g}-{hi:g} mmol/L after the 3-month run-in diet) out of "
                     f"{res.counts['newly_diagnosed']} newly diagnosed by year {UKPDS_YEARS}; "
                     f"{res.counts['entrants_on_drugs_at_6y']} of them on drugs by year 6 of the conventional policy "
                     "(fasting glucose above 15 mmol/L at a visit).")
    return res


#: UKPDS 33/34: 10 years of each policy from randomisation; the intensive policy aimed at fasting glucose < 6 mmol/L
#: with a sulfonylurea or insulin (allocated 1573 : 1156), metformin in the overweight (> 120 % of ideal body weight,
#: read as BMI >= 27, irsim), each with further drugs for marked hyperglycaemia (fasting glucose > 15 mmol/L) as the
#: conventional policy had them (UKPDS 33, Lancet 1998;352:837-53; UKPDS 34, Lancet 1998;352:854-65).
UKPDS_ARMS_YEARS = 10
UKPDS_SU_SHARE = 1573 / (1573 + 1156)
UKPDS_OVERWEIGHT_BMI = 27.0


def _ukpds_policy(name: str, *drugs: dict, steps: list[str]) -> Scenario:
    """The run-in diet of :data:`UKPDS_CONVENTIONAL`, then ``drugs`` from randomisation and ``steps`` added at a
    3-monthly visit with fasting glucose above 15 mmol/L."""
    run_in = UKPDS_CONVENTIONAL.interventions[0].model_dump(exclude_none=True)
    rescue = {"type": "usual_care", "start_year": UKPDS_RUN_IN, "hba1c_target_percent": None,
              "fasting_glucose_limit": "15 mmol/L", "checks_per_year": 4, "steps": steps}
    return Scenario.parse({"name": name, "interventions": [run_in, *({"start_year": UKPDS_RUN_IN, **d} for d in drugs),
                                                           rescue]})


UKPDS_INTENSIVE_SU = _ukpds_policy("ukpds_intensive_su", {"type": "sulfonylurea", "drug": "glyburide", "mg_per_day": 10},
                                   steps=["metformin", "basal_insulin"])
UKPDS_INTENSIVE_INSULIN = _ukpds_policy("ukpds_intensive_insulin",
                                        {"type": "basal_insulin", "titrate_to_fasting_glucose": "6 mmol/L"},
                                        steps=["metformin"])
UKPDS_METFORMIN = _ukpds_policy("ukpds_metformin", {"type": "metformin", "mg_per_day": 2550},
                                steps=["sulfonylurea", "basal_insulin"])


def ukpds_arms(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("ukpds_arms")
    starts, _, _, e, cases = _ukpds_diagnosed(n, seed, cohorts)
    years = UKPDS_RUN_IN + UKPDS_ARMS_YEARS
    arms = {"conventional": UKPDS_CONVENTIONAL, "intensive sulfonylurea": UKPDS_INTENSIVE_SU,
            "intensive insulin": UKPDS_INTENSIVE_INSULIN, "metformin": UKPDS_METFORMIN}
    # the same virtual persons in every arm, measured alike at the yearly visits
    runs = {a: _ukpds_trial(starts, e, cases, sc, years, seed, "ukpds/trial")[0] for a, sc in arms.items()}
    sel = _ukpds_entrants(runs["conventional"])
    heavy = sel & (column(runs["conventional"], "bmi")[0] >= UKPDS_OVERWEIGHT_BMI)
    # HbA1c at randomisation and the 10 yearly visits; the intensive arm as allocated
    yearly = {a: column(o, "hba1c_percent")[UKPDS_ENTRY + 12 * np.arange(0, UKPDS_ARMS_YEARS + 1)]
              for a, o in runs.items()}
    su = np.random.default_rng(_population_seed(seed, "ukpds/allocation")).random(len(cases)) < UKPDS_SU_SHARE
    yearly["intensive"] = np.where(su, yearly["intensive sulfonylurea"], yearly["intensive insulin"])
    # each person's mean HbA1c over years 1-10; the papers give medians (IQR) over patients
    a1c = {a: nanmean(v[1:], axis=0) for a, v in yearly.items()}
    why = "no entrants after the run-in diet"
    med = lambda arm, mask: float(np.median(a1c[arm][mask])) if mask.any() else np.nan  # noqa: E731
    res.set("ukpds33_hba1c_intensive", med("intensive", sel), why)
    res.set("ukpds33_hba1c_conventional", med("conventional", sel), why)
    res.set("ukpds34_hba1c_metformin", med("metformin", heavy), "no overweight entrants")
    res.set("ukpds34_hba1c_conventional", med("conventional", heavy), "no overweight entrants")
    # each arm's median at the yearly visits, for the report's plot
    curve = lambda arm, mask: (nanmedian(yearly[arm][:, mask], axis=1) if mask.any()  # noqa: E731
                               else np.full(UKPDS_ARMS_YEARS + 1, np.nan))
    res.data.update(years=np.arange(0, UKPDS_ARMS_YEARS + 1),
                    curves={"conventional": curve("conventional", sel), "intensive": curve("intensive", sel),
                            "conventional, overweight": curve("conventional", heavy),
                            "metformin, overweight": curve("metformin", heavy)})
    res.counts.update(persons=n, newly_diagnosed=len(cases), entrants=int(sel.sum()), overweight_entrants=int(heavy.sum()))
    res.notes.append(f"{int(sel.sum())} entrants ({int(heavy.sum())} with BMI >= {UKPDS_OVERWEIGHT_BMI:g}); median of each "
                     "person's mean HbA1c over years 1-10: " + ", ".join(
                         f"{a} {med(a, sel):.2f} %" for a in ("conventional", "intensive sulfonylurea",
                                                              "intensive insulin", "intensive", "metformin")) + ".")
    # substantive hypoglycaemia (grades 2-4) over the 10 years, the model's yearly chance from its hazard column; not a
    # row: the rates were read from UKPDS 73's monotherapy patients (medicines.yaml hypoglycaemia)
    chance = {a: 100.0 * -np.expm1(-float(np.mean(column(o, "hazard_hypoglycaemia")[UKPDS_ENTRY:, sel])))
              for a, o in runs.items()}
    res.notes.append("Substantive hypoglycaemia (grades 2-4), yearly chance over years 0-10 by arm: " + ", ".join(
        f"{a} {v:.2f} %" for a, v in chance.items()) + " (UKPDS 33 reported major episodes, grades 3-4, in 0.7 % a "
        "year on the conventional policy, 1.0-1.4 % on a sulfonylurea and 1.8 % on insulin; the model's rates were "
        "read from UKPDS 73's patients kept on one therapy, docs/medicines.md).")
    return res


# ------------------------------------------------------------------------------------------------ classes

CLASSES_YEAR = 10
#: Years between routine fasting-glucose checks of the GENNID-like relatives: screening in US care reached far fewer
#: people than the recommended 3-yearly test. NHANES III (1988-94) found 2.7 % of US adults with undiagnosed diabetes
#: (a single fasting glucose >= 126 mg/dL) beside 5.1 % diagnosed, i.e. 35 % of it undiagnosed (Harris MI et al.
#: Diabetes Care 1998;21:518-24; Cowie CC et al. Diabetes Care 2006;29:1263-8). With a doctor's diagnosis confirmed by
#: a repeat (clinical_fasting), a 5-year interval leaves 34-35 % of the cohort's fasting-criterion diabetes (a single
#: fasting glucose >= 7.0 mmol/L at year 10, as NHANES measured) undiagnosed (0.341, 0.350 at seeds 0, 1, 5,000 persons;
#: 25 % at 3 years, 47 % at 8). Chosen on that share alone, before the class rows were read.
CLASSES_CHECK_EVERY = 5


def classes(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("classes")
    out = cohorts.measured("gennid_relatives", n, CLASSES_YEAR)
    t = CLASSES_YEAR
    fpg = column(out, "fasting_glucose_mmol_l")[t]
    g2h = column(out, "glucose_2h_mmol_l")[t]
    ir = column(out, "homa1_ir")[t]
    ii = insulinogenic_index(out[t])
    # the study tested relatives with no known history of diabetes (its diabetes class was newly identified): those
    # a routine fasting glucose had found before year t are not in the cross-section
    checks = routine_checks(seed, "classes_checks", n, t, CLASSES_CHECK_EVERY)
    repeat = cohorts.measured("gennid_relatives", n, CLASSES_YEAR, draw=1)
    known = (clinical_fasting(out, repeat)[:t] & checks).any(axis=0)
    dm = ~known & diabetic(out)[t]
    pre = ~known & ~dm & ((fpg >= FPG_IFG_WHO) | (g2h >= G2H_IGT))
    ngt = ~known & ~dm & ~pre
    groups = {"NGT": ngt, "IFG/IGT": pre, "diabetes": dm}
    post_load = dm & (fpg < FPG_DM)  # newly identified by the 2-h criterion alone
    res.counts.update(persons=n, known_diabetes=int(known.sum()), **{f"n_{k}": int(v.sum()) for k, v in groups.items()},
                      diabetes_post_load_only=int(post_load.sum()), insulinogenic_undefined=int(np.isnan(ii).sum()))
    # Jensen 2002 reported class means (+- SEM) of both measures, so the ratios are of means
    mean_ir = {k: nanmean(ir[v]) if v.any() else np.nan for k, v in groups.items()}
    mean_ii = {k: nanmean(ii[v]) if v.any() else np.nan for k, v in groups.items()}
    for key, grp in (("ifgigt", "IFG/IGT"), ("dm", "diabetes")):
        why = f"no persons in the {grp} or NGT class at year {t}"
        res.set(f"cls_homair_ratio_{key}", mean_ir[grp] / mean_ir["NGT"], why)
        res.set(f"cls_insgen_ratio_{key}", mean_ii[grp] / mean_ii["NGT"], why)
    fem = _female(cohorts, "gennid_relatives", n)
    for k, v in groups.items():
        res.baseline[f"{k}, year {t}"] = summarise(out, v, fem, t)
    res.data.update(groups=list(groups), homa_ir=[mean_ir[k] for k in groups], insulinogenic=[mean_ii[k] for k in groups],
                    published_homa_ir=[12.0, 16.1, 27.0], published_insulinogenic=[158.0, 100.0, 58.0])
    res.notes.append(f"Cross-section at year {t}: " + ", ".join(f"{k} {res.counts['n_' + k]}" for k in groups)
                     + f" (left out: {res.counts['known_diabetes']} with diabetes a routine check had found)"
                     + f"; {res.counts['diabetes_post_load_only']} of the newly identified diabetes by the 2-h criterion "
                       f"alone (median HOMA1-IR {nanmedian(ir[post_load]) if post_load.any() else np.nan:.2f}, against "
                       f"{nanmedian(ir[dm & ~post_load]) if (dm & ~post_load).any() else np.nan:.2f} by the fasting one)"
                     + f"; model NGT means: HOMA1-IR {mean_ir['NGT']:.2f} (uIU/mL x mmol/L / 22.5), "
                       f"insulinogenic index {mean_ii['NGT']:.0f} pmol/mmol (study NGT: 158).")
    return res


# ------------------------------------------------------------------------------------------------ conversion

CONV_FOLLOW = 3
#: Nichols 2007 followed each person from the second elevated test (1994-2003) to diabetes, death, leaving the plan or
#: the end of 2005; its abstract's own numbers give the person-years: 8.1 % converted at 1.34 %/y is 6.0 per person
#: (100-109 mg/dL), 24.3 % at 5.56 %/y 4.4 (110-125); less the converters' mean 41.4 and 29.0 months to diabetes,
#: those who did not convert were followed about 6.3 and 5.0 years
NICHOLS_FOLLOW = {"100": 6, "110": 5}
ACTNOW_YEARS = 2.4


def newly_acquired_ifg(fpg: np.ndarray, repeat: np.ndarray, diagnosed: np.ndarray, checks: np.ndarray,
                       last: int) -> np.ndarray:
    """Record at which each person's impaired fasting glucose is newly acquired as Nichols 2007 defined it (-1 if
    never, up to record ``last``): at a routine check (``checks``), a fasting glucose ``fpg`` of 100-125 mg/dL confirmed
    by a ``repeat`` of 100-125 (another day), the routine check before it (:data:`ROUTINE_CHECK_EVERY` years earlier)
    below 100 mg/dL, and no diabetes diagnosed (``diagnosed``, e.g. :func:`clinical_fasting`) at a routine check
    before. Arrays are ``(n_records, N)``, glucose in mg/dL."""
    k = ROUTINE_CHECK_EVERY
    known = np.cumsum(diagnosed & checks, axis=0) > 0
    ifg = lambda g: (g >= 100.0) & (g < 126.0)  # noqa: E731
    entry = np.zeros(fpg.shape, bool)
    entry[k:last + 1] = (checks[k:last + 1] & ifg(fpg[k:last + 1]) & ifg(repeat[k:last + 1])
                         & (fpg[:last + 1 - k] < 100.0) & ~known[k - 1:last])
    return first_index(entry)


def conversion(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("conversion")
    out = cohorts.measured("whitehall_ii", n, WH_YEARS)
    g2h0 = column(out, "glucose_2h_mmol_l")[0]
    second = cohorts.measured("whitehall_ii", n, WH_YEARS, draw=1)  # the same persons tested again on another day
    dm = diabetic(out)
    years = column(out, "year")[:, 0]

    def follow(mask_t, group, start=0, span=CONV_FOLLOW):
        """Incidence over ``span`` yearly records after each person's ``start`` record."""
        t = np.broadcast_to(np.asarray(start), mask_t.shape[1:])[group]
        k = first_index(align(mask_t[:, group].astype(float), t, np.arange(1, span + 1)) > 0.5)
        return incidence(np.where(k >= 0, k + 1.0, np.nan) * (years[1] - years[0]), float(span))

    igt = ~dm[0] & (g2h0 >= G2H_IGT)
    inc, k_igt, _ = follow(dm, igt)
    res.set("conv_igt_annual", inc, "no persons with IGT at baseline")
    # Nichols 2007: newly acquired IFG found in routine care (entries over 10 years, as the study's 1994-2003), grouped
    # by the first elevated test and followed with a yearly fasting glucose; a diabetes diagnosis in the health plan's
    # records is confirmed by a repeat test
    checks = routine_checks(cohorts.seed, "whitehall_ii/nichols", n, len(years))
    last = len(years) - 1 - max(NICHOLS_FOLLOW.values())
    fpg, repeat = (column(o, "fasting_glucose_mmol_l") * MGDL for o in (out, second))
    fdm = clinical_fasting(out, second)
    entry = newly_acquired_ifg(fpg, repeat, fdm, checks, last)
    first = align(fpg, entry, [0])[0]
    f110, f100 = (entry >= 0) & (first >= 110.0), (entry >= 0) & (first < 110.0)
    inc110, k110, _ = follow(fdm, f110, entry, NICHOLS_FOLLOW["110"])
    inc100, k100, _ = follow(fdm, f100, entry, NICHOLS_FOLLOW["100"])
    res.set("conv_ifg110_annual", inc110, "no persons with newly acquired IFG of 110-125 mg/dL")
    res.set("conv_ifg100_annual", inc100, "no persons with newly acquired IFG of 100-109 mg/dL")
    # ACT NOW placebo: IGT with FPG 95-125 mg/dL, overweight (the DPP-like screened cohort), fasting glucose every 3 months, OGTT yearly, confirmed by a repeat test (DeFronzo 2011)
    placebo, screened = _dpp_arm(cohorts, n, "placebo")
    t = np.asarray(placebo["event_quarterly"])[screened]
    cum = 100.0 * float(np.mean(np.isfinite(t) & (t <= ACTNOW_YEARS))) if screened.any() else np.nan
    res.set("conv_actnow_placebo", cum, "no persons passed the DPP/ACT NOW screen")
    fem = _female(cohorts, "whitehall_ii", n)
    res.baseline["IGT, year 0"] = summarise(out, igt, fem)
    res.baseline["newly acquired IFG 110-125 mg/dL, at entry"] = summarise(out, f110, fem, entry)
    res.baseline["newly acquired IFG 100-109 mg/dL, at entry"] = summarise(out, f100, fem, entry)
    res.counts.update(persons=n, igt=int(igt.sum()), igt_events=k_igt, fpg110=int(f110.sum()), fpg110_events=k110,
                      fpg100=int(f100.sum()), fpg100_events=k100, actnow_screened=int(screened.sum()))
    res.data.update(labels=["IGT", "FPG 110-125", "FPG 100-109"],
                    model=[res.values["conv_igt_annual"], inc110, inc100], published=[(3.0, 11.0), 5.56, 1.34],
                    actnow=cum)
    res.notes.append(f"Whitehall-like cohort: {res.counts['igt']} with IGT at year 0 ({k_igt} converted in "
                     f"{CONV_FOLLOW} y, yearly OGTT); newly acquired IFG at a routine check in years "
                     f"{ROUTINE_CHECK_EVERY}-{last}: {res.counts['fpg110']} at 110-125 mg/dL ({k110} converted in "
                     f"{NICHOLS_FOLLOW['110']} y), {res.counts['fpg100']} at 100-109 ({k100} converted in "
                     f"{NICHOLS_FOLLOW['100']} y).")
    return res


# ------------------------------------------------------------------------------------------------ DPP

DPP_YEARS = 3
def _scenario(name: str, description: str, *interventions: dict) -> Scenario:
    return Scenario.parse({"name": name, "description": description, "interventions": list(interventions)})


def _lifestyle(percent: float, then: str, minutes: float) -> tuple[dict, dict]:
    return ({"type": "weight_loss", "start_year": 0, "percent": percent, "over_months": 6, "then": then},
            {"type": "physical_activity", "start_year": 0, "minutes_per_week": minutes})


#: The arms as the trial ran them, with its reported adherence (Knowler 2002): each arm is a list of (share of
#: participants, scenario). Lifestyle: 50 % reached the 7 % weight-loss goal by 24 weeks and 38 % still met it at
#: the last visit (so 12 % regained); the other half lost less (here half the goal, with half the activity; the
#: arm's mean loss is then about 5 %, the trial's 5.6 kg of about 94 kg). Metformin: 72 % took >= 80 % of the
#: prescribed 1700 mg/day (here: the full dose), the rest about half of it.
DPP_ARMS: dict[str, tuple[tuple[float, Scenario], ...]] = {
    "placebo": ((1.0, BASELINE),),
    "metformin": (
        (0.72, _scenario("dpp_metformin", "metformin 850 mg twice daily",
                         {"type": "metformin", "start_year": 0, "mg_per_day": 1700})),
        (0.28, _scenario("dpp_metformin_partial", "metformin, about half of the doses taken",
                         {"type": "metformin", "start_year": 0, "mg_per_day": 850})),
    ),
    "lifestyle": (
        (0.38, _scenario("dpp_lifestyle", "7 % weight loss in 6 months, kept; 150 min/week",
                         *_lifestyle(7.0, "maintain", 150.0))),
        (0.12, _scenario("dpp_lifestyle_regain", "7 % weight loss in 6 months, then regained; 150 min/week",
                         *_lifestyle(7.0, "regain", 150.0))),
        (0.50, _scenario("dpp_lifestyle_partial", "3.5 % weight loss in 6 months, kept; 75 min/week",
                         *_lifestyle(3.5, "maintain", 75.0))),
    ),
}


#: The lifestyle arm's weight courses without its activity (same persons, same adherence strata): a structural check
#: that the run reports, not an arm of the trial. In the DPP, weight loss was the dominant predictor of diabetes in
#: the lifestyle arm: hazard ratio 0.42 per 5 kg lost, adjusted for diet and activity (Hamman RF et al. Diabetes Care
#: 2006;29:2102-7).
DPP_WEIGHT_ONLY = tuple((share, Scenario.parse({
    "name": f"{sc.name}_weight_only", "description": "the lifestyle arm's weight course, no added activity",
    "interventions": [i.model_dump() for i in sc.interventions if i.type != "physical_activity"]}))
    for share, sc in DPP_ARMS["lifestyle"])
HAMMAN_HR_PER_5KG = 0.42

#: DPP: which criterion triggered a confirmation visit (Christophi 2013; not a target row: a structural check that
#: the run reports): 87 % of the confirmed cases had triggered on the 2-h glucose.
DPP_TRIGGERS_PUBLISHED = {"fasting glucose only": 101, "2-h glucose only": 574, "both": 97}


def dpp_screen(out: np.ndarray) -> np.ndarray:
    """DPP eligibility on the model's own baseline (first record): 2-h glucose 140-199 mg/dL and fasting
    glucose 95-125 mg/dL (Knowler 2002); BMI >= 24 holds by construction of the population."""
    fpg = column(out, "fasting_glucose_mmol_l")[0] * MGDL
    g2h = column(out, "glucose_2h_mmol_l")[0] * MGDL
    return (g2h >= 140.0) & (g2h < 200.0) & (fpg >= 95.0) & (fpg <= 125.0)


def _dpp_arm(cohorts: Cohorts, n: int, arm: str, strata=None) -> tuple[dict, np.ndarray]:
    """One arm over the whole initialised cohort (same shapes for every arm: compiled once); each person follows
    the adherence stratum drawn for them (:data:`DPP_ARMS`, or ``strata`` in the same shares, drawn as ``arm``'s);
    the screen is taken from the placebo run's baseline so that all arms hold the same persons."""
    strata = DPP_ARMS[arm] if strata is None else strata
    rng = np.random.default_rng(_population_seed(cohorts.seed, f"dpp_adherence/{arm}"))
    pick = rng.choice(len(strata), size=n, p=[share for share, _ in strata])

    def pooled(draw: int) -> np.ndarray:
        runs = [cohorts.measured("dpp", n, DPP_YEARS, sc, step="month", draw=draw) for _, sc in strata]
        return np.take_along_axis(np.stack(runs), pick[None, None, None, :], axis=0)[0]

    out, repeat = pooled(0), pooled(1)
    base = cohorts.measured("dpp", n, DPP_YEARS, BASELINE, step="month")
    screened = dpp_screen(base)
    visits = event_times_at_visits(out, confirm=repeat)
    quarterly = event_times_at_visits(out, fpg_every=3, ogtt_every=12, confirm=repeat)
    return {"out": out, "event": visits, "event_quarterly": quarterly, "trigger": first_trigger(out)}, screened


def dpp(n: int, seed: int, cohorts: Cohorts) -> StudyResult:
    res = StudyResult("dpp")
    arms = {}
    screened = None
    for arm in DPP_ARMS:
        arms[arm], screened = _dpp_arm(cohorts, n, arm)
    res.counts.update(persons=n, screened=int(screened.sum()))
    res.baseline["screened, year 0"] = summarise(arms["placebo"]["out"], screened, _female(cohorts, "dpp", n))
    inc = {}
    why = f"no persons passed the DPP screen among {n}"
    months = np.rint(column(arms["placebo"]["out"], "year")[:, 0] * 12).astype(int)
    cum, weight, fpg = {}, {}, {}
    for arm, a in arms.items():
        t = a["event"][screened]
        inc[arm], k, py = incidence(t, float(DPP_YEARS))
        res.counts[f"events_{arm}"] = k
        res.set(f"dpp_inc_{arm}", inc[arm] if screened.any() else np.nan, why)
        cum[arm] = np.array([np.mean(np.isfinite(t) & (t <= m / 12.0)) for m in months]) * 100.0 if screened.any() \
            else np.full(len(months), np.nan)
        w = column(a["out"], "weight_kg")[:, screened]
        weight[arm] = 100.0 * (nanmean(w, axis=1) / nanmean(w[0]) - 1.0) if screened.any() else np.full(len(months), np.nan)
        fpg[arm] = nanmean(column(a["out"], "fasting_glucose_mmol_l")[:, screened], axis=1)
    def reduction(incidence_rate: float) -> float:
        return 100.0 * (1.0 - incidence_rate / inc["placebo"]) if inc["placebo"] > 0 else np.nan

    for arm in ("metformin", "lifestyle"):
        res.set(f"dpp_rr_{arm}", reduction(inc[arm]), why if not screened.any() else "no events in the placebo arm")
    res.data.update(years=months / 12.0, cumulative=cum, weight_change=weight, fpg=fpg,
                    published_incidence={"placebo": 11.0, "metformin": 7.8, "lifestyle": 4.8},
                    model_incidence=inc)
    res.notes.append(f"{res.counts['screened']} of {n} persons pass the screen; the same persons are run in all three "
                     f"arms (virtual twins). Events: " + ", ".join(f"{arm} {res.counts['events_' + arm]}" for arm in arms)
                     + ". Mean weight change at 1 y: " + ", ".join(
                         f"{arm} {weight[arm][min(12, len(months) - 1)]:+.1f} %" for arm in arms) + ".")
    # what first met a criterion at a visit, before confirmation, all arms pooled (not a row: a structural check)
    kinds = np.concatenate([a["trigger"][screened] for a in arms.values()])
    counts = {name: int(np.sum(kinds == i)) for i, name in enumerate(TRIGGERS) if i > 0}
    res.counts.update({f"trigger_{k.replace(' ', '_').replace('-', '')}": v for k, v in counts.items()})
    total = max(sum(counts.values()), 1)
    split = ", ".join(f"{k} {v} ({100 * v / total:.0f} %)" for k, v in counts.items())
    pub = ", ".join(f"{k} {v} ({100 * v / sum(DPP_TRIGGERS_PUBLISHED.values()):.0f} %)"
                    for k, v in DPP_TRIGGERS_PUBLISHED.items())
    res.notes.append(f"First visit meeting a diabetes criterion, before confirmation, all arms: {split}; published "
                     f"(Christophi CA et al. J Diabetes Complications 2013;27:150-7, 772 triggers): {pub}.")
    # the lifestyle arm's weight courses alone, against Hamman 2006's hazard ratio per kg at the arm's mean loss
    if screened.any() and inc["placebo"] > 0:
        only, _ = _dpp_arm(cohorts, n, "lifestyle", DPP_WEIGHT_ONLY)
        inc_w, _, _ = incidence(only["event"][screened], float(DPP_YEARS))
        w = column(arms["lifestyle"]["out"], "weight_kg")[:, screened]
        lost = float(nanmean(w[0] - nanmean(w, axis=0)))  # kg below baseline, averaged over follow-up
        res.notes.append(
            f"Lifestyle arm's weight courses without its activity (not a row): {inc_w:.1f} per 100 person-years, risk "
            f"reduction {reduction(inc_w):.0f} % (with activity {reduction(inc['lifestyle']):.0f} %); the arm is {lost:.1f} kg below baseline on "
            f"average over follow-up, for which Hamman 2006's hazard ratio of {HAMMAN_HR_PER_5KG:g} per 5 kg gives "
            f"{100.0 * (1.0 - HAMMAN_HR_PER_5KG ** (lost / 5.0)):.0f} % (Hamman RF et al. Diabetes Care 2006;29:2102-7: "
            "weight loss the dominant predictor, adjusted for activity and diet).")
    return res


# ------------------------------------------------------------------------------------------------ registry

_WH = ("wh_fpg_minus3", "wh_fpg_at_dx", "wh_fpg_rise_last3", "wh_fpg_acceleration", "wh_g2h_minus3", "wh_g2h_at_dx",
       "wh_homab_ratio_3_4", "wh_homab_ratio_0_3", "wh_homab_minus4", "wh_homab_minus3", "wh_homab_at_dx",
       "wh_homas_at_dx", "wh_controls_homab_slope", "wh_incidence")

PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    Protocol(
        "whitehall", "Whitehall II: trajectories before diagnosis (Tabak 2009)", "whitehall_ii", _WH,
        "Population `whitehall_ii` ({n} virtual persons drawn to the study's baseline, "
        "`parameters/data/populations.yaml`; realised baseline in the table below), followed untreated with yearly "
        "records; cases are those diagnosed within the study's follow-up, " f"{WH_FOLLOW}" " years (phase 3, 1991-93, "
        "to phase 7, 2002-04: trajectories from up to 13 years before diagnosis, median follow-up 9.7 years). "
        "Persons diabetic at year 0 are excluded (the study enrolled people free of diabetes). Diagnosis at the "
        "first check that meets the criteria: the study examined participants with an OGTT at its phases "
        "(fasting glucose >= 7.0 or 2-h glucose >= 11.1 mmol/L) and about half of its cases were diagnosed by a "
        "doctor in between, so " f"{WH_YEARLY_SHARE:.0%}" " of the virtual persons are also checked yearly, by fasting "
        "glucose >= 7.0 mmol/L confirmed by a repeat on another day (no OGTT in routine care; the share that makes "
        "about half of the cases a doctor's), "
        "and the others only at the examinations, which the study held for the whole cohort at its phases 3, 5 and 7 "
        "(1991-93, 1997-99, 2002-04: years " + ", ".join(map(str, WH_EXAMS)) + "). "
        "Every incident case is aligned on diagnosis, as the study's 505 were (the earliest years before diagnosis "
        "come from the cases with that much record). A case's record holds only the examinations up to its "
        "diagnosis, as the study's did (801 measurements for its 505 cases): none at diagnosis for a case a doctor "
        "found between examinations. The mean "
        "trajectory is fitted to those scattered records as the study's multilevel models did: a linear mixed model "
        "with a random intercept per case, by restricted maximum likelihood, and the shape the study reports "
        "(glucose linear, then quadratic from -3 y; log HOMA-%S linear, "
        "steeper over the last 5 y; log HOMA-%B linear with changes of slope at -4 and -3 y; "
        "`validation.protocol.trajectory_fit`; adjusted for age at diagnosis and sex, as the study's were for age, sex "
        "and ethnic origin, which the model does not have). "
        "Controls: not diagnosed within the follow-up; their HOMA-%B trend from the same mixed model (linear, log %B, "
        "adjusted for age and sex) on their examination records, as the mean change over the follow-up. "
        "HOMA2 %B and %S (the scale the study used; Oxford calculator grid, `assessment.homa2`) from the measured "
        "fasting glucose and insulin (within-person variation, Mooy 1996).",
        whitehall, ("Whitehall", "Tabak")),
    Protocol(
        "ukpds", "UKPDS: drift after diagnosis, conventional policy (UKPDS 16)", "dpp",
        ("ukpds_fpg_1y", "ukpds_fpg_6y", "ukpds_hba1c_1y", "ukpds_hba1c_6y", "ukpds_hba1c_drift", "ukpds_fpg_drift",
         "ukpds_homab_slope", "ukpds_homab_at_dx"),
        "Persons diagnosed during an untreated " f"{UKPDS_YEARS}" "-year run of a UKPDS-like population (the "
        "high-risk `dpp` spread re-centred to BMI 28.5, age 45 at start, 39 % women, fasting insulin and glucose moved "
        "along the population's BMI slopes; {n} persons), so that each case enters with its own history. Clinically "
        "diagnosed, as UKPDS patients were: glucose checked in routine care about every " f"{ROUTINE_CHECK_EVERY}" " years "
        "(random phase), diagnosis at the first check with fasting glucose >= 7.8 mmol/L, the criterion of the "
        "trial's recruitment years (NDDG 1979, WHO 1980/85; no OGTT in routine care; measured, with within-person "
        "variation). Each case then continues from the month of their diagnosis: the "
        "trial's 3-month run-in diet (4.5 of 83 kg lost, UKPDS 45; then kept on the continuing diet, Belfast Diet "
        "Study), entry if fasting glucose is 6-15 mmol/L after it (UKPDS 16's window), and 6 years of the conventional "
        "policy: diet, with a drug added only "
        "when fasting glucose is above 15 mmol/L at a 3-monthly visit (sulfonylurea, then metformin, then basal "
        "insulin; UKPDS 33). Medians over the whole arm (intention to treat) of fasting glucose and HbA1c at +1 and "
        "+6 y from entry; HOMA1-%B (UKPDS used the original HOMA) at entry and its slope by least squares on the median "
        "over 0..6 y, leaving out the records of persons on basal insulin (HOMA is not defined with injected insulin; "
        "Wallace 2004).",
        ukpds, ("UKPDS",)),
    Protocol(
        "ukpds_arms", "UKPDS 33 and 34: intensive policy and metformin vs conventional over 10 years", "dpp",
        ("ukpds33_hba1c_intensive", "ukpds33_hba1c_conventional", "ukpds34_hba1c_metformin",
         "ukpds34_hba1c_conventional"),
        "The UKPDS protocol's newly diagnosed persons ({n} at start) and entrants, each run from diagnosis through "
        "the run-in diet and then 10 years of each policy (the same virtual persons in every arm): conventional (as "
        "above); intensive with a sulfonylurea (glyburide 10 mg/day, then metformin and basal insulin above fasting "
        "glucose 15 mmol/L at a 3-monthly visit) or with basal insulin titrated to fasting glucose 6 mmol/L (then "
        "metformin), allocated 1573 : 1156 as in UKPDS 33; metformin 2550 mg/day (then a sulfonylurea and basal "
        "insulin) in the overweight (UKPDS 34: > 120 % of ideal body weight, read as BMI >= 27). HbA1c measured "
        "yearly with within-person variation; each person's mean over years 1-10; medians over the arm (intention "
        "to treat).",
        ukpds_arms, ("UKPDS 33", "UKPDS 34")),
    Protocol(
        "classes", "Glucose-tolerance classes: HOMA-IR and insulinogenic index (Jensen 2002)", "gennid_relatives",
        ("cls_homair_ratio_ifgigt", "cls_homair_ratio_dm", "cls_insgen_ratio_ifgigt", "cls_insgen_ratio_dm"),
        "Cross-section of a GENNID-like cohort of first-degree relatives ({n} persons, drawn 10 years younger than "
        "the study's 44 years and BMI 29, free of diabetes) at year " f"{CLASSES_YEAR}" " of the untreated run "
        "(the study tested relatives with no known history of diabetes: "
        "persons whose fasting glucose met 7.0 mmol/L at a routine check and its repeat before then, every " f"{CLASSES_CHECK_EVERY}"
        " years at a random phase, are left out, so its diabetes class is newly identified, as the study's was; that "
        "interval leaves about 35 % of the cohort's diabetes by fasting glucose undiagnosed, as NHANES III found in US "
        "adults, Harris 1998). Classes by "
        "WHO 1999 criteria: NGT (FPG < 6.1 and 2-h < 7.8 mmol/L), IFG/IGT, diabetes (FPG >= 7.0 or 2-h >= 11.1). "
        "Class means of HOMA1-IR and of the insulinogenic index dI30/dG30 (the study reported means +- SEM); targets "
        "are ratios to NGT, since the insulin assay and HOMA units differ. The run array has no OGTT 30-min values: "
        "they are read from the "
        "meal-model surrogate at each person's recorded knobs (muscle and liver sensitivity, beta-cell mass and "
        "function) and weight, the same table the progression model itself uses.",
        classes, ("Jensen CC", "GENNID")),
    Protocol(
        "conversion", "Conversion from prediabetes to diabetes", "whitehall_ii",
        ("conv_igt_annual", "conv_actnow_placebo", "conv_ifg110_annual", "conv_ifg100_annual"),
        "Whitehall-like cohort ({n} persons) at year 0: persons with IGT (2-h 7.8-11.0 mmol/L, not diabetic) "
        "followed " f"{CONV_FOLLOW}" " years with a yearly OGTT. Nichols 2007's newly acquired IFG, found in "
        "routine care: at a routine check (every " f"{ROUTINE_CHECK_EVERY}" " years, each person at their own phase; "
        "ADA 1997) a fasting glucose of 110-125 or 100-109 mg/dL confirmed by a repeat of 100-125, the previous check "
        "below 100 and no diabetes diagnosed before, entering over the years the run leaves room for (the study's "
        "entries spanned 10 years), then followed with a yearly fasting glucose, a diagnosis confirmed by a repeat "
        "test as routine care makes it (health-plan records), for " f"{NICHOLS_FOLLOW['110']}" " and "
        f"{NICHOLS_FOLLOW['100']}" " years, the study's follow-up of those who did not convert (from its abstract's "
        "share converted, rate and mean time to diabetes). Conversion per 100 "
        "person-years. ACT NOW placebo: the DPP-screened high-risk cohort (IGT, FPG 95-125 mg/dL, BMI >= 24) "
        "untreated, cumulative share diagnosed by " f"{ACTNOW_YEARS}" " years (fasting glucose every 3 months, OGTT "
        "yearly, each diagnosis confirmed by an independent repeat test). Every measured glucose and insulin in "
        "these protocols carries within-person variation (Mooy 1996 CVs).",
        conversion, ("ACT NOW", "Nichols")),
    Protocol(
        "dpp", "Diabetes Prevention Program (Knowler 2002)", "dpp",
        ("dpp_inc_placebo", "dpp_inc_metformin", "dpp_inc_lifestyle", "dpp_rr_metformin", "dpp_rr_lifestyle"),
        "Population `dpp` ({n} persons drawn to the trial's baseline: age 51, BMI 34, 68 % women), screened on "
        "the model's own baseline: 2-h "
        "glucose 140-199 mg/dL and fasting glucose 95-125 mg/dL. The same screened persons run three arms for "
        f"{DPP_YEARS}" " years with monthly steps: placebo (no intervention); metformin 1700 mg/day (72 %; the "
        "others half of it, the trial's adherence); lifestyle with the trial's adherence: 38 % lose 7 % over 6 "
        "months and keep it, 12 % lose it and regain, 50 % lose 3.5 % (all with 150 min/week of activity, the "
        "last group 75). Diagnosis as "
        "in the trial: fasting glucose >= 7.0 mmol/L at the 6-monthly visits or 2-h glucose >= 11.1 at the "
        "yearly OGTT, confirmed by an independent repeat test as the trial required; every measurement carries "
        "within-person variation (Mooy 1996). Incidence per 100 person-years (every "
        "person followed 3 y; the trial's average was 2.8 y) and risk reduction = 1 - incidence ratio. Two "
        "structural checks, not rows: the criterion that first met diabetes at a visit (Christophi 2013), and the "
        "lifestyle arm's weight courses run without its activity (Hamman 2006).",
        dpp, ("DPP", "Knowler", "Diabetes Prevention Program")),
)}

register(*PROTOCOLS.values())
