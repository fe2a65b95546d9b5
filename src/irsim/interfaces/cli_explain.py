"""`irsim explain`: which pathways account for the change in an outcome (Shapley over pathway knock-outs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError, Problem
from .cli_progression import FIGURES, check_suffixes, save, savefig_png


def plot_explanation(e, path: Path) -> None:
    """Horizontal bars of each pathway's contribution (PNG or self-contained HTML)."""
    df = e.pathways
    title = f"why {e.column} changes over {e.years:g} years (research and education software, not medical advice)"
    if path.suffix.lower() == ".html":
        import plotly.graph_objects as go

        fig = go.Figure(go.Bar(x=df["contribution"], y=df["label"], orientation="h", text=df["sentence"]))
        fig.update_layout(title=title, xaxis_title=f"contribution to {e.column}")
        fig.write_html(path, include_plotlyjs=True, full_html=True)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.5 * len(df) + 1.5), constrained_layout=True)
    ax.barh(df["label"], df["contribution"], color=["#c0392b" if c > 0 else "#2e86c1" for c in df["contribution"]])
    ax.axvline(0, color="k", lw=0.8)
    ax.invert_yaxis()
    ax.set_xlabel(f"contribution to {'cumulative hazard' if e.kind == 'hazard' else 'change in'} {e.column}")
    ax.set_title(title, fontsize=8)
    savefig_png(fig, path)


def register(app: typer.Typer) -> None:
    from .cli import err, fail, out

    @app.command()
    def explain(
        person: Path = typer.Argument(..., help="Person file (.json, .yaml, .csv row, FHIR Bundle)."),
        outcome: str = typer.Option("T2D", "--outcome", help="T2D, MI, stroke, dementia, or any trajectory column "
                                    "(e.g. liver_fat_percent, fasting_glucose_mmol_l)."),
        years: float = typer.Option(20.0, "--years", help="Horizon, years."),
        scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="Scenario YAML."),
        fmt: str = typer.Option("text", "--format", help="text or json."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Bar chart: .png or .html."),
    ) -> None:
        """Say which mechanisms drive the change in an outcome, with shares that add up to the total."""
        from rich.table import Table

        from ..analysis.explain import explain as run
        from ..io import read_person
        from ..scenarios.schema import Scenario

        try:
            if fmt not in ("text", "json"):
                raise InputError([Problem("--format", f"{fmt!r} is not 'text' or 'json'")])
            check_suffixes(("--plot", plot, FIGURES))
            sc = Scenario.read(scenario) if scenario is not None else None
            with err.status("running the counterfactuals..."):
                e = run(read_person(person), outcome, years, sc)
        except InputError as exc:
            fail(exc)
        save(plot, lambda path: plot_explanation(e, path))
        if fmt == "json":
            out.print_json(json.dumps(e.to_dict()))
            return
        what = (f"cumulative hazard of {outcome} over {years:g} years: {e.total:.4g}" if e.kind == "hazard" else
                f"{e.column}: {e.start:.3g} -> {e.start + e.total:.3g} over {years:g} years (change {e.total:+.3g})")
        t = Table(title=f"{what}\n(Shapley over pathway knock-outs; research and education software, not medical advice)")
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
