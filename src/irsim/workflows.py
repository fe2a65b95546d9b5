"""The library layer every face calls (the CLI, the web app, a notebook): projections, the HTML report, meal and
OGTT runs. Faces parse input and present output; the work happens here."""

from __future__ import annotations

import numpy as np

from .errors import InputError, Problem


def projection(person, years: float, scenarios, step: str = "year"):
    """Baseline plus ``scenarios`` (names must differ): the trajectory without the person column, and what was
    assumed."""
    from .cohort.progression import simulate as run
    from .scenarios.schema import BASELINE

    scenarios = [BASELINE] + list(scenarios)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError([Problem("scenario", f"scenario names must differ (baseline is built in): {names}")])
    df = run(person, years=years, scenarios=scenarios, step=step)
    out = df.drop(columns=["person"])
    out.attrs = dict(df.attrs)
    return out, df.attrs.get("assumed", [[]])[0]


#: Draws of a person's unknowns behind event chances and fan charts (simulate --events, the page, the report).
CHANCE_DRAWS = 200


def uncertain_projection(person, years: float, scenarios, draws: int = CHANCE_DRAWS, seed: int = 0, history=None):
    """The person's projection over draws of what their labs leave unknown (the progression random effects a
    cohort draws, their energy intake, their true labs around the measured ones): the personal twin fitted to
    ``history`` (its visits), or to the person's one visit, where the posterior is the population prior. Returns
    :class:`irsim.inference.twin.Projection` (bands, event probabilities, each draw's trajectories)."""
    from .inference import twin
    from .schemas.history import History

    post = twin.fit(history if history is not None else History.of(person), "laplace", draws=draws, seed=seed)
    return twin.simulate(post, years, scenarios, seed=seed)


def build_report(person, scenarios, years: float, measurements=(), history=None) -> str:
    """Assessment and projection of ``person`` under baseline + ``scenarios``, with the chances of each event over
    draws of what the labs leave unknown (``history``: the twin's visits), as one HTML page."""
    from .assessment.api import assess
    from .reporting.report import report_html
    from .scenarios.schema import BASELINE

    result = assess(person)
    df, assumed = projection(result.person, years, scenarios)
    uncertain = uncertain_projection(result.person, years, scenarios, history=history)
    return report_html(result, df, [BASELINE, *scenarios], assumed, measurements, uncertain)


def ogtt_load(person) -> float | None:
    """Glucose load of the person's OGTT in g (None: the standard 75 g)."""
    labs = getattr(person, "labs", None)
    return getattr(getattr(labs, "ogtt", None), "glucose_load_g", None)


def meal_subject(subject, body_weight_kg: float | None, name: str | None = None):
    """Meal-model parameters for 'normal', 't2d' or a Person: a Person's knobs are fitted to their OGTT when they
    have one, else the normal mean subject at their weight. Returns (params, label, note-or-None)."""
    from .models import meal as M

    if isinstance(subject, str):
        return M.subject(subject, body_weight_kg=body_weight_kg), subject, None
    name = name or subject.id or "person"
    bw = body_weight_kg if body_weight_kg is not None else subject.canonical("weight")
    ogtt = subject.ogtt_canonical()
    note = None
    if ogtt is not None:
        from .inference.fit_ogtt import OGTTRefused, fit_ogtt

        try:
            fit = fit_ogtt(ogtt[0], ogtt[1], ogtt[2], body_weight_kg=bw, dose_g=ogtt_load(subject))
        except OGTTRefused as exc:
            note = f"the person's OGTT was not used ({exc}); using the normal mean subject"
        else:
            return fit.params, f"{name} (knobs fitted to the person's OGTT)", None
    return M.subject("normal", body_weight_kg=bw), f"{name} (normal mean subject at the person's weight)", note


def meal_run(subject, glucose_g: float, body_weight_kg: float | None, minutes: int, name: str | None = None):
    """(per-minute table, summary, note-or-None) after ``glucose_g`` of oral glucose at t=0; ``subject`` as in
    :func:`meal_subject`. Limits are checked by the face (:mod:`irsim.schemas.requests`)."""
    from .models import meal as M

    params, label, note = meal_subject(subject, body_weight_kg, name)
    df = M.meal_dataframe(params, M.Schedule.meal(glucose_g), np.arange(0.0, minutes + 1.0))
    return df, meal_summary(df, label, glucose_g, float(np.asarray(params.BW).ravel()[0])), note


def meal_summary(df, label: str, grams: float, bw: float) -> dict:
    """Fasting and peak values, and the 2-h glucose with its ADA class when the run reaches 120 min."""
    from .models import meal as M

    g = df.glucose_mg_dl.to_numpy()
    i = df.insulin_pmol_l.to_numpy()
    t = df.time_min.to_numpy()
    s = {
        "subject": label, "oral_glucose_g": grams, "body_weight_kg": bw,
        "fasting_glucose_mg_dl": float(g[0]), "fasting_glucose_mmol_l": float(g[0] / M.GLUCOSE_MG_DL_PER_MMOL_L),
        "fasting_insulin_pmol_l": float(i[0]), "fasting_insulin_uiu_ml": float(i[0] / M.INSULIN_PMOL_L_PER_UIU_ML),
        "peak_glucose_mg_dl": float(g.max()), "peak_glucose_time_min": float(t[g.argmax()]),
        "peak_insulin_pmol_l": float(i.max()), "peak_insulin_time_min": float(t[i.argmax()]),
    }
    if t[-1] >= 120:
        g120 = float(g[t == 120][0]) if np.any(t == 120) else float(np.interp(120, t, g))
        s["glucose_120_min_mg_dl"] = g120
        s["ada_2h_class"] = M.ada_ogtt_class(g120)
    return s
