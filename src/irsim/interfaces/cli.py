"""The `irsim` command line. Bad input exits with code 2 and one message per problem; no tracebacks."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from .. import DISCLAIMER, __version__
from ..errors import InputError, Problem
from . import cli_explain, cli_meal, cli_progression, cli_trial, cli_twin, cli_validate, cli_web
from .console import err, fail, out

#: Piped or redirected output gets click's plain messages (one line per problem, no boxes wrapped at 80 columns);
#: a terminal gets typer's rich help and error panels.
MARKUP = "rich" if err.is_terminal else None
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=MARKUP,
                  help=f"irsim: insulin resistance and its consequences. {DISCLAIMER}")


def _version(value: bool) -> None:
    if value:
        out.print(f"irsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    insulin_factor: Optional[float] = typer.Option(
        None, "--insulin-factor", help="pmol/L per uIU/mL used for insulin (default 6.0; 6.945 for older assays)."),
) -> None:
    if insulin_factor is not None:
        if not 5.0 <= insulin_factor <= 8.0:
            raise typer.BadParameter(f"{insulin_factor} is outside 5-8 pmol/L per uIU/mL", param_hint="--insulin-factor")
        from .. import units

        units._settings = units.UnitSettings(insulin_pmol_per_uiu=insulin_factor)


class Format(str, Enum):
    text = "text"
    json = "json"
    html = "html"
    fhir = "fhir"


class Units(str, Enum):
    given = "given"
    mg = "mg/dL"
    mmol = "mmol/L"


@app.command()
def assess(
    person: Optional[Path] = typer.Argument(None, help="Person file: .json, .yaml, .csv (one row) or a FHIR R4 Bundle; "
                                            "with visits, the last visit is assessed."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="Output format (fhir: a FHIR R4 Bundle of "
                                  "the measurements and results)."),
    out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead of the terminal."),
    batch: Optional[Path] = typer.Option(None, "--batch", help=(escape if MARKUP else str)(  # [..] is rich markup
        "CSV of many persons (headers 'field [unit]', e.g. 'fasting_glucose [mmol/L]').")),
    units: Units = typer.Option(Units.given, "--units", help="Glucose and lipid results in mg/dL or mmol/L "
                                "(text and HTML; default: the units the person's labs were given in; JSON stays "
                                "in canonical units)."),
) -> None:
    """Assess a person (or a batch) from their labs: every index and stage, per organ, with sources."""
    try:
        if batch is not None:
            _assess_batch(batch, out_file)
            return
        if person is None:
            raise InputError([Problem("PERSON", "give a person file, or --batch FILE.csv --out FILE.parquet")])
        from ..assessment.api import assess as run
        from ..io import read_person

        result = run(read_person(person))
        if format is Format.fhir:
            import json

            from ..io import read_history
            from ..io.fhir import assessment_bundle

            history = read_history(person)
            text = json.dumps(assessment_bundle(result, history.visits[-1].date, history), indent=1)
    except InputError as exc:
        fail(exc)
    chosen = None if units is Units.given else units.value
    if format is Format.json:
        import json

        text = json.dumps(result.to_dict(), indent=2)
    elif format is Format.html:
        from ..reporting.assessment import to_html

        text = to_html(result, chosen)
    elif format is Format.text:
        from ..reporting.assessment import to_text

        if out_file is None:
            to_text(result, out, chosen)
            return
        text = to_text(result, units=chosen)
    if out_file is None:
        sys.stdout.write(text + "\n")
    else:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")


def _assess_batch(src: Path, dst: Optional[Path]) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ..assessment.batch import assess_csv

    if dst is None:
        raise InputError([Problem("--out", "give an output file (.parquet or .csv) with --batch")])
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal) as bar:
        task = bar.add_task("assessing", total=None)
        counts = assess_csv(src, dst, progress=lambda done, total: bar.update(task, completed=done, total=total))
    err.print(f"assessed {counts['rows']} persons ({counts['rows_with_errors']} rows with input errors, "
              f"see the 'errors' column) -> {dst}")


cli_meal.register(app)
cli_progression.register(app)
cli_explain.register(app)
cli_validate.register(app)
cli_trial.register(app)
cli_web.register(app)
cli_twin.register(app)


def main() -> None:
    """Console entry point: no traceback reaches the user unless IRSIM_DEBUG=1. A command keeps its traced programs
    on disk for the next one (``solvers.keep``)."""
    from ..solvers.keep import keep_programs

    keep_programs()
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - last resort
        if os.environ.get("IRSIM_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/bold red] {type(exc).__name__}: {exc}\n"
                  "Please report it; set IRSIM_DEBUG=1 to see the traceback.", highlight=False)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
