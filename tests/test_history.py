"""Histories of dated visits (issue #14): visits files, FHIR Bundles by date, FHIR output, the web app's labs."""

import copy
import datetime as dt
import json
import math

import pandas as pd
import pytest

from conftest import EXAMPLES
from irsim.assessment.api import assess
from irsim.errors import InputError
from irsim.io import history_from_data, read_history, read_person
from irsim.io.fhir import (IRSIM_PROJECTION, IRSIM_RESULT, assessment_bundle, bundle_to_history_data,
                           validate_bundle, twin_bundle)

TODAY = dt.date(2026, 12, 1)
#: The example of issue #14.
VISITS = {"sex": "female", "height": "164 cm", "birth_date": "1972-06-15",
          "visits": [{"date": "2019-04-02", "weight": "82 kg", "labs": {"fasting_glucose": "5.5 mmol/L", "hba1c": "5.5 %"}},
                     {"date": "2025-05-20", "weight": "88 kg", "labs": {"fasting_glucose": "6.2 mmol/L", "hba1c": "6.0 %"}}]}


def refusal(data, **kw) -> list[str]:
    with pytest.raises(InputError) as exc:
        history_from_data(data, today=TODAY, **kw)
    return [str(p) for p in exc.value.problems]


def edited(change):
    d = copy.deepcopy(VISITS)
    change(d)
    return d


def test_visits_file_years_and_ages_from_dates(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(VISITS))
    h = read_history(path)
    assert [v.date for v in h.visits] == ["2019-04-02", "2025-05-20"]
    # 2019-04-02 -> 2025-05-20 is 2240 days
    assert h.visits[0].years == pytest.approx(-2240 / 365.25, abs=1e-6) and h.visits[1].years == 0.0
    # born 1972-06-15: 17092 days old on 2019-04-02, 19332 days on 2025-05-20
    assert h.first.person.canonical("age") == pytest.approx(17092 / 365.25, abs=0.01)
    assert h.now.canonical("age") == pytest.approx(19332 / 365.25, abs=0.01)
    assert h.first.person.canonical("weight") == 82 and h.now.canonical("weight") == 88
    assert h.now.canonical("fasting_glucose") == pytest.approx(6.2 * 18.016)
    assert h.first.person.canonical("hba1c") == 5.5 and h.now.canonical("hba1c") == 6.0
    assert h.first.person.height == h.now.height and h.now.canonical("height") == 164  # fixed facts in every visit
    assert read_person(path) == h.now                                                   # read_person: the last visit


def test_visit_fields_override_the_top_level_and_ages_without_dates():
    d = {"sex": "male", "weight": "90 kg", "labs": {"hba1c": "5.4 %", "alt": "30 U/L"},
         "visits": [{"age": 50, "labs": {"hba1c": "5.6 %"}}, {"age": 53.5, "weight": "95 kg"}]}
    h = history_from_data(d, today=TODAY)
    assert [v.years for v in h.visits] == [-3.5, 0.0] and [v.date for v in h.visits] == [None, None]
    assert [v.person.canonical("hba1c") for v in h.visits] == [5.6, 5.4]
    assert [v.person.canonical("weight") for v in h.visits] == [90, 95]
    assert [v.person.canonical("alt") for v in h.visits] == [30, 30]
    # a top-level age with dated visits is the age at the last visit
    d = {"sex": "male", "age": 60, "visits": [{"date": "2016-06-01"}, {"date": "2026-06-01"}]}
    assert [round(v.person.canonical("age"), 2) for v in history_from_data(d, today=TODAY).visits] == [50.0, 60]


def test_plain_person_is_one_visit():
    h = read_history(EXAMPLES / "person.json")
    assert len(h.visits) == 1 and h.visits[0].years == 0 and h.now == read_person(EXAMPLES / "person.json")
    # a birth date without visits: the age today
    h = history_from_data({"sex": "female", "birth_date": "1976-12-01"}, today=TODAY)
    assert h.now.canonical("age") == pytest.approx(18262 / 365.25, abs=0.01) and h.visits[0].date == "2026-12-01"


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["visits"].reverse(), "visits[1].date: 2019-04-02 is not after the previous visit's 2025-05-20"),
    (lambda d: d["visits"][1].update(date="2027-03-01"), "visits[1].date: 2027-03-01 is after today (2026-12-01)"),
    (lambda d: d["visits"][1].update(age=45), "visits[1].age: 45 years contradicts birth_date 1972-06-15"),
    (lambda d: d["visits"][0].update(date="2019-02-30"), "visits[0].date: value '2019-02-30' is not a date"),
    (lambda d: d["visits"][1].pop("date"), "visits[1]: give the visit a date (YYYY-MM-DD) or an age"),
    (lambda d: d["visits"][1].update(date=None, age=53), "visits[1].date: missing while other visits are dated"),
    (lambda d: d["visits"][1].update(weight="88 mmol/L"), "visits[1].weight: unit 'mmol/L' does not fit body weight"),
    (lambda d: d["visits"][0]["labs"].update(hba1c="55 %"), "visits[0].labs.hba1c: value 55 % is outside the plausible range"),
    (lambda d: d["visits"][0].update(fasting_glucos="5 mmol/L"), "visits[0].fasting_glucos: unknown field"),
    (lambda d: d["visits"][1].update(systolic_bp="80 mmHg", diastolic_bp="90 mmHg"), "visits[1]: diastolic_bp 90 mmHg is not below"),
    (lambda d: d.update(height="164 kg"), "height: unit 'kg' does not fit height"),
    (lambda d: d.pop("birth_date"), "birth_date: required field is missing"),
    (lambda d: d.update(visits=[]), "visits: give a list of visits"),
])
def test_bad_histories_name_the_visit_and_field(change, expected):
    problems = refusal(edited(change))
    assert any(p.startswith(expected) for p in problems), problems


def test_bundle_with_two_dates_is_two_visits():
    h = read_history(EXAMPLES / "fhir_bundle.json")
    assert [v.date for v in h.visits] == ["2023-04-11", "2026-10-02"]
    assert h.visits[0].years == pytest.approx(-1270 / 365.25, abs=1e-6)       # 2023-04-11 -> 2026-10-02
    assert h.first.person.canonical("fasting_glucose") == 98 and h.now.canonical("fasting_glucose") == 112
    assert h.first.person.weight is None and h.now.canonical("weight") == 97.5  # nothing carried between visits
    assert h.first.person.sex == h.now.sex == "male"
    assert h.now.canonical("age") == pytest.approx(21386 / 365.25, abs=0.01)   # born 1968-03-14
    assert h.now.canonical("systolic_bp") == 142 and h.now.smoker is False


def test_bundle_is_validated_by_fhir_resources():
    b = json.loads((EXAMPLES / "fhir_bundle.json").read_text())
    b["entry"][3]["resource"]["effectiveDateTime"] = "last Tuesday"
    with pytest.raises(InputError, match=r"Bundle\.entry\[3\]\.resource\.effectiveDateTime"):
        bundle_to_history_data(b)
    b["entry"][3]["resource"]["effectiveDateTime"] = "2026-10-02"
    b["entry"][4]["resource"]["valueQuantity"]["value"] = "ninety"
    with pytest.raises(InputError, match=r"Bundle\.entry\[4\]\.resource\.valueQuantity\.value"):
        history_from_data(b)


def same_rows(a, b) -> bool:
    """Both histories' visits hold the same canonical inputs."""
    rows = [[{k: v for k, v in visit.person.to_row().items() if not math.isnan(v)} for visit in h.visits] for h in (a, b)]
    return len(rows[0]) == len(rows[1]) and all(x == pytest.approx(y, rel=1e-9) for x, y in zip(*rows))


def test_round_trip_fhir_in_assessment_out_read_back(tmp_path):
    h = read_history(EXAMPLES / "fhir_bundle.json")
    a = assess(h.now)
    bundle = assessment_bundle(a, h.visits[-1].date, h)
    validate_bundle(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1
    results = {c["code"]: e["resource"] for e in bundle["entry"] for c in e["resource"].get("code", {}).get("coding", [])
               if c["system"] == IRSIM_RESULT}
    assert set(results) == {k for k, r in a.results.items() if r["value"] is not None}
    homa = results["homa1_ir"]
    assert homa["valueQuantity"]["value"] == pytest.approx(16.0 * 112 / 405, rel=1e-5)
    assert homa["interpretation"][0]["text"] == a.results["homa1_ir"]["category"]
    egfr = results["egfr_ckd_epi_2021"]["code"]["coding"]
    assert {"system": "http://loinc.org", "code": "98979-8"} in egfr   # LOINC where one exists
    assert results["kdigo_albuminuria_category"]["valueString"] == "A2"
    path = tmp_path / "out.json"
    path.write_text(json.dumps(bundle))
    back = read_history(path)                                           # results are not read as measurements
    assert [v.date for v in back.visits] == [v.date for v in h.visits]
    assert [v.years for v in back.visits] == [v.years for v in h.visits]
    assert same_rows(back, h)
    assert assess(back.now).results["homa1_ir"]["value"] == pytest.approx(a.results["homa1_ir"]["value"])


def test_round_trip_keeps_ogtt_flags_and_body():
    p = read_person(EXAMPLES / "person.json")
    bundle = assessment_bundle(assess(p), "2026-11-30")
    back = history_from_data(bundle, today=TODAY)
    assert back.visits[0].date == "2026-11-30"
    assert same_rows(back, read_history(EXAMPLES / "person.json"))
    assert back.now.labs.ogtt.minutes == p.labs.ogtt.minutes and back.now.on_statin is p.on_statin


def test_twin_bundle_observations_and_risk_assessment():
    p = read_person(EXAMPLES / "person.json")
    bands = pd.DataFrame([
        ("baseline", 0.0, "hba1c_percent", 5.7, 5.8, 5.9, 6.0, 6.1),
        ("baseline", 10.0, "hba1c_percent", 5.6, 6.0, 6.3, 6.7, 7.4),
        ("diet", 10.0, "liver_fat_percent", 3.0, 5.0, 6.5, 8.0, 11.0)],
        columns=["scenario", "year", "variable", "q05", "q25", "q50", "q75", "q95"])
    probs = {"baseline": {"T2D": {"5": 0.12, "10": 0.31}}, "diet": {"T2D": {"5": 0.06, "10": 0.18}}}
    b = twin_bundle(p, bands, probs, date="2026-01-15")
    validate_bundle(b)
    obs = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert len(obs) == 3 and all(o["status"] == "preliminary" for o in obs)
    ten = obs[1]
    assert {"system": "http://loinc.org", "code": "4548-4"} in ten["code"]["coding"]
    assert ten["valueQuantity"]["value"] == 6.3 and ten["effectiveDateTime"] == "2036-01-15"
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in ten["component"]} == \
        {"q05": 5.6, "q25": 6.0, "q75": 6.7, "q95": 7.4}
    assert obs[2]["method"]["coding"][0]["code"] == "diet" and obs[2]["code"]["coding"][0]["system"] == IRSIM_PROJECTION
    risks = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "RiskAssessment"]
    assert [r["method"]["coding"][0]["code"] for r in risks] == ["baseline", "diet"]
    pred = risks[0]["prediction"][1]
    assert pred["outcome"]["text"] == "T2D" and pred["probabilityDecimal"] == 0.31
    assert pred["whenRange"]["high"]["value"] == 10
    # a projection Bundle holds no measurements: read back, it has none
    with pytest.raises(InputError, match="age"):
        history_from_data(b, today=TODAY)


def test_profile_history(tmp_path):
    from irsim.interfaces.web import db

    Session = db.open_db(tmp_path / "p.db")
    person = {"sex": "female", "age": {"value": 52, "unit": "year"}, "height": {"value": 164, "unit": "cm"},
              "weight": {"value": 88, "unit": "kg"}, "labs": {"hba1c": {"value": 6.0, "unit": "%"}}}
    with Session() as s:
        p = db.Profile(name="A", person_json=json.dumps(person), baseline_date=dt.date(2025, 5, 20))
        p.labs += [db.LabResult(measured_on=dt.date(2023, 5, 20), field="hba1c", value=5.6, unit="%", canonical=5.6),
                   db.LabResult(measured_on=dt.date(2023, 5, 20), field="weight", value=84, unit="kg", canonical=84),
                   db.LabResult(measured_on=dt.date(2025, 5, 20), field="fasting_glucose", value=6.2, unit="mmol/L",
                                canonical=111.7)]
        s.add(p)
        s.commit()
        h = db.profile_history(p, today=TODAY)
    assert [v.date for v in h.visits] == ["2023-05-20", "2025-05-20"]
    assert h.visits[0].years == pytest.approx(-731 / 365.25, abs=1e-6)
    assert h.first.person.canonical("age") == pytest.approx(52 - 731 / 365.25, abs=0.01)
    assert h.first.person.canonical("hba1c") == 5.6 and h.first.person.canonical("weight") == 84
    assert h.first.person.canonical("height") == 164 and h.first.person.labs.fasting_glucose is None
    assert h.now.canonical("hba1c") == 6.0 and h.now.canonical("fasting_glucose") == pytest.approx(6.2 * 18.016)


def test_cli_assess_visits_file_and_fhir_out(cli, tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(VISITS))
    out = tmp_path / "a.json"
    r = cli("assess", path, "--format", "fhir", "--out", out)
    assert r.returncode == 0, r.stderr
    back = read_history(out)
    assert [v.date for v in back.visits] == ["2019-04-02", "2025-05-20"]
    assert back.now.canonical("hba1c") == 6.0                     # the last visit was assessed
    assert any(c.get("code") == "27353-2" for e in json.loads(out.read_text())["entry"]
               for c in e["resource"].get("code", {}).get("coding", []))   # eAG from HbA1c 6.0 %
    path.write_text(json.dumps(edited(lambda d: d["visits"][1].update(date="2031-01-01"))))
    r = cli("assess", path)
    assert r.returncode == 2 and "visits[1].date" in r.stderr
