"""CLI command `irsim validate`: run the validation suite and write docs/validation.md.

The report is the product: targets that fail do not change the exit code (0). Bad arguments exit with 2 and a
one-line message. Heavy imports (JAX, matplotlib) happen inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .console import err, fail, refuse

# largest cohort accepted per population (irsim choice: memory of the monthly DPP runs stays under ~1 GB)
_MAX_N = 50_000
# most seeds in one run (irsim choice: each costs a whole run)
_MAX_REPLICATES = 10


#: The committed report: a run with other parameter values (``--set``) must be written elsewhere.
DEFAULT_OUT = Path("docs/validation.md")


def parse_sets(items: Optional[List[str]]) -> dict:
    """``["section.name=value", ...]`` -> ``{"section.name": value}`` (value: a JSON number or list)."""
    import json

    values = {}
    for item in items or []:
        key, eq, text = item.partition("=")
        try:
            if not eq or not key.strip():
                raise ValueError
            values[key.strip()] = json.loads(text)
        except ValueError:
            refuse(f"--set {item!r} must read section.name=value, the value a number or a JSON list "
                   "(e.g. --set beta.function_max=2.5)")
    return values


def checked_sets(items: Optional[List[str]]) -> dict:
    """:func:`parse_sets`, each entry checked against the parameter files (a clear error names any that is not)."""
    from ..errors import InputError
    from ..models.core import parameter_changes

    values = parse_sets(items)
    try:
        parameter_changes(values)
    except InputError as exc:
        fail(exc, "the --set values were")
    return values


def validate_command(only: Optional[List[str]], quick: bool, out: Optional[Path], seed: int, n: Optional[int],
                     no_plots: bool, sets: Optional[List[str]] = None, replicates: int = 1) -> None:
    from ..errors import InputError
    from ..solvers.keep import keep_programs
    from ..validation import STUDIES
    from ..validation import targets as targets_mod

    keep_programs(False)  # a long run with many shapes: tracing is paid once each, keeping would cost more
    values = checked_sets(sets)
    if values and out is None:
        refuse(f"--set needs --out: {DEFAULT_OUT} is the report of the model as committed, not of a sensitivity run")
    out = DEFAULT_OUT if out is None else out

    names = []
    for item in only or []:
        names += [x.strip() for x in item.split(",") if x.strip()]
    unknown = [x for x in names if x not in STUDIES]
    if unknown:
        refuse(f"--only: unknown study {', '.join(repr(x) for x in unknown)}; known: {', '.join(STUDIES)}")
    names = [x for x in STUDIES if x in names]  # report order, no duplicates
    if seed < 0:
        refuse(f"--seed {seed} must be >= 0")
    if not 1 <= replicates <= _MAX_REPLICATES:
        refuse(f"--replicates {replicates} is outside 1-{_MAX_REPLICATES}")
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

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .. import validation
    from ..validation import report, suite

    chosen = names or list(suite.PROTOCOLS)
    size = n if n is not None else (suite.QUICK_N if quick else suite.FULL_N)
    err.print(f"irsim validate: {len(chosen)} studies, {size} persons per population, seed "
              + (f"{seed}" if replicates == 1 else f"{seed}-{seed + replicates - 1}") + (" (quick)" if quick else ""),
              highlight=False)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=err) as progress:
        task = progress.add_task("starting", total=len(chosen) * replicates)

        def step(name: str, stage: str) -> None:
            if stage == "start":
                progress.update(task, description=f"{suite.PROTOCOLS[name].title}")
            else:
                progress.advance(task)

        try:
            results, path = validation.run(chosen, n=n, quick=quick, seed=seed, out=out, progress=step,
                                           plots=not no_plots, parameters=values, replicates=replicates)
        except OSError as exc:
            refuse(f"a file of the run could not be written ({exc}); report: {out}")
    rows = report.rows(results, tlist)
    passed = sum(r["result"] == "pass" for r in rows)
    failed = sum(r["result"] == "fail" for r in rows)
    missing = len(rows) - passed - failed
    typer.echo(f"{passed} pass, {failed} fail, {missing} without a value, of {len(rows)} targets; report: {path}")


def outside_command(seed: int, sets: Optional[List[str]]) -> None:
    from ..models.core import parameters_in_force
    from ..validation import outside

    values = checked_sets(sets)
    if seed < 0:
        refuse(f"--seed {seed} must be >= 0")
    with parameters_in_force(values):
        typer.echo(outside.table(outside.measure(seed=seed)))


def register(app: typer.Typer) -> None:
    """Add `validate` to the main app."""

    @app.command()
    def validate(
        only: Optional[List[str]] = typer.Option(
            None, "--only", help="Run only this study (repeat or comma-separate), e.g. whitehall, ukpds, dpp, "
                                 "steven; all by default."),
        quick: bool = typer.Option(False, "--quick", help="Small cohorts (a smoke run; numbers are noisy)."),
        out: Optional[Path] = typer.Option(
            None, "--out", "-o", help="Report file (default docs/validation.md); plots go to a folder of the same "
                                      "name beside it."),
        seed: int = typer.Option(0, "--seed", help="Seed of the virtual populations."),
        n: Optional[int] = typer.Option(None, "--n", help="Persons per population (default 5000; 600 with --quick)."),
        no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG plots."),
        sets: Optional[List[str]] = typer.Option(
            None, "--set", help="Sensitivity run: another value of a model parameter, section.name=value "
                                "(progression.yaml, organs.yaml or medicines.yaml; repeatable; needs --out). The "
                                "report says so."),
        replicates: int = typer.Option(
            1, "--replicates", help="Also run seeds seed+1 ... seed+K-1 and report how the pass counts and each "
                                    "row near its band's edge change with the seed (1-10)."),
        outside: bool = typer.Option(
            False, "--outside", help="Instead of the suite, measure the studies outside the targets (WOSCOPS's "
                                     "converters, UKPDS 7 and 45's presentation and run-in diet, pioglitazone and "
                                     "metformin in established diabetes, a sulfonylurea's withdrawal, remission after "
                                     "short-term insulin, NHANES's 2-h glucose by fasting class; never counted) "
                                     "and print them; --seed and --set apply."),
    ) -> None:
        """Validate the progression model against published studies; write a pass/fail report with plots."""
        if outside:
            outside_command(seed, sets)
            return
        validate_command(only, quick, out, seed, n, no_plots, sets, replicates)
