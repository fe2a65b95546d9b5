"""`irsim simulate`: a person's trajectory over years, under one or several scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError, Problem

#: Columns shown in the comparison table (final year of each scenario).
SUMMARY = ("weight_kg", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent", "homa1_ir",
           "homa1_beta_percent", "glycemic_status", "diagnosis_year")


def plot_trajectories(df, path: Path) -> None:
    """PNG (matplotlib) or self-contained HTML (plotly, JS inlined) of the key trajectories per scenario."""
    panels = [("fasting_glucose_mmol_l", "fasting glucose (mmol/L)"), ("glucose_2h_mmol_l", "2-h OGTT glucose (mmol/L)"),
              ("hba1c_percent", "HbA1c (%)"), ("weight_kg", "weight (kg)"), ("homa1_beta_percent", "HOMA1-%B"),
              ("muscle_insulin_sensitivity_rel", "muscle insulin sensitivity (x normal)")]
    if path.suffix.lower() == ".html":
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=2, cols=3, subplot_titles=[t for _, t in panels])
        for k, (col, _) in enumerate(panels):
            for name, g in df.groupby("scenario", sort=False):
                fig.add_trace(go.Scatter(x=g["year"], y=g[col], name=name, legendgroup=name, showlegend=k == 0),
                              row=k // 3 + 1, col=k % 3 + 1)
        fig.update_layout(title="irsim projection (research and education software, not medical advice)")
        fig.write_html(path, include_plotlyjs=True, full_html=True)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (col, title) in zip(axes.ravel(), panels):
        for name, g in df.groupby("scenario", sort=False):
            ax.plot(g["year"], g[col], label=name)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("irsim projection — research and education software, not medical advice", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def projection(person, years: float, scenarios, step: str = "year"):
    """Baseline plus ``scenarios`` (names must differ): the trajectory without the person column, and what was
    assumed. Shared by `irsim simulate`, `irsim report` and the web API."""
    from ..cohort.progression import simulate as run
    from ..scenarios.schema import BASELINE

    scenarios = [BASELINE] + list(scenarios)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError([Problem("scenario", f"scenario names must differ (baseline is built in): {names}")])
    df = run(person, years=years, scenarios=scenarios, step=step)
    assumed = df.attrs.get("assumed", [[]])[0]
    return df.drop(columns=["person"]), assumed


def register(app: typer.Typer) -> None:
    from .cli import err, fail, out

    @app.command()
    def simulate(
        person: Path = typer.Argument(..., help="Person file (.json, .yaml, .csv row, FHIR Bundle)."),
        years: float = typer.Option(30.0, "--years", help="Years to simulate (1-100)."),
        scenario: Optional[List[Path]] = typer.Option(None, "--scenario", "-s", help="Scenario YAML (repeatable)."),
        step: str = typer.Option("year", "--step", help="Output step: month or year."),
        out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="Trajectory table: .csv or .parquet."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Plot file: .png or .html."),
    ) -> None:
        """Project a person's insulin resistance, beta cells and glycaemia over years, under scenarios."""
        from rich.table import Table

        from ..io import read_person
        from ..scenarios.schema import Scenario

        try:
            if out_file is not None and out_file.suffix.lower() not in (".csv", ".parquet"):
                raise InputError([Problem("--out", f"{out_file} must end in .csv or .parquet")])
            if plot is not None and plot.suffix.lower() not in (".png", ".html"):
                raise InputError([Problem("--plot", f"{plot} must end in .png or .html")])
            p = read_person(person)
            with err.status("simulating..."):
                df, assumed = projection(p, years, [Scenario.read(s) for s in (scenario or [])], step)
        except InputError as exc:
            fail(exc)
        if out_file is not None:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            (df.to_parquet if out_file.suffix.lower() == ".parquet" else df.to_csv)(out_file, index=False)
            err.print(f"wrote {out_file}")
        if plot is not None:
            plot.parent.mkdir(parents=True, exist_ok=True)
            plot_trajectories(df, plot)
            err.print(f"wrote {plot}")
        last = df.groupby("scenario", sort=False).tail(1).set_index("scenario")
        t = Table(title=f"after {years:g} years (research and education software, not medical advice)")
        t.add_column("result")
        for name in last.index:
            t.add_column(str(name), justify="right")
        for col in SUMMARY:
            cells = [last.loc[name, col] for name in last.index]
            t.add_row(col, *[("-" if c != c else f"{c:.2f}") if isinstance(c, float) else str(c) for c in cells])
        out.print(t)
        if assumed:
            out.print("assumed (not in the person's data): " + "; ".join(assumed))
