"""The self-contained HTML report and the JSON trajectory. Needs plotly only (no web stack); the charts are in
:mod:`.figures`, which the page (irsim serve) and `irsim report` share."""

from __future__ import annotations

import html
from typing import Any, Sequence

from .. import DISCLAIMER, __version__
from .. import parameters as _parameters
from .figures import projection_svgs, where_svg

GRID_CSS = ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:.5rem}"


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


def report_html(assessment, df, scenarios, assumed: Sequence[str] = (), measurements: Sequence[dict] = ()) -> str:
    """Self-contained HTML to keep: assessment per organ, where-am-I, projection, scenarios, assumptions and the
    sources of the model's parameters; charts as static SVG (no script, a few hundred kB, printable)."""
    from datetime import date

    from .assessment import CSS, assessment_sections

    e = html.escape
    pid = assessment.person.id
    years = float(df["year"].max())
    where = where_svg(df)
    proj = "<div class=charts>" + "".join(f"<div>{svg}</div>" for svg in projection_svgs(df, measurements)) + "</div>"
    last = df.groupby("scenario", sort=False).tail(1)
    rows = "".join(f"<tr><td>{e(str(r.scenario))}</td><td>{r.hba1c_percent:.2f}</td><td>{r.fasting_glucose_mmol_l:.2f}</td>"
                   f"<td>{r.weight_kg:.1f}</td><td>{e(str(r.glycemic_status))}</td>"
                   f"<td>{'-' if r.diagnosis_year != r.diagnosis_year else f'{r.diagnosis_year:g}'}</td></tr>"
                   for r in last.itertuples())
    scen = "".join(f"<li><b>{e(s.name)}</b>: {e('; '.join(iv.words() for iv in s.interventions) or 'no change')}"
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
             f"<h2>After {years:g} years</h2><table><thead><tr><th>scenario</th><th>HbA1c (%)</th>"
             f"<th>fasting glucose (mmol/L)</th><th>weight (kg)</th><th>status</th><th>diabetes from year</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>",
             f"<h2>Scenarios</h2><ul>{scen}</ul>",
             "<h2>Assumptions</h2><ul>" + "".join(f"<li>{e(a)}</li>" for a in assumed) +
             "<li>Projections come from the irsim progression model (docs/progression.md): a model, not a forecast "
             "for an individual.</li></ul>",
             "<h2>Assessment</h2>", assessment_sections(assessment), sources_html(),
             f"<p class=ref>irsim {e(__version__)}</p></body></html>"]
    return "\n".join(parts)


def inputs_html(person) -> str:
    """The person's inputs as given (the report shows what it was computed from)."""
    from ..schemas.person import FLAG_LABELS

    e = html.escape
    data = person.model_dump(mode="json", exclude_none=True)
    labs = data.pop("labs", {}) or {}
    rows = [(k, v) for k, v in data.items() if k != "id"] + [(k, v) for k, v in labs.items()]

    def show(v) -> str:
        if isinstance(v, dict) and "minutes" in v:  # an OGTT: each analyte's values at the minutes
            mins = ", ".join(f"{m:g}" for m in v["minutes"])
            return "; ".join(f"{k} {', '.join(f'{x:g}' for x in a['values'])} {a.get('unit', '')}"
                             for k, a in v.items() if isinstance(a, dict)) + f" at {mins} min"
        if isinstance(v, dict) and "value" in v:
            return f"{v['value']:g} {v.get('unit', '')}".strip() if isinstance(v["value"], (int, float)) else str(v)
        return json_short(v)

    return ("<details><summary>Inputs</summary><table><tbody>" +
            "".join(f"<tr><td>{e(FLAG_LABELS.get(k, k.replace('_', ' ')))}</td><td>{e(show(v))}</td></tr>"
                    for k, v in rows) +
            "</tbody></table></details>")


def json_short(v) -> str:
    import json

    text = v if isinstance(v, str) else json.dumps(v)
    return text if len(text) <= 160 else text[:157] + "..."
