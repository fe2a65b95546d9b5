"""Between-person random effects of the organ modules (organs.yaml `heterogeneity`, cohort.synthetic.organ_effects),
the year-0 eGFR with hyperfiltration, and the free-testosterone protocol of the hormones study."""

import numpy as np
import pytest

from irsim.cohort import progression as cp
from irsim.cohort.synthetic import organ_effects
from irsim.models import organs as om
from irsim.models import progression as pm
from irsim.models.organs import liver, vessels
from irsim.models.organs._common import c

ON = pm.Mechanisms()
EFFECTS = ("triglyceride_factor", "hdl_factor", "filtration_factor", "liver_export_factor", "testosterone_factor",
           "shbg_factor")


def lognormal_sd(cv):
    """ln-scale SD of a log-normal with coefficient of variation ``cv``."""
    return float(np.sqrt(np.log1p(cv ** 2)))


def test_spreads_follow_their_sources():
    # TG: NHANES ln SD 0.46 (GM 110 mg/dL with 25.1 % >= 150) less the 14.9 % insulin resistance, race and sex explain
    assert np.log(150 / 110) / 0.671 == pytest.approx(0.46, abs=0.01)
    assert c("heterogeneity.tg_log_sd") == pytest.approx(0.46 * np.sqrt(1 - 0.149), abs=0.01)
    # HDL: ln SD 0.25 (log10 0.11) less the CETP share of the TG spread
    assert c("heterogeneity.hdl_log_sd") == pytest.approx(np.sqrt((0.11 * np.log(10)) ** 2 - (0.3 * 0.46) ** 2),
                                                          abs=0.01)
    # measured GFR of kidney donors within age and sex strata (Gonwa 1993)
    cvs = [15 / 102, 17 / 114, 13 / 84, 15 / 79]
    assert c("heterogeneity.filtration_log_sd") == pytest.approx(np.mean([lognormal_sd(x) for x in cvs]), abs=0.01)
    # calculated free T of healthy non-obese young men 141.8 +- 45.0 pg/mL (Bhasin 2011)
    assert c("heterogeneity.testosterone_log_sd") == pytest.approx(lognormal_sd(45.0 / 141.8), abs=0.01)
    # SHBG of men <= 54 y 27.7 +- 13.3 nmol/L, less the part fasting insulin explains (r = -0.38, Tsai 2004)
    assert c("heterogeneity.shbg_log_sd") == pytest.approx(lognormal_sd(13.3 / 27.7) * np.sqrt(1 - 0.38 ** 2),
                                                           abs=0.01)


def test_drawn_effects_have_the_published_spreads():
    n = 200_000
    female = (np.arange(n) % 2).astype(float)
    e = organ_effects(n, female, np.random.default_rng(0))
    men = female < 0.5
    for key, sd in (("triglyceride_factor", "tg_log_sd"), ("hdl_factor", "hdl_log_sd"),
                    ("filtration_factor", "filtration_log_sd"), ("liver_export_factor", "liver_export_log_sd")):
        assert np.log(e[key]).std() == pytest.approx(c(f"heterogeneity.{sd}"), rel=0.02), key
        assert np.median(e[key]) == pytest.approx(1.0, abs=0.01), key
    for key, sd in (("testosterone_factor", "testosterone_log_sd"), ("shbg_factor", "shbg_log_sd")):
        assert np.log(e[key][men]).std() == pytest.approx(c(f"heterogeneity.{sd}"), rel=0.02), key
        assert np.all(e[key][~men] == 1.0), key  # the sources are men's
    # PNPLA3 148M: Hardy-Weinberg genotypes at the allele frequency 0.23 (Romeo 2008)
    p = c("heterogeneity.pnpla3_148m_frequency")
    g = e["pnpla3_148m_alleles"]
    assert [np.mean(g == k) for k in (0, 1, 2)] == pytest.approx([(1 - p) ** 2, 2 * p * (1 - p), p ** 2], abs=0.005)


def test_pnpla3_and_export_spread_reproduce_published_liver_fat_ratios():
    # Sookoian & Pirola 2011: GG carry 73 % more liver fat than CC; at the median supply of the Whitehall-like cohort
    net = 1.485
    gg, cc = (float(liver.steady_fat(net / liver.export_capacity(np.array(k)), ON)) for k in (2.0, 0.0))
    assert gg / cc == pytest.approx(1.73, abs=0.05)
    # the population's mean allele dose gives capacity 1: the calibrated export stays the population's
    assert float(liver.export_capacity(np.array(2 * c("heterogeneity.pnpla3_148m_frequency")))) == pytest.approx(1.0)
    # Szczepaniak 2005: low-risk adults' 95th percentile 5.56 % against ~2 % in lean adults (ratio ~2.8)
    rng = np.random.default_rng(1)
    n = 200_000
    cap = (liver.export_capacity(rng.binomial(2, c("heterogeneity.pnpla3_148m_frequency"), n).astype(float))
           * np.exp(c("heterogeneity.liver_export_log_sd") * rng.normal(size=n)))
    fat = np.asarray(liver.steady_fat(1.0 / cap, ON))
    assert np.percentile(fat, 95) / np.median(fat) == pytest.approx(5.56 / 2.0, rel=0.05)


PERSON = {"age": np.array([55.0]), "female": np.array([0.0]), "height": np.array([176.0]),
          "weight": np.array([92.0]), "fasting_glucose": np.array([140.0]), "fasting_insulin": np.array([14.0])}


def _start(**extra):
    cols = {k: v.copy() for k, v in PERSON.items()}
    cols.update({k: np.array([float(v)]) for k, v in extra.items()})
    return cp.initialise(cols)


def test_a_person_without_draws_gets_the_median():
    # no random effects given = every factor 1 and the population's mean PNPLA3 dose: one projection, deterministic
    plain = _start()
    median = _start(**{k: 1.0 for k in EFFECTS}, pnpla3_148m_alleles=2 * c("heterogeneity.pnpla3_148m_frequency"))
    for a, b in zip(plain.organ_params + plain.organ_state, median.organ_params + median.organ_state):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert np.asarray(plain.organ_params.fat_export) == pytest.approx(1.0)


def test_factors_scale_the_defaults_and_a_measured_lab_wins():
    plain, drawn = _start(), _start(triglyceride_factor=1.5, filtration_factor=1.2, testosterone_factor=0.8,
                                     shbg_factor=1.44, pnpla3_148m_alleles=2)
    y0 = lambda s: cp.run(s, 1)[0, :, 0]  # noqa: E731
    C = {name: i for i, name in enumerate(cp.COLUMNS)}
    a, b = y0(plain), y0(drawn)
    assert b[C["triglycerides_mg_dl"]] / a[C["triglycerides_mg_dl"]] == pytest.approx(1.5, rel=1e-6)
    assert b[C["hdl_mg_dl"]] < a[C["hdl_mg_dl"]]  # CETP: HDL follows the person's higher TG
    assert b[C["egfr_ml_min"]] / a[C["egfr_ml_min"]] == pytest.approx(1.2, rel=1e-6)
    assert b[C["shbg_nmol_l"]] / a[C["shbg_nmol_l"]] == pytest.approx(1.44, rel=1e-6)
    # total T: the person's Leydig output x their SHBG at the model's elasticity (0.5)
    assert b[C["testosterone_nmol_l"]] / a[C["testosterone_nmol_l"]] == pytest.approx(0.8 * 1.2, rel=1e-6)
    assert b[C["liver_fat_percent"]] > a[C["liver_fat_percent"]]  # 148M homozygote
    # measured labs win over the draws
    lab = _start(triglyceride_factor=3.0, testosterone_factor=0.5, filtration_factor=0.7, triglycerides=120.0,
                 total_testosterone=15.0, creatinine=0.9)
    y = y0(lab)
    from irsim.assessment.kidney import egfr_ckd_epi_2021_cr
    assert y[C["triglycerides_mg_dl"]] == pytest.approx(120.0, rel=1e-6)
    assert y[C["testosterone_nmol_l"]] == pytest.approx(15.0, rel=1e-6)
    assert y[C["egfr_ml_min"]] == pytest.approx(float(egfr_ckd_epi_2021_cr(0.9, 55.0, 0.0)), rel=1e-6)


def test_year0_egfr_without_creatinine_includes_glucose_hyperfiltration():
    # the age default is the filtration capacity; hyperfiltration (Melsom 2011, Chagnac 2003) multiplies it
    from irsim.units import GLUCOSE_MG_DL_PER_MMOL_L

    C = {name: i for i, name in enumerate(cp.COLUMNS)}
    ages, values = c("kidney.egfr_default_age")
    default = np.interp(55.0, ages, values)
    egfr = {}
    for fpg in (92.0, 140.0):
        cols = {k: v.copy() for k, v in PERSON.items()}
        cols["fasting_glucose"] = np.array([fpg])
        egfr[fpg] = cp.run(cp.initialise(cols), 1)[0, C["egfr_ml_min"], 0]
    h = (1.0 + c("kidney.hyper_glucose") * (140.0 / GLUCOSE_MG_DL_PER_MMOL_L - c("kidney.hyper_glucose_from"))
         + c("kidney.hyper_bmi") * (92.0 / 1.76 ** 2 - 25.0))
    assert egfr[140.0] == pytest.approx(default * h, rel=2e-3)
    assert egfr[140.0] > egfr[92.0] > default


def test_hdl_above_prevent_range_keeps_non_hdl():
    # PREVENT's inputs are clipped to its range; a clipped HDL must not move the excess into non-HDL cholesterol
    op = om.OrganParams(**{f: np.zeros(1) for f in om.OrganParams._fields})
    args = dict(age=np.array([60.0]), female=np.array([1.0]), sbp_=np.array([130.0]), dm=np.array([0.0]), op=op,
                egfr=np.array([90.0]))
    h105 = vessels.prevent_cumulative(tc=np.array([130.0 + 105.0]), hdl=np.array([105.0]), **args)
    h112 = vessels.prevent_cumulative(tc=np.array([130.0 + 112.0]), hdl=np.array([112.0]), **args)
    lower = vessels.prevent_cumulative(tc=np.array([120.0 + 112.0]), hdl=np.array([112.0]), **args)
    assert float(h112[0]) == pytest.approx(float(h105[0]), rel=1e-9)
    assert float(lower[0]) < float(h112[0])


def test_hormone_protocol_counts_calculated_free_testosterone():
    # Dhindsa defined low testosterone by free T; the protocol computes Vermeulen 1999 (assessment.hormones) with
    # albumin 4.3 g/dL and the lower limit 6.5 ng/dL = 0.225 nmol/L
    from irsim.assessment.hormones import free_testosterone
    from irsim.validation import organ_studies as os_
    from irsim.validation.protocol import Cohorts, column

    assert os_.FREE_T_LOW == pytest.approx(6.5 * 0.03467, abs=1e-3)
    # worked example (calculators.md s.6; ISSAM): TT 15, SHBG 40 nmol/L -> 0.2735 nmol/L
    assert float(free_testosterone(np.array([15.0]), np.array([40.0]), np.array([4.3]))[0]) == pytest.approx(
        0.2735, abs=5e-5)
    cohorts = Cohorts(0)
    res = os_.hormones(200, 0, cohorts)
    out = cohorts.run("dpp", 200, 1, overrides=os_.T2D_OVERRIDES)
    men = np.asarray(cohorts.start("dpp", 200, os_.T2D_OVERRIDES).params.female) < 0.5
    sel = men & (column(out, "glycemic_status")[0] == 4)
    ft = free_testosterone(column(out, "testosterone_nmol_l")[0], column(out, "shbg_nmol_l")[0], np.full(200, 4.3))
    assert res.values["hor_low_t_t2d_men"] == pytest.approx(100.0 * np.mean(ft[sel] < 0.225))
