"""CLI command `irsim validate`: run the validation suite and write docs/validation.md.

The report is the product: targets that fail do not change the exit code (0). Bad arguments exit with 2 and a
one-line message. Heavy imports (JAX, matplotlib) happen inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .console import fail, refuse

# largest cohort accepted per population (irsim choice: memory of the monthly DPP runs stays under ~1 GB)
_MAX_N = 50_000


def validate_command(only: Optional[List[str]], quick: bool, out: Path, seed: int, n: Optional[int],
                     no_plots: bool) -> None:
    from ..errors import InputError
    from ..validation import STUDIES
    from ..validation import targets as targets_mod

    names = []
    for item in only or []:
        names += [x.strip() for x in item.split(",") if x.strip()]
    unknown = [x for x in names if x not in STUDIES]
    if unknown:
        refuse(f"--only: unknown study {', '.join(repr(x) for x in unknown)}; known: {', '.join(STUDIES)}")
    names = [x for x in STUDIES if x in names]  # report order, no duplicates
    if seed < 0:
        refuse(f"--seed {seed} must be >= 0")
    if n is not None and not 10 <= n <= _MAX_N:
        refuse(f"--n {n} is outside 10-{_MAX_N}")
    if out.suffix.lower() != ".md":
        refuse(f"--out {out} must be a Markdown file (.md); plots go to a folder of the same name")
    if out.exists() and out.is_dir():
        refuse(f"--out {out} is a directory")
    try:
        tlist = targets_mod.load()
    except InputError as exc:
        fail(exc, "the validation targets were")

    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..validation import report, suite

    console = Console(stderr=True)
    chosen = names or list(suite.PROTOCOLS)
    size = n if n is not None else (suite.QUICK_N if quick else suite.FULL_N)
    console.print(f"irsim validate: {len(chosen)} studies, {size} persons per population, seed {seed}"
                  + (" (quick)" if quick else ""), highlight=False)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("starting", total=len(chosen))

        def step(name: str, stage: str) -> None:
            if stage == "start":
                progress.update(task, description=f"{suite.PROTOCOLS[name].title}")
            else:
                progress.advance(task)

        results = suite.run_all(chosen, n=n, quick=quick, seed=seed, progress=step)
        progress.update(task, description="writing report")
        try:
            path = report.write(results, tlist, out, plots=not no_plots, quick=quick)
        except OSError as exc:
            refuse(f"cannot write the report to {out}: {exc}")
    rows = report.rows(results, tlist)
    passed = sum(r["result"] == "pass" for r in rows)
    failed = sum(r["result"] == "fail" for r in rows)
    missing = len(rows) - passed - failed
    typer.echo(f"{passed} pass, {failed} fail, {missing} without a value, of {len(rows)} targets; report: {path}")


def register(app: typer.Typer) -> None:
    """Add `validate` to the main app."""

    @app.command()
    def validate(
        only: Optional[List[str]] = typer.Option(
            None, "--only", help="Run only this study (repeat or comma-separate): whitehall, ukpds, classes, "
                                 "conversion, dpp."),
        quick: bool = typer.Option(False, "--quick", help="Small cohorts (a smoke run; numbers are noisy)."),
        out: Path = typer.Option(Path("docs/validation.md"), "--out", "-o",
                                 help="Report file; plots go to a folder of the same name beside it."),
        seed: int = typer.Option(0, "--seed", help="Seed of the virtual populations."),
        n: Optional[int] = typer.Option(None, "--n", help="Persons per population (default 5000; 600 with --quick)."),
        no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG plots."),
    ) -> None:
        """Validate the progression model against published studies; write a pass/fail report with plots."""
        validate_command(only, quick, out, seed, n, no_plots)
