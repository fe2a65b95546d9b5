"""Readers for persons (JSON, YAML, CSV, FHIR R4 bundles), histories of visits, and batches (CSV)."""

from .readers import Batch, batch_from_frame, history_from_data, person_from_data, read_csv, read_history, read_person

__all__ = ["Batch", "batch_from_frame", "history_from_data", "person_from_data", "read_csv", "read_history",
           "read_person"]
