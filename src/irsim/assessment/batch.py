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
from ..io.readers import Batch, batch_from_frame, batch_from_table
from .engine import evaluate, prepare, table_columns

CHUNK_ROWS = 250_000


def assess_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Assess every row of a frame of text cells (CSV layout); rows with bad input get ``errors`` and no results."""
    return batch_to_table(batch_from_frame(frame)).to_pandas()


def assess_table(table: pa.Table) -> pa.Table:
    return batch_to_table(batch_from_table(table))


def batch_to_table(batch: Batch) -> pa.Table:
    inputs = prepare(batch.columns, batch.n)
    cols = table_columns(evaluate(inputs), valid_rows=batch.valid)
    out = {}
    if batch.ids is not None:
        out["id"] = pa.array(batch.ids, type=pa.string())
    for k, v in cols.items():
        out[k] = _arrow_column(v)
    out["errors"] = pa.array(batch.errors, type=pa.string(), from_pandas=True)
    return pa.table(out)


def _arrow_column(v: np.ndarray) -> pa.Array:
    """Arrow array; object columns get their type from the first value (inference per cell is slow)."""
    if isinstance(v, pd.Categorical):
        codes = np.asarray(v.codes, dtype=np.int32)
        cats = pa.array(np.asarray(v.categories, dtype=object), type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), cats).cast(pa.string())
    if v.dtype.kind != "O":
        return pa.array(v, from_pandas=True)
    present = v[~np.equal(v, None)]
    first = present[0] if len(present) else None
    kind = pa.bool_() if isinstance(first, (bool, np.bool_)) else pa.string() if isinstance(first, str) or first is None else None
    return pa.array(v, type=kind, from_pandas=True)


def _unify(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
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
    total = _count_lines(src) - 1
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
            pending.append(rb)
            if sum(len(b) for b in pending) < chunk_rows:
                continue
            done, bad, schema, writer = _flush(pending, dst, schema, writer, done, bad, progress, total)
            pending = []
        if pending or writer is None:
            if not pending:
                pending = [pa.RecordBatch.from_pylist([], schema=reader.schema)]
            done, bad, schema, writer = _flush(pending, dst, schema, writer, done, bad, progress, total)
    finally:
        if writer is not None:
            writer.close()
    return {"rows": done, "rows_with_errors": bad}


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while block := fh.read(16 << 20):
            n += block.count(b"\n")
    return n


def _flush(pending, dst, schema, writer, done, bad, progress, total):
    table = _unify(assess_table(pa.Table.from_batches(pending)), schema)
    schema = table.schema
    if writer is None:
        writer = pq.ParquetWriter(dst, schema) if dst.suffix.lower() == ".parquet" else pacsv.CSVWriter(dst, schema)
    writer.write_table(table)
    done += table.num_rows
    bad += table.num_rows - table["errors"].null_count
    if progress:
        progress(done, max(total, done))
    return done, bad, schema, writer
