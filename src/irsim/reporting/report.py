"""Projection charts, the "where am I" map and the self-contained HTML report. Needs plotly only (no web stack).

The page (irsim serve) and `irsim report` draw the same figures from these functions.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

from .. import DISCLAIMER, __version__
from ..units import GLUCOSE_MG_DL_PER_MMOL_L

#: Projection panels: (column, title); every column is a trajectory column (tests/test_reporting.py).
PANELS: tuple[tuple[str, str], ...] = (
    ("fasting_glucose_mmol_l", "Fasting glucose (mmol/L)"),
    ("glucose_2h_mmol_l", "2-h OGTT glucose (mmol/L)"),
    ("hba1c_percent", "HbA1c (%)"),
    ("weight_kg", "Weight (kg)"),
    ("homa1_ir", "HOMA1-IR"),
    ("liver_fat_percent", "Liver fat (%)"),
    ("egfr_ml_min", "eGFR (mL/min/1.73 m²)"),
    ("cvd_events_expected", "CVD events expected"),
)

#: Measured lab fields that have a trajectory column: field -> (column, factor from the canonical unit).
MEASURED: dict[str, tuple[str, float]] = {
    "fasting_glucose": ("fasting_glucose_mmol_l", 1 / GLUCOSE_MG_DL_PER_MMOL_L),  # mg/dL -> mmol/L
    "hba1c": ("hba1c_percent", 1.0),
    "weight": ("weight_kg", 1.0),
    "fasting_insulin": ("fasting_insulin_uiu_ml", 1.0),
}

#: Where-am-I regions (ADA status at year 0's model state), colours by status.
REGIONS = (("NGT", "#d9f0d3"), ("prediabetes", "#fee8a8"), ("T2D", "#f8c4c0"))
GRID_CSS = ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:.5rem}"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def present_panels(columns: Iterable[str]) -> list[tuple[str, str]]:
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
            fig.add_trace(go.Scatter(x=g["year"].to_numpy(), y=g[col].to_numpy(), name=str(name), mode="lines",
                                     line={"color": PALETTE[j % len(PALETTE)]}))
        pts = [m for m in measurements if MEASURED.get(m["field"], ("",))[0] == col]
        if pts:
            fig.add_trace(go.Scatter(x=[m["year"] for m in pts], y=[m["canonical"] * MEASURED[m["field"]][1] for m in pts],
                                     mode="markers", name="measured", marker={"color": "black", "size": 9, "symbol": "x"}))
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


def where_figure(df):
    """The person on the road to diabetes: insulin sensitivity (x) against beta-cell capacity (y), regions shaded,
    year 0 marked, the projected path per scenario."""
    import plotly.graph_objects as go

    s, b, z = region_grid(round(float(df["weight_kg"].iloc[0])))
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=s, y=b, z=z, zmin=0, zmax=2, showscale=False, hoverinfo="skip", name="regions",
                             colorscale=[[0, REGIONS[0][1]], [0.5, REGIONS[1][1]], [1, REGIONS[2][1]]]))
    for k, (label, _) in enumerate(REGIONS):  # label each region at its middle cell (log axes)
        iy, ix = np.nonzero(z == k)
        if len(ix):
            mid = np.argmin((ix - ix.mean()) ** 2 + (iy - iy.mean()) ** 2)  # the region's cell nearest its centroid
            fig.add_annotation(text=f"<b>{label}</b>", x=np.log10(s[ix[mid]]), y=np.log10(b[iy[mid]]),
                               showarrow=False, font={"size": 13, "color": "#333"})
    for j, (name, g) in enumerate(df.groupby("scenario", sort=False)):
        cap = (g["beta_cell_mass_rel"] * g["beta_cell_function_rel"]).to_numpy()
        fig.add_trace(go.Scatter(x=g["muscle_insulin_sensitivity_rel"].to_numpy(), y=cap, mode="lines+markers",
                                 name=str(name), line={"color": PALETTE[j % len(PALETTE)]}, marker={"size": 4},
                                 text=[f"year {y:g}: {st}" for y, st in zip(g["year"], g["glycemic_status"])],
                                 hovertemplate="%{text}<br>sensitivity %{x:.2f}<br>beta-cell capacity %{y:.2f}"))
    first = df.iloc[0]
    fig.add_trace(go.Scatter(x=[first["muscle_insulin_sensitivity_rel"]],
                             y=[first["beta_cell_mass_rel"] * first["beta_cell_function_rel"]], mode="markers",
                             name="you now", marker={"size": 14, "color": "black", "symbol": "star"}))
    fig.update_xaxes(type="log", title_text="insulin sensitivity (x normal)")
    fig.update_yaxes(type="log", title_text="beta-cell capacity, mass x function (x normal)")
    fig.update_layout(height=460, margin={"l": 60, "r": 20, "t": 30, "b": 50}, template="plotly_white",
                      legend={"orientation": "h", "y": -0.2})
    return fig


def trajectory_payload(df) -> dict[str, Any]:
    """JSON-ready trajectory: {scenario: {column: [values]}} plus the glycaemic status per year."""
    out: dict[str, Any] = {}
    for name, g in df.groupby("scenario", sort=False):
        cols = {}
        for c in g.columns:
            if c in ("person", "scenario"):
                continue
            vals = g[c].tolist()
            cols[c] = [None if isinstance(v, float) and v != v else v for v in vals]
        out[str(name)] = cols
    return out


def report_html(assessment, df, scenarios, assumed: Sequence[str] = (), measurements: Sequence[dict] = ()) -> str:
    """Self-contained HTML: assessment per organ, where-am-I, projection, scenarios and assumptions (plotly inline)."""
    import plotly.io as pio

    from .assessment import CSS, assessment_sections

    e = html.escape
    pid = assessment.person.id
    years = float(df["year"].max())
    where = pio.to_html(where_figure(df), full_html=False, include_plotlyjs=True, config={"displaylogo": False})
    proj = "<div class=charts>" + "".join(
        f"<div>{pio.to_html(f, full_html=False, include_plotlyjs=False, config={'displaylogo': False})}</div>"
        for f in projection_figures(df, measurements)) + "</div>"
    last = df.groupby("scenario", sort=False).tail(1)
    rows = "".join(f"<tr><td>{e(str(r.scenario))}</td><td>{r.hba1c_percent:.2f}</td><td>{r.fasting_glucose_mmol_l:.2f}</td>"
                   f"<td>{r.weight_kg:.1f}</td><td>{e(str(r.glycemic_status))}</td>"
                   f"<td>{'-' if r.diagnosis_year != r.diagnosis_year else f'{r.diagnosis_year:g}'}</td></tr>"
                   for r in last.itertuples())
    scen = "".join(f"<li><b>{e(s.name)}</b>: {e(s.description or '')} "
                   f"{e('; '.join(_describe(iv) for iv in s.interventions) or 'no intervention')}</li>" for s in scenarios)
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'>"
             f"<title>irsim report{(' — ' + e(pid)) if pid else ''}</title><style>{CSS}{GRID_CSS}</style></head><body>",
             f"<h1>irsim report{(' — ' + e(pid)) if pid else ''}</h1>",
             f"<p class=note role=note><strong>{e(DISCLAIMER)}</strong></p>",
             "<h2>Where you stand</h2><p class=mech>Insulin sensitivity against beta-cell capacity; shaded regions are "
             "the model's glucose status (normal, prediabetes, type 2 diabetes) at your weight. The star is now; lines "
             "are the projected paths.</p>", where,
             f"<h2>Projection over {years:g} years</h2>", proj,
             f"<h2>After {years:g} years</h2><table><thead><tr><th>scenario</th><th>HbA1c (%)</th>"
             f"<th>fasting glucose (mmol/L)</th><th>weight (kg)</th><th>status</th><th>diabetes from year</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>",
             f"<h2>Scenarios</h2><ul>{scen}</ul>",
             "<h2>Assumptions</h2><ul>" + "".join(f"<li>{e(a)}</li>" for a in assumed) +
             "<li>Projections come from the irsim progression model (docs/progression.md): a model, not a forecast "
             "for an individual.</li></ul>",
             "<h2>Assessment</h2>", assessment_sections(assessment),
             f"<p class=ref>irsim {e(__version__)}</p></body></html>"]
    return "\n".join(parts)


def _describe(iv) -> str:
    fields = {k: v for k, v in iv.model_dump().items() if k not in ("type",) and v is not None}
    return f"{iv.type.replace('_', ' ')} (" + ", ".join(f"{k.replace('_', ' ')} {v:g}" if isinstance(v, float)
                                                       else f"{k.replace('_', ' ')} {v}" for k, v in fields.items()) + ")"
