"""The validation report: ``docs/validation.md`` (pass/fail table, one section per study, what was calibrated
and on what) with PNG plots in a folder named after it (``docs/validation/``) and the numbers as JSON."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np

from .. import __version__
from .. import parameters as _parameters
from .protocol import style_axes
from .targets import FAIL, NO_VALUE, PASS, Target, _fmt

_MARK = {PASS: "pass", FAIL: "**FAIL**", NO_VALUE: "no value"}


def fmt_model(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return _fmt(x)


#: Parameter files whose calibrated entries the report lists (the core and the organs).
CALIBRATED_FILES = ("progression", "organs", "medicines")


def calibrated_parameters() -> list[dict]:
    """Entries of the model's parameter files whose source says they were calibrated."""
    return [{"name": f"{file}:{key}", "value": p.value, "unit": p.unit_text, "source": p.source}
            for file in CALIBRATED_FILES for key, p in _parameters.parameter_set(file).items()
            if "calibrat" in p.source.lower()]


def summary(table: list[dict]) -> dict:
    """Pass counts by role: the headline is the held-out (``test``) pass rate; retired rows are not counted."""
    out = {}
    for role in ("test", "calibration"):
        sel = [row for row in table if row["target"].role == role and not row["target"].retired]
        c = Counter(row["result"] for row in sel)
        out[role] = {"targets": len(sel), "pass": c[PASS], "fail": c[FAIL], "no_value": c[NO_VALUE],
                     "pass_rate": (c[PASS] / len(sel)) if sel else None}
    counted = out["test"]["targets"] + out["calibration"]["targets"]
    out["held_out_share"] = out["test"]["targets"] / counted if counted else None
    out["retired"] = sum(1 for row in table if row["target"].retired)
    return out


def calibration_overlap(protocols: dict, calibrated: list[dict]) -> dict[str, list[str]]:
    """For each protocol, the calibrated parameters whose source names the study (not an independent test)."""
    out = {}
    for name, p in protocols.items():
        hits = [c["name"] for c in calibrated
                if any(k.lower() in c["source"].lower() for k in p.calibration_keywords)]
        if hits:
            out[name] = hits
    return out


def rows(results, targets: list[Target]) -> list[dict]:
    """One row per target of the protocols that ran (targets of protocols not run are left out)."""
    by_protocol = {r.name: r for r in results}
    out = []
    for t in targets:
        r = by_protocol.get(t.protocol)
        if r is None:
            continue
        v = r.values.get(t.id, float("nan"))
        out.append({"target": t, "model": v, "result": t.judge(v), "why_missing": r.missing.get(t.id)})
    return out


def replicate_rows(runs: list, targets: list[Target]) -> dict:
    """Seed replicates: ``runs`` holds one list of results per seed (the report's own seed first). Per seed, the
    counts by role; per counted target, its model value and result under each seed."""
    tables = [rows(results, targets) for results in runs]
    per_target = {}
    for table in tables:
        for row in table:
            if not row["target"].retired:
                entry = per_target.setdefault(row["target"].id, {"target": row["target"], "model": [], "result": []})
                entry["model"].append(row["model"])
                entry["result"].append(row["result"])
    # each row judged at the mean of its per-seed values: the model's expected value, with the Monte Carlo error of
    # one seed's cohort averaged down (about len(runs) x n persons per population)
    pooled, expected = [], 0.0
    for e in per_target.values():
        e.update(_pooled(e["target"], np.asarray([np.nan if x is None else x for x in e["model"]], dtype=float)))
        pooled.append({"target": e["target"], "model": e["mean"], "result": e["mean_result"]})
        if e["target"].role == "test":
            expected += e["p_pass"]
    return {"seeds": [results[0].seed if results else None for results in runs],
            "summary": [summary(table) for table in tables],
            "pooled": {**summary(pooled), "expected_test_passes": expected}, "targets": per_target}


def _pooled(t: Target, v: np.ndarray) -> dict:
    """A row judged at the mean of its per-seed values ``v``: the mean, its result, the mean's standard error over the
    seeds and the chance that the model's expected value lies inside the row's band, by a normal approximation around
    the mean (the judgement at the mean itself where the values do not vary or are not all finite)."""
    mean = float(np.mean(v))
    result = t.judge(mean)
    se, p_pass = float("nan"), float(result == PASS)
    if len(v) >= 2 and np.all(np.isfinite(v)):
        se = float(np.std(v, ddof=1) / np.sqrt(len(v)))
        if se > 0.0:
            lo, hi = t.bounds()
            cdf = lambda x: 0.5 * (1.0 + math.erf((x - mean) / (se * math.sqrt(2.0))))  # noqa: E731
            p_pass = (cdf(hi) if math.isfinite(hi) else 1.0) - (cdf(lo) if math.isfinite(lo) else 0.0)
    return {"mean": mean, "mean_result": result, "se": se, "p_pass": p_pass}


def _distance_section(table: list[dict]) -> list[str]:
    """The held-out rows that fail, nearest first: how far outside its band each lies, in band widths
    (:meth:`Target.miss`), so a row at its band's edge reads apart from one the model misses by far."""
    failed = sorted((row for row in table if row["target"].role == "test" and not row["target"].retired
                     and row["result"] == FAIL), key=lambda row: row["target"].miss(row["model"]))
    if not failed:
        return []
    L = ["## Held-out failures by distance from the band", "",
         "Outside by: the distance from the model's value to the nearest end of the accepted range, in widths of "
         "that range (for a one-sided band, in units of its bound); below 0.1 the row sits at its band's edge and "
         "can change with the seed (section Seed replicates).", "",
         "| Target | Study | Model | Accepted range | Outside by |", "|---|---|---|---|---|"]
    for row in failed:
        t: Target = row["target"]
        L.append(f"| `{t.id}` | {t.study} | {fmt_model(row['model'])} | {t.range_text()} | {t.miss(row['model']):.2f} |")
    return L + [""]


def _se_text(se: float) -> str:
    return "" if not math.isfinite(se) else f" +- {fmt_model(se)}"


def _replicate_section(rep: dict) -> list[str]:
    """The report's section on seed replicates: pass counts per seed and the rows whose result depends on it."""
    seeds = rep["seeds"]
    held = [s["test"]["pass"] for s in rep["summary"]]
    cal = [s["calibration"]["pass"] for s in rep["summary"]]
    n_test, n_cal = rep["summary"][0]["test"]["targets"], rep["summary"][0]["calibration"]["targets"]
    L = ["## Seed replicates", "",
         f"The same studies with {len(seeds)} seeds of the virtual populations ({', '.join(map(str, seeds))}; the "
         f"table above is seed {seeds[0]}'s). Held-out passes per seed: {', '.join(map(str, held))} of {n_test} "
         f"(range {min(held)}-{max(held)}, mean {np.mean(held):.1f}); calibration: {', '.join(map(str, cal))} of "
         f"{n_cal}. Each model value is a cohort statistic, so a row near its band's edge can pass under one seed and "
         "fail under another; such rows are listed here with their values. Judged instead at the mean of each row's "
         f"{len(seeds)} values (the model's expected value, with the sampling error of one cohort averaged down), "
         f"{rep['pooled']['test']['pass']} of {n_test} held-out and {rep['pooled']['calibration']['pass']} of {n_cal} "
         "calibration targets pass; from each row's standard error over the seeds (normal approximation), the expected "
         f"number of held-out passes at the model's expected value is {rep['pooled']['expected_test_passes']:.1f}.",
         ""]
    mixed = [e for e in rep["targets"].values()
             if len(set(e["result"])) > 1 or e["mean_result"] != e["result"][0]]
    if not mixed:
        return L + ["No row changes its result with the seed.", ""]
    L += ["| Target | Role | Published | Tolerance | Model, per seed | Passes | Mean of seeds (+- its standard error) |",
          "|---|---|---|---|---|---|---|"]
    for e in mixed:
        t: Target = e["target"]
        values = ", ".join(fmt_model(v) for v in e["model"])
        L.append(f"| `{t.id}` | {t.role} | {t.published_text()} | {t.tolerance_text()} | {values} "
                 f"| {sum(r == PASS for r in e['result'])} of {len(seeds)} "
                 f"| {fmt_model(e['mean'])}{_se_text(e['se'])} ({_MARK[e['mean_result']]}) |")
    return L + [""]


def write(results, targets: list[Target], out: str | Path = "docs/validation.md", plots: bool = True,
          quick: bool = False, overrides: dict | None = None, replicates: list | None = None) -> Path:
    """Write the report, its plots and ``results.json``; ``overrides`` (``{"section.name": value}``) marks a
    sensitivity run with parameter values other than the committed files'. ``replicates``: the same studies' results
    under further seeds (one list per seed), reported beside the headline (:func:`replicate_rows`)."""
    from .suite import PROTOCOLS

    out = Path(out)
    fig_dir = out.parent / out.stem
    out.parent.mkdir(parents=True, exist_ok=True)
    fig_dir.mkdir(parents=True, exist_ok=True)
    table = rows(results, targets)
    calibrated = calibrated_parameters()
    overlap = calibration_overlap(PROTOCOLS, calibrated)
    figures = _plots(results, fig_dir) if plots else {}
    rel = lambda p: f"{fig_dir.name}/{p.name}"  # noqa: E731

    n = results[0].n if results else 0
    seed = results[0].seed if results else 0
    total = sum(r.seconds for r in results)
    counts = Counter(row["result"] for row in table if not row["target"].retired)
    by_grade: dict[str, Counter] = {}
    for row in table:
        if not row["target"].retired:
            by_grade.setdefault(row["target"].grade, Counter())[row["result"]] += 1
    roles = summary(table)
    test, cal = roles["test"], roles["calibration"]
    rep = replicate_rows([results, *replicates], targets) if replicates else None
    held = [x["test"]["pass"] for x in rep["summary"]] if rep else []
    spread = (f"With {len(held)} seeds of the populations: {min(held)}-{max(held)}; judged at the mean of the seeds' "
              f"values, {rep['pooled']['test']['pass']} (section Seed replicates). " if rep else "")
    pct = lambda x: "-" if x is None else f"{100 * x:.0f} %"  # noqa: E731

    L: list[str] = []
    L += ["# Validation against published studies", "",
          "Generated by `irsim validate` (`src/irsim/validation/`); targets in `validation/targets.yaml`. "
          "The runner only measures: it sets up each study's population and protocol, runs the progression "
          "model, and compares. No parameter is set per row; what was calibrated, and on what, is listed at the "
          "end. Research and education software, not a medical device.", "",
          f"Settings: {n} virtual persons per population, seed {seed}"
          + (" (**quick mode**: small cohorts, numbers are noisy)" if quick else "")
          + f", irsim {__version__}; {total:.0f} s for the studies below.", "",
          *([f"**Sensitivity run, not the model as committed**: parameter values set for this run: "
             + ", ".join(f"`{k}` = {v}" for k, v in overrides.items()) + ".", ""] if overrides else []),
          f"**Held-out targets: {test['pass']} of {test['targets']} pass ({pct(test['pass_rate'])}).** " + spread
          + f"Calibration targets (a parameter was calibrated on the study): {cal['pass']} of {cal['targets']} pass. "
          f"Held out: {pct(roles['held_out_share'])} of the {test['targets'] + cal['targets']} counted targets"
          + (f"; {roles['retired']} retired (shown, not counted)" if roles["retired"] else "") + ".", "",
          f"All counted targets: {counts[PASS]} pass, {counts[FAIL]} fail, {counts[NO_VALUE]} without a value. "
          "By grade: " + "; ".join(f"{g} {c[PASS]}/{sum(c.values())} pass" for g, c in by_grade.items()) + ".", "",
          "Role: *test* = held out, no parameter was calibrated on the study; *calibration* (†) = some parameter "
          "was calibrated on the study, so its rows are not independent evidence. Grades: *primary* = number stated "
          "in the paper, measured the same way; *derived* = computed from published numbers; *secondary* = via a "
          "secondary source or on a different scale (HOMA version, assay); *qualitative* = a published shape with "
          "an irsim threshold.", "",
          "| Target | Study | Quantity | Published | Tolerance | Model | Result | Grade | Role |",
          "|---|---|---|---|---|---|---|---|---|"]
    for row in table:
        t: Target = row["target"]
        dagger = " †" if t.role == "calibration" else ""
        result = f"retired ({t.retired})" if t.retired else _MARK[row["result"]]
        L.append(f"| `{t.id}` | {t.study}{dagger} | {t.quantity} | {t.published_text()} | {t.tolerance_text()} "
                 f"| {fmt_model(row['model'])} | {result} | {t.grade} | {t.role} |")
    L.append("")
    L += _distance_section(table)
    if rep:
        L += _replicate_section(rep)

    for r in results:
        p = PROTOCOLS[r.name]
        L += [f"## {p.title}", "", p.description.format(n=r.n), ""]
        if r.name in overlap:
            names = ", ".join(f"`{x}`" for x in overlap[r.name])
            L += [f"† Parameters calibrated with reference to this study: {names}. "
                  "Its rows are not an independent test of those parameters.", ""]
        L += ["Measured: " + " ".join(r.notes) + f" ({r.seconds:.1f} s)", ""]
        L += ["Group sizes: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r.counts.items()) + ".", ""]
        if r.baseline:
            keys = list(dict.fromkeys(k for b in r.baseline.values() for k in b if k != "n"))
            L += ["| Model group | n | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
            for label, b in r.baseline.items():
                cells = " | ".join(fmt_model(b.get(k, float("nan"))) for k in keys)
                L.append(f"| {label} | {b.get('n', 0)} | {cells} |")
            L.append("")
        for fig in figures.get(r.name, []):
            L += [f"![{r.name}]({rel(fig)})", ""]
        study_rows = [row for row in table if row["target"].protocol == r.name]
        if study_rows:
            L += ["| Target | Tolerance basis | Note | Citation |", "|---|---|---|---|"]
            for row in study_rows:
                t = row["target"]
                note = t.note or ""
                if row["why_missing"]:
                    note = (note + "; " if note else "") + f"no value: {row['why_missing']}"
                L.append(f"| `{t.id}` | {t.basis} | {note} | {t.citation} |")
            L.append("")

    L += ["## What was calibrated, and on what", "",
          "Parameters of `src/irsim/parameters/data/progression.yaml`, `organs.yaml` and `medicines.yaml` whose source says "
          "*calibrated* (read from the files when this report was written). They were set by irsim on the aggregate "
          "named in their source, not fitted row by row to the table above; a study named there has `role: "
          "calibration` in `validation/targets.yaml`.", ""]
    if calibrated:
        L += ["| Parameter | Value | Unit | Source |", "|---|---|---|---|"]
        for c in calibrated:
            L.append(f"| `{c['name']}` | {c['value']} | {c['unit']} | {c['source']} |")
    else:
        L.append("None.")
    L += ["", "## Method notes", "",
          "* Diabetes is diagnosed as in the studies, all of which predate the HbA1c criterion: fasting glucose "
          ">= 126 mg/dL (7.0 mmol/L) or 2-h OGTT glucose >= 200 mg/dL (11.1 mmol/L). The model's own "
          "`glycemic_status` also counts HbA1c >= 6.5 %; the Whitehall section gives the case count under that "
          "definition too.",
          "* Every measured glucose, insulin and HbA1c in the core protocols carries within-person variation (log-normal, "
          "CVs of Mooy 1996 and Ricos 1999; `progression.yaml` measurement); the model's own trajectories stay "
          "deterministic. Diagnoses in DPP and ACT NOW need a confirming repeat test, as in the trials.",
          "* HOMA indices: HOMA2 (Oxford calculator grid) for Whitehall II, which reported HOMA2; HOMA1 (Matthews "
          "1985) elsewhere.",
          "* The insulinogenic index needs OGTT 30-min values, which the run array does not carry; they are read "
          "from the meal-model surrogate at each person's recorded knobs and weight.",
          "* Tolerances: the published 95 % CI where the paper gives one, else a stated band (see "
          "`validation/targets.yaml`, header). Targets marked 'verify' or 'from memory' in the reference notes "
          "are left out.", ""]
    out.write_text("\n".join(L), encoding="utf-8")
    (fig_dir / "results.json").write_text(json.dumps({
        "n": n, "seed": seed, "quick": quick, "version": __version__, "overrides": dict(overrides or {}),
        "summary": roles,
        "targets": [{"id": row["target"].id, "published": row["target"].value, "model": _json_num(row["model"]),
                     "result": row["result"], "miss": _json_num(row["target"].miss(row["model"])),
                     "role": row["target"].role, "retired": row["target"].retired}
                    for row in table],
        "counts": {r.name: r.counts for r in results},
        **({"replicates": {"seeds": rep["seeds"], "summary": rep["summary"], "pooled": rep["pooled"],
                           "targets": {k: [_json_num(v) for v in e["model"]] for k, e in rep["targets"].items()}}}
           if rep else {})}, indent=1), encoding="utf-8")
    return out


def _json_num(x):
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return None if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    return float(x)


# ------------------------------------------------------------------------------------------------ plots

_PUB = dict(marker="X", color="black", linestyle="none", markersize=8, label="published", zorder=5)


def _plots(results, fig_dir: Path) -> dict[str, list[Path]]:
    from ..reporting.figures import pyplot

    plt = pyplot()

    made: dict[str, list[Path]] = {}
    for r in results:
        fn = _PLOTTERS.get(r.name)
        if fn is None:
            continue
        fig = fn(plt, r)
        path = fig_dir / f"{r.name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        made[r.name] = [path]
    return made


def _plot_whitehall(plt, r):
    d = r.data
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    panels = [("fpg", "control_fpg", "Fasting glucose (mmol/L)", {-3: 5.79, 0: 7.40}),
              ("g2h", "control_g2h", "2-h glucose (mmol/L)", {-3: 7.60, 0: 11.90}),
              ("homa_b", "control_homa_b", "HOMA2-%B", {-4: 85.0, -3: 92.6, 0: 62.4}),
              ("homa_s", "control_homa_s", "HOMA2-%S", {0: 86.7})]
    for ax, (key, ckey, label, pub) in zip(axes.ravel(), panels):
        off = np.asarray(d["offsets"])
        full = off >= -8   # most cases inform these years; earlier ones come from the cases with a longer record
        ax.plot(off[full], np.asarray(d[key])[full], "o-", color="tab:red",
                label=f"model cases, fitted trajectory (n={r.counts.get('cases', 0)})")
        ax.plot(off[off <= -8], np.asarray(d[key])[off <= -8], "o:", color="tab:red", markerfacecolor="none",
                label=f"fitted where only longer records inform it (n={r.counts.get('cases_8y', 0)})")
        ax.plot(d["control_years"], d[ckey], "--", color="tab:blue",
                label=f"model controls (n={r.counts.get('controls', 0)})")
        ax.plot(list(pub), list(pub.values()), **_PUB)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("years before diagnosis (cases) / end of follow-up (controls)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Whitehall II: trajectories before diagnosis (published: Tabak 2009)")
    return fig


def _plot_ukpds(plt, r):
    d = r.data
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    x = d["offsets"]
    for ax, key, q, label, pub in ((axes[0], "fpg", "fpg_q", "Fasting glucose (mmol/L)", {1: 8.2, 6: 9.5}),
                                   (axes[1], "hba1c", "hba1c_q", "HbA1c (%)", {1: 6.8, 6: 8.0})):
        ax.plot(x, d[key], "o-", color="tab:red", label=f"model median (n={r.counts.get('entrants', 0)})")
        ax.fill_between(x, d[q][0], d[q][1], color="tab:red", alpha=0.15, label="model IQR")
        ax.plot(list(pub), list(pub.values()), **_PUB)
        ax.set_ylabel(label)
    axes[2].plot(x, d["homa_b"], "o-", color="tab:red", label="model median")
    axes[2].plot([0, 6], [50.0, 50.0 - 6 * 4.5], ":", color="black", label="~50 % at diagnosis, -4.5 points/y")
    axes[2].set_ylabel("HOMA-%B")
    style_axes(axes, "years after diagnosis")
    fig.suptitle("UKPDS: after diagnosis, conventional policy (published: UKPDS 16, conventional arm)")
    return fig


def _plot_ukpds_arms(plt, r):
    d = r.data
    fig, ax = plt.subplots(figsize=(8, 4))
    published = {"conventional": 7.9, "intensive": 7.0, "conventional, overweight": 8.0, "metformin, overweight": 7.4}
    for (arm, curve), color in zip(d["curves"].items(), ("tab:red", "tab:blue", "tab:orange", "tab:green")):
        ax.plot(d["years"], curve, "o-", color=color, label=f"model median, {arm}")
        ax.axhline(published[arm], color=color, linestyle=":", label=f"published 10-year median, {arm}")
    ax.set_ylabel("HbA1c (%)")
    style_axes([ax], "years from randomisation")
    fig.suptitle("UKPDS 33 and 34: HbA1c by policy (published: medians over 10 years)")
    return fig


def _plot_classes(plt, r):
    d = r.data
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    x = np.arange(len(d["groups"]))
    for ax, key, pkey, label in ((axes[0], "homa_ir", "published_homa_ir", "HOMA-IR relative to NGT"),
                                 (axes[1], "insulinogenic", "published_insulinogenic", "dI30/dG30 relative to NGT")):
        m = np.asarray(d[key], float)
        p = np.asarray(d[pkey], float)
        ax.bar(x - 0.2, m / m[0], 0.4, label="model", color="tab:red")
        ax.bar(x + 0.2, p / p[0], 0.4, label="published", color="0.4")
        ax.set_xticks(x, d["groups"])
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=8)
    fig.suptitle("Glucose-tolerance classes (published: Jensen 2002, GENNID)")
    return fig


def _plot_conversion(plt, r):
    d = r.data
    fig, ax = plt.subplots(figsize=(7, 3.8))
    x = np.arange(len(d["labels"]))
    ax.bar(x, np.nan_to_num(np.asarray(d["model"], float)), 0.5, color="tab:red", label="model")
    for i, p in enumerate(d["published"]):
        if isinstance(p, tuple):
            ax.errorbar([i], [(p[0] + p[1]) / 2], yerr=[[(p[1] - p[0]) / 2]], fmt="none", color="black", capsize=8,
                        label="published range")
        else:
            ax.plot([i], [p], **(_PUB | {"label": "published" if i == 1 else None}))
    ax.set_xticks(x, d["labels"])
    ax.set_ylabel("conversion to diabetes, % per year")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    ax.set_title(f"Conversion from prediabetes (ACT NOW placebo by 2.4 y: model {fmt_model(d['actnow'])} %, "
                 "published 19.7 %)", fontsize=9)
    return fig


def _plot_dpp(plt, r):
    d = r.data
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    colors = {"placebo": "0.3", "metformin": "tab:blue", "lifestyle": "tab:green"}
    for arm, c in colors.items():
        axes[0].step(d["years"], d["cumulative"][arm], where="post", color=c, label=arm)
        axes[2].plot(d["years"], d["weight_change"][arm], color=c, label=arm)
    axes[0].set_xlabel("years")
    axes[0].set_ylabel("cumulative incidence (%)")
    arms = list(colors)
    x = np.arange(len(arms))
    axes[1].bar(x - 0.2, [d["model_incidence"][a] for a in arms], 0.4, color="tab:red", label="model")
    axes[1].bar(x + 0.2, [d["published_incidence"][a] for a in arms], 0.4, color="0.4", label="published")
    axes[1].set_xticks(x, arms)
    axes[1].set_ylabel("incidence per 100 person-years")
    axes[2].set_xlabel("years")
    axes[2].set_ylabel("mean weight change (%)")
    style_axes(axes)
    fig.suptitle(f"Diabetes Prevention Program (published: Knowler 2002); "
                 f"{r.counts.get('screened', 0)} screened persons per arm")
    return fig


_PLOTTERS = {"whitehall": _plot_whitehall, "ukpds": _plot_ukpds, "ukpds_arms": _plot_ukpds_arms,
             "classes": _plot_classes, "conversion": _plot_conversion, "dpp": _plot_dpp}

from .organ_studies import PLOTTERS as _ORGAN_PLOTTERS  # noqa: E402

_PLOTTERS.update(_ORGAN_PLOTTERS)

from .reversal_studies import PLOTTERS as _REVERSAL_PLOTTERS  # noqa: E402

_PLOTTERS.update(_REVERSAL_PLOTTERS)
from .medicine_studies import PLOTTERS as _MEDICINE_PLOTTERS  # noqa: E402

_PLOTTERS.update(_MEDICINE_PLOTTERS)
