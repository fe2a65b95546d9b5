"""Report wiring: the projection panels name real trajectory columns; results, inputs and what is missing read as
names, not keys (issue #15)."""

import re

from irsim.cohort.progression import COLUMNS
from irsim.reporting.figures import PANELS, present_panels


def test_every_panel_is_a_trajectory_column():
    missing = [col for col, _ in PANELS if col not in COLUMNS]
    assert not missing, f"PANELS name columns no trajectory has: {missing}"
    assert ("egfr_ml_min", "eGFR (mL/min/1.73 m²)") in present_panels(COLUMNS)


def test_report_cites_the_parameters_by_file_and_section():
    from irsim import parameters
    from irsim.reporting.report import sources_html

    text = sources_html()
    assert text.startswith("<h2>Sources</h2>")
    assert "progression.yaml (" in text and "organs.yaml (" in text and "medicines.yaml (" in text
    assert "<h3>beta</h3>" in text and "<h3>sulfonylurea</h3>" in text
    p = parameters.parameter_set("progression")["beta.capacity_glucose_rate"]
    assert "Knowler" in p.source and f"<code>capacity_glucose_rate</code> = {p.value}" in text
    n = sum(len(parameters.parameter_set(f)) for f in ("progression", "organs", "medicines"))
    assert text.count("<li>") == n


def test_the_assessment_html_names_results_and_keeps_keys_out_of_sight():
    import json

    from irsim.assessment.api import assess
    from irsim.reporting.assessment import assessment_sections

    page = assessment_sections(assess(json.load(open("examples/person.json"))))
    assert "class=key" not in page and ">glycemic_status<" not in page and "pcos_pattern:" not in page
    assert "<tr data-key='glycemic_status'><td class=name>Glucose status (ADA)" in page
    # the example is 52 (irsim reads the PCOS pattern below 51): it does not apply, no input would give it
    assert "<h2>Does not apply to you</h2>" in page and "add these inputs" not in page
    assert "<li data-key='pcos_pattern'>PCOS-like hormone pattern: applies to women before menopause" in page


def test_what_is_not_computable_names_the_inputs_to_add():
    from irsim.assessment.api import assess
    from irsim.reporting.assessment import assessment_sections, not_computable_view, to_text

    man = assess({"age": 40, "sex": "male", "labs": {"fasting_glucose": "95 mg/dL"}})
    (missing, items), (other, na) = not_computable_view(man)
    assert missing.startswith("Not computable: add these inputs") and other == "Does not apply to you"
    assert {"name": "HOMA-IR (insulin resistance)", "key": "homa1_ir", "why": "needs fasting insulin"} in items
    assert [r["key"] for r in na] == ["pcos_pattern"]
    why = {r["key"]: r["why"] for r in items}
    assert why["prevent_cvd_10y"].startswith("needs systolic blood pressure, “Diagnosed with diabetes”, “Smokes now”")
    assert why["matsuda_index"] == "needs OGTT glucose at 0 min, OGTT insulin at 0 min"
    shown = re.sub(r"<[^>]+>", "", assessment_sections(man).split("<h2>Not computable")[1])  # text, no tags
    assert "_" not in shown and "HOMA-IR (insulin resistance): needs fasting insulin" in shown
    assert "pcos_pattern" not in to_text(man) and "Does not apply to you" in to_text(man)


def test_the_inputs_read_as_names_with_units_and_flags_as_yes_or_no():
    import json

    from irsim.assessment.api import assess
    from irsim.reporting.report import inputs_html

    html = inputs_html(assess(json.load(open("examples/person.json"))).person)
    for row in ("<td>HbA1c</td><td>5.9 %</td>", "<td>Urine albumin-to-creatinine ratio</td><td>18 mg/g</td>",
                "<td>Diagnosed with diabetes</td><td>no</td>", "<td>Age</td><td>52 years</td>",
                "<td>Oral glucose tolerance test (75 g glucose)</td>"):
        assert row in html, row
    assert ">false<" not in html and ">true<" not in html and ">hba1c<" not in html and ">uacr<" not in html


def test_map_labels_sit_inside_their_regions_and_away_from_the_paths():
    # issue #15: the where-you-stand map's region labels inside their region, clear of the projected paths
    import numpy as np

    from irsim.reporting.figures import LABEL_CLEARANCE, REGIONS, _region_labels

    s, b = np.geomspace(0.05, 3, 60), np.geomspace(0.05, 5, 50)
    z = np.where(np.log(b)[:, None] + np.log(s)[None, :] > 0, 0, np.where(np.log(b)[:, None] > -2.0, 1, 2))
    path = (np.geomspace(0.3, 1.0, 20), np.geomspace(2.0, 0.6, 20))  # runs through the middle of the NGT region
    labels = {name: (x, y) for name, x, y in _region_labels(s, b, z, [path])}
    assert set(labels) == {name for name, _ in REGIONS}
    for k, (name, _) in enumerate(REGIONS):
        x, y = labels[name]
        ix, iy = np.argmin(np.abs(s - x)), np.argmin(np.abs(b - y))
        assert z[iy, ix] == k  # inside its region
        px = np.interp(np.log(path[0]), np.log(s), np.arange(len(s)))
        py = np.interp(np.log(path[1]), np.log(b), np.arange(len(b)))
        assert np.min(np.hypot(px - ix, py - iy)) >= LABEL_CLEARANCE - 1e-9, name  # clear of the path


def test_chances_in_words_round_halves_up_as_the_page_does():
    # the web page words a chance with JavaScript's Math.round (halves up); the report must say the same number
    from irsim.reporting.report import in_100

    assert in_100(0.625) == "about 63 in 100"
    assert in_100(0.615) == "about 62 in 100"
    assert in_100(0.004) == "fewer than 1 in 100"
    assert in_100(0.005) == "about 1 in 100"
