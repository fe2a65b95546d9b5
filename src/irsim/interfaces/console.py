"""Terminal output shared by the CLI commands: the consoles, refusals (exit code 2, one line per problem, no
traceback) and output files."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from ..errors import InputError, Problem
from ..schemas.requests import validated


#: Width of tables written to a pipe or file (``COLUMNS`` overrides): wide enough that names are not cut.
PIPE_WIDTH = 160


def _console(stderr: bool = False) -> Console:
    """Wraps to a terminal's width; to a pipe or file, one line per message (no hard wrap at 80 columns) and tables
    :data:`PIPE_WIDTH` wide."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console.soft_wrap = True
        if "COLUMNS" not in os.environ:
            console.width = PIPE_WIDTH
    return console


err, out = _console(stderr=True), _console()

TABLES, FIGURES = (".csv", ".parquet"), (".png", ".html")


def fail(exc: InputError, what: str = "the input was") -> None:
    """Print every problem of a refused input and exit with code 2."""
    err.print(f"[bold red]error:[/bold red] {what} refused:", highlight=False)
    for p in exc.problems:
        err.print(f"  - {p}", highlight=False, markup=False)
    raise typer.Exit(2)


def refuse(msg: str) -> None:
    """One-line refusal, exit code 2."""
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(2)


def check_suffixes(*options) -> None:
    """Refuse output paths of the wrong kind: ``(option, path or None, allowed suffixes)``."""
    problems = [Problem(opt, f"{path} must end in {' or '.join(kinds)}") for opt, path, kinds in options
                if path is not None and path.suffix.lower() not in kinds]
    if problems:
        raise InputError(problems)


def write_table(df, path: Path) -> None:
    (df.to_parquet if path.suffix.lower() == ".parquet" else df.to_csv)(path, index=False)


def save(path: Path | None, write) -> None:
    """Write an output file (creating its folder) and say so on stderr; nothing when ``path`` is None."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)
    err.print(f"wrote {path}")


def checked(model, **fields):
    """``model(**fields)`` under the shared request limits; a refusal names the CLI option (``--years``)."""
    try:
        return validated(model, **fields)
    except InputError as exc:
        raise InputError([Problem("--" + q.field.replace("_", "-"), q.message) for q in exc.problems]) from None
