"""CLI command `irsim trial`: run a virtual trial from a spec file (docs/trials.md).

Bad specs and options exit with code 2 naming the field. Heavy imports (JAX, Dask) happen inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .console import err, fail, refuse


def trial_command(spec_path: Path, out: Path, workers: Optional[int], scheduler: Optional[str],
                  shard_size: Optional[int], resume: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..errors import InputError
    from ..solvers.keep import keep_programs
    from ..trials import Trial

    keep_programs(False)  # a long run: tracing is paid once per shape, keeping would cost more

    if workers is not None and scheduler is not None:
        refuse("give --workers (a new local cluster) or --scheduler (an existing one), not both")
    if workers is not None and not 1 <= workers <= 512:
        refuse(f"--workers {workers} must be between 1 and 512")
    try:
        trial = Trial.read(spec_path)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=False) as bar:
            task = bar.add_task(f"{trial.spec.name}: shards", total=None)
            summary = trial.run(out, workers=workers, scheduler=scheduler, shard_size=shard_size, resume=resume,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    except InputError as exc:
        fail(exc, "the trial")
    for arm, s in summary["arms"].items():
        inc = ", ".join(f"{ev} {d['per_100py']:.2f}/100 py" for ev, d in s.get("incidence", {}).items()
                        if d["per_100py"] is not None)
        err.print(f"  {arm}: n={s['n']:,}" + (f"; {inc}" if inc else ""), highlight=False)
    err.print(f"summary -> {out / 'summary.json'}; report -> {out / 'report.html'} (research and education software, "
              "not medical advice)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `trial` to the main app."""

    @app.command()
    def trial(
        spec: Path = typer.Argument(..., help="Trial spec (YAML; examples/trials/dpp.yaml)."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder: summary.json, persons/*.parquet, "
                                                          "manifest.json, report.html, incidence.png."),
        workers: Optional[int] = typer.Option(None, "--workers", help="Run shards on a new Dask LocalCluster of N "
                                                                      "worker processes."),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run shards on an existing Dask cluster "
                                                                          "(tcp://host:port)."),
        shard_size: Optional[int] = typer.Option(None, "--shard-size", help="Persons per shard (default 10,000); "
                                                                            "results do not depend on it."),
        resume: bool = typer.Option(False, "--resume", help="Finish an interrupted run in --out (shards already "
                                                            "written are kept)."),
    ) -> None:
        """Run a virtual trial: incidence, hazard ratios, cumulative incidence, mean changes, with 95 % CIs."""
        trial_command(spec, out, workers, scheduler, shard_size, resume)
