"""Unit conversion and plausibility checks (data/analytes.yaml)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from irsim import units
from irsim.units import UnitMismatch, analytes, converter, from_canonical, to_canonical, unit_settings


@pytest.mark.parametrize("name,value,unit,expected", [
    # Conversion factors: shared/reference/calculators.md unit table.
    ("fasting_glucose", 5.55, "mmol/L", 99.9888),        # 18.016 mg/dL per mmol/L
    ("fasting_glucose", 1.0, "g/L", 100.0),               # pint: 1 g/L = 100 mg/dL
    ("fasting_insulin", 60.0, "pmol/L", 10.0),            # 6.0 pmol/L per uIU/mL (Heinemann 2010)
    ("fasting_insulin", 10.0, "mU/L", 10.0),              # mU/L == uIU/mL
    ("hba1c", 48.0, "mmol/mol", 6.54304),                 # NGSP = 0.09148 IFCC + 2.152 (Hoelzel 2004)
    ("triglycerides", 1.7, "mmol/L", 150.569),            # 88.57
    ("hdl_cholesterol", 1.0, "mmol/L", 38.67),            # 38.67
    ("creatinine", 88.4, "umol/L", 1.0),                  # 88.4 umol/L per mg/dL
    ("creatinine", 88.4, "µmol/L", 1.0),
    ("total_testosterone", 500.0, "ng/dL", 17.335),       # 0.03467 nmol/L per ng/dL
    ("platelets", 250.0, "10*3/uL", 250.0),               # UCUM
    ("platelets", 250.0, "x10^9/L", 250.0),
    ("uacr", 3.0, "mg/mmol", 26.52),                      # 8.84 mg/g per mg/mmol (KDIGO 2012)
    ("albumin", 43.0, "g/L", 4.3),
    ("systolic_bp", 120.0, "mm[Hg]", 120.0),
    ("systolic_bp", 16.0, "kPa", 120.0099),
    ("weight", 200.0, "lb", 90.718474),
    ("height", 70.0, "inch", 177.8),
    ("lh", 5.0, "mIU/mL", 5.0),
    ("fsh", 5.0, "m[IU]/mL", 5.0),
])
def test_conversions(name, value, unit, expected):
    assert to_canonical(name, value, unit) == pytest.approx(expected, rel=1e-4)


def test_insulin_factor_is_configurable():
    with unit_settings(insulin_pmol_per_uiu=6.945):
        assert to_canonical("fasting_insulin", 69.45, "pmol/L") == pytest.approx(10.0)
    assert to_canonical("fasting_insulin", 60.0, "pmol/L") == pytest.approx(10.0)


@pytest.mark.parametrize("name,unit", [("fasting_glucose", "kg"), ("hba1c", "mg/dL"), ("uacr", "%"),
                                       ("fasting_insulin", "mg/dL"), ("creatinine", "banana")])
def test_unit_that_does_not_fit_is_refused(name, unit):
    with pytest.raises(UnitMismatch, match="accepted units"):
        converter(name, unit)


def test_did_you_mean_glucose_mmol_vs_mg():
    msg = units.range_message("fasting_glucose", 100, "mmol/L")
    assert "outside the plausible range 40-600 mg/dL" in msg and "did you mean 100 mg/dL?" in msg


def test_did_you_mean_insulin_pmol():
    msg = units.range_message("fasting_insulin", 600, "uIU/mL")
    assert "did you mean 600 pmol/L (= 100 uIU/mL)?" in msg


def test_insulin_hint_only_when_the_other_reading_is_plausible():
    # severe insulin resistance: fasting insulin up to 300 uIU/mL is accepted (docs/units.md)
    assert units.in_range("fasting_insulin", 250) and not units.in_range("fasting_insulin", 301)
    assert "did you mean" not in units.range_message("fasting_insulin", 2400, "pmol/L")  # 400 uIU/mL; 2400 uIU/mL worse
    assert "did you mean" not in units.range_message("fasting_insulin", 2400, "uIU/mL")  # 2400 pmol/L = 400 uIU/mL too


_unit_cases = [(name, unit) for name, a in analytes().items() for unit in a.accepted_units()]


@given(case=st.sampled_from(_unit_cases), frac=st.floats(1e-6, 1 - 1e-6))
@settings(max_examples=300, deadline=None)
def test_round_trip_every_accepted_unit(case, frac):
    name, unit = case
    lo, hi = analytes()[name].range
    canonical = lo + frac * (hi - lo)
    given_value = from_canonical(name, canonical, unit)
    back = to_canonical(name, given_value, unit)
    assert math.isclose(back, canonical, rel_tol=1e-12, abs_tol=1e-9)
    assert units.in_range(name, back)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_in_range_is_false_for_non_finite_and_out_of_range(x):
    ok = units.in_range("fasting_glucose", x)
    assert ok == (math.isfinite(x) and 40 <= x <= 600)


def test_vectorised_conversion_matches_scalar():
    v = np.array([4.0, 5.5, 7.1])
    assert np.allclose(to_canonical("fasting_glucose", v, "mmol/L"), [to_canonical("fasting_glucose", x, "mmol/L") for x in v])


def test_every_analyte_has_loinc_range_and_canonical_unit():
    for name, a in analytes().items():
        assert a.range[0] < a.range[1], name
        converter(name, a.canonical_unit)
        # OGTT insulin has per-minute codes; the diabetes duration is history, not an observation (no code is read)
        if not name.startswith("ogtt_insulin") and name != "diabetes_duration_years":
            assert a.loinc, name


def test_glucose_factor_is_the_analytes_factor():
    """The one glucose constant agrees with the mmol/L equivalent of every glucose analyte."""
    for name in ("fasting_glucose", "ogtt_glucose"):
        (mmol,) = [e for e in analytes()[name].equivalents if e.unit == "mmol/L"]
        assert mmol.factor == units.GLUCOSE_MG_DL_PER_MMOL_L


@pytest.mark.parametrize("raw, cm", [("5 ft 7 in", 170.18), ("5'7\"", 170.18), ("6 ft", 182.88), ("5 ft 7.5 in", 171.45)])
def test_height_in_feet_and_inches(raw, cm):
    # 1 in = 2.54 cm exactly (international yard and pound agreement, 1959); issue #15
    from irsim.schemas.person import parse_quantity

    assert parse_quantity("height", raw).canonical == pytest.approx(cm, abs=1e-9)


def test_forms_offer_common_units_the_parser_converts():
    from irsim import units
    from irsim.schemas.person import parse_quantity

    assert units.analyte("albumin").offered_units() == ["g/dL", "g/L"]
    for name, raw, canonical in (("albumin", "43 g/L", 4.3), ("lh", "9.5 mIU/mL", 9.5), ("platelets", "245 10^3/uL", 245)):
        assert parse_quantity(name, raw).canonical == pytest.approx(canonical)
