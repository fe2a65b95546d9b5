"""`irsim explain`: which pathways account for the change in an outcome (Shapley over pathway knock-outs)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError, Problem
from ..reporting.figures import column_label, plot_explanation
from ..reporting.report import in_100
from ..schemas.requests import MAX_YEARS, ExplainRequest
from .console import FIGURES, check_suffixes, checked, err, fail, out, save


def register(app: typer.Typer) -> None:

    @app.command()
    def explain(
        person: Path = typer.Argument(..., help="Person file (.json, .yaml, .csv row, FHIR Bundle)."),
        outcome: str = typer.Option("T2D", "--outcome", help="T2D, MI, stroke, dementia, or any trajectory column "
                                    "(e.g. liver_fat_percent, fasting_glucose_mmol_l)."),
        years: float = typer.Option(20.0, "--years", help=f"Horizon, years (1-{MAX_YEARS})."),
        scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="Scenario YAML."),
        fmt: str = typer.Option("text", "--format", help="text or json."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Bar chart: .png or .html."),
    ) -> None:
        """Say which mechanisms drive the change in an outcome, with shares that add up to the total. Heart attack
        and stroke also list age, smoking, blood pressure and LDL cholesterol, each against a reference value."""
        from rich.table import Table

        from ..analysis.explain import explain as run
        from ..io import read_person
        from ..scenarios.schema import Scenario

        try:
            if fmt not in ("text", "json"):
                raise InputError([Problem("--format", f"{fmt!r} is not 'text' or 'json'")])
            check_suffixes(("--plot", plot, FIGURES))
            req = checked(ExplainRequest, person=read_person(person), outcome=outcome, years=years,
                          scenario=Scenario.read(scenario) if scenario is not None else None)
            with err.status("running the counterfactuals..."):
                e = run(req.person, req.outcome, req.years, req.scenario)
        except InputError as exc:
            fail(exc)
        save(plot, lambda path: plot_explanation(e, path))
        if fmt == "json":
            out.print_json(json.dumps(e.to_dict()))
            return
        what = {"hazard": f"chance of {outcome} within {years:g} years on the projected path: "
                          f"{in_100(-math.expm1(-e.total))} (cumulative hazard {e.total:.3g}; each share: how much "
                          "of it a pathway adds)",
                "onset": (f"type 2 diabetes from year {e.onset_year:.3g}: {e.total:.3g} of {years:g} years with "
                          "diabetes (each share: how much earlier a pathway brings the onset)" if e.onset_year else
                          f"expected years with type 2 diabetes within {years:g} years, people with these labs: "
                          f"{e.total:.3g} (each share: how much earlier, on average, a pathway brings the onset)")}.get(
            e.kind, f"{column_label(e.column)}: {e.start:.3g} -> {e.start + e.total:.3g} over {years:g} years "
                    f"(change {e.total:+.3g})")
        if e.note:
            out.print(f"{outcome}: {e.note}.")
        t = Table(title=f"{what}\n({e.method}; research and education software, not medical advice)")
        for c, j in (("pathway", "left"), ("contribution", "right"), ("share", "right")):
            t.add_column(c, justify=j)
        for r in e.pathways.itertuples():
            t.add_row(r.label, f"{r.contribution:+.3g}", f"{r.share_percent:.0f} %")
        out.print(t)
        for r in e.pathways.itertuples():
            out.print(f"- {r.sentence}")
        for quantity, df in e.tissues.items():
            tt = Table(title=f"by tissue: change in {quantity} at year {years:g}")
            tt.add_column("tissue")
            tt.add_column("contribution", justify="right")
            tt.add_column("share", justify="right")
            for r in df.itertuples():
                tt.add_row(r.tissue, f"{r.contribution:+.3g}", f"{r.share_percent:.0f} %")
            out.print(tt)
