"""`irsim assess` end to end, through a subprocess, as a user runs it."""

import json

import pandas as pd
import pytest

from conftest import EXAMPLES


def test_assess_json_has_stable_layout(cli, tmp_path):
    r = cli("assess", EXAMPLES / "person.json", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"irsim_version", "results", "not_computable", "warnings"}
    rec = d["results"]["homa1_ir"]
    assert set(rec) >= {"value", "unit", "category", "formula", "reference"}
    # Example person: FPG 5.9 mmol/L (106.29 mg/dL), FPI 14 uIU/mL -> HOMA1-IR = 14*106.2944/405 (Matthews 1985)
    assert rec["value"] == pytest.approx(14 * 5.9 * 18.016 / 405, rel=1e-9)
    for key in ("homa1_beta", "quicki", "tyg_index", "tg_hdl_ratio", "matsuda_index", "insulinogenic_index",
                "glycemic_status", "eag", "non_hdl_cholesterol", "ldl_friedewald", "ldl_martin_hopkins", "ldl_sampson",
                "egfr_ckd_epi_2021", "egfr_ckd_epi_2021_cr_cys", "kdigo_gfr_category", "kdigo_albuminuria_category",
                "fib4", "nafld_fibrosis_score", "fatty_liver_index", "hepatic_steatosis_index",
                "free_testosterone_vermeulen", "metabolic_syndrome", "prevent_cvd_10y", "prevent_ascvd_10y",
                "prevent_hf_10y", "ckm_stage"):
        assert key in d["results"] or key in d["not_computable"], key


def test_assess_text_is_per_organ_with_disclaimer(cli):
    r = cli("assess", EXAMPLES / "person.json")
    assert r.returncode == 0, r.stderr
    for heading in ("Glucose and insulin", "Liver", "Lipids", "Kidney", "Hormones"):
        assert heading in r.stdout
    assert "not a medical device" in r.stdout


def test_assess_html_report(cli, tmp_path):
    out = tmp_path / "a.html"
    r = cli("assess", EXAMPLES / "person.json", "--format", "html", "--out", out)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "not a medical device" in page and "homa1_ir" in page
    assert "http://" not in page and "https://" not in page  # self-contained, no network


def test_bad_input_exits_2_with_one_message_per_problem(cli, tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"age": 50, "sex": "female",
                             "labs": {"fasting_glucose": "100 mmol/L", "fasting_insulin": "600 uIU/mL",
                                      "triglycerides": 150}}))
    r = cli("assess", f)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    lines = [ln for ln in r.stderr.splitlines() if ln.strip().startswith("- ")]
    assert len(lines) == 3, r.stderr
    text = " ".join(r.stderr.split())
    assert "labs.fasting_glucose: value 100 mmol/L" in text and "did you mean 100 mg/dL?" in text
    assert "labs.fasting_insulin" in text and "did you mean 600 pmol/L" in text
    assert "labs.triglycerides: bare number 150 has no unit" in text


@pytest.mark.parametrize("content,needle", [
    ("{not json", "it is not valid JSON (line 1, column 2: expecting property name"),
    ("", "it is empty"),
    ("[1, 2]", "it holds a list, not one person"),
])
def test_unreadable_files_exit_2(cli, tmp_path, content, needle):
    f = tmp_path / "p.json"
    f.write_text(content)
    r = cli("assess", f)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_missing_file_exits_2(cli, tmp_path):
    r = cli("assess", tmp_path / "nope.json")
    assert r.returncode == 2 and "file not found" in r.stderr


def test_missing_labs_go_to_not_computable(cli, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("age: 40\nsex: male\nlabs:\n  fasting_glucose: 95 mg/dL\n")
    r = cli("assess", f, "-f", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert "fasting_insulin" in d["not_computable"]["homa1_ir"]
    assert d["results"]["glycemic_status"]["value"] == "normal"


def test_person_from_one_row_csv(cli, tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("age,sex,fasting_glucose [mmol/L],fasting_insulin [pmol/L]\n50,male,5.0,60\n")
    r = cli("assess", f, "-f", "json")
    assert r.returncode == 0, r.stderr
    # HOMA1-IR = 10 uIU/mL * 5.0 mmol/L / 22.5 (Matthews 1985), computed via mg/dL at 18.016/18 ratio
    assert json.loads(r.stdout)["results"]["homa1_ir"]["value"] == pytest.approx(10 * 5.0 * 18.016 / 405)


def test_batch_to_parquet_with_error_rows(cli, tmp_path):
    src = tmp_path / "people.csv"
    src.write_text("id,age,sex,fasting_glucose [mmol/L],fasting_insulin [uIU/mL],hba1c [%]\n"
                   "a,50,female,5.0,10,5.4\n"
                   "b,60,male,100,10,5.4\n"
                   "c,45,x,abc,8,\n"
                   "d,70,male,7.2,,6.8\n")
    dst = tmp_path / "out.parquet"
    r = cli("assess", "--batch", src, "--out", dst)
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(dst).set_index("id")
    assert df.loc["a", "homa1_ir"] == pytest.approx(10 * 5.0 * 18.016 / 405)
    assert pd.isna(df.loc["a", "errors"])
    assert "did you mean 100 mg/dL" in df.loc["b", "errors"] and pd.isna(df.loc["b", "homa1_ir"])
    assert "sex" in df.loc["c", "errors"] and "not a number" in df.loc["c", "errors"]
    assert df.loc["d", "glycemic_status"] == "diabetes" and pd.isna(df.loc["d", "homa1_ir"])


def test_batch_header_problems_exit_2(cli, tmp_path):
    src = tmp_path / "people.csv"
    src.write_text("age,sex,fasting_glucose,weight [mmol/L],fastin_insulin [uIU/mL]\n50,male,5,80,3\n")
    r = cli("assess", "--batch", src, "--out", tmp_path / "o.parquet")
    assert r.returncode == 2
    assert "fasting_glucose: column has no unit" in r.stderr
    assert "weight [mmol/L]" in r.stderr and "does not fit" in r.stderr
    assert "did you mean 'fasting_insulin'" in r.stderr


def test_assess_frame_reads_missing_pandas_cells_as_missing():
    # a DataFrame built in Python holds NaN/None for missing values: they are missing inputs, not the text "nan"
    import numpy as np

    from irsim.assessment.batch import assess_frame

    frame = pd.DataFrame({"age": [50, 61], "sex": ["male", None], "fasting_glucose [mg/dL]": [100.0, np.nan],
                          "fasting_insulin [uIU/mL]": [10.0, 8.0]})
    out = assess_frame(frame)
    assert pd.isna(out.loc[0, "errors"]) and out.loc[0, "homa1_ir"] == pytest.approx(10 * 100 / 405)
    assert out.loc[1, "errors"] == "sex: required field is missing"
