"""`irsim simulate`: a person's trajectory over years, under one or several scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError, Problem

#: Columns shown in the comparison table (final year of each scenario).
SUMMARY = ("weight_kg", "fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent", "homa1_ir",
           "homa1_beta_percent", "glycemic_status", "diagnosis_year")


TABLES, FIGURES = (".csv", ".parquet"), (".png", ".html")


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
    from .cli import err

    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)
    err.print(f"wrote {path}")


def savefig_png(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    savefig_png(fig, path)


def plot_incidence(curves, path: Path) -> None:
    """Cumulative-incidence curves (one panel per scenario), PNG or self-contained HTML."""
    events = [c for c in curves.columns if c not in ("year", "scenario")]
    title = "cumulative incidence with competing death (research and education software, not medical advice)"
    groups = list(curves.groupby("scenario", sort=False))
    if path.suffix.lower() == ".html":
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=1, cols=len(groups), subplot_titles=[str(n) for n, _ in groups], shared_yaxes=True)
        for k, (_, g) in enumerate(groups):
            for ev in events:
                fig.add_trace(go.Scatter(x=g["year"], y=100 * g[ev], name=ev, legendgroup=ev, showlegend=k == 0),
                              row=1, col=k + 1)
        fig.update_layout(title=title, yaxis_title="%")
        fig.write_html(path, include_plotlyjs=True, full_html=True)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4), squeeze=False, sharey=True,
                             constrained_layout=True)
    for ax, (name, g) in zip(axes[0], groups):
        for ev in events:
            ax.step(g["year"], 100 * g[ev], where="post", label=ev)
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("%")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    savefig_png(fig, path)


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
    out = df.drop(columns=["person"])
    out.attrs = dict(df.attrs)
    return out, df.attrs.get("assumed", [[]])[0]


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
        events: bool = typer.Option(False, "--events", help="Sample times to T2D, NAFLD, NASH, cirrhosis, MI, stroke, "
                                    "CKD 3+ and dementia, with competing death (life tables)."),
        samples: int = typer.Option(1000, "--samples", help="Samples per scenario for --events."),
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
            p = read_person(person)
            with err.status("simulating..."):
                df, assumed = projection(p, years, [Scenario.read(s) for s in (scenario or [])], step)
            sampled = None
            if events or events_out is not None or events_plot is not None:
                from ..analysis.events import sample_frame

                with err.status(f"sampling {samples} event histories per scenario..."):
                    sampled = sample_frame(df, df.attrs["female"], samples=samples, seed=seed)
        except InputError as exc:
            fail(exc)
        save(out_file, lambda path: write_table(df, path))
        save(plot, lambda path: plot_trajectories(df, path))
        last = df.groupby("scenario", sort=False).tail(1).set_index("scenario")
        t = Table(title=f"after {years:g} years (research and education software, not medical advice)")
        t.add_column("result")
        for name in last.index:
            t.add_column(str(name), justify="right")
        for col in SUMMARY:
            cells = [last.loc[name, col] for name in last.index]
            t.add_row(col, *[("-" if c != c else f"{c:.2f}") if isinstance(c, float) else str(c) for c in cells])
        out.print(t)
        if sampled is not None:
            _report_events(sampled, years, samples, seed, events_out, events_plot)
        if assumed:
            out.print("assumed (not in the person's data): " + "; ".join(assumed))

    def _report_events(sampled, years, samples, seed, events_out, events_plot) -> None:
        import pandas as pd
        from rich.table import Table

        curves = pd.concat([es.cumulative_incidence().assign(scenario=sc) for (_, sc), es in sampled.items()])
        summaries = {sc: es.summary().set_index("event") for (_, sc), es in sampled.items()}
        names = list(summaries)
        t = Table(title=f"probability of each event within {years:g} years, before death ({samples} samples, seed {seed}; "
                        "research and education software, not medical advice)")
        t.add_column("event")
        for name in names:
            t.add_column(str(name), justify="right")
        for ev in summaries[names[0]].index:
            cells = []
            for name in names:
                r = summaries[name].loc[ev]
                cell = f"{100 * r['probability']:.1f} %"
                if r["present_at_start"]:
                    cell += " (at start)"
                elif r["probability"] > 0 and r["median_year"] == r["median_year"]:
                    cell += f" (median year {r['median_year']:.1f})"
                cells.append(cell)
            t.add_row(str(summaries[names[0]].loc[ev, "label"]), *cells)
        out.print(t)
        save(events_out, lambda path: write_table(curves, path))
        save(events_plot, lambda path: plot_incidence(curves, path))
