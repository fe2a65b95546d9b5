"""Results in words: human names, cut-offs beside each value, categories as words and a plain summary first
(issue #15). The keys stay in JSON."""

from __future__ import annotations

import json

from irsim.assessment.api import assess
from irsim.assessment.catalog import REGISTRY
from irsim.reporting.assessment import category_words, summary, to_html, to_text

PERSON = json.load(open("examples/person.json"))


def test_every_calculator_has_a_name_and_its_cut_offs():
    missing = [k for k, c in REGISTRY.items() if not c.label or not c.ranges]
    assert missing == []
    # the cut-offs in words are the ones the calculators apply (insulin.py: 2.5; homa2.py: 1.8; liver.py: 30/60)
    assert "2.5" in REGISTRY["homa1_ir"].ranges and "1.8" in REGISTRY["homa2_ir"].ranges
    assert "30" in REGISTRY["fatty_liver_index"].ranges and "60" in REGISTRY["fatty_liver_index"].ranges


def test_categories_read_as_words():
    assert category_words("insulin_resistant") == "insulin resistant"
    assert category_words("borderline_high") == "borderline high"
    assert category_words("stage_2") == "stage 2"
    assert category_words("G3a") == "G3a, mildly to moderately decreased"  # KDIGO wording
    assert category_words(None) == ""


def test_the_summary_comes_first_in_words():
    a = assess(PERSON)
    line = summary(a)
    # the example (examples/person.json): FPG 5.9 mmol/L and HbA1c 5.9 % are prediabetes (ADA); HOMA1-IR
    # 14 x 5.9 / 22.5 = 3.67 (Matthews 1985), above 2.5; fatty liver index 82.6 (>= 60)
    assert line.startswith("Prediabetes; insulin resistant: HOMA-IR 3.67, typical below 2.5; fatty liver likely")
    text = to_text(a)
    assert text.index("In short:") < text.index("Glucose and insulin")
    assert "HOMA-IR (insulin resistance)" in text and "insulin resistant" in text
    assert "homa1_ir" not in text and "insulin_resistant" not in text  # keys only in JSON
    page = to_html(a)
    assert "In short:" in page and "typical below 2.5" in page


def test_one_diabetes_range_result_asks_for_a_repeat_test():
    p = {"age": 50, "sex": "male", "labs": {"fasting_glucose": "140 mg/dL"}}
    assert "confirm with a repeat test" in summary(assess(p))
    p["labs"]["hba1c"] = "7.0 %"  # two results in the diabetes range: confirmed (ADA 2025)
    assert "repeat" not in summary(assess(p))


def test_results_come_back_in_the_units_the_person_used(cli):
    from irsim.reporting.assessment import preferred_units

    a = assess(PERSON)  # lipids and glucose given in mmol/L
    assert preferred_units(a.person) == "mmol/L"
    text = to_text(a)
    # non-HDL = 5.6 - 1.1 mmol/L = 4.5 mmol/L (174 mg/dL at 38.67 mg/dL per mmol/L); NCEP ATP III desirable
    # below 130 mg/dL = 3.4 mmol/L
    assert "4.5 mmol/L" in text and "desirable below 3.4 mmol/L" in text and "174.0 mg/dL" not in text
    assert "174.0 mg/dL" in to_text(a, units="mg/dL")
    assert a.to_dict()["results"]["non_hdl_cholesterol"]["unit"] == "mg/dL"  # JSON stays canonical
    r = cli("assess", "examples/person.json", "--units", "mg/dL")
    assert r.returncode == 0 and "desirable below 130 mg/dL" in r.stdout
    bad = cli("assess", "examples/person.json", "--units", "mmol")
    assert bad.returncode == 2 and "--units" in bad.stderr


def test_what_to_do_follows_the_findings():
    from irsim.reporting.assessment import to_do

    items = to_do(assess(PERSON))  # prediabetes, fatty liver likely, metabolic syndrome (examples/person.json)
    assert any("Knowler 2002" in t and "58 %" in t for t in items)  # DPP lifestyle: incidence -58 %
    assert any("fatty liver" in t for t in items) and not any("kidney" in t.lower() for t in items)
    text = to_text(assess(PERSON))
    assert "What you can do, what to discuss with your clinician" in text and "not medical advice" in text
    assert to_do(assess({"age": 40, "sex": "male", "labs": {"fasting_glucose": "85 mg/dL"}})) == []
