"""Report wiring: the projection panels name real trajectory columns."""

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
    assert "progression.yaml (" in text and "organs.yaml (" in text and "<h3>beta</h3>" in text
    p = parameters.parameter_set("progression")["beta.capacity_glucose_rate"]
    assert "Knowler" in p.source and f"<code>capacity_glucose_rate</code> = {p.value}" in text
    n = sum(len(parameters.parameter_set(f)) for f in ("progression", "organs"))
    assert text.count("<li>") == n
