"""CLI: irsim meal / ogtt / export-sbml (Dalla Man 2007 meal model; ADA 2-h OGTT classes)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from irsim.interfaces.cli import app

runner = CliRunner()


def test_meal_csv_stdout_has_exact_columns():
    r = runner.invoke(app, ["meal", "--subject", "normal", "--glucose-g", "78", "--minutes", "30", "--csv", "-"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0] == ("time_min,glucose_mg_dl,insulin_pmol_l,ra_mg_kg_min,egp_mg_kg_min,uptake_mg_kg_min,"
                        "secretion_pmol_kg_min,renal_mg_kg_min")
    assert len(lines) == 32


def test_ogtt_prints_class_and_writes_files(tmp_path):
    r = runner.invoke(app, ["ogtt", "--subject", "t2d", "--json", str(tmp_path / "o.json"),
                            "--csv", str(tmp_path / "o.csv"), "--plot", str(tmp_path / "o.html")])
    assert r.exit_code == 0, r.output
    assert "diabetes range" in r.stdout
    data = json.loads((tmp_path / "o.json").read_text())
    assert data["summary"]["glucose_120_min_mg_dl"] >= 200
    assert len(pd.read_csv(tmp_path / "o.csv")) == 181
    page = (tmp_path / "o.html").read_text()
    assert len(page) > 1_000_000 and 'src="https://cdn.plot.ly' not in page  # plotly inlined: no network needed
    r = runner.invoke(app, ["ogtt", "--subject", "normal", "--body-weight-kg", "70"])
    assert r.exit_code == 0 and "normal glucose tolerance" in r.stdout


@pytest.mark.parametrize("args", [
    ["meal", "--glucose-g", "-5"],
    ["meal", "--subject", "nobody"],
    ["meal", "--body-weight-kg", "5"],
    ["meal", "--minutes", "0"],
    ["ogtt", "--minutes", "60"],
    ["export-sbml", "--model", "topp", "-o", "x.xml"],
])
def test_bad_arguments_exit_2_without_traceback(args):
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_export_sbml(tmp_path):
    out = tmp_path / "meal.xml"
    r = runner.invoke(app, ["export-sbml", "--model", "meal", "--subject", "t2d", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "<sbml" in out.read_text()[:500]


def test_fit_ogtt_refusals_exit_2(tmp_path):
    r = runner.invoke(app, ["fit-ogtt", str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    person = tmp_path / "p.json"
    person.write_text('{"sex": "male", "age": 50, "weight": "80 kg", "labs": {"ogtt": {"minutes": [0, 15, 30], '
                      '"glucose": {"values": [90, 120, 140], "unit": "mg/dL"}}}}')
    r = runner.invoke(app, ["fit-ogtt", str(person)])
    assert r.exit_code == 2, r.output
    assert "after 30" in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_fit_ogtt_example_person(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "person.json"
    r = runner.invoke(app, ["fit-ogtt", str(example), "--json", str(tmp_path / "fit.json")])
    assert r.exit_code == 0, r.output
    assert "muscle_si" in r.stdout and "R^2" in r.stdout
    rep = json.loads((tmp_path / "fit.json").read_text())
    assert set(rep["knobs"]) == {"muscle_si", "liver_si", "beta_function", "beta_mass"}
