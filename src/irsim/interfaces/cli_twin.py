"""`irsim twin`: a personal twin, the progression model fitted to a person's visits and projected with bands
(issue #14; docs/twin.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .. import DISCLAIMER
from ..errors import InputError, Problem
from .console import FIGURES, check_suffixes, err, fail, out, save

#: Trajectory columns shown in the terminal table (median and 90 % band at the horizon).
SHOWN = ("fasting_glucose_mmol_l", "glucose_2h_mmol_l", "hba1c_percent", "weight_kg", "homa1_ir",
         "liver_fat_percent", "egfr_ml_min")


def register(app: typer.Typer) -> None:
    @app.command()
    def twin(
        history: Path = typer.Argument(..., help="History: a person file with dated 'visits' (.json, .yaml), a FHIR "
                                       "R4 Bundle (visits by date) or a plain person file (one visit)."),
        years: float = typer.Option(20.0, "--years", help="Years to project from the last visit (1-100)."),
        scenario: Optional[List[Path]] = typer.Option(None, "--scenario", "-s", help="Scenario YAML (repeatable)."),
        draws: int = typer.Option(400, "--draws", help="Posterior draws (1-100,000)."),
        method: str = typer.Option("laplace", "--method", help="laplace (fast) or nuts (NumPyro, the reference)."),
        seed: int = typer.Option(0, "--seed", help="Random seed."),
        out_file: Path = typer.Option(..., "--out", "-o", help="Bands: .csv (scenario, year, variable, q05 ... q95)."),
        json_file: Optional[Path] = typer.Option(None, "--json", help="Summary: parameters, diagnostics, event "
                                                 "probabilities, the visits' fit (.json)."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Fan chart: .png or .html."),
        fhir: Optional[Path] = typer.Option(None, "--fhir", help="The projection as a FHIR R4 Bundle (.json)."),
        predictive: bool = typer.Option(False, "--predictive", help="Bands of measured values (with measurement "
                                        "noise) instead of the person's true values."),
    ) -> None:
        """A personal twin: fit the model to a person's visits, project with uncertainty bands."""
        from ..io.readers import read_history
        from ..scenarios.schema import Scenario

        try:
            check_suffixes(("--out", out_file, (".csv",)), ("--json", json_file, (".json",)), ("--plot", plot, FIGURES),
                           ("--fhir", fhir, (".json",)))
            problems = []
            if method not in ("laplace", "nuts"):
                problems.append(Problem("--method", f"{method!r} is not one of laplace, nuts"))
            if not 1 <= draws <= 100_000:
                problems.append(Problem("--draws", f"{draws} must be between 1 and 100,000"))
            if not 1 <= years <= 100:
                problems.append(Problem("--years", f"{years:g} must be between 1 and 100"))
            if problems:
                raise InputError(problems)
            hist = read_history(history)
            scenarios = [Scenario.read(s) for s in (scenario or [])]
            from ..inference import twin as tw

            with err.status(f"fitting the twin ({method}, {draws} draws)..."):
                posterior = tw.fit(hist, method=method, draws=draws, seed=seed)
            with err.status("projecting the draws..."):
                proj = tw.simulate(posterior, years, scenarios, predictive=predictive, seed=seed)
        except InputError as exc:
            fail(exc)
        save(out_file, lambda path: proj.bands.to_csv(path, index=False))
        summary = summary_dict(posterior, proj, years, predictive, seed)
        save(json_file, lambda path: path.write_text(json.dumps(summary, indent=2, allow_nan=False), encoding="utf-8"))
        if plot is not None:
            from ..reporting.figures import plot_fan

            save(plot, lambda path: plot_fan(proj.bands, proj.visits_fit, path))
        if fhir is not None:
            from ..io.fhir import twin_bundle

            bundle = twin_bundle(hist.now, proj.bands, proj.probability, date=hist.visits[-1].date)
            save(fhir, lambda path: path.write_text(json.dumps(bundle, indent=2), encoding="utf-8"))
        _print(summary, proj, years, len(hist.visits))

    def _print(summary, proj, years, n_visits) -> None:
        from rich.table import Table

        b = proj.bands
        last = b[b["year"] == b["year"].max()]
        scen = list(dict.fromkeys(b["scenario"]))
        d = summary["diagnostics"]
        t = Table(title=f"personal twin from {n_visits} visit(s), at {years:g} years: median (90 % band) — "
                        f"{DISCLAIMER}")
        t.add_column("variable")
        for s in scen:
            t.add_column(s, justify="right")
        for v in SHOWN:
            rows = last[last["variable"] == v].set_index("scenario")
            if len(rows):
                t.add_row(v, *[f"{rows.loc[s, 'q50']:.2f} ({rows.loc[s, 'q05']:.2f}-{rows.loc[s, 'q95']:.2f})"
                               for s in scen])
        for ev, by_year in summary["probability"]["baseline"].items():
            key = max(by_year, key=float)
            t.add_row(f"P({ev}) by year {key}", *[f"{100 * summary['probability'][s][ev][key]:.1f} %" for s in scen])
        out.print(t)
        if d["method"] == "nuts":
            out.print(f"NUTS: R-hat max {d['rhat_max']:.3f}, ESS min {d['ess_min']:.0f}, "
                      f"divergences {d['divergences']}")
        if summary["assumed"]:
            out.print("assumed at the first visit (not in the person's data): " + "; ".join(summary["assumed"]))


def _clean(x):
    """JSON-safe numbers (NaN -> None)."""
    import math

    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def summary_dict(posterior, proj, years: float, predictive: bool, seed: int) -> dict:
    """summary.json: parameters, diagnostics, probability.<scenario>.<event>.<year>, visits_fit."""
    from ..inference import twin as tw

    diag = {k: (float(v) if isinstance(v, float) else v) for k, v in posterior.diagnostics.items()}
    return _clean({
        "disclaimer": DISCLAIMER,
        "method": diag["method"], "draws": int(len(posterior.draws)), "seed": seed, "years": years,
        "predictive": predictive, "seconds_fit": posterior.seconds,
        "parameters": tw.parameter_summary(posterior),
        "latents": {name: {"mean": float(posterior.draws[:, i].mean()), "sd": float(posterior.draws[:, i].std())}
                    for i, name in enumerate(tw.NAMES)},
        "diagnostics": diag,
        "probability": proj.probability,
        "visits_fit": proj.visits_fit,
        "assumed": posterior.setup.assumed,
    })
