"""Readers for persons (JSON, YAML, CSV, FHIR R4 bundles) and batches (CSV)."""

from .readers import Batch, batch_from_frame, read_csv, read_person, person_from_data

__all__ = ["Batch", "batch_from_frame", "read_csv", "read_person", "person_from_data"]
