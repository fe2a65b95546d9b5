"""Assess a table of persons (CSV with ``field [unit]`` headers) into a Parquet/CSV table, in chunks.

The CSV path (:func:`assess_csv`) is a pipeline of three stages that overlap on the cores: a reader thread
parses a block of the file (Arrow) and converts and checks it, the calling thread runs the calculators over the
previous block, and a writer thread writes the one before. Number columns are parsed as numbers straight away;
a column of a block that holds a cell that is not a plain finite number (text, ``nan``, ``inf``, an odd space)
is parsed again as text for that block and goes through the text checks, so every bad cell is still reported
with its own text, and the results are those of reading every cell as text.
"""

from __future__ import annotations

import queue
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..io.readers import (Batch, batch_from_frame, batch_from_table, column_plan, csv_refusal, number_columns,
                          read_text)
from .engine import evaluate, prepare, table_arrays

#: Rows per chunk (about: the file is read in blocks of whole lines sized from the mean line length).
CHUNK_ROWS = 65_536
_COLUMN_NO = re.compile(r"column #(\d+)")


def assess_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Assess every row of a frame of text cells (CSV layout); rows with bad input get ``errors`` and no results."""
    return batch_to_table(batch_from_frame(frame)).to_pandas()


def assess_table(table: pa.Table) -> pa.Table:
    return batch_to_table(batch_from_table(table))


def batch_to_table(batch: Batch) -> pa.Table:
    """Results of a batch as an Arrow table: ``id``, every calculator's columns, ``errors`` (text as plain strings)."""
    table = _result_table(batch)
    return pa.table({name: _plain(table[name]) for name in table.column_names})


def _result_table(batch: Batch) -> pa.Table:
    """Results with text columns dictionary-encoded (the CSV path writes them so); no-value columns of null type."""
    inputs = prepare(batch.columns, batch.n)
    out = {}
    ids = batch.id_array()
    if ids is not None:
        out["id"] = ids
    out.update(table_arrays(evaluate(inputs, reasons=False), valid_rows=batch.valid))
    out["errors"] = pa.array(batch.errors, type=pa.string(), from_pandas=True)
    return pa.table(out)


def _plain(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary text decoded; a column with no value at all as text (null type -> string)."""
    if pa.types.is_dictionary(col.type):
        return col.cast(col.type.value_type)
    if pa.types.is_null(col.type):
        return col.cast(pa.string())
    return col


def _conform(col: pa.ChunkedArray, typ: pa.DataType) -> pa.ChunkedArray:
    """``col`` as type ``typ`` (the first chunk's type of that column), as a cast of its values would give."""
    if col.type == typ:
        return col
    if pa.types.is_null(col.type):
        return pa.chunked_array([pa.nulls(len(col), type=typ)])
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_dictionary(typ):
        return pc.dictionary_encode(col.cast(typ.value_type))
    return col.cast(typ)


def _unify(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    if schema is None:  # first chunk: a column with no value yet is text
        return pa.table({name: _plain(table[name]) if pa.types.is_null(table[name].type) else table[name]
                         for name in table.column_names})
    return pa.table({f.name: _conform(table[f.name], f.type) for f in schema}, schema=schema)


def assess_csv(src: str | Path, dst: str | Path, progress: Callable[[int, int], None] | None = None,
               chunk_rows: int = CHUNK_ROWS) -> dict[str, int]:
    """Stream ``src`` (CSV) through the calculators into ``dst`` (.parquet or .csv). Returns row counts."""
    src, dst = Path(src), Path(dst)
    read_text(src, first_line=True)  # a missing, binary or empty file is refused here
    if dst.suffix.lower() not in (".parquet", ".csv"):
        raise InputError([Problem(str(dst), "output must end in .parquet or .csv")])
    to_parquet = dst.suffix.lower() == ".parquet"
    names = _header(src)
    numbers = number_columns(names)
    plan_checked = threading.Event()

    def checked(blocks: Iterator[pa.Table]) -> Iterator[Batch]:
        try:
            for block in blocks:
                plan_checked.wait()
                yield batch_from_table(block)
        except pa.ArrowInvalid as exc:  # a row the CSV parser refuses
            raise csv_refusal(src, exc) from None

    # The reader starts parsing while the headers are checked here (the first unit check may load pint);
    # a header problem is refused before any row is converted.
    reader = _Prefetch(checked(_parsed_blocks(src, names, numbers, chunk_rows)))
    try:
        column_plan(names)
    except BaseException:
        plan_checked.set()
        reader.close()
        raise
    plan_checked.set()
    total = _count_lines(src) - 1 if progress else 0
    state = {"schema": None, "writer": None, "done": 0, "bad": 0, "written": 0}
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="irsim-write")
    writing: list[Future] = []

    def wait() -> None:  # the write in flight has finished
        while writing:
            writing[0].result()
            writing.pop(0)
            state["done"] = state["written"]
            if progress:
                progress(state["done"], max(total, state["done"]))

    def emit(batch: Batch) -> None:
        table = _result_table(batch)
        if not to_parquet:  # CSV output: plain text columns
            table = pa.table({name: _plain(table[name]) for name in table.column_names})
        table = _unify(table, state["schema"])
        if state["writer"] is None:
            state["schema"] = table.schema
            state["writer"] = _writer(dst, table.schema) if to_parquet else pacsv.CSVWriter(dst, table.schema)
        wait()
        state["bad"] += table.num_rows - table["errors"].null_count
        state["written"] += table.num_rows
        writing.append(pool.submit(state["writer"].write_table, table))

    # Each block of the file is one chunk: parsed and checked in the reader thread, assessed here, written in
    # the writer thread while the next one is assessed.
    try:
        for batch in reader:
            emit(batch)
        if state["writer"] is None:  # no rows: an empty table with every column
            emit(batch_from_table(pa.table({c: pa.array([], type=pa.string()) for c in names})))
        wait()
    finally:
        reader.close()
        try:
            for f in writing:
                f.exception()  # a write in flight finishes before the file is closed
        finally:
            pool.shutdown(wait=True)
            if state["writer"] is not None:
                state["writer"].close()
    return {"rows": state["done"], "rows_with_errors": state["bad"]}


def _writer(dst: Path, schema: pa.Schema) -> pq.ParquetWriter:
    """Parquet writer: text columns dictionary-encoded (as the reader gets them back: plain strings, since the
    Arrow schema is not stored), numbers and ids plain; statistics for every column."""
    text = [f.name for f in schema if f.name != "id" and not pa.types.is_floating(f.type)]
    return pq.ParquetWriter(dst, schema, store_schema=False, use_dictionary=text, write_batch_size=1 << 16)


def _header(src: Path) -> list[str]:
    """Column names as the CSV reader sees them (quotes, byte-order mark)."""
    with src.open("rb") as fh:
        first = fh.readline()
    try:
        return pacsv.read_csv(pa.BufferReader(first), read_options=pacsv.ReadOptions(use_threads=False)).column_names
    except pa.ArrowInvalid as exc:
        raise csv_refusal(src, exc) from None


def _parsed_blocks(src: Path, names: list[str], numbers: set[str], rows: int) -> Iterator[pa.Table]:
    """The CSV's rows as Arrow tables of about ``rows`` rows each (whole lines; the block size in bytes comes
    from the mean line length of the first MiB)."""
    with src.open("rb") as fh:
        header = fh.readline()
        if b"\r" in header.rstrip(b"\r\n"):  # lines end in a bare CR: let Arrow's own reader split them
            yield from _text_batches(src, names)
            return
        buf = fh.read(1 << 20)
        eof = len(buf) < 1 << 20
        block = min(max(1 << 16, int(rows * len(buf) / max(buf.count(b"\n"), 1))), 256 << 20)
        while buf:
            if not eof and len(buf) < block:
                more = fh.read(block - len(buf))
                eof = not more
                buf += more
            cut = len(buf) if eof else buf.rfind(b"\n") + 1
            if cut == 0:  # one line longer than the block: read on
                more = fh.read(block)
                eof = not more
                buf += more
                continue
            yield _parse(pa.py_buffer(buf)[:cut], names, numbers)
            buf = buf[cut:]


def _parse(buf, names: list[str], numbers: set[str]) -> pa.Table:
    """One block of lines. Number columns as float64 (empty cell -> null) where every cell of the column in the
    block is a plain finite number; any other column as text."""
    read = pacsv.ReadOptions(column_names=names, use_threads=True, block_size=4 << 20)
    as_text: set[str] = set()
    while True:
        kinds = {c: pa.float64() if c in numbers and c not in as_text else pa.string() for c in names}
        convert = pacsv.ConvertOptions(column_types=kinds, null_values=[""], strings_can_be_null=False)
        try:
            table = pacsv.read_csv(pa.BufferReader(buf), read_options=read, convert_options=convert)
        except pa.ArrowInvalid as exc:
            m = _COLUMN_NO.search(str(exc))
            col = names[int(m.group(1))] if m and int(m.group(1)) < len(names) else None
            if col is None or col not in numbers or col in as_text:
                raise
            as_text.add(col)  # a cell that is not a number: this column is read as text in this block
            continue
        odd = [c for c in names if c in numbers and c not in as_text and not _all_finite(table[c])]
        if not odd:
            return table
        as_text.update(odd)  # nan/inf cells: read as text so that each is reported with its own text


def _text_batches(src: Path, names: list[str]) -> Iterator[pa.Table]:
    """Every cell as text, in Arrow's streaming reader's own blocks (files whose lines end in a bare CR)."""
    reader = pacsv.open_csv(src, read_options=pacsv.ReadOptions(block_size=16 << 20),
                            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                                 strings_can_be_null=False))
    for rb in reader:
        yield pa.Table.from_batches([rb])


def _all_finite(col: pa.ChunkedArray) -> bool:
    return col.null_count == len(col) or bool(pc.all(pc.is_finite(col)).as_py())


class _Prefetch:
    """Iterate ``items`` in a thread, one item ahead of the consumer; exceptions are raised to the consumer."""

    _END = object()

    def __init__(self, items: Iterator, depth: int = 1):
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._items = items
        self._thread = threading.Thread(target=self._run, name="irsim-read", daemon=True)
        self._thread.start()

    def _put(self, entry) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put((item, None)):
                    return
            self._put((self._END, None))
        except BaseException as exc:  # noqa: BLE001 - raised in the consumer
            self._put((self._END, exc))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> "_Prefetch":
        return self

    def __next__(self):
        if self._stop.is_set():
            raise StopIteration
        item, exc = self._q.get()
        if exc is not None:
            self.close()
            raise exc
        if item is self._END:
            self.close()
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the thread (it finishes the item in hand) and wait for it."""
        self._stop.set()
        self._thread.join()


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while block := fh.read(16 << 20):
            n += block.count(b"\n")
    return n
