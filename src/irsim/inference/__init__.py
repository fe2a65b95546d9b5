"""Parameter identification from clinical tests (OGTT -> insulin sensitivity, beta-cell function)."""
