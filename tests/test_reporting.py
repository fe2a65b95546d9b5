"""Report wiring: the projection panels name real trajectory columns."""

from irsim.cohort.progression import COLUMNS
from irsim.reporting.figures import PANELS, present_panels


def test_every_panel_is_a_trajectory_column():
    missing = [col for col, _ in PANELS if col not in COLUMNS]
    assert not missing, f"PANELS name columns no trajectory has: {missing}"
    assert ("egfr_ml_min", "eGFR (mL/min/1.73 m²)") in present_panels(COLUMNS)
