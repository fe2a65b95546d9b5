"""Fatty-liver (MASLD) steatosis and fibrosis scores (see docs/calculators/liver.md)."""

from __future__ import annotations

import numpy as np

from ._helpers import add_reason, flag, no_reasons
from .formulas import fib4_index
from .registry import Calculator, Computed, Inputs, categorize, register

FIBROSIS_MECHANISM = ("Insulin resistance sends a steady flow of fatty acids to the liver; the fat that builds up "
                      "inflames it, and over years the inflammation lays down scar tissue (fibrosis).")
STEATOSIS_MECHANISM = ("When insulin no longer holds back fat release from adipose tissue while it keeps driving fat "
                       "synthesis in the liver, fat accumulates in liver cells (steatosis).")


def _fib4(x: Inputs) -> Computed:
    age, ast, alt, plt = x["age"], x["ast"], x["alt"], x["platelets"]
    ok = ~((alt <= 0) | (plt <= 0))
    v = np.where(ok, fib4_index(age, ast, np.where(ok, alt, 1.0), np.where(ok, plt, 1.0)), np.nan)
    # MASLD cutoffs: < 1.30 low, 1.30-2.67 indeterminate, > 2.67 high (Shah AG et al., Clin Gastroenterol
    # Hepatol 2009;7:1104-12); at age >= 65 the low cutoff is 2.0 (McPherson S et al., Am J Gastroenterol
    # 2017;112:740-51).
    low_cut = np.where(age >= 65, 2.0, 1.30)
    cat = np.full(x.n, None, dtype=object)
    cat[ok & (v < low_cut)] = "low_risk"
    cat[ok & (v >= low_cut) & (v <= 2.67)] = "indeterminate"
    cat[ok & (v > 2.67)] = "high_risk"
    detail = np.full(x.n, None, dtype=object)
    detail[ok & (age >= 65)] = "age >= 65: low-risk cutoff 2.0 (McPherson 2017)"
    detail[ok & (age < 35)] = "age < 35: FIB-4 is less reliable (validated for ages 35-65)"
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "alt and platelets must be > 0")
    return Computed(v, cat, detail=detail, computable=ok, reason=reason)


register(Calculator(
    key="fib4", label='FIB-4 (liver scarring score)',
    ranges='low below 1.30 (2.0 from age 65); high above 2.67',
    organ="liver", unit=None, requires=("age", "ast", "alt", "platelets"), compute=_fib4,
    formula=("FIB-4 = age [y] x AST [U/L] / (platelets [10^9/L] x sqrt(ALT [U/L])); "
             "< 1.30 low (< 2.0 at age >= 65), 1.30-2.67 indeterminate, > 2.67 high risk of advanced fibrosis"),
    reference=("Sterling RK et al. Hepatology 2006;43:1317-25; cutoffs Shah AG et al. Clin Gastroenterol Hepatol "
               "2009;7:1104-12; age >= 65: McPherson S et al. Am J Gastroenterol 2017;112:740-51"),
    mechanism=FIBROSIS_MECHANISM, abnormal=frozenset({"indeterminate", "high_risk"}),
))


def _nfs(x: Inputs) -> Computed:
    age, bmi, ast, alt, plt, alb = (x[k] for k in ("age", "bmi", "ast", "alt", "platelets", "albumin"))
    dm, _ = flag(x, "diabetes")
    fpg = x["fasting_glucose"]
    # IFG/diabetes term: diagnosed diabetes, or fasting glucose >= 100 mg/dL (project reading of Angulo 2007).
    ifg = dm | (fpg >= 100.0)
    ifg_known = ifg | ~np.isnan(fpg)
    pos = ~(alt <= 0)
    ok = ifg_known & pos
    # Angulo P et al., Hepatology 2007;45:846-54.
    v = (-1.675 + 0.037 * age + 0.094 * bmi + 1.13 * ifg + 0.99 * ast / np.where(pos, alt, 1.0)
         - 0.013 * plt - 0.66 * alb)
    v = np.where(ok, v, np.nan)
    # Angulo 2007: < -1.455 excludes advanced fibrosis, > 0.676 predicts it; between is indeterminate.
    cat = np.full(x.n, None, dtype=object)
    cat[ok & (v < -1.455)] = "low_risk"
    cat[ok & (v >= -1.455) & (v <= 0.676)] = "indeterminate"
    cat[ok & (v > 0.676)] = "high_risk"
    reason = no_reasons(x.n)
    add_reason(reason, ~ifg_known, "needs fasting_glucose (or diabetes = yes) for the IFG/diabetes term")
    add_reason(reason, ~pos, "alt must be > 0")
    return Computed(v, cat, computable=ok, reason=reason)


register(Calculator(
    key="nafld_fibrosis_score", label='NAFLD fibrosis score',
    ranges='low below -1.455; high above 0.676', organ="liver", unit=None,
    requires=("age", "bmi", "ast", "alt", "platelets", "albumin"), compute=_nfs,
    formula=("NFS = -1.675 + 0.037 x age + 0.094 x BMI + 1.13 x IFG/diabetes (1/0) + 0.99 x AST/ALT "
             "- 0.013 x platelets [10^9/L] - 0.66 x albumin [g/dL]; IFG/diabetes = diagnosed diabetes or "
             "fasting glucose >= 100 mg/dL; < -1.455 low, -1.455 to 0.676 indeterminate, > 0.676 high"),
    reference="Angulo P et al. Hepatology 2007;45:846-54",
    mechanism=FIBROSIS_MECHANISM, abnormal=frozenset({"indeterminate", "high_risk"}),
))


def _fli(x: Inputs) -> Computed:
    tg, bmi, ggt, waist = x["triglycerides"], x["bmi"], x["ggt"], x["waist"]
    ok = ~((tg <= 0) | (ggt <= 0))
    # Bedogni G et al., BMC Gastroenterol 2006;6:33.
    y = (0.953 * np.log(np.where(ok, tg, 1.0)) + 0.139 * bmi + 0.718 * np.log(np.where(ok, ggt, 1.0))
         + 0.053 * waist - 15.745)
    v = np.where(ok, 100.0 / (1.0 + np.exp(-y)), np.nan)
    # Bedogni 2006: < 30 rules out, >= 60 rules in fatty liver.
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "triglycerides and ggt must be > 0")
    return Computed(v, categorize(v, [30.0, 60.0], ["steatosis_unlikely", "indeterminate", "steatosis_likely"]),
                    computable=ok, reason=reason)


register(Calculator(
    key="fatty_liver_index", label='Fatty liver index',
    ranges='fatty liver unlikely below 30; likely at 60 or more', organ="liver", unit=None,
    requires=("triglycerides", "bmi", "ggt", "waist"), compute=_fli,
    formula=("FLI = 100 / (1 + exp(-y)), y = 0.953 ln TG [mg/dL] + 0.139 BMI + 0.718 ln GGT [U/L] "
             "+ 0.053 waist [cm] - 15.745; < 30 rules out, >= 60 rules in steatosis"),
    reference="Bedogni G et al. BMC Gastroenterol 2006;6:33",
    mechanism=STEATOSIS_MECHANISM, abnormal=frozenset({"steatosis_likely"}),
))


def _hsi(x: Inputs) -> Computed:
    alt, ast, bmi = x["alt"], x["ast"], x["bmi"]
    ok = ~(ast <= 0)
    # Lee JH et al., Dig Liver Dis 2010;42:503-8: 8 x ALT/AST + BMI (+2 female, +2 diabetes).
    v = 8.0 * alt / np.where(ok, ast, 1.0) + bmi + 2.0 * (x["female"] == 1.0) + 2.0 * (x["diabetes"] == 1.0)
    v = np.where(ok, v, np.nan)
    cat = np.full(x.n, None, dtype=object)
    # Lee 2010: < 30 rules out, > 36 rules in steatosis.
    cat[ok & (v < 30.0)] = "steatosis_unlikely"
    cat[ok & (v >= 30.0) & (v <= 36.0)] = "indeterminate"
    cat[ok & (v > 36.0)] = "steatosis_likely"
    reason = no_reasons(x.n)
    add_reason(reason, ~ok, "ast must be > 0")
    return Computed(v, cat, computable=ok, reason=reason)


register(Calculator(
    key="hepatic_steatosis_index", label='Hepatic steatosis index',
    ranges='fatty liver unlikely below 30; likely above 36', organ="liver", unit=None,
    requires=("alt", "ast", "bmi", "female", "diabetes"), compute=_hsi,
    formula="HSI = 8 x ALT/AST + BMI (+2 if female, +2 if diabetes); < 30 rules out, > 36 rules in steatosis",
    reference="Lee JH et al. Dig Liver Dis 2010;42:503-8",
    mechanism=STEATOSIS_MECHANISM, abnormal=frozenset({"steatosis_likely"}),
))
