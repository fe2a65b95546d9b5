"""End to end in a real browser: Debian's chromium driven by Playwright against `irsim serve` started here.

Screenshots go to out/ (desktop and phone width) for a person to look at.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (.ci/run installs Debian's chromium)"),
]
playwright = pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
httpx = pytest.importorskip("httpx")
expect = playwright.expect

from irsim.reporting.report import in_100  # noqa: E402  (after the skips: the report needs plotly only)

ROOT = Path(__file__).resolve().parents[1]
#: How long the page may take to show a projection: its first one traces and compiles the programs (52 s alone on the
#: 2-core machine; over 120 s once, beside the other test worker, in a clean-clone CI run of 2026-12-02)
PAGE_WAIT_MS = 300_000
OUT = ROOT / "out"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    db = tmp_path_factory.mktemp("web") / "irsim.db"
    proc = subprocess.Popen([sys.executable, "-c", "from irsim.interfaces.cli import main; main()", "serve",
                             "--port", str(port), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "NO_COLOR": "1"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/api/fields", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("server did not start: " + proc.stdout.read().decode())
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                              "--disable-background-networking"])
        yield b
        b.close()


PERSON = {"age": "52 year", "sex": "female", "height": "165 cm", "weight": "88 kg", "waist": "98 cm",
          "labs": {"fasting_glucose": "5.9 mmol/L", "fasting_insulin": "14 uIU/mL", "hba1c": "5.9 %",
                   "triglycerides": "1.9 mmol/L", "hdl_cholesterol": "1.1 mmol/L"}}


def _fill(page, name, text):
    value, unit = text.split(" ", 1)
    page.fill(f"#f-{name}", value)
    page.select_option(f"#f-{name}-unit", unit)


def test_page_end_to_end(server, browser):
    OUT.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    offsite = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith((server, "blob:", "data:")) else None)
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    assert "not medical advice" in page.inner_text("#disclaimer")

    # validated as you type, with the server's message
    _fill(page, "hba1c", "25 %")
    expect(page.locator("#err-hba1c")).to_contain_text("plausible range")
    # in the page's words (issue #15): the unit is a list here, not text after the number
    expect(page.locator("#err-hba1c")).to_contain_text("Choose mmol/mol in the unit list")
    assert "accepted units" not in page.inner_text("#err-hba1c")
    assert page.get_attribute("#f-hba1c", "aria-invalid") == "true"

    page.select_option("#f-sex", PERSON["sex"])
    for name, text in PERSON.items():
        if name not in ("sex", "labs"):
            _fill(page, name, text)
    for name, text in PERSON["labs"].items():
        _fill(page, name, text)
    page.click("#submit")
    page.wait_for_selector("tr[data-key='homa1_ir']")
    page.wait_for_selector("#summary-table tr[data-scenario='baseline']", timeout=PAGE_WAIT_MS)
    assert page.inner_text("#err-hba1c") == ""

    # numbers shown equal the API's
    api = httpx.post(server + "/api/assess", json=PERSON, timeout=60).json()
    shown = float(page.get_attribute("tr[data-key='homa1_ir'] td.value", "data-value"))
    assert shown == pytest.approx(api["results"]["homa1_ir"]["value"], rel=1e-12)
    assert page.inner_text("tr[data-key='homa1_ir'] td.value") == f"{api['results']['homa1_ir']['value']:.3g}"
    assert "abnormal" in page.get_attribute("tr[data-key='homa1_ir'] .cat", "class")
    sim = httpx.post(server + "/api/simulate", json={"person": PERSON, "years": 20}, timeout=120).json()
    base = "#summary-table tr[data-scenario='baseline'] td[data-col='{}']"
    a1c = float(page.get_attribute(base.format("hba1c_percent"), "data-value"))
    assert a1c == pytest.approx(sim["trajectory"]["baseline"]["hba1c_percent"][-1], rel=1e-9)
    page.wait_for_selector("#where-chart .main-svg")
    # chances as "N in 100" over draws (issue #14), the same numbers as the API's, and the fan chart
    ch = httpx.post(server + "/api/simulate", json={"person": PERSON, "years": 20, "chances": True},
                    timeout=300).json()["chances"]
    p_t2d = next(e for e in ch["events"] if e["event"] == "T2D")["by"]["baseline"]["20"]
    cell = "#chances-table tr[data-event='T2D'][data-year='20'] td[data-p]"
    page.wait_for_selector(cell, timeout=PAGE_WAIT_MS)
    assert float(page.get_attribute(cell, "data-p")) == pytest.approx(p_t2d, abs=1e-12)
    assert page.inner_text(cell) == in_100(p_t2d)  # the report's wording, halves up as on the page
    page.wait_for_selector("#fan-chart .main-svg")
    page.screenshot(path=str(OUT / "web_desktop.png"), full_page=True)

    # move a scenario control (keyboard): the projection changes
    page.focus("#c-weight")
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert page.inner_text("#o-weight") == "10"
    plan = "#summary-table tr[data-scenario='your plan'] td[data-col='{}']"
    page.wait_for_selector(plan.format("weight_kg"), timeout=PAGE_WAIT_MS)
    w_plan = float(page.get_attribute(plan.format("weight_kg"), "data-value"))
    w_base = float(page.get_attribute(base.format("weight_kg"), "data-value"))
    assert w_plan < 0.93 * w_base
    assert float(page.get_attribute(plan.format("hba1c_percent"), "data-value")) < a1c

    # save a profile, add a lab result, reload the page and load it back
    page.fill("#profile-name", "Test person")
    page.fill("#profile-date", "2024-01-15")
    page.click("#profile-save")
    expect(page.locator("#profile-status")).to_contain_text("Saved profile")
    page.fill("#lab-date", "2025-01-15")
    page.select_option("#lab-field", "hba1c")
    page.fill("#lab-value", "6.1")
    page.click("#lab-form button[type=submit]")
    page.wait_for_selector("#lab-table tbody tr")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.input_value("#f-weight") == ""
    page.select_option("#profile-select", label="Test person (2024-01-15)")
    page.click("#profile-load")
    expect(page.locator("#profile-status")).to_contain_text("Loaded profile")
    assert page.input_value("#f-weight") == "88"
    assert page.input_value("#f-fasting_glucose-unit") == "mmol/L"
    assert "6.1 %" in page.inner_text("#lab-table tbody")
    page.wait_for_selector("#summary-table tr[data-scenario='baseline']", timeout=PAGE_WAIT_MS)
    page.wait_for_selector("#projection-chart .scatterlayer .point")
    page.screenshot(path=str(OUT / "web_profile.png"), full_page=True)

    phone = browser.new_page(viewport={"width": 375, "height": 800})
    phone.goto(server)
    phone.wait_for_selector("body[data-ready='1']")
    phone.click("#load-example")
    phone.wait_for_selector("#summary-table tr[data-scenario='baseline']", timeout=PAGE_WAIT_MS)
    phone.wait_for_selector("#chances-table", timeout=PAGE_WAIT_MS)
    phone.screenshot(path=str(OUT / "web_phone.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    # no chart toolbar over a title at phone width (issue #15)
    phone.hover("#projection-chart .panel")
    assert phone.locator(".modebar-container .modebar-btn").count() == 0
    assert offsite == []  # no request left the machine


def test_why_panel_shows_the_api_explanation(server, browser):
    """The "Why is this changing?" panel: same numbers as POST /api/explain, shares add up, 422 shown in the panel."""
    OUT.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    page.click("#load-example")
    page.wait_for_selector("#summary-table tr[data-scenario='baseline']", timeout=PAGE_WAIT_MS)
    page.focus("#c-weight")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector("#summary-table tr[data-scenario='your plan']", timeout=PAGE_WAIT_MS)

    page.select_option("#explain-outcome", "T2D")
    page.focus("#explain-run")
    with page.expect_request("**/api/explain") as sent:
        page.keyboard.press("Enter")
    page.wait_for_selector("#explain-result table.explain tbody tr", timeout=PAGE_WAIT_MS)
    body = sent.value.post_data_json
    assert body["outcome"] == "T2D" and body["years"] == 20
    assert body["scenario"]["interventions"][0] == {"type": "weight_loss", "start_year": 0, "percent": 5,
                                                    "over_months": 6, "then": "maintain"}
    api = httpx.post(server + "/api/explain", json=body, timeout=120).json()

    rows = page.locator("#explain-result table.explain").first.locator("tbody tr")
    assert rows.count() == len(api["pathways"])
    shares = []
    for i, p in enumerate(api["pathways"]):
        row = rows.nth(i)
        assert row.get_attribute("data-key") == p["pathway"]
        assert row.locator("th").inner_text() == p["label"]
        assert float(row.locator("td.contribution").inner_text()) == float(f"{p['contribution']:.3g}")
        shares.append(float(row.locator("td.share").inner_text().removesuffix(" %")))
    assert sum(shares) == pytest.approx(100, abs=1)
    assert page.locator("#explain-sentences li").all_inner_texts() == [p["sentence"] for p in api["pathways"]]
    assert page.locator("#explain-result table.explain").count() == 1 + len(api["tissues"]) > 1  # muscle/liver/beta
    assert "Shapley decomposition over pathway knock-outs" in page.inner_text("#explain-method")
    # the summary says why HbA1c stands in for the onset, never the disclaimer in its place
    summary = page.inner_text("#explain-summary")
    assert ("no onset" in summary) == bool(api["outcome_note"]) and "research and education" not in summary
    assert "not medical advice" in page.inner_text("#explain-result")
    page.wait_for_selector("#explain-chart .main-svg")
    page.locator("#explain-section").screenshot(path=str(OUT / "web_explain.png"))

    # narrowed to phone width: one column, and the charts keep their height (responsive Plotly once collapsed them)
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(500)  # Plotly redraws on resize
    page.locator("#explain-section").screenshot(path=str(OUT / "web_explain_phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    heights = page.evaluate("[...document.querySelectorAll('.chart, #projection-chart .panel')]"
                            ".map((d) => d.getBoundingClientRect().height)")
    assert min(heights) > 200, heights

    # a refused request: the server's message in the panel
    page.evaluate("document.getElementById('explain-outcome').add(new Option('happiness', 'happiness'))")
    page.select_option("#explain-outcome", "happiness")
    page.click("#explain-run")
    expect(page.locator("#explain-error")).to_contain_text("not an outcome irsim can explain")
    assert page.locator("#explain-result").inner_text() == ""


def test_results_for_old_inputs_are_marked_stale_and_the_report_is_what_is_shown(server, browser):
    """Issue #15: after an edit the projection is greyed out and says so; "Download report" renders exactly the
    projection on screen (not the edited, unsubmitted form); the server says when its models are warm."""
    assert httpx.get(server + "/api/status", timeout=5).json().keys() >= {"ready"}
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_attribute("link[rel='icon']", "href") == "/static/favicon.svg"
    assert page.input_value("#f-sex") == ""  # no silent default for sex
    with page.expect_request("**/api/simulate", timeout=300_000) as sim:
        page.click("#load-example")
    page.wait_for_selector("#summary-table tr[data-scenario='baseline']", timeout=300_000)
    shown = sim.value.post_data_json["person"]
    expect(page.locator("#stale-note")).to_be_hidden()
    assert page.locator("#to-do-list li").count() >= 1  # what you can do, for the example's findings

    page.fill("#f-weight", "95")  # edited, not submitted: the assessment follows, the projection does not
    expect(page.locator("#stale-note")).to_be_visible(timeout=30_000)
    assert "stale" in page.get_attribute("#projection-chart", "class")
    with page.expect_request("**/api/report") as rep:
        page.click("#report")
    assert rep.value.post_data_json["person"] == shown

    page.click("#submit")
    expect(page.locator("#stale-note")).to_be_hidden(timeout=300_000)
    assert "stale" not in (page.get_attribute("#projection-chart", "class") or "")

    # an edit the server refuses: the results are marked stale too, and a summary beside the button names the field
    page.fill("#f-weight", "9000")
    page.click("#submit")
    expect(page.locator("#error-summary")).to_contain_text("Please correct this field: ", timeout=30_000)
    expect(page.locator("#stale-note")).to_be_visible()
    assert "stale" in page.get_attribute("#projection-chart", "class")
    page.close()


def test_height_in_feet_and_inches(server, browser):
    """Issue #15: the page offers the units the CLI accepts, feet and inches for height among them; 5 ft 5 in is
    sent as 65 in (165.1 cm), a person file's "5 ft 5 in" fills the form as 5 5 ft in, and unreadable text is
    refused by name."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("quantityText(\"5'5\", FT_IN)") == "65 in"
    assert page.evaluate("quantityText('5 ft 5.5 in', FT_IN)") == "65.5 in"
    assert "mg/dL" in page.locator("#f-cystatin_c-unit option").all_inner_texts()
    page.select_option("#f-height-unit", "ft in")
    assert page.get_attribute("#f-height", "placeholder") == "e.g. 5 10"
    page.fill("#f-height", "tall")
    expect(page.locator("#err-height")).not_to_be_empty(timeout=30_000)
    page.fill("#f-height", "5 5")
    expect(page.locator("#err-height")).to_be_empty(timeout=30_000)
    page.evaluate("fillForm({sex: 'female', height: '5 ft 5 in'})")
    assert page.input_value("#f-height") == "5 5" and page.input_value("#f-height-unit") == "ft in"
    page.close()


def test_the_written_report_fits_a_phone(browser, tmp_path):
    """Issue #15: `irsim report` at phone width (390 px) scrolls no sideways (long formulas and words wrap, each
    result is a card) and shows names, not keys (keys stay in data-key and in JSON)."""
    OUT.mkdir(exist_ok=True)
    path = tmp_path / "r.html"
    r = subprocess.run([sys.executable, "-c", "from irsim.interfaces.cli import main; main()", "report",
                        str(ROOT / "examples" / "person.json"), "--scenario",
                        str(ROOT / "examples" / "scenarios" / "usual_care.yaml"), "--years", "5", "--out", str(path)],
                       capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=600)
    assert r.returncode == 0, r.stderr
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(path.as_uri())
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.screenshot(path=str(OUT / "report_phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    assert page.locator("tr[data-key='homa1_ir']").count() == 1
    text = page.inner_text("body")
    assert "HOMA-IR (insulin resistance)" in text and "homa1_ir" not in text and "glycemic_status" not in text
    # the example is 52: the PCOS pattern does not apply (read before menopause), it is not a missing input
    assert "Does not apply to you" in text and "pcos_pattern" not in text and "add these inputs" not in text
    assert page.locator("tr[data-key='diabetes'] td").all_inner_texts() == ["Diagnosed with diabetes", "no"]
    assert "then basal insulin, each added at a yearly check while HbA1c is above 7 %" in text
    page.close()
