"""Every calculator family: registered keys, metadata, and robustness on messy batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from irsim.assessment import REGISTRY, Inputs

EXPECTED = {
    "glucose_insulin": {"homa1_ir", "homa1_beta", "quicki", "tyg_index", "tg_hdl_ratio", "matsuda_index",
                        "insulinogenic_index", "glycemic_status", "eag", "homa2_ir", "homa2_beta_percent",
                        "homa2_s_percent"},
    "whole_body": {"metabolic_syndrome", "ckm_stage"},
    "lipids": {"non_hdl_cholesterol", "ldl_friedewald", "ldl_martin_hopkins", "ldl_sampson"},
    "kidney": {"egfr_ckd_epi_2021", "egfr_ckd_epi_2021_cr_cys", "kdigo_gfr_category", "kdigo_albuminuria_category"},
    "liver": {"fib4", "nafld_fibrosis_score", "fatty_liver_index", "hepatic_steatosis_index"},
    "hormones": {"free_testosterone_vermeulen", "pcos_pattern"},
    "heart": {"prevent_cvd_10y", "prevent_ascvd_10y", "prevent_hf_10y"},
}
ALL = sorted(set().union(*EXPECTED.values()))


@pytest.mark.parametrize("organ,keys", sorted(EXPECTED.items()))
def test_keys_registered_under_their_organ(organ, keys):
    for k in keys:
        assert k in REGISTRY, k
        assert REGISTRY[k].organ == organ, k


@pytest.mark.parametrize("key", ALL)
def test_metadata(key):
    c = REGISTRY[key]
    assert c.formula and c.reference and c.mechanism
    assert c.mechanism.endswith(".")


def test_units():
    assert REGISTRY["homa1_beta"].unit == "%"
    assert REGISTRY["eag"].unit == "mg/dL"
    for k in EXPECTED["lipids"]:
        assert REGISTRY[k].unit == "mg/dL"
    for k in ("egfr_ckd_epi_2021", "egfr_ckd_epi_2021_cr_cys"):
        assert REGISTRY[k].unit == "mL/min/1.73m2"
    for k in EXPECTED["heart"]:
        assert REGISTRY[k].unit == "%"
    assert REGISTRY["free_testosterone_vermeulen"].unit == "nmol/L"


def _messy_batch(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    ranges = dict(age=(10, 95), height=(140, 200), weight=(35, 180), waist=(55, 150), systolic_bp=(80, 220),
                  diastolic_bp=(40, 130), fasting_glucose=(40, 400), fasting_insulin=(0, 80), c_peptide=(0, 5),
                  hba1c=(4, 14), glucose_2h=(50, 400), triglycerides=(0, 1200), hdl_cholesterol=(0, 120),
                  ldl_cholesterol=(30, 250), total_cholesterol=(80, 400), alt=(0, 300), ast=(0, 300), ggt=(0, 500),
                  platelets=(0, 600), albumin=(2, 5.5), creatinine=(0, 12), cystatin_c=(0, 6), uacr=(0, 3000),
                  total_testosterone=(0, 40), shbg=(0, 200), lh=(0, 40), fsh=(0, 40))
    cols = {k: rng.uniform(lo, hi, n) for k, (lo, hi) in ranges.items()}
    for k in ("female", "smoker", "on_bp_medication", "on_statin", "diabetes"):
        cols[k] = (rng.random(n) < 0.4).astype(float)
    cols["bmi"] = cols["weight"] / (cols["height"] / 100) ** 2
    for m in (0, 30, 60, 90, 120):
        cols[f"ogtt_glucose_{m}"] = rng.uniform(50, 300, n)
        cols[f"ogtt_insulin_{m}"] = rng.uniform(0, 200, n)
    for k in cols:  # 15 % missing everywhere, plus exact zeros and cutoff-like round values
        v = cols[k]
        v[rng.random(n) < 0.15] = np.nan
        v[rng.random(n) < 0.02] = 0.0
    return Inputs(cols, n)


@pytest.mark.parametrize("key", ALL)
def test_messy_batch_never_gives_nan_for_computable_rows(key):
    x = _messy_batch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from log/sqrt/divide on bad rows
        c = REGISTRY[key].compute(x)
    value = np.asarray(c.value)
    assert value.shape == (x.n,)
    # rows the engine would pass: every required input present
    ok = np.ones(x.n, bool)
    for r in REGISTRY[key].requires:
        ok &= x.has(r)
    if c.computable is not None:
        own = np.asarray(c.computable, bool)
        assert own.shape == (x.n,)
        # rows the calculator rejects itself (with its inputs present) always carry a reason string
        rejected = ok & ~own
        assert all(isinstance(r, str) and r for r in np.asarray(c.reason, dtype=object)[rejected])
        ok &= own
    if value.dtype.kind == "f":
        assert np.isfinite(value[ok]).all()
    elif value.dtype.kind == "O":
        assert not np.equal(value[ok], None).any()
    if c.category is not None:
        cat = np.asarray(c.category, dtype=object)[ok]
        abnormal = REGISTRY[key].abnormal
        assert abnormal, f"{key} has categories but no abnormal set"
        labels = {v for v in cat if v is not None}
        assert labels  # some category on a batch this size
        assert all(isinstance(v, str) for v in labels)
