"""SBML export of the Dalla Man 2007 meal model, cross-checked with libroadrunner (CVODE).

The exported SBML (irsim.sbml.export) is simulated with libroadrunner's CVODE (Adams, non-stiff, rtol =
atol = 1e-10) for a single 78 g oral dose at t=0 over 7 h, and irsim's production solver (RK4 lax.scan)
must match glucose and insulin within 0.5 % maximum relative error (Dalla Man et al., IEEE TBME
2007;54:1740, normal and T2D mean subjects of Table 1). Note: CVODE's default stiff BDF mode can stall
at t=0+ on the derivative-secretion switch (max(dG/dt, 0) starts exactly at 0); Adams does not.
"""

from __future__ import annotations

import numpy as np
import pytest

from irsim.models import meal as M

roadrunner = pytest.importorskip("roadrunner")
libsbml = pytest.importorskip("libsbml")

from irsim.sbml.export import consistency_errors, to_sbml_string, write_sbml  # noqa: E402


def _roadrunner(sbml: str, minutes: int = 420):
    rr = roadrunner.RoadRunner(sbml)
    integ = rr.getIntegrator()
    integ.setValue("stiff", False)
    integ.setValue("relative_tolerance", 1e-10)
    integ.setValue("absolute_tolerance", 1e-10)
    rr.timeCourseSelections = ["time", "G", "I", "Ra", "EGP", "S"]
    return rr.simulate(0, minutes, minutes + 1)


@pytest.mark.parametrize("name", M.SUBJECTS)
def test_sbml_valid_and_matches_roadrunner(name):
    p = M.subject(name)
    sbml = to_sbml_string(p, dose_g=78.0)
    assert consistency_errors(sbml) == []
    res = _roadrunner(sbml)
    ours = M.simulate_meal(p, M.Schedule.meal(78.0), np.arange(0.0, 421.0))
    for col, key in ((1, "glucose_mg_dl"), (2, "insulin_pmol_l")):
        rel = np.max(np.abs(res[:, col] - ours[key][0]) / np.abs(res[:, col]))
        assert rel < 5e-3, (key, rel)
        assert rel < 1e-4  # measured ~1e-5 or better; a much larger gap means the two models diverged
    assert np.max(np.abs(res[:, 3] - ours["ra_mg_kg_min"][0])) < 1e-3


def test_sbml_knob_person_and_write(tmp_path):
    p = M.subject("normal", muscle_si=0.5, beta_mass=1.5, clearance=0.8, body_weight_kg=95.0)
    path = write_sbml(p, tmp_path / "meal.xml", dose_g=60.0)
    res = _roadrunner(path.read_text(), minutes=300)
    ours = M.simulate_meal(p, M.Schedule.meal(60.0), np.arange(0.0, 301.0))
    assert np.max(np.abs(res[:, 1] - ours["glucose_mg_dl"][0]) / res[:, 1]) < 5e-3
    assert np.max(np.abs(res[:, 2] - ours["insulin_pmol_l"][0]) / res[:, 2]) < 5e-3
    with pytest.raises(ValueError):
        to_sbml_string(M.stack([p, p]))
