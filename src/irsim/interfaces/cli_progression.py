"""`irsim simulate`: a person's trajectory over years, under one or several scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError, Problem
from ..reporting.figures import column_label, plot_incidence, plot_trajectories, shown
from ..schemas.requests import MAX_YEARS, SimulateRequest
from ..workflows import projection
from .console import FIGURES, TABLES, check_suffixes, checked, err, fail, out, save, write_table

#: Columns shown in the comparison table (final year of each scenario).
SUMMARY = ("weight_kg", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent", "homa1_ir",
           "homa1_beta_percent", "glycemic_status", "diagnosis_year")


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        person: Path = typer.Argument(..., help="Person file (.json, .yaml, .csv row, FHIR Bundle)."),
        years: float = typer.Option(30.0, "--years", help=f"Years to simulate (1-{MAX_YEARS})."),
        scenario: Optional[List[Path]] = typer.Option(None, "--scenario", "-s", help="Scenario YAML (repeatable)."),
        step: str = typer.Option("year", "--step", help="Output step: month or year."),
        out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="Trajectory table: .csv or .parquet."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Plot file: .png or .html."),
        events: bool = typer.Option(False, "--events", help="Chances of T2D, NAFLD, NASH, cirrhosis, MI, stroke, CKD "
                                    "3+ and dementia, with competing death (life tables), over draws of the person's "
                                    "unknowns (a file with visits: the twin's posterior)."),
        samples: int = typer.Option(1000, "--samples", help="Event histories per scenario for --events."),
        draws: int = typer.Option(200, "--draws", help="Draws of what the person's labs leave unknown (progression "
                                  "random effects, energy intake, true labs) behind --events; the histories are "
                                  "shared out over them."),
        seed: int = typer.Option(0, "--seed", help="Random seed for --events."),
        events_out: Optional[Path] = typer.Option(None, "--events-out", help="Cumulative-incidence curves: .csv or .parquet."),
        events_plot: Optional[Path] = typer.Option(None, "--events-plot", help="Cumulative-incidence plot: .png or .html."),
    ) -> None:
        """Project a person's insulin resistance, beta cells and glycaemia over years, under scenarios."""
        from rich.table import Table

        from ..io import read_person
        from ..scenarios.schema import Scenario

        try:
            check_suffixes(("--out", out_file, TABLES), ("--plot", plot, FIGURES), ("--events-out", events_out, TABLES),
                           ("--events-plot", events_plot, FIGURES))
            req = checked(SimulateRequest, person=read_person(person), years=years,
                          scenarios=[Scenario.read(s) for s in (scenario or [])])
            events = events or events_out is not None or events_plot is not None
            if events and not 1 <= samples <= 10_000_000:  # refused before any simulation
                raise InputError([Problem("--samples", f"{samples} must be between 1 and 10,000,000")])
            if events and not 1 <= draws <= min(samples, 10_000):
                raise InputError([Problem("--draws", f"{draws} must be between 1 and --samples (and at most 10,000)")])
            with err.status("simulating..."):
                df, assumed = projection(req.person, req.years, req.scenarios, step)
            sampled = _event_samples(person, req, draws, samples, seed) if events else None
        except InputError as exc:
            fail(exc)
        save(out_file, lambda path: write_table(df, path))
        save(plot, lambda path: plot_trajectories(df, path))
        last = df.groupby("scenario", sort=False).tail(1).set_index("scenario")
        t = Table(title=f"after {years:g} years (research and education software, not medical advice)")
        t.add_column("result")
        for name in last.index:
            t.add_column(shown(name), justify="right")
        for col in SUMMARY:
            cells = [last.loc[name, col] for name in last.index]
            label = "Diabetes from year" if col == "diagnosis_year" else column_label(col)
            t.add_row(label, *[("-" if c != c else f"{c:.2f}") if isinstance(c, float) else str(c) for c in cells])
        out.print(t)
        if sampled is not None:
            _report_events(sampled, years, seed, events_out, events_plot)
        if assumed:
            out.print("assumed (not in the person's data): " + "; ".join(assumed))

    def _event_samples(path: Path, req: SimulateRequest, draws: int, samples: int, seed: int) -> dict:
        """Scenario -> EventSample over ``draws`` draws of the person's unknowns (the twin's posterior where the file
        has visits, else the population prior at the person's labs), ``samples`` histories in all."""
        from ..inference.twin import event_sample
        from ..io import read_history
        from ..workflows import uncertain_projection

        with err.status(f"projecting {draws} draws of the person's unknowns..."):
            proj = uncertain_projection(req.person, req.years, req.scenarios, draws, seed, history=read_history(path))
        female = float(req.person.sex == "female")
        per_draw = -(-samples // draws)
        return {name: event_sample(out, female, seed, per_draw) for name, out in proj.trajectories.items()}

    def _report_events(sampled, years, seed, events_out, events_plot) -> None:
        import pandas as pd
        from rich.table import Table

        from ..reporting.report import in_100

        curves = pd.concat([es.cumulative_incidence().assign(scenario=sc) for sc, es in sampled.items()])
        summaries = {sc: es.summary().set_index("event") for sc, es in sampled.items()}
        n = next(iter(sampled.values())).samples
        names = list(summaries)
        t = Table(title=f"chance of each event within {years:g} years, before death, out of 100 people with these labs "
                        f"({n} histories, seed {seed}; research and education software, not medical advice)")
        t.add_column("event")
        for name in names:
            t.add_column(shown(name), justify="right")
        for ev in summaries[names[0]].index:
            cells = []
            for name in names:
                r = summaries[name].loc[ev]
                cell = in_100(r["probability"])
                if r["present_at_start"] >= 0.5:
                    cell += " (at start)"
                elif r["probability"] > 0 and r["median_year"] == r["median_year"]:
                    cell += f" (median year {r['median_year']:.1f})"
                cells.append(cell)
            t.add_row(str(summaries[names[0]].loc[ev, "label"]), *cells)
        out.print(t)
        save(events_out, lambda path: write_table(curves, path))
        save(events_plot, lambda path: plot_incidence(curves, path))
