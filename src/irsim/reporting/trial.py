"""A virtual trial's report: ``DIR/report.html`` (self-contained: flow of persons, endpoints by arm, cumulative
incidence curves with 95 % bands; plotly bundled, no network) and ``DIR/incidence.png``."""

from __future__ import annotations

from html import escape as e
from pathlib import Path

import numpy as np

from .. import DISCLAIMER, __version__


def _events(spec) -> list[str]:
    seen = []
    for ep in spec.endpoints:
        if ep.type in ("incidence", "hazard_ratio", "cumulative_incidence") and ep.event not in seen:
            seen.append(ep.event)
    return seen


def curves(spec, persons, event: str, points: int = 61) -> dict[str, tuple[np.ndarray, list]]:
    """Per arm: a time grid and the cumulative incidence (with 95 % interval) of ``event`` on it."""
    from ..analysis.endpoints import at_risk
    from ..analysis.survival import cumulative_incidence

    grid = np.linspace(0.0, spec.follow_up_years, points)
    out = {}
    for arm in spec.arms:
        _, time, observed = at_risk(persons[persons["arm"] == arm.name], event)
        if len(time):
            out[arm.name] = (grid, cumulative_incidence(time, observed, grid))
    return out


def _fmt(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}g}"


def _ci(d: dict) -> str:
    lo, hi = d["ci95"]
    return f"{_fmt(d['value'])} ({_fmt(lo)} to {_fmt(hi)})"


def endpoint_rows(summary: dict) -> list[tuple[str, str, str]]:
    """(arm, endpoint, value with CI) rows of the summary, for the report's table."""
    rows = []
    for arm, s in summary["arms"].items():
        for event, d in s.get("incidence", {}).items():
            lo, hi = d["ci95"]
            rows.append((arm, f"{event} incidence per 100 person-years",
                         f"{_fmt(d['per_100py'])} ({_fmt(lo)} to {_fmt(hi)}); {d['events']} events in "
                         f"{d['person_years']:.0f} person-years"))
        for event, d in s.get("hazard_ratio", {}).items():
            rows.append((arm, f"{event} hazard ratio", _ci(d)))
        for event, by in s.get("cumulative_incidence", {}).items():
            for y, d in by.items():
                rows.append((arm, f"{event} cumulative incidence at year {y}", _ci(d)))
        for kind in ("mean_change", "mean_percent_change"):
            for col, by in s.get(kind, {}).items():
                for y, d in by.items():
                    rows.append((arm, f"{kind.replace('_', ' ')} of {col} at year {y}", _ci(d)))
        for name, by in s.get("proportion", {}).items():
            for y, d in by.items():
                rows.append((arm, f"proportion {name} at year {y}", _ci(d)))
    return rows


def flow_rows(spec, persons) -> list[list]:
    """CONSORT-style flow per arm: randomised, followed to the end, dropped out, died."""
    rows = []
    for arm in spec.arms:
        g = persons[persons["arm"] == arm.name]
        died = int(np.isfinite(g["death_year"].to_numpy(dtype=float)).sum())
        dropped = int(g["dropped"].sum())
        rows.append([arm.name, len(g), f"{arm.adherence:.0%}", len(g) - dropped - died, dropped, died])
    return rows


def write_report(spec, summary: dict, persons, out: Path) -> None:
    import plotly.graph_objects as go
    import plotly.io as pio

    from .figures import pyplot, savefig_png

    events = _events(spec)
    figs, plt = [], pyplot()
    fig_png, axes = plt.subplots(1, max(len(events), 1), figsize=(5.5 * max(len(events), 1), 4.2), squeeze=False)
    for k, event in enumerate(events):
        fig = go.Figure()
        ax = axes[0, k]
        for arm, (grid, res) in curves(spec, persons, event).items():
            val = np.array([np.nan if r[0] is None else r[0] for r in res])
            lo = np.array([np.nan if r[1][0] is None else r[1][0] for r in res])
            hi = np.array([np.nan if r[1][1] is None else r[1][1] for r in res])
            line = ax.step(grid, 100 * val, where="post", label=arm)[0]
            ax.fill_between(grid, 100 * lo, 100 * hi, step="post", alpha=0.2, color=line.get_color())
            fig.add_trace(go.Scatter(x=grid, y=100 * hi, line={"width": 0}, showlegend=False, hoverinfo="skip",
                                     line_shape="hv", legendgroup=arm))
            fig.add_trace(go.Scatter(x=grid, y=100 * lo, fill="tonexty", line={"width": 0}, showlegend=False,
                                     hoverinfo="skip", line_shape="hv", legendgroup=arm, opacity=0.3))
            fig.add_trace(go.Scatter(x=grid, y=100 * val, name=arm, line_shape="hv", legendgroup=arm))
        ax.set_title(f"{event}: cumulative incidence")
        ax.set_xlabel("years")
        ax.set_ylabel("%")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.update_layout(title=f"{event}: cumulative incidence (%, 95 % band)", xaxis_title="years",
                          yaxis_title="%", height=420)
        figs.append(fig)
    fig_png.suptitle(f"{spec.name} (virtual trial; {DISCLAIMER})", fontsize=8)
    savefig_png(fig_png, out / "incidence.png")
    plots = "".join(pio.to_html(f, full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
                    for i, f in enumerate(figs))
    table = lambda head, rows: ("<table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in head) + "</tr>"  # noqa: E731
                                + "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in rows)
                                + "</table>")
    html = f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(spec.name)}: virtual trial</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.note{{background:#fff4d6;padding:.6em;border-left:4px solid #e0a800}}</style></head><body>
<h1>{e(spec.name)}: virtual trial</h1>
<p class=note role=note>{e(DISCLAIMER)} Results of a simulation of virtual persons, not of people.</p>
<p>{spec.population.n:,} virtual persons, seed {spec.seed}, follow-up {spec.follow_up_years:g} years, visits every
{spec.visits.every_months} months{' with an OGTT' if spec.visits.ogtt else ''}; dropout {spec.dropout_per_year:.0%} a year.
irsim {e(__version__)}; spec SHA-256 <code>{summary['spec_sha256'][:16]}</code>.</p>
<h2>Flow of persons</h2>
{table(["arm", "randomised", "adherence", "followed to the end", "dropped out", "died"], flow_rows(spec, persons))}
<h2>Endpoints (95 % confidence intervals)</h2>
{table(["arm", "endpoint", "value"], endpoint_rows(summary))}
<h2>Cumulative incidence</h2>
{plots}
</body></html>"""
    (out / "report.html").write_text(html, encoding="utf-8")
