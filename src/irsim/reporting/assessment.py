"""Render an :class:`~irsim.assessment.api.Assessment` as text (rich) or a self-contained HTML page."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from .. import DISCLAIMER, __version__
from ..assessment.glycemia import CONFIRM_NOTE
from ..assessment.registry import ORGANS, REGISTRY
from ..units import from_canonical, normalize_unit


def format_value(rec: dict[str, Any], units: str = "mg/dL", analyte: str = "") -> str:
    """A result's value with its unit; a mg/dL value of ``analyte`` in mmol/L when ``units`` is mmol/L."""
    v, unit = rec["value"], rec.get("unit")
    if unit == "mg/dL" and units == "mmol/L" and analyte and isinstance(v, float):
        v, unit = float(from_canonical(analyte, v, "mmol/L")), "mmol/L"
    if isinstance(v, bool):
        text = "yes" if v else "no"
    elif isinstance(v, float):
        text = f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    else:
        text = str(v)
    return f"{text} {unit}" if unit else text


#: Analytes whose unit says which system the person uses (mmol/L in, mmol/L out).
UNIT_ANALYTES = ("fasting_glucose", "total_cholesterol", "ldl_cholesterol", "hdl_cholesterol", "triglycerides")
_MG_DL = re.compile(r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))? mg/dL")


def preferred_units(person) -> str:
    """"mmol/L" when the person gave glucose or lipids in mmol/L, else "mg/dL"."""
    given = [getattr(person.labs, name, None) for name in UNIT_ANALYTES]
    return "mmol/L" if any(q is not None and normalize_unit(q.unit) == "mmol/L" for q in given) else "mg/dL"


def ranges_in(calc, units: str) -> str:
    """The calculator's cut-offs in ``units``: every "N mg/dL" (or "N-M mg/dL") of its analyte converted."""
    if units != "mmol/L" or not calc.analyte:
        return calc.ranges
    conv = lambda x: f"{from_canonical(calc.analyte, float(x), 'mmol/L'):.1f}"  # noqa: E731
    return _MG_DL.sub(lambda m: conv(m.group(1)) + (f"-{conv(m.group(2))}" if m.group(2) else "") + " mmol/L",
                      calc.ranges)


#: Categories in words (the keys stay in JSON); anything not listed reads with spaces for underscores.
CATEGORY_WORDS = {
    "diabetes": "diabetes range", "insulin_resistant": "insulin resistant", "near_optimal": "near optimal",
    "above_desirable": "above desirable", "borderline_high": "borderline high", "very_high": "very high",
    "steatosis_likely": "fatty liver likely", "steatosis_unlikely": "fatty liver unlikely",
    "low_risk": "low risk", "high_risk": "high risk", "metabolic_syndrome": "present",
    "no_metabolic_syndrome": "absent", "pcos_pattern": "pattern present", "no_pcos_pattern": "pattern absent",
    # KDIGO 2024 wording of the G and A categories
    "G1": "G1, normal or high", "G2": "G2, mildly decreased", "G3a": "G3a, mildly to moderately decreased",
    "G3b": "G3b, moderately to severely decreased", "G4": "G4, severely decreased", "G5": "G5, kidney failure",
    "A1": "A1, normal to mildly increased", "A2": "A2, moderately increased", "A3": "A3, severely increased",
}


def category_words(category) -> str:
    """A result's category as words ("borderline high", "stage 2"); "" when there is none."""
    if category is None:
        return ""
    text = str(category)
    return CATEGORY_WORDS.get(text, text.replace("_", " "))


def _reader(assessment):
    """``(category(key), flagged(key))`` of an assessment's results: a result's category (None when absent), and
    whether it is one of its calculator's abnormal categories."""
    res = assessment.results

    def category(key):
        return res.get(key, {}).get("category")

    return category, lambda key: category(key) in REGISTRY[key].abnormal


def _short(key: str) -> str:
    """A calculator's name without its explanation in brackets ("HOMA-IR")."""
    return REGISTRY[key].label.split(" (")[0]


#: Inputs the calculators name that are not analytes (analytes.yaml) or flags (FLAG_LABELS), in words.
INPUT_WORDS = {"bmi": "BMI (height and weight)", "female": "sex", "glucose_2h": "2-hour OGTT glucose"}
_INPUT = re.compile(r"(?<![\w/])(ogtt_(glucose|insulin)_(\d+)|[a-z][a-z0-9]*(?:_[a-z0-9]+)*)(?![\w/])")


def input_words(name: str) -> str:
    """An input's name for a reader: "fasting plasma glucose", "HbA1c", "OGTT insulin at 30 min", and a flag as its
    form question ("“Smokes now”"); a name that is no input comes back as it is."""
    from ..schemas.person import FLAG_LABELS
    from ..units import analytes

    m = _INPUT.fullmatch(name)
    if m and m.group(2):
        return f"OGTT {m.group(2)} at {m.group(3)} min"
    if name in FLAG_LABELS:
        return f"“{FLAG_LABELS[name]}”"
    if name in INPUT_WORDS:
        return INPUT_WORDS[name]
    label = analytes()[name].label if name in analytes() else name
    first = label.split(" ")[0]
    return label[0].lower() + label[1:] if first.istitle() and len(first) > 1 else label


def reason_words(text: str) -> str:
    """Why a result is missing, with the input names in words ("needs fasting_insulin" -> "needs fasting
    insulin"); a word after "/" stays as it is ("IFG/diabetes term")."""
    return _INPUT.sub(lambda m: input_words(m.group(1)), text)


def does_not_apply(reason: str) -> bool:
    """The result is not for this person (the PCOS pattern for a man, or after menopause): no input would give it."""
    return reason.startswith("applies to")


def summary(assessment) -> str:
    """One plain-language line first: glucose status, insulin resistance, liver, heart risk, kidney, metabolic
    syndrome, from the results present (e.g. "Prediabetes; insulin resistant: HOMA-IR 3.7, typical below 2.5; fatty
    liver likely; 10-year risk of heart attack, stroke or heart failure 3.9 %, low")."""
    res = assessment.results
    cat, flagged = _reader(assessment)
    parts = []
    status = cat("glycemic_status")
    if status:
        text = {"normal": "Glucose in the normal range", "prediabetes": "Prediabetes",
                "diabetes": "Glucose in the diabetes range"}.get(status, category_words(status))
        details = res["glycemic_status"].get("detail") or []
        if status == "diabetes" and CONFIRM_NOTE in details:
            text += ": confirm with a repeat test (ADA asks for two results)"
        parts.append(text)
    for key in ("homa1_ir", "homa2_ir", "matsuda_index", "tyg_index"):
        if key in res and cat(key) is not None:
            word = "insulin resistant" if cat(key) == "insulin_resistant" else "not insulin resistant"
            parts.append(f"{word}: {_short(key)} {format_value(res[key])}, {REGISTRY[key].ranges}")
            break
    liver = [cat(k) for k in ("fatty_liver_index", "hepatic_steatosis_index") if cat(k)]
    if "steatosis_likely" in liver:
        parts.append("fatty liver likely")
    elif liver and all(c == "steatosis_unlikely" for c in liver):
        parts.append("fatty liver unlikely")
    if cat("fib4") == "high_risk" or cat("nafld_fibrosis_score") == "high_risk":
        parts.append("liver scarring possible (high fibrosis score)")
    if "prevent_cvd_10y" in res and res["prevent_cvd_10y"].get("value") is not None:
        parts.append(f"{_short('prevent_cvd_10y')} {format_value(res['prevent_cvd_10y'])}, "
                     f"{category_words(cat('prevent_cvd_10y'))}")
    if flagged("kdigo_gfr_category"):
        parts.append(f"kidney filtration {category_words(cat('kdigo_gfr_category'))}")
    if flagged("kdigo_albuminuria_category"):
        parts.append(f"albumin in urine {category_words(cat('kdigo_albuminuria_category'))}")
    if flagged("metabolic_syndrome"):
        parts.append("metabolic syndrome present")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


#: What a person can do and what to discuss, by finding (education, not advice); each with its source. Each test
#: gets ``(category, flagged)`` from :func:`_reader`.
_TO_DO = (
    (lambda c, f: c("glycemic_status") == "prediabetes" or f("homa1_ir"),
     "Losing 5-7 % of body weight and about 150 minutes a week of moderate activity cut the onset of type 2 "
     "diabetes by 58 % over about 3 years in people with prediabetes (Diabetes Prevention Program, Knowler 2002)."),
    (lambda c, f: c("glycemic_status") == "diabetes",
     "A glucose or HbA1c in the diabetes range needs a clinician: a repeat test confirms it (ADA 2025), and "
     "treatment and follow-up are planned together."),
    (lambda c, f: f("fatty_liver_index") or f("hepatic_steatosis_index"),
     "A fatty liver improves with weight loss: 5 % or more lowers liver fat, 7-10 % also calms its inflammation "
     "(EASL-EASD-EASO 2024); ask whether a liver scarring test (FIB-4, elastography) is due."),
    (lambda c, f: "high_risk" in (c("fib4"), c("nafld_fibrosis_score")),
     "A high liver scarring score is worth discussing soon: guidelines refer it for elastography or to a "
     "liver clinic (AASLD 2023)."),
    (lambda c, f: f("prevent_ascvd_10y") or f("prevent_cvd_10y"),
     "With an intermediate or high 10-year heart risk, guidelines discuss statins and blood pressure treatment "
     "(AHA/ACC 2019 primary prevention)."),
    (lambda c, f: f("kdigo_gfr_category") or f("kdigo_albuminuria_category"),
     "Reduced kidney filtration or albumin in the urine is followed up with repeat tests and, in diabetes, "
     "kidney-protecting medicines (KDIGO 2024)."),
    (lambda c, f: f("metabolic_syndrome"),
     "Metabolic syndrome responds to the same steps: weight, activity, and the blood pressure, lipids and "
     "glucose your clinician checks."),
)


def to_do(assessment) -> list[str]:
    """"What you can do, what to discuss with your clinician": one sentence per finding present, with its source
    (research and education software: this is education, not medical advice)."""
    read = _reader(assessment)
    return [text for applies, text in _TO_DO if applies(*read)]


def to_text(assessment, console=None, units: str | None = None) -> str:
    """Per-organ summary; returns the plain text (also printed to ``console`` when given). ``units``: "mg/dL" or
    "mmol/L" for glucose and lipid results (default: what the person gave)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(record=True, width=110, force_terminal=False, color_system=None)
    console.print(f"[bold]irsim assessment[/bold] (irsim {__version__})" +
                  (f" — {assessment.person.id}" if assessment.person.id else ""))
    console.print(f"[dim]{DISCLAIMER}[/dim]\n")
    line = summary(assessment)
    if line:
        console.print(f"[bold]In short:[/bold] {escape(line)}\n")
    for group in organ_view(assessment, units):
        t = Table(title=group["label"], title_justify="left", show_header=True, header_style="bold")
        t.add_column("result", ratio=3)
        t.add_column("value", justify="right", ratio=2)
        t.add_column("category", ratio=2)
        t.add_column("reference range / cut-offs", ratio=4)
        for r in group["results"]:
            words = escape(r["category_words"])
            t.add_row(escape(r["name"]), escape(r["text"]), f"[red]{words}[/red]" if r["abnormal"] and words else words,
                      escape(r["ranges"]))
        console.print(t)
        for r in group["results"]:
            if r["mechanism"]:
                console.print(f"  [yellow]•[/yellow] {escape(r['name'])}: {escape(r['mechanism'])}")
        console.print()
    for heading, items in not_computable_view(assessment):
        console.print(f"[bold]{escape(heading)}[/bold]")
        for r in items:
            console.print(f"  {escape(r['name'])}: {escape(r['why'])}")
    for w in assessment.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    items = to_do(assessment)
    if items:
        console.print("\n[bold]What you can do, what to discuss with your clinician[/bold] (education, not medical advice):")
        for text in items:
            console.print(f"  • {escape(text)}")
    return console.export_text() if console.record else ""


#: Shared by the assessment page and the report. Nothing scrolls sideways at phone width: long words and formulas
#: wrap, and under 40rem each result of an organ table is a card with its column names.
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;overflow-wrap:break-word}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%} td,th{padding:.3rem .5rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.flag{color:#a40000;font-weight:600} .note{background:#fff6d6;padding:.6rem;border-radius:.4rem}
.mech{color:#444;font-size:.92rem} .ref{color:#666;font-size:.8rem} code{font-size:.85rem;white-space:normal;overflow-wrap:anywhere}
.summary{font-size:1.05rem;background:#eef5ff;padding:.6rem;border-radius:.4rem}
@media (max-width:40rem){body{margin:1rem auto;padding:0 .6rem} table{font-size:.82rem} td,th{padding:.2rem .25rem;overflow-wrap:anywhere}
table.results thead{display:none} table.results tr{display:block;padding:.3rem 0;border-bottom:1px solid #ddd}
table.results td{display:block;border:0;padding:.1rem .3rem;font-size:.9rem} table.results td:empty{display:none}
table.results td.name{font-weight:600}
table.results td.name .mech{font-weight:400}
table.results td[data-label]::before{content:attr(data-label) ": ";color:#666;font-weight:400}}
"""


def organ_view(assessment, units: str | None = None) -> list[dict[str, Any]]:
    """Results grouped by organ, each with its display value, category, whether it is abnormal and the mechanism
    sentence (the page and the HTML reports render this)."""
    findings = dict(assessment.findings())
    units = units or preferred_units(assessment.person)
    return [{"organ": organ, "label": ORGANS[organ],
             "results": [{"key": key, "name": REGISTRY[key].label or key,
                          "text": format_value(rec, units, REGISTRY[key].analyte),
                          "category": rec.get("category"), "category_words": category_words(rec.get("category")),
                          "ranges": ranges_in(REGISTRY[key], units), "abnormal": key in findings,
                          "mechanism": findings.get(key), "formula": rec["formula"],
                          "reference": rec["reference"]} for key, rec in items]}
            for organ, items in assessment.by_organ().items()]


def not_computable_view(assessment) -> list[tuple[str, list[dict[str, str]]]]:
    """The results not given, as ``[(heading, [{key, name, why}])]``: those more inputs would give ("Not computable:
    add these inputs to get them"), then those that do not apply to this person."""
    rows = [{"key": k, "name": (REGISTRY[k].label or k) if k in REGISTRY else k, "why": reason_words(str(v))}
            for k, v in assessment.not_computable.items()]
    groups = (("Not computable: add these inputs to get them", [r for r in rows if not does_not_apply(r["why"])]),
              ("Does not apply to you", [r for r in rows if does_not_apply(r["why"])]))
    return [(h, items) for h, items in groups if items]


def assessment_sections(assessment, units: str | None = None) -> str:
    """HTML tables per organ, then what was not computable and the warnings."""
    e = html.escape
    parts = []
    line = summary(assessment)
    if line:
        parts.append(f"<p class=summary><strong>In short:</strong> {e(line)}</p>")
    for group in organ_view(assessment, units):
        parts.append(f"<h2>{e(group['label'])}</h2><table class=results><thead><tr><th>result</th><th>value</th>"
                     "<th>category</th><th>reference range / cut-offs</th><th>source</th></tr></thead><tbody>")
        for r in group["results"]:  # the key stays out of sight (data-key; JSON has it)
            cls = " class=flag" if r["abnormal"] else ""
            mech = f"<div class=mech>{e(r['mechanism'])}</div>" if r["mechanism"] else ""
            parts.append(f"<tr data-key='{e(r['key'])}'><td class=name>{e(r['name'])}{mech}</td>"
                         f"<td data-label=value>{e(r['text'])}</td>"
                         f"<td{cls} data-label=category>{e(r['category_words'])}</td>"
                         f"<td data-label='cut-offs'>{e(r['ranges'])}</td>"
                         f"<td class=ref data-label=source><code>{e(r['formula'])}</code><br>{e(r['reference'])}</td>"
                         "</tr>")
        parts.append("</tbody></table>")
    items = to_do(assessment)
    if items:
        parts.append("<h2>What you can do, what to discuss with your clinician</h2>"
                     f"<p class=mech>Education, not medical advice. {e(DISCLAIMER)}</p><ul class=todo>"
                     + "".join(f"<li>{e(t)}</li>" for t in items) + "</ul>")
    for heading, items in not_computable_view(assessment):
        parts.append(f"<h2>{e(heading)}</h2><ul>"
                     + "".join(f"<li data-key='{e(r['key'])}'>{e(r['name'])}: {e(r['why'])}</li>" for r in items)
                     + "</ul>")
    for w in assessment.warnings:
        parts.append(f"<p class=note>{e(w)}</p>")
    return "\n".join(parts)


def to_html(assessment, units: str | None = None) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'>"
             f"<title>irsim assessment</title><style>{CSS}</style></head><body>",
             f"<h1>irsim assessment{(' — ' + e(assessment.person.id)) if assessment.person.id else ''}</h1>",
             f"<p class=note role=note>{e(DISCLAIMER)}</p>", assessment_sections(assessment, units)]
    parts.append(f"<script type='application/json' id=irsim-data>{e(json.dumps(assessment.to_dict()))}</script>")
    parts.append(f"<p class=ref>irsim {e(__version__)}</p></body></html>")
    return "\n".join(parts)
