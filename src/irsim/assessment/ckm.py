"""AHA cardiovascular-kidney-metabolic (CKM) syndrome stage (see docs/calculators/ckm.md).

Stages follow Ndumele CE et al., Circulation 2023;148:1606-35 (Presidential Advisory).
irsim takes no imaging, cardiac biomarkers or clinical CVD history, so stage 3 is
reached only through its risk equivalents (very-high-risk CKD on the KDIGO heat map,
or PREVENT 10-year total CVD >= 20 %, a project threshold) and stage 4 is never
assigned; ``detail`` says what would be needed to decide the higher stages.
"""

from __future__ import annotations

import numpy as np

from .heart import prevent_10y
from ._helpers import add_reason, finding_lists, joined_text, no_reasons
from .kidney import KDIGO_HEATMAP, albuminuria_index, gfr_index, kdigo_risk, staging_egfr
from .metabolic_syndrome import WAIST_CUTOFFS, metabolic_syndrome_status
from .registry import Calculator, Computed, Inputs, register, want_reasons

# Ndumele 2023, Table 2 (non-Asian cutoffs; irsim takes no ancestry input).
BMI_CUT = 25.0                     # kg/m2, stage 1
WAIST_M, WAIST_F = WAIST_CUTOFFS["us"]   # 102 / 88 cm, stage 1
FPG_PRE, FPG_DM = 100.0, 126.0     # mg/dL; prediabetes = stage 1, diabetes = stage 2 (ADA)
A1C_PRE, A1C_DM = 5.7, 6.5         # %
OGTT_DM = 200.0                    # mg/dL 2-h glucose, diabetes range (ADA)
TG_CUT = 135.0                     # mg/dL, hypertriglyceridaemia in CKM stage 2
# Hypertension (stage 2): >= 130/80 mmHg or treated (Whelton PK et al., 2017 ACC/AHA guideline,
# Hypertension 2018;71:e13-e115).
SBP_HTN, DBP_HTN = 130.0, 80.0
# Stage 3 risk equivalent: PREVENT 10-y total CVD >= 20 %. The advisory defers the threshold to the
# PREVENT calculator; 20 % (the PREVENT "high" band) is an irsim project choice.
PREVENT_HIGH = 20.0

STAGE3_NOTE = ("stage 3 also needs subclinical CVD data irsim does not take (coronary calcium score, NT-proBNP, "
               "hs-troponin, echocardiography); only its risk equivalents (PREVENT, KDIGO) were checked")
STAGE4_NOTE = ("stage 4 needs a clinical CVD history (coronary heart disease, heart failure, stroke, "
               "peripheral artery disease, atrial fibrillation), which irsim does not take")


def _ckm(x: Inputs) -> Computed:
    fem = x["female"]
    f, m, u = fem == 1.0, fem == 0.0, np.isnan(fem)
    bmi, waist = x["bmi"], x["waist"]
    fpg, a1c, g2h = x["fasting_glucose"], x["hba1c"], x["glucose_2h"]
    tg, sbp, dbp = x["triglycerides"], x["systolic_bp"], x["diastolic_bp"]
    dm_flag, dm_flag_known = x["diabetes"] == 1.0, ~np.isnan(x["diabetes"])
    bp_med = x["on_bp_medication"] == 1.0

    # Stage 1: excess or dysfunctional adiposity, or prediabetes.
    bmi_met, bmi_known = bmi >= BMI_CUT, ~np.isnan(bmi)
    w_m, w_f, w_u = m & (waist >= WAIST_M), f & (waist >= WAIST_F), u & (waist >= WAIST_M)
    waist_met = w_m | w_f | w_u
    waist_known = ~np.isnan(waist) & (~u | waist_met | (waist < WAIST_F))
    prediab = ((fpg >= FPG_PRE) & (fpg < FPG_DM)) | ((a1c >= A1C_PRE) & (a1c < A1C_DM))
    glyc_known = ~np.isnan(fpg) | ~np.isnan(a1c)
    s1_met = bmi_met | waist_met | prediab
    s1_out = bmi_known & ~bmi_met & waist_known & ~waist_met & glyc_known & ~prediab

    # Stage 2: metabolic risk factors or moderate/high-risk CKD.
    tg_met, tg_known = tg >= TG_CUT, ~np.isnan(tg)
    bp_high = (sbp >= SBP_HTN) | (dbp >= DBP_HTN)
    htn = bp_high | bp_med
    htn_known = htn | (~np.isnan(sbp) & ~np.isnan(dbp))
    lab_dm = (fpg >= FPG_DM) | (a1c >= A1C_DM) | (g2h >= OGTT_DM)
    dm = dm_flag | lab_dm
    dm_known = dm | dm_flag_known | glyc_known | ~np.isnan(g2h)
    mets = metabolic_syndrome_status(x, "us")  # shared with the metabolic_syndrome calculator

    egfr, _ = staging_egfr(x)
    g_idx = gfr_index(egfr)
    a_idx = albuminuria_index(x["uacr"])
    risk = kdigo_risk(g_idx, a_idx)  # -1 where undecidable
    # Albuminuria not measured: judge from eGFR alone (as A1); noted in detail.
    uacr_missing = a_idx < 0
    risk_a1 = np.where((g_idx >= 0) & uacr_missing, KDIGO_HEATMAP[np.clip(g_idx, 0, 5), 0], -1)
    # eGFR not available: the G1 row is the lowest-risk row, so A2/A3 give at least its risk.
    risk_g1 = np.where((g_idx < 0) & (a_idx >= 1), KDIGO_HEATMAP[0, np.clip(a_idx, 0, 2)], -1)
    risk_eff = np.maximum(np.maximum(risk, risk_a1), risk_g1)
    ckd_known = risk_eff >= 0
    ckd_vh = risk == 3
    ckd_met = risk_eff >= 1

    s2_met = tg_met | htn | dm | mets.present | ckd_met
    s2_out = (tg_known & ~tg_met & htn_known & ~htn & dm_known & ~dm & mets.absent & ckd_known & ~ckd_met)

    # Stage 3 risk equivalents, among people with CKM risk factors.
    prevent, prevent_ok, _, _ = prevent_10y(x, "cvd", reasons=False)
    prevent_high = prevent_ok & (prevent >= PREVENT_HIGH)
    s3_met = (ckd_vh | prevent_high) & (s1_met | s2_met)

    stage = np.where(s3_met, 3, np.where(s2_met, 2, np.where(s2_out & s1_met, 1, np.where(s2_out & s1_out, 0, -1))))
    ok = stage >= 0

    detail = finding_lists([
        (bmi_met, f"BMI >= {BMI_CUT:g} kg/m2 (stage 1)"),
        (w_m, f"waist >= {WAIST_M:g} cm, men (stage 1)"), (w_f, f"waist >= {WAIST_F:g} cm, women (stage 1)"),
        (w_u, f"waist >= {WAIST_M:g} cm (stage 1)"),
        (prediab, "prediabetes-range fasting glucose or HbA1c (stage 1)"),
        (tg_met, f"triglycerides >= {TG_CUT:g} mg/dL (stage 2)"),
        (htn, f"hypertension: BP >= {SBP_HTN:g}/{DBP_HTN:g} mmHg or treated (stage 2)"),
        (dm, "diabetes: diagnosed, or glucose/HbA1c in the diabetes range (stage 2)"),
        (mets.present, "metabolic syndrome (stage 2)"),
        (ckd_met & ~ckd_vh, "moderate- or high-risk CKD on the KDIGO heat map (stage 2)"),
        (ckd_vh, "very-high-risk CKD on the KDIGO heat map (stage 3 risk equivalent)"),
        (prevent_high, f"PREVENT 10-y total CVD >= {PREVENT_HIGH:g} % (stage 3 risk equivalent; irsim threshold)"),
        (ok & (stage < 3) & ~prevent_ok,
         "PREVENT 10-y CVD not computable, so its stage 3 risk equivalent was not checked"),
        (ok & uacr_missing & (g_idx >= 0), "albuminuria (uacr) not measured: CKD risk judged from eGFR alone"),
        (ok & ~ckd_known, "kidney risk not assessed (needs creatinine or uacr)"),
        (ok & (stage < 3), STAGE3_NOTE),
        (ok, STAGE4_NOTE),
    ], ok)

    reason = no_reasons(x.n)
    if want_reasons():
        _ckm_reasons(x, reason, tg_known, htn_known, dm_known, ckd_known, s2_met, s2_out, mets, s1_met, s1_out,
                     bmi_known, waist_known, glyc_known)
    cat = np.full(x.n, None, dtype=object)
    for s in range(4):
        cat[stage == s] = f"stage_{s}"
    return Computed(stage.astype(np.int64), cat, detail=detail, computable=ok, reason=reason)


def _ckm_reasons(x: Inputs, reason, tg_known, htn_known, dm_known, ckd_known, s2_met, s2_out, mets, s1_met, s1_out,
                 bmi_known, waist_known, glyc_known) -> None:
    """Why a stage is undecided (the single-person output's not_computable texts)."""
    sbp, dbp, waist = x["systolic_bp"], x["diastolic_bp"], x["waist"]
    s2_open = ~s2_met & ~s2_out
    add_reason(reason, s2_open, joined_text([
        (~tg_known, "triglycerides"),
        (~htn_known & np.isnan(sbp), "systolic_bp"), (~htn_known & np.isnan(dbp), "diastolic_bp"),
        (~dm_known, "fasting_glucose or hba1c"),
        (~ckd_known, "creatinine"),
    ], s2_open & ~(tg_known & htn_known & dm_known & ckd_known), prefix="needs ", suffix=" to rule out stage 2"))
    mets_open = s2_open & ~mets.present & ~mets.absent
    add_reason(reason, mets_open, "metabolic syndrome undecided: " + mets.reason[mets_open])
    s1_open = s2_out & ~s1_met & ~s1_out
    add_reason(reason, s1_open, joined_text([
        (~bmi_known, "bmi"), (np.isnan(waist), "waist"), (~np.isnan(waist) & ~waist_known, "female"),
        (~glyc_known, "fasting_glucose or hba1c"),
    ], s1_open, prefix="needs ", suffix=" to rule out stage 1"))


register(Calculator(
    key="ckm_stage", label='Cardiovascular-kidney-metabolic (CKM) stage',
    ranges=('0 no risk factors; 1 excess or dysfunctional body fat; 2 metabolic risk factors or kidney disease; '
            '3-4 need heart findings irsim does not take'),
    organ="whole_body", unit=None, requires=(), compute=_ckm,
    formula=("Highest CKM stage met: 1 = BMI >= 25, waist >= 102/88 cm (M/F) or prediabetes; "
             "2 = TG >= 135 mg/dL, hypertension (>= 130/80 or treated), diabetes, metabolic syndrome or "
             "moderate/high-risk CKD (KDIGO); 3 = risk equivalents only: very-high-risk CKD or PREVENT 10-y CVD "
             ">= 20 % (irsim threshold); 0 = none, all ruled out. Stage 4 (clinical CVD) is not assessed. "
             "Value -1 where not computable"),
    reference=("Ndumele CE et al. Cardiovascular-Kidney-Metabolic Health: A Presidential Advisory From the American "
               "Heart Association. Circulation 2023;148:1606-35"),
    mechanism=("Insulin resistance from excess and dysfunctional fat is the common root of the metabolic, kidney and "
               "heart disease that the CKM stages track."),
    abnormal=frozenset({"stage_1", "stage_2", "stage_3"}),
))
