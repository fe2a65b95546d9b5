"""The self-contained HTML report and the JSON trajectory. Needs plotly only (no web stack); the charts are in
:mod:`.figures`, which the page (irsim serve) and `irsim report` share."""

from __future__ import annotations

import html
import math
from typing import Any, Sequence

from .. import DISCLAIMER, __version__
from .. import parameters as _parameters
from .figures import projection_svgs, shown, where_svg

#: How the chances were computed, for the page and the report.
CHANCES_NOTE = ("Out of 100 people with your labs: how many would have each event, death from other causes "
                "accounted for (life tables). People with the same labs differ in what labs do not show (how fast "
                "their beta cells decline, their sensitivity drift, their organs' susceptibility, their true labs "
                "around the measured ones); {draws} such people are drawn from the population the model was "
                "calibrated on. The bands show the middle half and 90 % of them. A model, not a forecast.")
GRID_CSS = ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(20rem,100%),1fr));gap:.5rem}"


def trajectory_payload(df) -> dict[str, Any]:
    """JSON-ready trajectory: {scenario: {column: [values]}} plus the glycaemic status per year."""
    out: dict[str, Any] = {}
    for name, g in df.groupby("scenario", sort=False):
        cols = {}
        for c in g.columns:
            if c in ("person", "scenario"):
                continue
            vals = g[c].tolist()
            cols[c] = [None if isinstance(v, float) and v != v else v for v in vals]
        out[str(name)] = cols
    return out


def in_100(p: float) -> str:
    """A chance in words: "about 12 in 100" (under 0.5 in 100: "fewer than 1 in 100", as a finite number of draws
    cannot tell a small chance from none). Halves round up, as the web page's ``Math.round`` does (Python's ``round``
    would word 0.625 as 62 where the page says 63)."""
    n = math.floor(100 * p + 0.5)
    return "fewer than 1 in 100" if n == 0 else f"about {n} in 100"


def chance_payload(probability: dict, draws: int) -> dict:
    """Each event's chance by year per scenario (``twin.Projection.probability``), with the events' labels:
    ``{years, draws, events: [{event, label, by: {scenario: {year: p}}}]}`` (JSON-ready)."""
    from ..analysis.events import EVENTS

    first = next(iter(probability.values()))
    years = list(next(iter(first.values())))
    return {"years": years, "draws": int(draws),
            "events": [{"event": ev, "label": EVENTS[ev].label,
                        "by": {sc: probability[sc][ev] for sc in probability}} for ev in first]}


def chances_html(chances: dict) -> str:
    """The chances as a table: per event, "about N in 100 people like you" within each year, per scenario."""
    e = html.escape
    scenarios = list(chances["events"][0]["by"]) if chances["events"] else []
    head = "".join(f"<th>{e(shown(sc))}</th>" for sc in scenarios)
    rows = []
    for y in chances["years"]:
        rows.append(f"<tr><th colspan={1 + len(scenarios)}>within {e(y)} years</th></tr>")
        rows += [f"<tr><td>{e(ev['label'])}</td>" + "".join(f"<td>{in_100(ev['by'][sc][y])}</td>" for sc in scenarios)
                 + "</tr>" for ev in chances["events"]]
    return (f"<table class=chances><thead><tr><th>chance for people like you</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def sources_html(files: Sequence[str] | None = None) -> str:
    """The "Sources" section: every parameter of ``files`` (default: the decades model's) with its value, unit and
    citation, grouped by file and section (read from the ParameterSets)."""
    if files is None:
        from ..models.core import PARAMETER_FILES as files
    e = html.escape
    parts = ["<h2>Sources</h2><p class=mech>The numbers the projection used, each with its unit and source "
             "(<code>src/irsim/parameters/data</code>).</p>"]
    for file, sections in _parameters.sources(files).items():
        n = sum(len(s) for s in sections.values())
        body = "".join(
            (f"<h3>{e(section)}</h3>" if section else "") + "<ul>" + "".join(
                f"<li><code>{e(name)}</code> = {e(str(p.value))} {e(p.unit_text)}: {e(p.source)}</li>"
                for name, p in entries.items()) + "</ul>"
            for section, entries in sections.items())
        src = _parameters.parameter_set(file).source
        parts.append(f"<details><summary>{e(file)}.yaml ({n} parameters{': ' + e(src) if src else ''})</summary>"
                     f"{body}</details>")
    return "".join(parts)


def report_html(assessment, df, scenarios, assumed: Sequence[str] = (), measurements: Sequence[dict] = (),
                uncertain=None) -> str:
    """Self-contained HTML to keep: assessment per organ, where-am-I, projection, the chances of each event and the
    fan chart over ``uncertain`` (a :class:`irsim.inference.twin.Projection`), scenarios, assumptions and the
    sources of the model's parameters; charts as static SVG (no script, a few hundred kB, printable)."""
    from datetime import date

    from .assessment import CSS, assessment_sections

    e = html.escape
    pid = assessment.person.id
    years = float(df["year"].max())
    where = where_svg(df)
    proj = "<div class=charts>" + "".join(f"<div>{svg}</div>" for svg in projection_svgs(df, measurements)) + "</div>"
    last = df.groupby("scenario", sort=False).tail(1)
    rows = "".join(f"<tr><td class=name>{e(shown(r.scenario))}</td><td data-label='HbA1c (%)'>{r.hba1c_percent:.2f}</td>"
                   f"<td data-label='fasting glucose (mmol/L)'>{r.fasting_glucose_mmol_l:.2f}</td>"
                   f"<td data-label='weight (kg)'>{r.weight_kg:.1f}</td><td data-label=status>{e(str(r.glycemic_status))}</td>"
                   f"<td data-label='diabetes from year'>"
                   f"{'-' if r.diagnosis_year != r.diagnosis_year else f'{r.diagnosis_year:g}'}</td></tr>"
                   for r in last.itertuples())
    chances = ""
    if uncertain is not None:
        from .figures import fan_svgs

        n = int(next(iter(uncertain.trajectories.values())).shape[2])
        fans = "<div class=charts>" + "".join(f"<div>{svg}</div>" for svg in fan_svgs(uncertain.bands,
                                                                                       uncertain.visits_fit)) + "</div>"
        chances = (f"<h2>Chances for people like you</h2><p class=mech>{CHANCES_NOTE.format(draws=n)}</p>"
                   + chances_html(chance_payload(uncertain.probability, n)) + fans)
    scen = "".join(f"<li><b>{e(shown(s.name))}</b>: {e('; '.join(iv.words() for iv in s.interventions) or 'no change')}"
                   f"{(' <span class=mech>(' + e(s.description) + ')</span>') if s.description else ''}</li>"
                   for s in scenarios)
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'>"
             f"<title>irsim report{(' — ' + e(pid)) if pid else ''}</title><style>{CSS}{GRID_CSS}</style></head><body>",
             f"<h1>irsim report{(' — ' + e(pid)) if pid else ''}</h1>",
             f"<p class=ref>Written {date.today().isoformat()} by irsim {e(__version__)}.</p>",
             f"<p class=note role=note><strong>{e(DISCLAIMER)}</strong></p>",
             inputs_html(assessment.person),
             "<h2>Where you stand</h2><p class=mech>Insulin sensitivity against beta-cell capacity; shaded regions are "
             "the model's glucose status (normal, prediabetes, type 2 diabetes) at your weight. The star is now; lines "
             "are the projected paths.</p>", where,
             f"<h2>Projection over {years:g} years</h2>", proj,
             f"<h2>After {years:g} years</h2><table class=results><thead><tr><th>scenario</th><th>HbA1c (%)</th>"
             f"<th>fasting glucose (mmol/L)</th><th>weight (kg)</th><th>status</th><th>diabetes from year</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>", chances,
             f"<h2>Scenarios</h2><ul>{scen}</ul>",
             "<h2>Assumptions</h2><ul>" + "".join(f"<li>{e(a)}</li>" for a in assumed) +
             "<li>Projections come from the irsim progression model (docs/progression.md): a model, not a forecast "
             "for an individual.</li></ul>",
             "<h2>Assessment</h2>", assessment_sections(assessment), sources_html(),
             f"<p class=ref>irsim {e(__version__)}</p></body></html>"]
    return "\n".join(parts)


def inputs_html(person) -> str:
    """The person's inputs as given (the report shows what it was computed from): each by its name, with the
    unit it was given in, and flags as yes or no."""
    from .assessment import input_words

    e = html.escape
    data = person.model_dump(mode="json", exclude_none=True)
    labs = data.pop("labs", {}) or {}
    rows = [(k, v) for k, v in data.items() if k != "id"] + [(k, v) for k, v in labs.items()]

    def name(k, v) -> str:
        if k == "ogtt":
            return f"Oral glucose tolerance test ({v['glucose_load_g']:g} g glucose)"
        text = input_words(k).strip("“”")
        return text[0].upper() + text[1:]

    def show(v) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, dict) and "minutes" in v:  # an OGTT: each analyte's values at the minutes
            mins = ", ".join(f"{m:g}" for m in v["minutes"])
            return "; ".join(f"{k} {', '.join(f'{x:g}' for x in a['values'])} {a.get('unit', '')}"
                             for k, a in v.items() if isinstance(a, dict)) + f" at {mins} min"
        if isinstance(v, dict) and "value" in v:
            if not isinstance(v["value"], (int, float)):
                return json_short(v)
            unit = "years" if v.get("unit") == "year" and v["value"] != 1 else v.get("unit", "")
            return f"{v['value']:g} {unit}".strip()
        return json_short(v)

    return ("<details><summary>Inputs</summary><table class=inputs><tbody>" +
            "".join(f"<tr data-key='{e(k)}'><td>{e(name(k, v))}</td><td>{e(show(v))}</td></tr>" for k, v in rows) +
            "</tbody></table></details>")


def json_short(v) -> str:
    import json

    text = v if isinstance(v, str) else json.dumps(v)
    return text if len(text) <= 160 else text[:157] + "..."
