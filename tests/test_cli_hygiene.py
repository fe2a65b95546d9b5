"""Command-line hygiene (issue #15): unreadable files, help text, piped messages, option names."""

import json
import re

import pytest

UNREADABLE = [
    ("person.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "it is not text"),
    ("person.json", b"", "it is empty"),
    ("person.yaml", b"  \n\n", "it is empty"),
    ("person.csv", b"", "it is empty"),
    ("person.json", b"[1, 2]", "it holds a list, not one person"),
    ("person.yaml", b"- age: 50\n- age: 60\n", "it holds a list, not one person"),
    ("person.json", b'"hello"', "it holds a text, not one person"),
    ("person.yaml", b"hello\n", "it holds a text, not one person"),
    ("person.json", b"42", "it holds a number, not one person"),
]


def _plain_refusal(r, path, why):
    assert r.returncode == 2, r.stderr
    assert f"could not read {path}: {why}" in r.stderr
    rest = r.stderr.replace(str(path), "").replace(why, "")
    assert not re.search(r"Traceback|Error\b|\b(NoneType|list|str|int|float|bytes|dict)\b", rest), r.stderr


@pytest.mark.parametrize("name,content,why", UNREADABLE)
def test_assess_refuses_unreadable_person_files_in_one_sentence(cli, tmp_path, name, content, why):
    f = tmp_path / name
    f.write_bytes(content)
    _plain_refusal(cli("assess", f), f, why)


@pytest.mark.parametrize("command,extra", [("simulate", []), ("explain", ["--outcome", "T2D"]),
                                           ("report", ["--out", "r.html"])])
def test_every_command_that_reads_a_person_refuses_unreadable_files(cli, tmp_path, command, extra):
    for name, content, why in (UNREADABLE[0], UNREADABLE[4]):
        f = tmp_path / name
        f.write_bytes(content)
        _plain_refusal(cli(command, f, *extra, cwd=tmp_path), f, why)


def _bad_labs(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('{"age": 50, "sex": "female", "labs": {"fasting_glucose": "100 mmol/L", "triglycerides": 150}}')
    return f


def test_piped_messages_are_one_line_per_problem(cli, tmp_path):
    r = cli("assess", _bad_labs(tmp_path))
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 3, r.stderr  # the heading and one line per problem, however long
    assert lines[1].startswith("  - labs.fasting_glucose: value 100 mmol/L") and lines[1].endswith("did you mean 100 mg/dL?")
    assert len(lines[1]) > 120
    assert lines[2].startswith("  - labs.triglycerides: bare number 150 has no unit")


def test_terminal_messages_still_wrap_to_its_width(cli, tmp_path):
    r = cli("assess", _bad_labs(tmp_path), env={"TTY_COMPATIBLE": "1", "COLUMNS": "60"})
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) > 3 and max(map(len, lines)) <= 60, r.stderr


def test_assess_help_shows_batch_headers_with_their_unit_brackets(cli):
    r = cli("assess", "--help")
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.replace("│", " ").split())
    assert "'field [unit]'" in text and "'fasting_glucose [mmol/L]'" in text, r.stdout


def test_insulin_assay_warning_names_the_cli_option(cli, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("age: 50\nsex: male\nlabs:\n  fasting_glucose: 5.0 mmol/L\n  fasting_insulin: 60 pmol/L\n")
    r = cli("assess", f, "-f", "json")
    assert r.returncode == 0, r.stderr
    (warning,) = [w for w in json.loads(r.stdout)["warnings"] if "insulin converted" in w]
    assert "irsim --insulin-factor 6.945" in warning
    r = cli("--insulin-factor", "6.945", "assess", f, "-f", "json")  # the option it names works
    assert "at 6.945 pmol/L per uIU/mL" in " ".join(json.loads(r.stdout)["warnings"])


def _insulin(tmp_path, value):
    f = tmp_path / "p.yaml"
    f.write_text(f"age: 50\nsex: female\nlabs:\n  fasting_glucose: 90 mg/dL\n  fasting_insulin: {value}\n")
    return f


def test_severe_insulin_resistance_fasting_insulin_is_accepted(cli, tmp_path):
    r = cli("assess", _insulin(tmp_path, "250 uIU/mL"), "-f", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["results"]["homa1_ir"]["value"] == pytest.approx(250 * 90 / 405)


def test_insulin_unit_mix_up_is_still_hinted(cli, tmp_path):
    r = cli("assess", _insulin(tmp_path, "600 uIU/mL"))  # 600 pmol/L = 100 uIU/mL is plausible; 600 uIU/mL is not
    assert r.returncode == 2
    assert "fasting_insulin: value 600 uIU/mL is outside the plausible range 0.5-300 uIU/mL" in r.stderr
    assert "did you mean 600 pmol/L (= 100 uIU/mL)?" in r.stderr


@pytest.mark.parametrize("content,why", [
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "it is not text"),
    (b"", "it is empty"),
    (b"age,sex\n50,male,extra\n", "it cannot be read as CSV: Expected 2 columns, got 3: 50,male,extra"),
])
def test_batch_refuses_unreadable_csv_in_one_sentence(cli, tmp_path, content, why):
    f = tmp_path / "people.csv"
    f.write_bytes(content)
    _plain_refusal(cli("assess", "--batch", f, "--out", tmp_path / "o.parquet"), f, why)


def test_piped_option_errors_are_plain_lines(cli):
    # issue #15: piped, a bad option reads as click's plain one-line error (no rich panel wrapped at 80 columns)
    r = cli("assess", "examples/person.json", "--format", "xml")
    assert r.returncode == 2
    (line,) = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert "'xml' is not one of 'text', 'json', 'html', 'fhir'" in line and "╭" not in r.stderr
