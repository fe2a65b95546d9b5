"""`irsim simulate` end to end through a subprocess (issue #4 CLI)."""

import pandas as pd

from conftest import EXAMPLES

REQUIRED = ["year", "weight_kg", "bmi", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent",
            "fasting_insulin_uiu_ml", "homa1_ir", "homa1_beta_percent", "beta_cell_mass_rel", "beta_cell_function_rel",
            "muscle_insulin_sensitivity_rel", "liver_insulin_sensitivity_rel", "inflammation_index",
            "mitochondrial_capacity_rel", "er_stress_index", "glycemic_status"]


def test_simulate_writes_trajectory_plot_and_comparison(cli, tmp_path):
    out, png = tmp_path / "traj.csv", tmp_path / "traj.png"
    r = cli("simulate", EXAMPLES / "person.json", "--years", "5", "--scenario", EXAMPLES / "scenarios" / "lifestyle.yaml",
            "--out", out, "--plot", png)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    assert set(REQUIRED) <= set(df.columns)
    assert sorted(df["scenario"].unique()) == ["baseline", "lifestyle"]
    assert len(df) == 2 * 6  # years 0..5 for each scenario
    assert set(df["glycemic_status"]) <= {"NGT", "IFG", "IGT", "IFG+IGT", "T2D"}
    assert png.stat().st_size > 10_000
    assert "lifestyle" in r.stdout and "not medical advice" in r.stdout


def test_simulate_monthly_parquet(cli, tmp_path):
    out = tmp_path / "traj.parquet"
    r = cli("simulate", EXAMPLES / "person.json", "--years", "1", "--step", "month", "--out", out)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(out)) == 13


def test_simulate_refuses_bad_scenarios_and_outputs(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninterventions:\n  - {type: metformin, start_year: 0, mg_per_day: 99999}\n")
    r = cli("simulate", EXAMPLES / "person.json", "--scenario", bad)
    assert r.returncode == 2 and "mg_per_day" in r.stderr and "Traceback" not in r.stderr
    r = cli("simulate", EXAMPLES / "person.json", "--out", tmp_path / "x.xlsx")
    assert r.returncode == 2 and ".csv or .parquet" in r.stderr
    r = cli("simulate", EXAMPLES / "person.json", "--years", "500")
    assert r.returncode == 2 and "years" in r.stderr
