"""Studies outside the targets (irsim.validation.outside): the converters' statistic on known arrays, and a small run
of every check (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from irsim.validation import outside


def test_converters_rise_counts_the_first_of_two_consecutive_values():
    # three persons, visits every 6 months: a converter at visit 4 (two values >= 7 at visits 4 and 5), a person with one
    # isolated high value (not a converter), and a person diabetic at the first visit (left out)
    fpg = np.array([[5.0, 5.5, 7.5],
                    [5.2, 5.6, 7.4],
                    [5.4, 7.2, 7.6],
                    [5.9, 5.7, 7.8],
                    [7.1, 5.8, 7.9],
                    [7.6, 5.9, 8.0]])
    rise, stay, conv = outside.converters_rise(fpg)
    assert conv.tolist() == [True, False, False]
    np.testing.assert_allclose(rise, [7.1 - 5.2])          # 18 months (3 visits) before visit 4
    np.testing.assert_allclose(stay, [5.9 - 7.2])          # over the last 18 months (visit 2 to 5) of the non-converter


def test_a_converter_without_18_months_of_record_is_not_counted():
    fpg = np.array([[6.5], [7.2], [7.4], [7.5]])
    rise, _, conv = outside.converters_rise(fpg)
    assert not conv.any() and rise.size == 0


def test_nhanes_shares_read_as_a_log_normal_median():
    # NHANES 2009-2016 (J Clin Med 2020;9:2207, Table 4): fasting glucose < 100 mg/dL, 418 of 4,013 with a 2-h glucose
    # >= 140 mg/dL and 37 >= 200; 100-125 mg/dL, 1,006 and 248 of 3,049. A log-normal through both shares has its
    # median at 93.0 and 118.8 mg/dL (sigma 0.325 and 0.373 of the log)
    assert outside.lognormal_median(418 / 4013, 37 / 4013) == pytest.approx(93.05, abs=0.05)
    assert outside.lognormal_median(1006 / 3049, 248 / 3049) == pytest.approx(118.80, abs=0.05)


def test_a_start_without_an_ogtt_has_the_typical_2h_glucose_of_its_fasting_class():
    # the split of a start without an OGTT is calibrated on NHANES's median at fasting glucose < 100 mg/dL (93.0 mg/dL;
    # Whitehall II-like starts: 92.6 at 4,000 persons, 93.6 at 2,000); the 100-125 mg/dL class is its check (118.8;
    # model 119.5 measured, 4,000 persons). With the meal model's reference split (before 2026-12-06) the medians were
    # 155 and 188 mg/dL, three in four IGT at < 100
    checks = outside.fasting_only_ogtt(n=800, seed=1)
    low, high = (c for c in checks if c.quantity.startswith("median"))
    assert low.model == pytest.approx(low.published, rel=0.08)
    assert high.model == pytest.approx(high.published, rel=0.12)
    assert low.model < high.model < 140.0
    # the split's spread between persons (heterogeneity.ogtt_split_sd) is calibrated on NHANES's shares >= 140 mg/dL,
    # 10.4 and 33.0 % (model 10.9 and 29.5 % at 4,000 persons); with one split for everyone they were 3.5 and 22.8 %
    low_igt, high_igt = (c for c in checks if c.quantity.endswith(">= 140 mg/dL, %"))
    assert 6.0 < low_igt.model < 16.0 and 24.0 < high_igt.model < 42.0


@pytest.mark.slow
def test_every_check_runs_and_gives_finite_values():
    checks = outside.measure(n_woscops=2000, n_ukpds=500)
    assert outside.table(checks).count("\n") == 32
    assert len(checks) == 31
    assert all(np.isfinite(c.model) for c in checks if "16-22" not in c.quantity)
    # the committed model's known misses (docs/progression.md, thirty-fifth session): converters rise with too little
    # spread, and the UKPDS-like cases present far below UKPDS 7's 12.1 mmol/L
    sd = next(c for c in checks if c.study == "WOSCOPS" and c.quantity == "its SD")
    assert sd.model < sd.published
    assert next(c for c in checks if "presentation, mmol/L" in c.quantity).model < 10.0
    # and in established diabetes pioglitazone lowers fasting glucose less than Bajaj 2003 measured, with fasting
    # insulin falling where Miyazaki 2001 saw none (thirty-fifth and thirty-sixth sessions)
    assert next(c for c in checks if c.study == "Bajaj 2003" and "fasting" in c.quantity).model > 8.0
    assert next(c for c in checks if c.study == "Miyazaki 2001" and "insulin" in c.quantity).model < -10.0
    # the sulfonylurea's gain is calibrated on Sumi 1982's withdrawal (a mean rise of 35 mg/dL; 35.4 at 2,000 persons)
    rise = next(c for c in checks if c.study == "Sumi 1982" and "mean rise" in c.quantity).model
    assert 25.0 < rise < 45.0
    # three weeks of near-normal glucose on insulin leave a lasting remission: the stunning's rest point is calibrated on
    # Kramer 2013's 46.3 % at a year (47.4 % at 2,000 persons since 2026-12-06, 44.8 % at 500 in v2.16; 1-2 % before,
    # with nothing reversible to undo)
    on = next(c for c in checks if c.study == "Weng 2008").model
    assert on < 7.0
    assert 35.0 < next(c for c in checks if "remission 12 months" in c.quantity).model < 58.0
