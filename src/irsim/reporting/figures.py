"""Every chart irsim draws: projection panels and the "where am I" map (page and report, plotly), and the
files the CLI writes (PNG with matplotlib, self-contained HTML with plotly)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .. import DISCLAIMER
from ..units import GLUCOSE_MG_DL_PER_MMOL_L


def __getattr__(name: str):
    """``PANELS``: projection panels (column, title), declared by the core and the organs (models/core.py); read
    on first use so that importing the charts does not load the model."""
    if name == "PANELS":
        from ..models.core import PANELS

        return PANELS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Measured lab fields that have a trajectory column: field -> (column, factor from the canonical unit).
MEASURED: dict[str, tuple[str, float]] = {
    "fasting_glucose": ("fasting_glucose_mmol_l", 1 / GLUCOSE_MG_DL_PER_MMOL_L),  # mg/dL -> mmol/L
    "hba1c": ("hba1c_percent", 1.0),
    "weight": ("weight_kg", 1.0),
    "fasting_insulin": ("fasting_insulin_uiu_ml", 1.0),
}


def _diagnostic_lines() -> dict[str, tuple[float, float]]:
    """Column -> (prediabetes, diabetes) cut-offs on the column's scale (ADA 2025), drawn on the projection charts."""
    from ..assessment.formulas import ADA_2025_CUTOFFS

    column = {"fasting_glucose": "fasting_glucose_mmol_l", "glucose_2h": "glucose_2h_mmol_l", "hba1c": "hba1c_percent"}
    return {column[k]: (pre / GLUCOSE_MG_DL_PER_MMOL_L, dm / GLUCOSE_MG_DL_PER_MMOL_L) if unit == "mg/dL" else (pre, dm)
            for k, pre, dm, unit in ADA_2025_CUTOFFS}


def _measured(measurements: Sequence[dict], col: str) -> tuple[list, list]:
    """Years and values (on the column's scale) of the measured labs that have trajectory column ``col``."""
    pts = [m for m in measurements if MEASURED.get(m["field"], ("",))[0] == col]
    return [m["year"] for m in pts], [m["canonical"] * MEASURED[m["field"]][1] for m in pts]


#: A map label keeps this many grid cells from its region's edge and, where the region allows, from the paths.
LABEL_MARGIN, LABEL_CLEARANCE = 2, 8


def _region_labels(s, b, z, paths=()) -> list[tuple[str, float, float]]:
    """(label, sensitivity, capacity) of each region present: a cell inside the region (``LABEL_MARGIN`` cells
    from its edge where it is wide enough) as far from the projected ``paths`` (sensitivity and capacity arrays) as
    ``LABEL_CLEARANCE`` cells allows, then nearest the region's centroid."""
    ls, lb = np.log(s), np.log(b)
    pts = [(np.interp(np.log(np.asarray(x, float)), ls, np.arange(len(s))),
            np.interp(np.log(np.asarray(y, float)), lb, np.arange(len(b)))) for x, y in paths]
    px = np.concatenate([p[0] for p in pts]) if pts else np.zeros(0)
    py = np.concatenate([p[1] for p in pts]) if pts else np.zeros(0)
    out = []
    for k, (label, _) in enumerate(REGIONS):
        inside = z == k
        if not inside.any():
            continue
        core = inside.copy()
        for _ in range(LABEL_MARGIN):  # erosion: cells whose four neighbours are in the region too
            pad = np.pad(core, 1, constant_values=False)
            core = core & pad[:-2, 1:-1] & pad[2:, 1:-1] & pad[1:-1, :-2] & pad[1:-1, 2:]
        iy, ix = np.nonzero(core if core.any() else inside)
        centre = (ix - ix.mean()) ** 2 + (iy - iy.mean()) ** 2
        clear = (np.sqrt(np.min((ix[:, None] - px[None]) ** 2 + (iy[:, None] - py[None]) ** 2, axis=1))
                 if len(px) else np.full(len(ix), float(LABEL_CLEARANCE)))
        best = np.lexsort((centre, -np.minimum(clear, LABEL_CLEARANCE)))[0]
        out.append((label, s[ix[best]], b[iy[best]]))
    return out


def _paths(df) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each scenario's projected path on the map: (sensitivity, capacity)."""
    return [(g["muscle_insulin_sensitivity_rel"].to_numpy(), secretory_capacity(g).to_numpy())
            for _, g in df.groupby("scenario", sort=False)]


def shown(scenario: str) -> str:
    """A scenario's name on a chart: the scenario-free projection reads "untreated (no change)"."""
    from ..scenarios.schema import BASELINE

    return "untreated (no change)" if scenario == BASELINE.name else str(scenario)


def column_label(col: str) -> str:
    """A trajectory column in words with its unit: the chart title where the column has a panel ("HbA1c (%)"),
    else its description ("HOMA1 beta-cell function (%)"). Keys stay in the tables and JSON."""
    from ..models.core import COLUMN_INFO, PANELS

    titles = dict(PANELS)
    if col in titles:
        return titles[col]
    unit, text = COLUMN_INFO.get(col, ("", ""))
    text = text.split(" (")[0].split(":")[0] if unit else col.replace("_", " ")  # no citation; categories by key
    return f"{text[0].upper()}{text[1:]}" + (f" ({unit})" if unit and unit not in ("1", "index", "year") else "")


def _mpl_diagnostic_lines(ax, col: str) -> None:
    """The ADA prediabetes and diabetes cut-offs on a matplotlib axis, where they apply to ``col``."""
    for y, label in zip(_diagnostic_lines().get(col, ()), ("prediabetes", "diabetes")):
        ax.axhline(y, color="#888", ls=":", lw=1)
        ax.annotate(label, (0, y), xycoords=("axes fraction", "data"), fontsize=7, color="#666",
                    xytext=(2, 2), textcoords="offset points")


def _plotly_diagnostic_lines(fig, column: str, **where) -> None:
    """The same cut-offs on a plotly figure (``where``: row and col of a subplot)."""
    for y, label in zip(_diagnostic_lines().get(column, ()), ("prediabetes", "diabetes")):
        fig.add_hline(y=y, line={"dash": "dot", "width": 1, "color": "#888"}, annotation_text=label,
                      annotation_position="top left", annotation_font={"size": 10, "color": "#666"}, **where)


#: Where-am-I regions (ADA status at year 0's model state), colours by status.
REGIONS = (("NGT", "#d9f0d3"), ("prediabetes", "#fee8a8"), ("T2D", "#f8c4c0"))
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def present_panels(columns: Iterable[str]) -> list[tuple[str, str]]:
    from ..models.core import PANELS

    cols = set(columns)
    return [(c, t) for c, t in PANELS if c in cols]


def projection_figures(df, measurements: Sequence[dict] = ()) -> list:
    """One small chart per present panel, one line per scenario; measured values as crosses."""
    import plotly.graph_objects as go

    groups = list(df.groupby("scenario", sort=False))
    figs = []
    for col, title in present_panels(df.columns):
        fig = go.Figure()
        for j, (name, g) in enumerate(groups):
            fig.add_trace(go.Scatter(x=g["year"].to_numpy(), y=g[col].to_numpy(), name=shown(name), mode="lines",
                                     line={"color": PALETTE[j % len(PALETTE)]}))
        xs, ys = _measured(measurements, col)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name="measured",
                                     marker={"color": "black", "size": 9, "symbol": "x"}))
        _plotly_diagnostic_lines(fig, col)
        fig.update_xaxes(title_text="years from now")
        fig.update_layout(title={"text": title, "font": {"size": 14}}, height=280, template="plotly_white",
                          margin={"l": 45, "r": 10, "t": 40, "b": 40}, legend={"orientation": "h", "y": -0.3})
        figs.append(fig)
    return figs


@lru_cache(maxsize=8)
def region_grid(weight_kg: float, n: int = 90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ADA status (0 NGT, 1 prediabetes, 2 T2D) over insulin sensitivity x beta-cell capacity, from the meal
    surrogate at this body weight: liver = muscle sensitivity, beta-cell function normal and mass varied (so
    capacity = mass x function), HbA1c from the day-mean glucose (ADAG). An approximation of the model's map."""
    from ..models import meal_surrogate as ms
    from ..models import progression as pm

    lo_s, hi_s = ms.KNOB_RANGE["muscle_si"]
    lo_b, hi_b = ms.KNOB_RANGE["beta_mass"]
    s = np.geomspace(max(lo_s, 0.01), min(hi_s, 3.0), n)
    b = np.geomspace(max(lo_b, 0.05), min(hi_b, 8.0), n)
    S, B = np.meshgrid(s, b)
    w = float(np.clip(weight_kg, *ms.WEIGHT_RANGE_KG))
    f = ms.table().lookup({"muscle_si": S, "liver_si": S, "beta_mass": B, "beta_function": np.ones_like(S)},
                          np.full_like(S, w))
    a1c = (np.asarray(f["day_mean_glucose_mg_dl"]) + pm.c("glycaemia.adag_intercept")) / pm.c("glycaemia.adag_slope")
    code = np.asarray(pm.status_code(np.asarray(f["fasting_glucose_mg_dl"]), np.asarray(f["ogtt_glucose_120"]), a1c))
    return s, b, np.where(code == 4, 2, np.where(code > 0, 1, 0)).astype(float)


def secretory_capacity(rows):
    """Beta-cell capacity on the map's axis: functional mass x secretory function x oral stimulated responsivity
    (intravenous responsivity x incretin effect)."""
    return (rows["beta_cell_mass_rel"] * rows["beta_cell_function_rel"] * rows["beta_cell_responsivity_rel"]
            * rows["incretin_effect_rel"])


def where_figure(df):
    """The person on the road to diabetes: insulin sensitivity (x) against beta-cell capacity (y), regions shaded,
    year 0 marked, the projected path per scenario."""
    import plotly.graph_objects as go

    s, b, z = region_grid(round(float(df["weight_kg"].iloc[0])))
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=s, y=b, z=z, zmin=0, zmax=2, showscale=False, hoverinfo="skip", name="regions",
                             colorscale=[[0, REGIONS[0][1]], [0.5, REGIONS[1][1]], [1, REGIONS[2][1]]]))
    for label, x, y in _region_labels(s, b, z, _paths(df)):  # log axes: annotations in log10 coordinates
        fig.add_annotation(text=f"<b>{label}</b>", x=np.log10(x), y=np.log10(y), showarrow=False,
                           font={"size": 13, "color": "#333"})
    for j, (name, g) in enumerate(df.groupby("scenario", sort=False)):
        cap = secretory_capacity(g).to_numpy()
        fig.add_trace(go.Scatter(x=g["muscle_insulin_sensitivity_rel"].to_numpy(), y=cap, mode="lines+markers",
                                 name=shown(name), line={"color": PALETTE[j % len(PALETTE)]}, marker={"size": 4},
                                 text=[f"year {y:g}: {st}" for y, st in zip(g["year"], g["glycemic_status"])],
                                 hovertemplate="%{text}<br>sensitivity %{x:.2f}<br>beta-cell capacity %{y:.2f}"))
    first = df.iloc[0]
    fig.add_trace(go.Scatter(x=[first["muscle_insulin_sensitivity_rel"]],
                             y=[secretory_capacity(first)], mode="markers",
                             name="you now", marker={"size": 14, "color": "black", "symbol": "star"}))
    fig.update_xaxes(type="log", title_text="insulin sensitivity (x normal)")
    fig.update_yaxes(type="log", title_text="beta-cell capacity, mass x function x responsivity (x normal)")
    fig.update_layout(height=460, margin={"l": 60, "r": 20, "t": 30, "b": 50}, template="plotly_white",
                      legend={"orientation": "h", "y": -0.2})
    return fig


def _svg(fig) -> str:
    """A matplotlib figure as inline SVG (no XML prolog; scales to its container)."""
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    pyplot().close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return text.replace("<svg ", "<svg style='max-width:100%;height:auto' ", 1)


def projection_svgs(df, measurements: Sequence[dict] = ()) -> list[str]:
    """The projection panels as static SVG (the kept report: small, printable, no script): one per present panel,
    one line per scenario, measured values as crosses, the ADA prediabetes and diabetes lines where they apply."""
    plt = pyplot()
    groups = list(df.groupby("scenario", sort=False))
    out = []
    for col, title in present_panels(df.columns):
        fig, ax = plt.subplots(figsize=(4.6, 2.9))
        for j, (name, g) in enumerate(groups):
            ax.plot(g["year"], g[col], color=PALETTE[j % len(PALETTE)], label=shown(name), lw=1.8)
        xs, ys = _measured(measurements, col)
        if xs:
            ax.plot(xs, ys, "kx", ms=8, mew=2, label="measured")
        _mpl_diagnostic_lines(ax, col)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("years from now", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
        out.append(_svg(fig))
    return out


def where_svg(df) -> str:
    """The where-am-I map as static SVG: regions (rasterised), the paths per scenario, the star at year 0."""
    plt = pyplot()
    s, b, z = region_grid(round(float(df["weight_kg"].iloc[0])))
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.pcolormesh(s, b, z, cmap=ListedColormap([c for _, c in REGIONS]), vmin=-0.5, vmax=2.5, shading="auto",
                  rasterized=True)
    for label, x, y in _region_labels(s, b, z, _paths(df)):
        ax.text(x, y, label, ha="center", va="center", fontsize=10, weight="bold", color="#333")
    for j, (name, g) in enumerate(df.groupby("scenario", sort=False)):
        ax.plot(g["muscle_insulin_sensitivity_rel"], secretory_capacity(g), "-o", ms=2.5, lw=1.6,
                color=PALETTE[j % len(PALETTE)], label=shown(name))
    first = df.iloc[0]
    ax.plot([first["muscle_insulin_sensitivity_rel"]], [secretory_capacity(first)], "k*", ms=14, label="you now")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("insulin sensitivity (x normal)", fontsize=9)
    ax.set_ylabel("beta-cell capacity (x normal)", fontsize=9)
    ax.legend(fontsize=8, loc="lower left")
    return _svg(fig)


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def savefig_png(fig, path: Path) -> None:
    fig.savefig(path, dpi=110)
    pyplot().close(fig)


def write_html(fig, path: Path) -> None:
    """A plotly figure as one self-contained page (JS inlined)."""
    fig.write_html(path, include_plotlyjs=True, full_html=True)


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
                fig.add_trace(go.Scatter(x=g["year"], y=g[col], name=shown(name), legendgroup=name, showlegend=k == 0),
                              row=k // 3 + 1, col=k % 3 + 1)
            _plotly_diagnostic_lines(fig, col, row=k // 3 + 1, col=k % 3 + 1)
        fig.update_layout(title="irsim projection (research and education software, not medical advice)")
        write_html(fig, path)
        return
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (col, title) in zip(axes.ravel(), panels):
        for name, g in df.groupby("scenario", sort=False):
            ax.plot(g["year"], g[col], label=shown(name))
        _mpl_diagnostic_lines(ax, col)
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
        write_html(fig, path)
        return
    plt = pyplot()
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


def plot_explanation(e, path: Path) -> None:
    """Horizontal bars of each pathway's contribution (PNG or self-contained HTML)."""
    df = e.pathways
    title = f"why {e.column} changes over {e.years:g} years (research and education software, not medical advice)"
    if path.suffix.lower() == ".html":
        import plotly.graph_objects as go

        fig = go.Figure(go.Bar(x=df["contribution"], y=df["label"], orientation="h", text=df["sentence"]))
        fig.update_layout(title=title, xaxis_title=f"contribution to {e.column}")
        write_html(fig, path)
        return
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(df) + 1.5), constrained_layout=True)
    ax.barh(df["label"], df["contribution"], color=["#c0392b" if c > 0 else "#2e86c1" for c in df["contribution"]])
    ax.axvline(0, color="k", lw=0.8)
    ax.invert_yaxis()
    ax.set_xlabel(f"contribution to {'cumulative hazard' if e.kind == 'hazard' else 'change in'} {e.column}")
    ax.set_title(title, fontsize=8)
    savefig_png(fig, path)


def plot_meal(df, path: Path, title: str) -> None:
    """Glucose, insulin and fluxes after a meal: self-contained HTML (plotly inlined: machines may have no network)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=(
        "Plasma glucose (mg/dL)", "Plasma insulin (pmol/L)", "Glucose fluxes (mg/kg/min)"))
    fig.add_scatter(x=df.time_min, y=df.glucose_mg_dl, name="glucose", row=1, col=1)
    fig.add_scatter(x=df.time_min, y=df.insulin_pmol_l, name="insulin", row=2, col=1)
    for c, n in (("ra_mg_kg_min", "Ra (meal)"), ("egp_mg_kg_min", "EGP"), ("uptake_mg_kg_min", "utilisation"),
                 ("renal_mg_kg_min", "renal")):
        fig.add_scatter(x=df.time_min, y=df[c], name=n, row=3, col=1)
    fig.update_xaxes(title_text="time (min)", row=3, col=1)
    fig.update_layout(title=f"{title}<br><sup>{DISCLAIMER}</sup>", height=900)
    write_html(fig, Path(path))


#: Panels of the personal twin's fan chart (irsim twin --plot).
TWIN_PANELS = (("fasting_glucose_mmol_l", "fasting glucose (mmol/L)"), ("hba1c_percent", "HbA1c (%)"),
               ("glucose_2h_mmol_l", "2-h OGTT glucose (mmol/L)"), ("weight_kg", "weight (kg)"),
               ("homa1_ir", "HOMA1-IR"), ("liver_fat_percent", "liver fat (%)"))
_FAN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


#: Panels of the fan chart on the page and in the report (a subset of :data:`TWIN_PANELS`).
CHANCE_PANELS = TWIN_PANELS[:2] + TWIN_PANELS[3:4]


def _fan_points(visits_fit: Sequence[dict], col: str):
    """Years, measured values and the posterior predictive 90 % interval of each visit that measured ``col``."""
    xs, ys, lo, hi = [], [], [], []
    for v in visits_fit:
        lab = v["labs"].get(col)
        if lab is not None:
            xs.append(v["years"]), ys.append(lab["measured"]), lo.append(lab["q05"]), hi.append(lab["q95"])
    return xs, ys, lo, hi


def _fan_colours(bands) -> dict:
    return {s: _FAN_COLOURS[k % len(_FAN_COLOURS)] for k, s in enumerate(dict.fromkeys(bands["scenario"]))}


def _fan_traces(bands, col: str, visits_fit: Sequence[dict], legend: bool) -> list:
    """Plotly traces of one fan panel: each scenario's 90 % and 50 % bands and median, the measured visits."""
    import plotly.graph_objects as go

    traces = []
    for s, colour in _fan_colours(bands).items():
        g = bands[(bands["scenario"] == s) & (bands["variable"] == col)]
        for lo, hi, op in (("q05", "q95", 0.15), ("q25", "q75", 0.3)):
            traces.append(go.Scatter(x=list(g["year"]) + list(g["year"])[::-1], y=list(g[hi]) + list(g[lo])[::-1],
                                     fill="toself", fillcolor=colour, opacity=op, line={"width": 0},
                                     hoverinfo="skip", showlegend=False, legendgroup=s))
        traces.append(go.Scatter(x=g["year"], y=g["q50"], name=shown(s), legendgroup=s, showlegend=legend,
                                 line={"color": colour}))
    xs, ys, lo, hi = _fan_points(visits_fit, col)
    if xs:
        traces.append(go.Scatter(x=xs, y=ys, mode="markers", name="measured", legendgroup="measured",
                                 showlegend=legend, marker={"color": "black"},
                                 error_y={"type": "data", "symmetric": False, "array": [h - y for h, y in zip(hi, ys)],
                                          "arrayminus": [y - lw for y, lw in zip(ys, lo)]}))
    return traces


def _fan_axes(ax, bands, col: str, visits_fit: Sequence[dict]) -> None:
    """One fan panel on a matplotlib axis (as :func:`_fan_traces`)."""
    for s, colour in _fan_colours(bands).items():
        g = bands[(bands["scenario"] == s) & (bands["variable"] == col)]
        ax.fill_between(g["year"], g["q05"], g["q95"], color=colour, alpha=0.15, lw=0)
        ax.fill_between(g["year"], g["q25"], g["q75"], color=colour, alpha=0.3, lw=0)
        ax.plot(g["year"], g["q50"], color=colour, label=shown(s))
    xs, ys, lo, hi = _fan_points(visits_fit, col)
    if xs:
        ax.errorbar(xs, ys, yerr=[[y - lw for y, lw in zip(ys, lo)], [h - y for h, y in zip(hi, ys)]], fmt="o",
                    color="black", ms=4, capsize=2, label="measured (90 % predictive interval)")
    ax.axvline(0.0, color="grey", lw=0.6)
    _mpl_diagnostic_lines(ax, col)
    ax.grid(alpha=0.3)


def fan_figures(bands, visits_fit: Sequence[dict] = (), panels=CHANCE_PANELS) -> list:
    """The fan chart as one small plotly figure per panel (the page): median, 50 % and 90 % bands per scenario."""
    import plotly.graph_objects as go

    figs = []
    for col, title in panels:
        fig = go.Figure(_fan_traces(bands, col, visits_fit, legend=True))
        _plotly_diagnostic_lines(fig, col)
        fig.update_xaxes(title_text="years from now")
        fig.update_layout(title={"text": f"{title}: median, 50 % and 90 % of people like you", "font": {"size": 13}},
                          height=280, template="plotly_white", margin={"l": 45, "r": 10, "t": 40, "b": 40},
                          legend={"orientation": "h", "y": -0.3})
        figs.append(fig)
    return figs


def fan_svgs(bands, visits_fit: Sequence[dict] = (), panels=CHANCE_PANELS) -> list[str]:
    """The fan chart as static SVG, one per panel (the kept report)."""
    plt = pyplot()
    out = []
    for col, title in panels:
        fig, ax = plt.subplots(figsize=(4.6, 2.9))
        _fan_axes(ax, bands, col, visits_fit)
        ax.set_title(f"{title}: median, 50 % and 90 % bands", fontsize=9)
        ax.set_xlabel("years from now", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, frameon=False)
        out.append(_svg(fig))
    return out


def plot_fan(bands, visits_fit: Sequence[dict], path: Path) -> None:
    """The personal twin's fan chart: per panel, each scenario's median with its 50 % and 90 % bands from now,
    the measured visits as points (years before now) with the posterior predictive 90 % interval at each visit.
    PNG (matplotlib) or self-contained HTML (plotly)."""
    panels = [(c, t) for c, t in TWIN_PANELS if c in set(bands["variable"])]
    title = f"irsim personal twin: median, 50 % and 90 % bands — {DISCLAIMER}"
    if path.suffix.lower() == ".html":
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=2, cols=3, subplot_titles=[t for _, t in panels])
        for k, (col, _) in enumerate(panels):
            for tr in _fan_traces(bands, col, visits_fit, legend=k == 0):
                fig.add_trace(tr, row=k // 3 + 1, col=k % 3 + 1)
            _plotly_diagnostic_lines(fig, col, row=k // 3 + 1, col=k % 3 + 1)
        fig.update_layout(title={"text": title, "font": {"size": 12}})
        fig.update_xaxes(title_text="years from the last visit")
        write_html(fig, path)
        return
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), constrained_layout=True)
    for ax, (col, ttl) in zip(axes.ravel(), panels):
        _fan_axes(ax, bands, col, visits_fit)
        ax.set_title(ttl, fontsize=10)
        ax.set_xlabel("years from the last visit")
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    savefig_png(fig, path)
