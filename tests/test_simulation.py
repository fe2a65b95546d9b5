"""The Simulation facade (issue #10): one object, the same numbers as irsim.simulate, units and sources attached."""

import pandas as pd
import pytest

import irsim
from irsim.errors import InputError

PERSON = {"age": 52, "sex": "female", "height": "165 cm", "weight": "88 kg",
          "labs": {"fasting_glucose": "5.9 mmol/L", "fasting_insulin": "14 uIU/mL"}}
PLAN = {"name": "lifestyle", "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 7,
                                                "over_months": 6, "then": "maintain"}]}


def test_simulation_runs_the_same_model_as_simulate_and_says_units_and_sources():
    traj = irsim.Simulation(PERSON, scenarios=[PLAN], years=5).run()
    ref = irsim.simulate(PERSON, years=5, scenarios=[irsim.Scenario.parse(PLAN)])
    pd.testing.assert_frame_equal(traj.frame, ref)
    assert "physical activity (none)" in traj.assumed[0]
    assert traj.columns["fasting_glucose_mmol_l"][0] == "mmol/L"
    assert traj.columns["hba1c_percent"][0] == "%"
    assert traj.columns["egfr_ml_min"][0] == "mL/min/1.73m2"
    assert set(traj.columns) == set(ref.columns) - {"person", "scenario"}
    src = traj.sources()
    assert "Knowler" in src["progression:beta.capacity_glucose_rate"]
    assert all(v.strip() for v in src.values())


def test_parameters_change_the_run_and_only_the_run():
    base = irsim.Simulation(PERSON, years=2).run()
    more = irsim.Simulation(PERSON, years=2, parameters={"body.secular_gain": 0.9}).run()
    again = irsim.Simulation(PERSON, years=2).run()
    pd.testing.assert_frame_equal(again.frame, base.frame)  # nothing compiled with the change is reused
    gained = lambda t: t.frame["weight_kg"].iloc[-1] - t.frame["weight_kg"].iloc[0]  # noqa: E731
    assert gained(more) == pytest.approx(3 * gained(base), rel=0.01)  # 0.9 vs 0.3 kg/year
    src = more.sources()["progression:body.secular_gain"]
    assert src.startswith("set by the caller to 0.9 (file: 0.3") and "Zheng" in src
    assert "Zheng" in base.sources()["progression:body.secular_gain"]
    with pytest.raises(InputError) as e:
        irsim.Simulation(PERSON, years=2, parameters={"body.nope": 1.0, "glycaemia.day_meals": [[0, 50]],
                                                      "liver.tau": "soon", "kidney.egfr_default_age": 1.0}).run()
    assert [p.field for p in e.value.problems] == ["parameters.body.nope", "parameters.glycaemia.day_meals",
                                                   "parameters.liver.tau", "parameters.kidney.egfr_default_age"]


def test_a_medicine_parameter_changes_the_run_and_is_cited():
    # medicines.yaml is one of the decades model's parameter files (models.core.PARAMETER_FILES): a run may set its
    # entries like the others', and sources() says so. A stronger sulfonylurea lowers fasting glucose further.
    person = {"age": 55, "sex": "male", "height": "175 cm", "weight": "95 kg",
              "labs": {"fasting_glucose": "9.5 mmol/L", "fasting_insulin": "12 uIU/mL"}}
    su = {"name": "su", "interventions": [{"type": "sulfonylurea", "start_year": 0, "drug": "gliclazide",
                                           "mg_per_day": 160}]}
    fpg = lambda t: t.frame["fasting_glucose_mmol_l"].iloc[-1]  # noqa: E731
    base = irsim.Simulation(person, scenarios=[su], years=1, step="month").run()
    strong = irsim.Simulation(person, scenarios=[su], years=1, step="month",
                              parameters={"sulfonylurea.secretion": 1.5}).run()
    assert fpg(strong) < fpg(base) - 0.2
    assert strong.sources()["medicines:sulfonylurea.secretion"].startswith("set by the caller to 1.5 (file: 0.75")
    with pytest.raises(InputError, match="progression or organs or medicines"):
        irsim.Simulation(person, years=1, parameters={"sulfonylurea.nope": 1.0}).run()


def test_trajectories_report_homa2_where_the_calculator_is_defined():
    # HOMA2 Calculator v2.2.4 (Oxford): fasting glucose 8.5 mmol/L, insulin 96 pmol/L -> %B 51.4, %S 50.0 (the
    # calculator values of tests/test_calc_homa2.py); the trajectory's year 0 keeps the person's fasting labs
    person = {"age": 55, "sex": "male", "height": "175 cm", "weight": "95 kg",
              "labs": {"fasting_glucose": "8.5 mmol/L", "fasting_insulin": "96 pmol/L"}}
    lean = {"age": 30, "sex": "female", "height": "170 cm", "weight": "55 kg",
            "labs": {"fasting_glucose": "4.6 mmol/L", "fasting_insulin": "2 uIU/mL"}}  # 12 pmol/L: below the grid
    traj = irsim.Simulation([person, lean], years=2).run()
    first = traj.frame[traj.frame["year"] == 0].set_index("person")
    assert first.loc[0, "homa2_beta_percent"] == pytest.approx(51.4, rel=0.02)
    assert first.loc[0, "homa2_s_percent"] == pytest.approx(50.0, rel=0.02)
    assert first.loc[0, "homa2_ir"] == pytest.approx(100.0 / first.loc[0, "homa2_s_percent"])
    assert first.loc[1, ["homa2_ir", "homa2_beta_percent", "homa2_s_percent"]].isna().all()
    assert "insulin 20-400 pmol/L" in traj.columns["homa2_ir"][1]
