"""AHA CKM staging as far as irsim's inputs allow (calculators.md section 8)."""

from __future__ import annotations

import numpy as np

from irsim.assessment import REGISTRY, Inputs

NAN = np.nan

# A 40-year-old woman with no CKM risk factor: eGFR 95.5 (G1), UACR 10 (A1).
HEALTHY = dict(female=1, age=40, bmi=22, waist=80, fasting_glucose=90, hba1c=5.2, triglycerides=100,
               hdl_cholesterol=60, total_cholesterol=180, systolic_bp=115, diastolic_bp=75, on_bp_medication=0,
               on_statin=0, diabetes=0, smoker=0, creatinine=0.8, uacr=10)


def ckm(**over):
    cols = {**HEALTHY, **over}
    arrs = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in cols.items()}
    n = max(a.size for a in arrs.values())
    arrs = {k: np.broadcast_to(a, (n,)).copy() for k, a in arrs.items()}
    return REGISTRY["ckm_stage"].compute(Inputs(arrs, n))


def test_stage_0_and_notes():
    c = ckm()
    assert c.value[0] == 0 and c.category[0] == "stage_0"
    assert any("stage 4" in d for d in c.detail[0]) and any("coronary calcium" in d for d in c.detail[0])


def test_stage_1_adiposity_and_prediabetes():
    # Ndumele 2023: BMI >= 25, waist >= 88 cm (women), FPG 100-125 or HbA1c 5.7-6.4 -> stage 1
    c = ckm(bmi=[25, 24.9, 22, 22, 22], waist=[80, 80, 88, 80, 80], fasting_glucose=[90, 90, 90, 100, 90],
            hba1c=[5.2, 5.2, 5.2, 5.2, 5.7])
    assert list(c.value) == [1, 0, 1, 1, 1]


def test_stage_2_criteria():
    # TG >= 135, BP >= 130/80 or treated, diabetes, G3a (moderate KDIGO risk) -> stage 2
    scr_g3a = 1.2  # F 40 y: eGFR about 57
    c = ckm(triglycerides=[135, 134.9, 100, 100, 100, 100, 100],
            diastolic_bp=[75, 75, 80, 75, 75, 75, 75], on_bp_medication=[0, 0, 0, 1, 0, 0, 0],
            hba1c=[5.2, 5.2, 5.2, 5.2, 6.5, 5.2, 5.2], creatinine=[0.8] * 5 + [scr_g3a, 0.8],
            uacr=[10] * 6 + [30])
    assert list(c.value) == [2, 0, 2, 2, 2, 2, 2]
    assert any("KDIGO" in d for d in c.detail[5]) and any("KDIGO" in d for d in c.detail[6])


def test_stage_3_risk_equivalents():
    # very-high-risk CKD: G4 (any albuminuria), or G3b with A2; PREVENT 10-y CVD >= 20 % (project threshold)
    c = ckm(creatinine=[2.5, 1.6, 0.8], uacr=[10, 100, 10])
    assert list(c.value[:2]) == [3, 3]
    assert any("very-high-risk CKD" in d for d in c.detail[0])
    old = ckm(female=0, age=75, smoker=1, diabetes=1, systolic_bp=170, on_bp_medication=1, total_cholesterol=260,
              hdl_cholesterol=35, creatinine=1.0)
    assert old.value[0] == 3
    assert any("PREVENT 10-y total CVD >= 20 %" in d for d in old.detail[0])


def test_undecidable_rows_name_inputs():
    c = ckm(waist=[NAN, 80, 80], triglycerides=[100, NAN, 100], creatinine=[0.8, 0.8, NAN], uacr=[10, 10, NAN])
    assert list(c.computable) == [False, False, False]
    assert list(c.value) == [-1, -1, -1]
    assert "waist" in c.reason[0] and "stage 1" in c.reason[0]
    assert "triglycerides" in c.reason[1] and "stage 2" in c.reason[1]
    assert "creatinine" in c.reason[2]
    # but a stage 2 finding decides the row even with gaps
    c = ckm(waist=NAN, triglycerides=NAN, systolic_bp=150)
    assert c.value[0] == 2


def test_missing_uacr_judged_from_egfr():
    c = ckm(uacr=NAN)
    assert c.value[0] == 0
    assert any("uacr" in d and "not measured" in d for d in c.detail[0])
