"""CLI commands for the fast (minutes-scale) physiology: meal, ogtt, export-sbml, fit-ogtt.

Heavy imports (JAX, libsbml) happen inside the commands so other commands stay quick to start.
Bad arguments exit with code 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import numpy as np
import typer

SUBJECT_HELP = "'normal' or 't2d' (Dalla Man 2007 mean subjects) or a Person file (.json/.yaml)."
# plausible adult body weight, same bounds as parameters/data/analytes.yaml ("weight": 25-350 kg)
_BW_RANGE = (25.0, 350.0)
# oral glucose doses accepted: up to 300 g (4x the 75 g OGTT load; irsim choice, a typo guard)
_DOSE_RANGE = (0.0, 300.0)
# simulated horizon: up to one week of minutes (irsim choice; the model is a minutes-to-hours model)
_MAX_MINUTES = 7 * 24 * 60


def _err(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(2)


def _check_range(value: float | None, lo: float, hi: float, hint: str, lo_open: bool = False) -> None:
    if value is None:
        return
    bad = value <= lo if lo_open else value < lo
    if bad or value > hi or value != value:
        raise typer.BadParameter(f"{value} is outside {lo}-{hi}", param_hint=hint)


def _load_subject(subject: str, body_weight_kg: float | None):
    """Return (params, label, person-or-None)."""
    from irsim.models import meal as M

    if subject in M.SUBJECTS:
        return M.subject(subject, body_weight_kg=body_weight_kg), subject, None
    path = Path(subject)
    if not path.exists():
        raise typer.BadParameter(f"{subject!r} is neither 'normal', 't2d' nor an existing Person file",
                                 param_hint="--subject")
    from irsim.errors import InputError
    from irsim.io import read_person

    try:
        person = read_person(path)
    except InputError as exc:
        typer.echo("error: the input was refused:", err=True)
        for p in exc.problems:
            typer.echo(f"  - {p}", err=True)
        raise typer.Exit(2) from None
    params, label, note = person_params(person, body_weight_kg, path.name)
    if note:
        typer.echo(f"note: {note}", err=True)
    return params, label, person


def person_params(person, body_weight_kg: float | None, name: str):
    """Meal-model parameters for a Person: knobs fitted to their OGTT when they have one, else the normal mean
    subject at their weight. Returns (params, label, note-or-None)."""
    from irsim.models import meal as M

    bw = body_weight_kg if body_weight_kg is not None else person.canonical("weight")
    ogtt = person.ogtt_canonical()
    note = None
    if ogtt is not None:
        from irsim.inference.fit_ogtt import OGTTRefused, fit_ogtt

        try:
            fit = fit_ogtt(ogtt[0], ogtt[1], ogtt[2], body_weight_kg=bw, dose_g=_ogtt_load(person))
        except OGTTRefused as exc:
            note = f"the person's OGTT was not used ({exc}); using the normal mean subject"
        else:
            return fit.params, f"{name} (knobs fitted to the person's OGTT)", None
    return M.subject("normal", body_weight_kg=bw), f"{name} (normal mean subject at the person's weight)", note


def meal_run(subject, glucose_g: float, body_weight_kg: float | None, minutes: int):
    """(per-minute table, summary) after ``glucose_g`` of oral glucose; ``subject`` is 'normal', 't2d' or a
    Person. Bounds are checked by the caller (CLI options or the web API's request model)."""
    from irsim.models import meal as M

    if isinstance(subject, str):
        params, label = M.subject(subject, body_weight_kg=body_weight_kg), subject
    else:
        params, label, note = person_params(subject, body_weight_kg, subject.id or "person")
        label += f"; {note}" if note else ""
    df = M.meal_dataframe(params, M.Schedule.meal(glucose_g), np.arange(0.0, minutes + 1.0))
    bw = float(np.asarray(params.BW).ravel()[0])
    return df, _summary(df, label, glucose_g, bw)


def _ogtt_load(person) -> float | None:
    """Glucose load of the person's OGTT in g (None: the standard 75 g)."""
    labs = getattr(person, "labs", None)
    return getattr(getattr(labs, "ogtt", None), "glucose_load_g", None)


def _write_outputs(df, summary: dict, csv: Optional[str], json_path: Optional[Path], plot: Optional[Path],
                   title: str) -> bool:
    """Write the requested files; return True when the CSV went to stdout (then print nothing else)."""
    to_stdout = csv == "-"
    if csv and not to_stdout:
        df.to_csv(csv, index=False)
    elif to_stdout:
        df.to_csv(sys.stdout, index=False)
    if json_path:
        payload = {"summary": summary, "series": {c: df[c].tolist() for c in df.columns}}
        json_path.write_text(json.dumps(payload, indent=1))
    if plot:
        _plot(df, plot, title)
    return to_stdout


def _plot(df, path: Path, title: str) -> None:
    try:
        from plotly.subplots import make_subplots
    except ImportError:  # pragma: no cover
        _err("--plot needs plotly (pip install 'irsim[plot]')")
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=(
        "Plasma glucose (mg/dL)", "Plasma insulin (pmol/L)", "Glucose fluxes (mg/kg/min)"))
    fig.add_scatter(x=df.time_min, y=df.glucose_mg_dl, name="glucose", row=1, col=1)
    fig.add_scatter(x=df.time_min, y=df.insulin_pmol_l, name="insulin", row=2, col=1)
    for c, n in (("ra_mg_kg_min", "Ra (meal)"), ("egp_mg_kg_min", "EGP"), ("uptake_mg_kg_min", "utilisation"),
                 ("renal_mg_kg_min", "renal")):
        fig.add_scatter(x=df.time_min, y=df[c], name=n, row=3, col=1)
    fig.update_xaxes(title_text="time (min)", row=3, col=1)
    from irsim import DISCLAIMER

    fig.update_layout(title=f"{title}<br><sup>{DISCLAIMER}</sup>", height=900)
    fig.write_html(str(path), include_plotlyjs="cdn")


def _summary(df, label: str, grams: float, bw: float) -> dict:
    from irsim.models import meal as M

    g = df.glucose_mg_dl.to_numpy()
    i = df.insulin_pmol_l.to_numpy()
    t = df.time_min.to_numpy()
    s = {
        "subject": label, "oral_glucose_g": grams, "body_weight_kg": bw,
        "fasting_glucose_mg_dl": float(g[0]), "fasting_glucose_mmol_l": float(g[0] / M.GLUCOSE_MG_DL_PER_MMOL_L),
        "fasting_insulin_pmol_l": float(i[0]), "fasting_insulin_uiu_ml": float(i[0] / M.INSULIN_PMOL_L_PER_UIU_ML),
        "peak_glucose_mg_dl": float(g.max()), "peak_glucose_time_min": float(t[g.argmax()]),
        "peak_insulin_pmol_l": float(i.max()), "peak_insulin_time_min": float(t[i.argmax()]),
    }
    if t[-1] >= 120:
        g120 = float(g[t == 120][0]) if np.any(t == 120) else float(np.interp(120, t, g))
        s["glucose_120_min_mg_dl"] = g120
        s["ada_2h_class"] = M.ada_ogtt_class(g120)
    return s


def _simulate(subject: str, glucose_g: float, body_weight_kg: Optional[float], minutes: int):
    from irsim.models import meal as M

    _check_range(glucose_g, *_DOSE_RANGE, "--glucose-g", lo_open=True)
    _check_range(body_weight_kg, *_BW_RANGE, "--body-weight-kg")
    if not 1 <= minutes <= _MAX_MINUTES:
        raise typer.BadParameter(f"{minutes} is outside 1-{_MAX_MINUTES}", param_hint="--minutes")
    params, label, _ = _load_subject(subject, body_weight_kg)
    df = M.meal_dataframe(params, M.Schedule.meal(glucose_g), np.arange(0.0, minutes + 1.0))
    return df, label, float(np.asarray(params.BW).ravel()[0])


class Model(str, Enum):
    meal = "meal"


def register(app: typer.Typer) -> None:
    """Add the meal-model commands to the main app."""

    @app.command()
    def meal(
        subject: str = typer.Option("normal", "--subject", "-s", help=SUBJECT_HELP),
        glucose_g: float = typer.Option(78.0, "--glucose-g", help="Oral glucose / carbohydrate at t=0 (g)."),
        body_weight_kg: Optional[float] = typer.Option(None, "--body-weight-kg", help="Body weight (kg), default 78."),
        minutes: int = typer.Option(420, "--minutes", help="Simulated time after the meal (min)."),
        csv: Optional[str] = typer.Option(None, "--csv", help="Write the per-minute table as CSV ('-' = stdout)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write summary + series as JSON."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write an interactive HTML plot."),
    ) -> None:
        """Simulate a meal with the Dalla Man 2007 model (glucose, insulin, fluxes per minute)."""
        df, label, bw = _simulate(subject, glucose_g, body_weight_kg, minutes)
        summary = _summary(df, label, glucose_g, bw)
        if not _write_outputs(df, summary, csv, json_out, plot, f"Meal {glucose_g:g} g, {label}"):
            _print_summary(summary, ogtt=False)

    @app.command()
    def ogtt(
        subject: str = typer.Option("normal", "--subject", "-s", help=SUBJECT_HELP),
        glucose_g: float = typer.Option(75.0, "--glucose-g", help="Glucose load (g), WHO/ADA standard 75 g."),
        body_weight_kg: Optional[float] = typer.Option(None, "--body-weight-kg", help="Body weight (kg), default 78."),
        minutes: int = typer.Option(180, "--minutes", help="Simulated time after the load (min), >= 120."),
        csv: Optional[str] = typer.Option(None, "--csv", help="Write the per-minute table as CSV ('-' = stdout)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write summary + series as JSON."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write an interactive HTML plot."),
    ) -> None:
        """Simulate an oral glucose tolerance test; print the 2-h glucose and its ADA category."""
        if minutes < 120:
            raise typer.BadParameter("an OGTT needs at least 120 minutes", param_hint="--minutes")
        df, label, bw = _simulate(subject, glucose_g, body_weight_kg, minutes)
        summary = _summary(df, label, glucose_g, bw)
        if not _write_outputs(df, summary, csv, json_out, plot, f"OGTT {glucose_g:g} g, {label}"):
            _print_summary(summary, ogtt=True)

    @app.command("export-sbml")
    def export_sbml(
        model: Model = typer.Option(Model.meal, "--model", help="Which model to export."),
        subject: str = typer.Option("normal", "--subject", "-s", help="'normal' or 't2d' (or a Person file)."),
        glucose_g: float = typer.Option(78.0, "--glucose-g", help="Oral dose at t=0 (g)."),
        body_weight_kg: Optional[float] = typer.Option(None, "--body-weight-kg", help="Body weight (kg), default 78."),
        out: Path = typer.Option(..., "--out", "-o", help="SBML file to write."),
    ) -> None:
        """Write the meal model with this subject's parameters as SBML Level 3 (single oral dose at t=0)."""
        _check_range(glucose_g, *_DOSE_RANGE, "--glucose-g", lo_open=True)
        _check_range(body_weight_kg, *_BW_RANGE, "--body-weight-kg")
        params, label, _ = _load_subject(subject, body_weight_kg)
        from irsim.sbml.export import write_sbml

        write_sbml(params, out, dose_g=glucose_g, name=f"Dalla Man 2007 meal model, {label}")
        typer.echo(f"wrote {out} (SBML L3V2, Dalla Man 2007 meal model, subject {label}, {glucose_g:g} g at t=0)")

    @app.command("fit-ogtt")
    def fit_ogtt_cmd(
        person: Path = typer.Argument(..., help="Person file (.json/.yaml) with an OGTT (labs.ogtt)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the fit report as JSON."),
    ) -> None:
        """Estimate insulin sensitivity and beta-cell function from a person's OGTT (MAP + Laplace)."""
        from irsim.errors import InputError
        from irsim.io import read_person

        if not person.exists():
            raise typer.BadParameter(f"{person} does not exist", param_hint="PERSON")
        try:
            p = read_person(person)
        except InputError as exc:
            typer.echo("error: the input was refused:", err=True)
            for prob in exc.problems:
                typer.echo(f"  - {prob}", err=True)
            raise typer.Exit(2) from None
        ogtt = p.ogtt_canonical()
        if ogtt is None:
            _err(f"{person} has no OGTT (labs.ogtt with times and glucose values)")
        from irsim.inference.fit_ogtt import OGTTRefused, fit_ogtt

        try:
            fit = fit_ogtt(ogtt[0], ogtt[1], ogtt[2], body_weight_kg=p.canonical("weight"), dose_g=_ogtt_load(p))
        except OGTTRefused as exc:
            _err(f"cannot fit this OGTT: {exc}")
        report = fit.report()
        if json_out:
            json_out.write_text(json.dumps(report, indent=1))
        typer.echo(fit.text())


def _print_summary(s: dict, ogtt: bool) -> None:
    from irsim import DISCLAIMER
    from irsim.models.meal import GLUCOSE_MG_DL_PER_MMOL_L

    lines = [
        f"subject: {s['subject']}   oral glucose: {s['oral_glucose_g']:g} g   body weight: {s['body_weight_kg']:g} kg",
        f"fasting glucose {s['fasting_glucose_mg_dl']:.1f} mg/dL ({s['fasting_glucose_mmol_l']:.2f} mmol/L), "
        f"fasting insulin {s['fasting_insulin_pmol_l']:.1f} pmol/L ({s['fasting_insulin_uiu_ml']:.1f} uIU/mL)",
        f"peak glucose {s['peak_glucose_mg_dl']:.1f} mg/dL at {s['peak_glucose_time_min']:.0f} min, "
        f"peak insulin {s['peak_insulin_pmol_l']:.1f} pmol/L at {s['peak_insulin_time_min']:.0f} min",
    ]
    if "glucose_120_min_mg_dl" in s:
        g = s["glucose_120_min_mg_dl"]
        cls = f" -> {s['ada_2h_class']} (ADA 2-h OGTT criteria)" if ogtt else ""
        lines.append(f"2-h glucose {g:.1f} mg/dL ({g / GLUCOSE_MG_DL_PER_MMOL_L:.2f} mmol/L){cls}")
    lines.append(DISCLAIMER)
    typer.echo("\n".join(lines))
