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

import typer

from ..errors import InputError
from ..io import read_person
from ..reporting.figures import plot_meal
from ..schemas.requests import MAX_MEAL_MINUTES, MealRequest
from ..workflows import meal_run, meal_subject, ogtt_load
from .console import checked, err, fail, refuse

SUBJECT_HELP = "'normal' or 't2d' (Dalla Man 2007 mean subjects) or a Person file (.json/.yaml)."


def _subject(subject: str):
    """(subject, name): 'normal' or 't2d', or the Person read from the file ``subject`` and the file's name."""
    from irsim.models import meal as M

    if subject in M.SUBJECTS:
        return subject, None
    path = Path(subject)
    if not path.exists():
        raise typer.BadParameter(f"{subject!r} is neither 'normal', 't2d' nor an existing Person file",
                                 param_hint="--subject")
    try:
        return read_person(path), path.name
    except InputError as exc:
        fail(exc)


def _note(note: str | None) -> None:
    if note:
        typer.echo(f"note: {note}", err=True)


def _check(glucose_g: float, body_weight_kg: float | None, minutes: int | None = None) -> None:
    """The shared request limits (MealRequest), refused as CLI options."""
    try:
        checked(MealRequest, glucose_g=glucose_g, body_weight_kg=body_weight_kg,
                **({} if minutes is None else {"minutes": minutes}))
    except InputError as exc:
        fail(exc)


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
        plot_meal(df, plot, title)
    return to_stdout


def _run(subject: str, glucose_g: float, body_weight_kg: Optional[float], minutes: int, csv: Optional[str],
         json_out: Optional[Path], plot: Optional[Path], what: str, ogtt: bool) -> None:
    _check(glucose_g, body_weight_kg, minutes)
    subj, name = _subject(subject)
    with err.status("simulating..."):
        df, summary, note = meal_run(subj, glucose_g, body_weight_kg, minutes, name)
    _note(note)
    if not _write_outputs(df, summary, csv, json_out, plot, f"{what} {glucose_g:g} g, {summary['subject']}"):
        _print_summary(summary, ogtt=ogtt)


class Model(str, Enum):
    meal = "meal"


def register(app: typer.Typer) -> None:
    """Add the meal-model commands to the main app."""

    @app.command()
    def meal(
        subject: str = typer.Option("normal", "--subject", "-s", help=SUBJECT_HELP),
        glucose_g: float = typer.Option(78.0, "--glucose-g", help="Oral glucose / carbohydrate at t=0 (g)."),
        body_weight_kg: Optional[float] = typer.Option(None, "--body-weight-kg", help="Body weight (kg), default 78."),
        minutes: int = typer.Option(420, "--minutes", help=f"Simulated time after the meal (min, 1-{MAX_MEAL_MINUTES})."),
        csv: Optional[str] = typer.Option(None, "--csv", help="Write the per-minute table as CSV ('-' = stdout)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write summary + series as JSON."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write an interactive HTML plot."),
    ) -> None:
        """Simulate a meal with the Dalla Man 2007 model (glucose, insulin, fluxes per minute)."""
        _run(subject, glucose_g, body_weight_kg, minutes, csv, json_out, plot, "Meal", ogtt=False)

    @app.command()
    def ogtt(
        subject: str = typer.Option("normal", "--subject", "-s", help=SUBJECT_HELP),
        glucose_g: float = typer.Option(75.0, "--glucose-g", help="Glucose load (g), WHO/ADA standard 75 g."),
        body_weight_kg: Optional[float] = typer.Option(None, "--body-weight-kg", help="Body weight (kg), default 78."),
        minutes: int = typer.Option(180, "--minutes", help=f"Simulated time after the load (min), 120-{MAX_MEAL_MINUTES}."),
        csv: Optional[str] = typer.Option(None, "--csv", help="Write the per-minute table as CSV ('-' = stdout)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write summary + series as JSON."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write an interactive HTML plot."),
    ) -> None:
        """Simulate an oral glucose tolerance test; print the 2-h glucose and its ADA category."""
        if minutes < 120:
            raise typer.BadParameter("an OGTT needs at least 120 minutes", param_hint="--minutes")
        _run(subject, glucose_g, body_weight_kg, minutes, csv, json_out, plot, "OGTT", ogtt=True)

    @app.command("export-sbml")
    def export_sbml(
        model: Model = typer.Option(Model.meal, "--model", help="Which model to export."),
        subject: str = typer.Option("normal", "--subject", "-s", help="'normal' or 't2d' (or a Person file)."),
        glucose_g: float = typer.Option(78.0, "--glucose-g", help="Oral dose at t=0 (g)."),
        body_weight_kg: Optional[float] = typer.Option(None, "--body-weight-kg", help="Body weight (kg), default 78."),
        out: Path = typer.Option(..., "--out", "-o", help="SBML file to write."),
    ) -> None:
        """Write the meal model with this subject's parameters as SBML Level 3 (single oral dose at t=0)."""
        _check(glucose_g, body_weight_kg)
        subj, name = _subject(subject)
        with err.status("fitting the subject and writing SBML..."):
            params, label, note = meal_subject(subj, body_weight_kg, name)
            from irsim.sbml.export import write_sbml

            write_sbml(params, out, dose_g=glucose_g, name=f"Dalla Man 2007 meal model, {label}")
        _note(note)
        typer.echo(f"wrote {out} (SBML L3V2, Dalla Man 2007 meal model, subject {label}, {glucose_g:g} g at t=0)")

    @app.command("fit-ogtt")
    def fit_ogtt_cmd(
        person: Path = typer.Argument(..., help="Person file (.json/.yaml) with an OGTT (labs.ogtt)."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the fit report as JSON."),
    ) -> None:
        """Estimate insulin sensitivity and beta-cell function from a person's OGTT (MAP + Laplace)."""
        if not person.exists():
            raise typer.BadParameter(f"{person} does not exist", param_hint="PERSON")
        try:
            p = read_person(person)
        except InputError as exc:
            fail(exc)
        ogtt = p.ogtt_canonical()
        if ogtt is None:
            refuse(f"{person} has no OGTT (labs.ogtt with times and glucose values)")
        from irsim.inference.fit_ogtt import OGTTRefused, fit_ogtt

        try:
            with err.status("fitting the meal model to the OGTT..."):
                fit = fit_ogtt(ogtt[0], ogtt[1], ogtt[2], body_weight_kg=p.canonical("weight"), dose_g=ogtt_load(p))
        except OGTTRefused as exc:
            refuse(f"cannot fit this OGTT: {exc}")
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
