"""SBML export of irsim models (interchange and independent cross-checks with libroadrunner)."""
