"""The Simulation facade (issue #10): one object, the same numbers as irsim.simulate, units and sources attached."""

import pandas as pd

import irsim

PERSON = {"age": 52, "sex": "female", "height": "165 cm", "weight": "88 kg",
          "labs": {"fasting_glucose": "5.9 mmol/L", "fasting_insulin": "14 uIU/mL"}}
PLAN = {"name": "lifestyle", "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 7,
                                                "over_months": 6, "then": "maintain"}]}


def test_simulation_runs_the_same_model_as_simulate_and_says_units_and_sources():
    traj = irsim.Simulation(PERSON, scenarios=[PLAN], years=5).run()
    ref = irsim.simulate(PERSON, years=5, scenarios=[irsim.Scenario.parse(PLAN)])
    pd.testing.assert_frame_equal(traj.frame, ref)
    assert "physical_activity (none)" in traj.assumed[0]
    assert traj.columns["fasting_glucose_mmol_l"][0] == "mmol/L"
    assert traj.columns["hba1c_percent"][0] == "%"
    assert traj.columns["egfr_ml_min"][0] == "mL/min/1.73m2"
    assert set(traj.columns) == set(ref.columns) - {"person", "scenario"}
    src = traj.sources()
    assert "Knowler" in src["progression:beta.capacity_glucose_rate"]
    assert all(v.strip() for v in src.values())
