"""Assess a table of persons (CSV with ``field [unit]`` headers) into a Parquet/CSV table, in chunks."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..io.readers import Batch, batch_from_frame
from .engine import evaluate, prepare, table_columns

CHUNK_ROWS = 250_000


def assess_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Assess every row of a text frame; rows with bad input get ``errors`` and no results."""
    batch = batch_from_frame(frame)
    return assess_batch(batch)


def assess_batch(batch: Batch) -> pd.DataFrame:
    inputs = prepare(batch.columns, batch.n)
    cols = table_columns(evaluate(inputs), valid_rows=batch.valid)
    out = {}
    if batch.ids is not None:
        out["id"] = batch.ids
    out.update(cols)
    out["errors"] = batch.errors
    return pd.DataFrame(out)


def _arrow(df: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    table = pa.Table.from_pandas(df, preserve_index=False)
    if schema is None:
        fields = [pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type) for f in table.schema]
        return table.cast(pa.schema(fields))
    return table.cast(schema)


def assess_csv(src: str | Path, dst: str | Path, progress: Callable[[int, int], None] | None = None,
               chunk_rows: int = CHUNK_ROWS) -> dict[str, int]:
    """Stream ``src`` (CSV) through the calculators into ``dst`` (.parquet or .csv). Returns row counts."""
    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise InputError([Problem(str(src), "file not found")])
    if dst.suffix.lower() not in (".parquet", ".csv"):
        raise InputError([Problem(str(dst), "output must end in .parquet or .csv")])
    with src.open("r", encoding="utf-8", newline="") as fh:
        names = next(csv.reader(fh), [])
    total = sum(1 for _ in src.open("rb")) - 1
    # Every cell is read as text: conversion and its errors are the Person rules, column by column.
    reader = pacsv.open_csv(src, read_options=pacsv.ReadOptions(block_size=64 << 20),
                            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                                 strings_can_be_null=False))
    schema = None
    writer = None
    done = bad = 0
    pending: list[pd.DataFrame] = []
    try:
        for rb in reader:
            frame = rb.to_pandas()
            pending.append(frame)
            if sum(len(f) for f in pending) < chunk_rows:
                continue
            done, bad, schema, writer = _flush(pending, dst, schema, writer, done, bad, progress, total)
            pending = []
        if pending or writer is None:
            if not pending:
                pending = [pd.DataFrame({c: pd.Series(dtype=str) for c in reader.schema.names})]
            done, bad, schema, writer = _flush(pending, dst, schema, writer, done, bad, progress, total)
    finally:
        if writer is not None:
            writer.close()
    return {"rows": done, "rows_with_errors": bad}


def _flush(pending, dst, schema, writer, done, bad, progress, total):
    frame = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
    out = assess_frame(frame)
    table = _arrow(out, schema)
    schema = table.schema
    if writer is None:
        writer = pq.ParquetWriter(dst, schema) if dst.suffix.lower() == ".parquet" else pacsv.CSVWriter(dst, schema)
    writer.write_table(table)
    done += len(out)
    bad += int((~np.equal(out["errors"].to_numpy(dtype=object), None)).sum())
    if progress:
        progress(done, max(total, done))
    return done, bad, schema, writer
