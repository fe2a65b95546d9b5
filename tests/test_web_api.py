"""The web API with FastAPI's test client: numbers equal the library's, every error path, profiles, bounds."""

import json
import re
import socket
import sqlite3

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from irsim.errors import InputError  # noqa: E402
from irsim.interfaces.web.app import STATIC, create_app  # noqa: E402
from irsim.schemas.person import Person  # noqa: E402

from conftest import EXAMPLES  # noqa: E402

PERSON = json.loads((EXAMPLES / "person.json").read_text())
YEARS = 5  # one compiled length for every projection in this module
PLAN = {"name": "plan", "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 7, "over_months": 6}]}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(tmp_path_factory.mktemp("db") / "irsim.db")


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No request may open a connection to anywhere."""
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"network call attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def problems(resp):
    assert resp.status_code == 422, resp.text
    return {p["field"]: p["message"] for p in resp.json()["problems"]}


# ---------------------------------------------------------------- page, assets, docs
def test_page_assets_are_local(client):
    page = client.get("/")
    assert page.status_code == 200 and "not medical advice" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for f in STATIC.iterdir():
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", f.read_text()), f"remote asset in {f.name}"
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript") and len(js.content) > 1e6
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text and "//" not in re.sub(r"https?://[^\"']*openapi", "", docs.text).split("<script>")[0].replace("<!DOCTYPE html>", "")
    spec = client.get("/openapi.json").json()
    assert {"/api/assess", "/api/simulate", "/api/meal", "/api/report", "/api/profiles"} <= set(spec["paths"])
    assert "not a medical device" in spec["info"]["description"]


def test_packaged_example_is_the_example():
    assert json.loads((STATIC / "example-person.json").read_text()) == PERSON


def test_fields(client):
    f = client.get("/api/fields").json()
    hba1c = next(x for x in f["labs"] if x["name"] == "hba1c")
    assert hba1c["units"][:2] == ["%", "mmol/mol"] and hba1c["range"] == [3, 20]
    assert f["limits"]["years"] == 60


# ---------------------------------------------------------------- assess
def test_assess_equals_library(client):
    from irsim.assessment.api import assess

    data = client.post("/api/assess", json=PERSON).json()
    want = assess(PERSON).to_dict()
    assert data["results"]["homa1_ir"]["value"] == pytest.approx(want["results"]["homa1_ir"]["value"], rel=1e-12)
    assert data["results"] == json.loads(json.dumps(want["results"]))
    glyc = next(g for g in data["organs"] if g["organ"] == "glucose_insulin")
    homa = next(r for r in glyc["results"] if r["key"] == "homa1_ir")
    assert homa["abnormal"] and homa["mechanism"] and homa["text"] == "3.67"
    assert "not a medical device" in data["disclaimer"]
    # the page's units setting (issue #15): the example's lipids were given in mmol/L; mg/dL on request
    texts = lambda d: {r["key"]: r["text"] for g in d["organs"] for r in g["results"]}  # noqa: E731
    given = texts(data)
    mgdl = texts(client.post("/api/assess?units=mg/dL", json=PERSON).json())
    assert given["non_hdl_cholesterol"] == "4.5 mmol/L" and mgdl["non_hdl_cholesterol"].endswith(" mg/dL")
    assert client.post("/api/assess?units=g/L", json=PERSON).status_code == 422


def test_invalid_person_gets_the_cli_messages(client, cli, tmp_path):
    bad = {**PERSON, "age": 5, "sex": "x", "weigth": "88 kg", "labs": {**PERSON["labs"], "hba1c": "25 %"}}
    got = problems(client.post("/api/assess", json=bad))
    with pytest.raises(InputError) as exc:
        Person.parse(bad)
    assert got == {p.field: p.message for p in exc.value.problems}
    assert set(got) == {"age", "sex", "weigth", "labs.hba1c"}
    assert "plausible range 3-20 %" in got["labs.hba1c"] and "did you mean 'weight'" in got["weigth"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    r = cli("assess", path)
    assert r.returncode == 2
    for field, message in got.items():
        assert f"{field}: {message}" in r.stderr.replace("\n", " ") or message[:60] in r.stderr


@pytest.mark.parametrize("body, field", [
    (b"{not json", "body"),
    (b"[]", "body"),
    (b"", "body"),
])
def test_malformed_bodies(client, body, field):
    got = problems(client.post("/api/assess", content=body, headers={"content-type": "application/json"}))
    assert field in got


def test_body_size_bounded(client):
    big = b"x" * 1_000_001
    assert client.post("/api/assess", content=big).status_code == 413
    chunks = iter([b"x" * 600_000, b"x" * 600_000])  # no content-length: counted while read
    assert client.post("/api/assess", content=chunks).status_code == 413


def test_internal_error_is_generic(tmp_path, caplog):
    app = create_app(tmp_path / "x.db")

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals at /home/user")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error; the server log has the details"}
    assert "secret" not in r.text and "Traceback" not in r.text
    assert "secret internals" in caplog.text  # logged server side


# ---------------------------------------------------------------- simulate, report, meal
def test_simulate_equals_library(client):
    from irsim.workflows import projection
    from irsim.scenarios.schema import Scenario

    data = client.post("/api/simulate", json={"person": PERSON, "years": YEARS, "scenarios": [PLAN],
                                               "figures": True}).json()
    df, assumed = projection(Person.parse(PERSON), YEARS, [Scenario.parse(PLAN)])
    assert data["scenarios"] == ["baseline", "plan"] and data["assumed"] == assumed
    for name, g in df.groupby("scenario"):
        assert data["trajectory"][name]["hba1c_percent"] == pytest.approx(g["hba1c_percent"].tolist(), rel=1e-12)
        assert data["trajectory"][name]["glycemic_status"] == g["glycemic_status"].tolist()
    assert data["trajectory"]["plan"]["weight_kg"][-1] < 0.94 * data["trajectory"]["baseline"]["weight_kg"][-1]
    titles = [f["layout"]["title"]["text"] for f in data["figures"]["projection"]]
    assert titles[:4] == ["Fasting glucose (mmol/L)", "2-h OGTT glucose (mmol/L)", "HbA1c (%)", "Weight (kg)"]
    assert "eGFR (mL/min/1.73 m²)" in titles
    where = data["figures"]["where"]["data"]
    assert where[0]["type"] == "heatmap" and where[-1]["name"] == "you now"


def test_projection_plots_only_present_columns():
    import pandas as pd

    from irsim.reporting.figures import projection_figures

    df = pd.DataFrame({"scenario": ["a", "a"], "year": [0, 1], "weight_kg": [80, 79], "liver_fat_percent": [9, 8]})
    meas = [{"field": "weight", "year": 0.5, "canonical": 79.5}]
    figs = projection_figures(df, meas)
    assert [f.layout.title.text for f in figs] == ["Weight (kg)", "Liver fat (%)"]
    assert list(figs[0].data[-1].y) == [79.5]


@pytest.mark.parametrize("body, field, words", [
    ({"years": 61}, "years", "less than or equal to 60"),
    ({"years": 0}, "years", "greater than or equal to 1"),
    ({"scenarios": [PLAN] * 6}, "scenarios", "at most 5"),
    ({"scenarios": [{"name": "p", "interventions": [{"type": "metformin", "start_year": 0, "mg_per_day": 9000}]}]},
     "scenarios.0.interventions.0.metformin.mg_per_day", "less than or equal to 3000"),
    ({"scenarios": [{"name": "p", "interventions": [{"type": "teleport", "start_year": 0}]}]},
     "scenarios.0.interventions.0", "teleport"),
    ({"measurements": [{"year": 1, "field": "hba1c", "value": 61, "unit": "%"}]},
     "measurements.0.value", "plausible range 3-20 %"),
    ({"measurements": [{"year": 1, "field": "hba1c", "value": 6, "unit": "kg"}]}, "measurements.0.value", "kg"),
    ({"person": {**PERSON, "labs": {"fasting_glucose": "35 mg/dL"}}}, "person.labs.fasting_glucose",
     "plausible range 40-600 mg/dL"),
    ({"scenarios": [{**PLAN, "name": "baseline"}]}, "scenario", "must differ"),
])
def test_simulate_refusals(client, body, field, words):
    got = problems(client.post("/api/simulate", json={"person": PERSON, "years": YEARS, **body}))
    assert field in got and words in got[field], got


def test_report_download(client):
    body = {"person": PERSON, "years": YEARS, "scenarios": [PLAN],
            "measurements": [{"year": 1, "field": "hba1c", "value": 6.0, "unit": "%"}]}
    r = client.post("/api/report", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="irsim-report-example-1.html"'
    assert "not a medical device" in r.text and "Where you stand" in r.text and "measured" in r.text
    assert "Chances for people like you" in r.text and " in 100</td>" in r.text
    assert not re.search(r"<script[^>]+src=", r.text)
    assert problems(client.post("/api/report", json={**body, "years": 100}))["years"]


def test_chances_are_a_distribution_and_follow_the_profile(client):
    # issue #14: the page's risks are chances over draws of what the labs leave unknown (the twin, whose posterior
    # with one visit is the population prior), so the onset of diabetes rises as a distribution, not one step
    data = client.post("/api/simulate", json={"person": PERSON, "years": YEARS, "scenarios": [PLAN],
                                              "figures": True, "chances": True}).json()
    ch = data["chances"]
    assert ch["years"] == ["5"] and ch["draws"] == 200 and "Out of 100 people" in ch["note"]
    t2d = next(e for e in ch["events"] if e["event"] == "T2D")
    assert t2d["label"] == "type 2 diabetes" and set(t2d["by"]) == {"baseline", "plan"}
    p = t2d["by"]["baseline"]["5"]
    assert 0.05 < p < 0.95  # prediabetic example: neither never nor certain
    assert t2d["by"]["plan"]["5"] <= p  # 7 % weight loss does not raise it (common random numbers)
    assert [f["layout"]["title"]["text"].split(":")[0] for f in data["figures"]["fan"]] == [
        "fasting glucose (mmol/L)", "HbA1c (%)", "weight (kg)"]
    pid = client.post("/api/profiles", json={"name": "C", "person": PERSON, "baseline_date": "2024-03-01"}).json()["id"]
    client.post(f"/api/profiles/{pid}/labs", json={"measured_on": "2020-03-01", "field": "hba1c", "value": 5.2,
                                                   "unit": "%"})
    got = client.post("/api/simulate", json={"person": PERSON, "years": YEARS, "figures": True, "chances": True,
                                             "profile_id": pid}).json()
    fan = got["figures"]["fan"][1]  # HbA1c: the earlier visit is drawn at its year before now
    assert any(tr.get("name") == "measured" and tr["x"][0] == pytest.approx(-4.0, abs=0.01) for tr in fan["data"])
    assert client.post("/api/simulate", json={"person": PERSON, "years": YEARS, "chances": True,
                                              "profile_id": 999}).status_code == 404
    client.delete(f"/api/profiles/{pid}")


def test_meal(client):
    from irsim.workflows import meal_run

    data = client.post("/api/meal", json={"subject": "t2d", "glucose_g": 75, "minutes": 120}).json()
    _, summary, _ = meal_run("t2d", 75, None, 120)
    assert data["summary"] == pytest.approx(summary) and len(data["series"]["glucose_mg_dl"]) == 121
    got = problems(client.post("/api/meal", json={"subject": "x", "glucose_g": 500, "minutes": 100000}))
    assert set(got) == {"subject", "glucose_g", "minutes"} and "'normal', 't2d'" in got["subject"]


# ---------------------------------------------------------------- profiles
def test_profile_lifecycle(client, app):
    assert client.get("/api/profiles/999").status_code == 404
    r = client.post("/api/profiles", json={"name": "Ann", "person": PERSON, "baseline_date": "2024-03-01"})
    assert r.status_code == 201
    prof = r.json()
    pid = prof["id"]
    assert prof["person"]["labs"]["hba1c"] == {"value": 5.9, "unit": "%"}
    assert Person.parse(prof["person"]) == Person.parse(PERSON)  # stored input reads back the same
    assert {"id": pid, "name": "Ann", "baseline_date": "2024-03-01"} in client.get("/api/profiles").json()

    lab = client.post(f"/api/profiles/{pid}/labs", json={"measured_on": "2025-03-01", "field": "fasting_glucose",
                                                         "value": 6.2, "unit": "mmol/L"})
    assert lab.status_code == 201
    assert lab.json()["canonical"] == pytest.approx(6.2 * 18.016) and lab.json()["year"] == pytest.approx(1.0, abs=0.01)
    got = problems(client.post(f"/api/profiles/{pid}/labs", json={"measured_on": "2025-03-01", "field": "hba1c",
                                                                   "value": 61, "unit": "%"}))
    assert "did you mean 61 mmol/mol" in got["value"]
    got = problems(client.post(f"/api/profiles/{pid}/labs", json={"measured_on": "soon", "field": "spleen",
                                                                   "value": 1, "unit": "%"}))
    assert set(got) == {"measured_on", "field"}
    assert problems(client.post("/api/profiles", json={"name": "", "person": {"sex": "f"}})).keys() == {"name", "person.age"}
    assert client.post("/api/profiles/999/labs", json={"measured_on": "2025-03-01", "field": "hba1c", "value": 6,
                                                       "unit": "%"}).status_code == 404

    upd = client.put(f"/api/profiles/{pid}", json={"name": "Ann B", "person": {**PERSON, "weight": "85 kg"}}).json()
    assert upd["name"] == "Ann B" and upd["person"]["weight"] == {"value": 85.0, "unit": "kg"}
    assert upd["baseline_date"] == "2024-03-01" and len(upd["labs"]) == 1
    assert client.put("/api/profiles/999", json={"name": "x", "person": PERSON}).status_code == 404

    exp = client.get(f"/api/profiles/{pid}/export")
    assert "attachment" in exp.headers["content-disposition"]
    assert exp.json()["labs"][0]["field"] == "fasting_glucose" and exp.json()["person"]["id"] == "example-1"

    lab_id = exp.json()["labs"][0]["id"]
    assert client.delete(f"/api/profiles/{pid}/labs/999").status_code == 404
    assert client.delete(f"/api/profiles/{pid}/labs/{lab_id}").status_code == 204
    client.post(f"/api/profiles/{pid}/labs", json={"measured_on": "2025-03-01", "field": "weight", "value": 80,
                                                   "unit": "kg"})
    assert client.delete(f"/api/profiles/{pid}").status_code == 204
    assert client.get(f"/api/profiles/{pid}").status_code == 404
    assert client.delete(f"/api/profiles/{pid}").status_code == 404
    with sqlite3.connect(app.state.db_path) as con:  # all of its rows are gone
        assert con.execute("select count(*) from lab_results where profile_id = ?", (pid,)).fetchone() == (0,)
        assert con.execute("select count(*) from profiles where id = ?", (pid,)).fetchone() == (0,)


def test_migrations_are_idempotent(tmp_path):
    from irsim.interfaces.web import db

    path = tmp_path / "sub" / "m.db"
    db.open_db(path)
    db.open_db(path)
    with sqlite3.connect(path) as con:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        assert {"profiles", "lab_results", "alembic_version"} <= tables
        assert con.execute("select version_num from alembic_version").fetchone() == ("0001",)


def test_default_db_location(monkeypatch, tmp_path):
    from irsim.interfaces.web import db

    monkeypatch.setenv("IRSIM_DB", str(tmp_path / "env.db"))
    assert db.default_path() == tmp_path / "env.db"
    monkeypatch.delenv("IRSIM_DB")
    assert db.default_path().name == "irsim.db" and "irsim" in str(db.default_path().parent)


# ---------------------------------------------------------------- CLI: serve and report
def test_serve_warns_off_loopback(monkeypatch, tmp_path):
    import uvicorn
    from typer.testing import CliRunner

    from irsim.interfaces.cli import app

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: calls.append(kw))
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123", "--db", str(tmp_path / "s.db")])
    assert r.exit_code == 0 and "warning" in r.output and "no authentication" in r.output
    assert calls == [{"host": "0.0.0.0", "port": 8123, "log_level": "warning"}]
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "s.db")])
    assert "warning" not in r.output and calls[-1]["host"] == "127.0.0.1"
    monkeypatch.setitem(__import__("sys").modules, "uvicorn", None)
    r = CliRunner().invoke(app, ["serve"])
    assert r.exit_code == 2 and "pip install 'irsim[web]'" in r.output


def test_report_cli(tmp_path):
    from typer.testing import CliRunner

    from irsim.interfaces.cli import app

    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", str(EXAMPLES / "person.json"), "--scenario",
                                 str(EXAMPLES / "scenarios" / "lifestyle.yaml"), "--years", str(YEARS), "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "not a medical device" in text and "lifestyle" in text and "Assumptions" in text and "homa1_ir" in text
    assert not re.search(r"<script[^>]+src=", text) and text.count("<svg") >= 2
    # a report to keep (issue #15): under 1.5 MB (static SVG charts, no Plotly bundle), dated, with the inputs,
    # scenarios in words and the ADA lines on the glucose charts
    assert len(text.encode()) < 1_500_000 and "Plotly" not in text
    assert "Written 20" in text and "<summary>Inputs</summary>" in text and "5.9 mmol/L" in text
    assert "lose 7 % of weight over 6 months, then keep it off" in text
    assert "prediabetes" in text and "Chances for people like you" in text and " in 100</td>" in text
    r = CliRunner().invoke(app, ["report", str(EXAMPLES / "person.json"), "--years", "99", "-o", str(out)])
    assert r.exit_code == 2 and "--years" in r.output


def test_explain_endpoint_sums_and_refuses_unknown_outcomes(client):
    r = client.post("/api/explain", json={"person": PERSON, "outcome": "fasting_glucose_mmol_l", "years": 5})
    assert r.status_code == 200, r.text
    d = r.json()
    assert sum(p["contribution"] for p in d["pathways"]) == pytest.approx(d["total"], abs=1e-9)
    assert "not medical advice" in d["disclaimer"]
    bad = client.post("/api/explain", json={"person": PERSON, "outcome": "happiness"})
    assert bad.status_code == 422 and "outcome" in bad.text


def test_status_says_when_the_models_are_warm(tmp_path):
    import time

    from fastapi.testclient import TestClient

    with TestClient(create_app(tmp_path / "w.db")) as c:  # tests: no warm-up, ready at once
        assert c.get("/api/status").json()["ready"] is True
    with TestClient(create_app(tmp_path / "w2.db", warm=True)) as c:  # irsim serve: compiles in the background
        deadline = time.time() + 300
        while not c.get("/api/status").json()["ready"]:
            assert time.time() < deadline
            time.sleep(0.5)
        assert c.get("/static/favicon.svg").status_code == 200


def test_the_form_offers_the_units_the_cli_accepts(client):
    # issue #15: lb, in and m beside kg and cm (exact: 1 lb = 0.45359237 kg, 1 in = 2.54 cm)
    fields = client.get("/api/fields").json()
    assert fields["flag_labels"]["on_statin"] == "Takes a statin"  # human labels for the flags
    body = {f["name"]: f["units"] for f in fields["body"]}
    assert {"kg", "lb"} <= set(body["weight"]) and {"cm", "in", "m"} <= set(body["height"])
    assert {"cm", "in"} <= set(body["waist"])
    r = client.post("/api/assess", json={"age": "50 year", "sex": "male", "height": "69 in", "weight": "190 lb",
                                         "labs": {"fasting_glucose": "100 mg/dL", "fasting_insulin": "10 uIU/mL"}})
    assert r.status_code == 200, r.text
