"""Render an :class:`~irsim.assessment.api.Assessment` as text (rich) or a self-contained HTML page."""

from __future__ import annotations

import html
import json
from typing import Any

from .. import DISCLAIMER, __version__
from ..assessment.registry import ORGANS


def format_value(rec: dict[str, Any]) -> str:
    v = rec["value"]
    if isinstance(v, bool):
        text = "yes" if v else "no"
    elif isinstance(v, float):
        text = f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    else:
        text = str(v)
    return f"{text} {rec['unit']}" if rec.get("unit") else text


def to_text(assessment, console=None) -> str:
    """Per-organ summary; returns the plain text (also printed to ``console`` when given)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(record=True, width=110, force_terminal=False, color_system=None)
    console.print(f"[bold]irsim assessment[/bold] (irsim {__version__})" +
                  (f" — {assessment.person.id}" if assessment.person.id else ""))
    console.print(f"[dim]{DISCLAIMER}[/dim]\n")
    findings = dict(assessment.findings())
    for organ, items in assessment.by_organ().items():
        t = Table(title=ORGANS[organ], title_justify="left", show_header=True, header_style="bold")
        t.add_column("result", min_width=28)
        t.add_column("value", justify="right", min_width=12)
        t.add_column("category", min_width=16)
        for key, rec in items:
            cat = rec.get("category")
            style = "red" if key in findings else ""
            t.add_row(key, format_value(rec), f"[{style}]{cat}[/{style}]" if style and cat else str(cat or ""))
        console.print(t)
        for key, rec in items:
            if key in findings:
                console.print(f"  [yellow]•[/yellow] {key}: {findings[key]}")
        console.print()
    if assessment.not_computable:
        console.print("[bold]Not computable[/bold] (add these inputs to get them):")
        for key, why in assessment.not_computable.items():
            console.print(f"  {key}: {why}")
    for w in assessment.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    return console.export_text() if console.record else ""


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%} td,th{padding:.3rem .5rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.flag{color:#a40000;font-weight:600} .note{background:#fff6d6;padding:.6rem;border-radius:.4rem}
.mech{color:#444;font-size:.92rem} .ref{color:#666;font-size:.8rem} code{font-size:.85rem}
"""


def organ_view(assessment) -> list[dict[str, Any]]:
    """Results grouped by organ, each with its display value, category, whether it is abnormal and the mechanism
    sentence (the page and the HTML reports render this)."""
    findings = dict(assessment.findings())
    return [{"organ": organ, "label": ORGANS[organ],
             "results": [{"key": key, "text": format_value(rec), "category": rec.get("category"),
                          "abnormal": key in findings, "mechanism": findings.get(key), "formula": rec["formula"],
                          "reference": rec["reference"]} for key, rec in items]}
            for organ, items in assessment.by_organ().items()]


def assessment_sections(assessment) -> str:
    """HTML tables per organ, then what was not computable and the warnings."""
    e = html.escape
    parts = []
    for group in organ_view(assessment):
        parts.append(f"<h2>{e(group['label'])}</h2><table><thead><tr><th>result</th><th>value</th>"
                     "<th>category</th><th>source</th></tr></thead><tbody>")
        for r in group["results"]:
            cls = " class=flag" if r["abnormal"] else ""
            mech = f"<div class=mech>{e(r['mechanism'])}</div>" if r["mechanism"] else ""
            parts.append(f"<tr><td>{e(r['key'])}{mech}</td><td>{e(r['text'])}</td>"
                         f"<td{cls}>{e(str(r['category'] or ''))}</td>"
                         f"<td class=ref><code>{e(r['formula'])}</code><br>{e(r['reference'])}</td></tr>")
        parts.append("</tbody></table>")
    if assessment.not_computable:
        parts.append("<h2>Not computable</h2><ul>")
        parts += [f"<li>{e(k)}: {e(v)}</li>" for k, v in assessment.not_computable.items()]
        parts.append("</ul>")
    for w in assessment.warnings:
        parts.append(f"<p class=note>{e(w)}</p>")
    return "\n".join(parts)


def to_html(assessment) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'>"
             f"<title>irsim assessment</title><style>{CSS}</style></head><body>",
             f"<h1>irsim assessment{(' — ' + e(assessment.person.id)) if assessment.person.id else ''}</h1>",
             f"<p class=note role=note>{e(DISCLAIMER)}</p>", assessment_sections(assessment)]
    parts.append(f"<script type='application/json' id=irsim-data>{e(json.dumps(assessment.to_dict()))}</script>")
    parts.append(f"<p class=ref>irsim {e(__version__)}</p></body></html>")
    return "\n".join(parts)
