"""`irsim serve` (the local web app) and `irsim report` (a self-contained HTML report).

The web stack (FastAPI, uvicorn, SQLAlchemy, Alembic) is imported inside `serve` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError, Problem
from ..schemas.requests import MAX_YEARS, SimulateRequest
from ..workflows import build_report
from .console import checked, err, fail

WEB_HINT = "the web app needs its extra packages: pip install 'irsim[web]'"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
        db: Optional[Path] = typer.Option(None, "--db", help="SQLite file for profiles (default: $IRSIM_DB or the "
                                                            "user data directory)."),
    ) -> None:
        """Run the local web app and JSON API (docs at /docs). Everything stays on this machine."""
        try:
            import uvicorn

            from .web.app import create_app
        except ImportError:
            err.print(f"error: {WEB_HINT}", markup=False, highlight=False)
            raise typer.Exit(2)
        if host not in LOOPBACK:
            err.print(f"[bold yellow]warning:[/bold yellow] binding to {host}: other machines can reach this "
                      "service and its stored profiles. It has no authentication.", highlight=False)
        application = create_app(db_path=db, warm=True)
        err.print(f"irsim web app on http://{'[' + host + ']' if ':' in host else host}:{port}/ "
                  f"(database {application.state.db_path})")
        uvicorn.run(application, host=host, port=port, log_level="warning")

    @app.command()
    def report(
        person: Path = typer.Argument(..., help="Person file (.json, .yaml, .csv row, FHIR Bundle)."),
        scenario: Optional[List[Path]] = typer.Option(None, "--scenario", "-s", help="Scenario YAML (repeatable)."),
        years: float = typer.Option(20.0, "--years", help=f"Years to project (1-{MAX_YEARS})."),
        out_file: Path = typer.Option(..., "--out", "-o", help="HTML file to write."),
    ) -> None:
        """Write a self-contained HTML report: assessment, where you stand, projection, chances, assumptions (a file
        with visits: the chances and fan chart come from the personal twin fitted to them)."""
        from ..io import read_history, read_person
        from ..scenarios.schema import Scenario

        try:
            if out_file.suffix.lower() not in (".html", ".htm"):
                raise InputError([Problem("--out", f"{out_file} must end in .html")])
            req = checked(SimulateRequest, person=read_person(person), years=years,
                          scenarios=[Scenario.read(s) for s in (scenario or [])])
            with err.status("simulating..."):
                text = build_report(req.person, req.scenarios, req.years, history=read_history(person))
        except InputError as exc:
            fail(exc)
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")
