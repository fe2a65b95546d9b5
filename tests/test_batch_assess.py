"""The batch path (`assess_csv`): numbers parsed as numbers where every cell of a block is a plain number, the
rest read as text, with the same results and messages as reading every cell as text; plain output types."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from irsim.assessment.batch import assess_csv, assess_table
from irsim.assessment.engine import evaluate, prepare
from irsim.errors import InputError
from irsim.io.readers import batch_from_table

HEADER = ("id,age [year],sex,weight [kg],height [cm],waist [cm],systolic_bp [mmHg],diastolic_bp [mmHg],smoker,"
          "on_bp_medication,diabetes,fasting_glucose [mmol/L],fasting_insulin [uIU/mL],hba1c [%],"
          "triglycerides [mg/dL],hdl_cholesterol [mg/dL],total_cholesterol [mg/dL],creatinine [umol/L],"
          "albumin [g/L],ogtt_glucose_0 [mg/dL],ogtt_glucose_120 [mg/dL],ogtt_insulin_0 [uIU/mL],"
          "ogtt_insulin_120 [uIU/mL]")
GOOD = "{i},{age},{sex},82,170,99,131,79,false,true,false,5.6,11,5.7,150,45,200,80,43,99,150,10,60"
# Cells that are not plain numbers, each in its own row, at the glucose column (index 11).
ODD_GLUCOSE = [" 5.0 ", "\t6.1", "abc", "", "nan", "NaN", "inf", "-inf", "1e400", "+5", '"7.5"', '""', "\u00a05.2",
               "5.3\u00a0", '"1,5"', "0x10", "99"]
ODD_FLAG = ["Yes", " TRUE ", "maybe", "", "0", "1.0", "N"]
ODD_SEX = ["F", " Male ", "x", "", "WOMAN"]


def _csv(path, n=600):
    lines = [HEADER]
    for i in range(n):
        row = GOOD.format(i=f"p{i}", age=30 + i % 50, sex="female" if i % 2 else "male").split(",")
        if i % 7 == 3:
            row[11] = ODD_GLUCOSE[(i // 7) % len(ODD_GLUCOSE)]
        if i % 11 == 5:
            row[8] = ODD_FLAG[(i // 11) % len(ODD_FLAG)]
        if i % 13 == 6:
            row[2] = ODD_SEX[(i // 13) % len(ODD_SEX)]
        if i % 17 == 2:
            row[1] = "12"  # out of range
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _as_text(path) -> pa.Table:
    names = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                                     strings_can_be_null=False))


@pytest.mark.parametrize("chunk_rows", [50, 65_536])
def test_csv_results_equal_reading_every_cell_as_text(tmp_path, chunk_rows):
    src, dst = tmp_path / "p.csv", tmp_path / "out.parquet"
    _csv(src)
    counts = assess_csv(src, dst, chunk_rows=chunk_rows)
    got = pq.read_table(dst)
    want = assess_table(_as_text(src))
    assert counts == {"rows": 600, "rows_with_errors": want.num_rows - want["errors"].null_count}
    assert got.schema == want.schema
    assert got.equals(want)
    errors = [e for e in got["errors"].to_pylist() if e]
    assert any("fasting_glucose: value 'abc' is not a number" in e for e in errors)
    assert any("fasting_glucose: value 'nan' is not a number" in e for e in errors)
    assert any("fasting_glucose: value '1e400' is not a number" in e for e in errors)
    assert any("smoker: value 'maybe' is not true/false" in e for e in errors)
    assert any("sex: value 'x' is not 'female' or 'male'" in e for e in errors)
    assert any(e.startswith("age: value 12 year is outside the plausible range") for e in errors)
    glucose_99 = [e for e in errors if "fasting_glucose: value 99 mmol/L" in e]
    assert glucose_99 and "did you mean 99 mg/dL" in glucose_99[0]
    # a padded number is a number; a bad row has no results
    rows = dict(zip(got["id"].to_pylist(), got.to_pylist()))
    assert rows["p3"]["errors"] is None and rows["p3"]["homa1_ir"] == pytest.approx(11 * 5.0 * 18.016 / 405)
    assert rows["p17"]["errors"] and rows["p17"]["homa1_ir"] is None


def test_csv_output_reads_back_with_plain_types(tmp_path):
    src, dst = tmp_path / "p.csv", tmp_path / "out.parquet"
    _csv(src, n=40)
    assess_csv(src, dst)
    schema = pq.read_schema(dst)
    assert schema.field("glycemic_status").type == pa.string()
    assert schema.field("ckm_stage_detail").type == pa.string()
    assert schema.field("metabolic_syndrome").type == pa.bool_()
    assert schema.field("homa1_ir").type == pa.float64()
    assert not any(pa.types.is_dictionary(f.type) for f in schema)


def test_csv_output_as_csv_has_the_same_values(tmp_path):
    src = tmp_path / "p.csv"
    _csv(src, n=120)
    assess_csv(src, tmp_path / "out.parquet", chunk_rows=50)
    assess_csv(src, tmp_path / "out.csv", chunk_rows=50)
    a = pq.read_table(tmp_path / "out.parquet")
    b = pacsv.read_csv(tmp_path / "out.csv", convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    assert a.column_names == b.column_names
    assert np.allclose(a["homa1_ir"].to_numpy(), b["homa1_ir"].to_numpy(), equal_nan=True, rtol=1e-15)
    for name in ("ckm_stage_detail", "glycemic_status", "errors"):
        assert a[name].to_pylist() == b[name].to_pylist(), name


def test_reasons_switched_off_change_no_result():
    table = _table_of_text(["50,female,5.9,14", "17,male,3.1,800", ",female,6.5,", "70,male,,9"])
    batch = batch_from_table(table)
    with_reasons = evaluate(prepare(batch.columns, batch.n))
    without = evaluate(prepare(batch.columns, batch.n), reasons=False)
    for key, e in with_reasons.items():
        f = without[key]
        assert f.reason is None and e.reason is not None
        assert np.array_equal(e.computable, f.computable), key
        assert np.array_equal(np.asarray(e.value), np.asarray(f.value), equal_nan=e.value.dtype.kind == "f"), key
        for a, b in ((e.category, f.category), (e.detail, f.detail)):
            assert (a is None) == (b is None) and (a is None or list(a) == list(b)), key


def _table_of_text(rows: list[str]) -> pa.Table:
    names = ["age [year]", "sex", "fasting_glucose [mmol/L]", "fasting_insulin [uIU/mL]"]
    cols = list(zip(*(r.split(",") for r in rows)))
    return pa.table({n: pa.array(c, type=pa.string()) for n, c in zip(names, cols)})


def test_header_only_csv_gives_every_column_and_no_row(tmp_path):
    src, dst = tmp_path / "p.csv", tmp_path / "out.parquet"
    src.write_text(HEADER + "\n", encoding="utf-8")
    assert assess_csv(src, dst) == {"rows": 0, "rows_with_errors": 0}
    t = pq.read_table(dst)
    assert t.num_rows == 0 and {"id", "homa1_ir", "ckm_stage_detail", "errors"} <= set(t.column_names)


def test_header_problem_is_refused_before_any_output(tmp_path):
    src, dst = tmp_path / "p.csv", tmp_path / "out.parquet"
    src.write_text("age,sex,fastin_insulin [uIU/mL]\n50,male,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="did you mean 'fasting_insulin'"):
        assess_csv(src, dst)
    assert not dst.exists()


def test_malformed_row_raises_and_stops_the_reader(tmp_path):
    import threading

    src, dst = tmp_path / "p.csv", tmp_path / "out.parquet"
    src.write_text("age [year],sex\n50,male\n60,female,extra\n", encoding="utf-8")
    with pytest.raises(InputError, match="it cannot be read as CSV: Expected 2 columns"):
        assess_csv(src, dst)
    assert not [t for t in threading.enumerate() if t.name.startswith("irsim-")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path, newline):
    src, dst = tmp_path / "p.csv", tmp_path / "out.parquet"
    src.write_bytes(newline.join(["id,age [year],sex,fasting_glucose [mmol/L],fasting_insulin [uIU/mL]",
                                  "a,50,female,5.0,10", "b,60,male,6.1,12"]).encode())
    assert assess_csv(src, dst) == {"rows": 2, "rows_with_errors": 0}
    t = pq.read_table(dst)
    assert t["id"].to_pylist() == ["a", "b"]
    assert t["homa1_ir"].to_pylist()[0] == pytest.approx(10 * 5.0 * 18.016 / 405)


@pytest.mark.parametrize("k", range(0, 11))
def test_matsuda_row_sums_are_numpys_row_sums(k):
    # the column-by-column sums must give numpy's row sums exactly (else the batch results would move)
    from irsim.assessment.insulin import _row_sums

    rng = np.random.default_rng(k)
    values = rng.lognormal(4, 1, (5000, k)) * rng.choice([1, 1e-7, 1e7], (5000, k))
    values[rng.random(values.shape) < 0.3] = np.nan
    present = ~np.isnan(values)
    count, total = _row_sums(present, values)
    assert np.array_equal(count, present.sum(axis=1)) and count.dtype == present.sum(axis=1).dtype
    assert np.array_equal(total, np.where(present, values, 0.0).sum(axis=1))
