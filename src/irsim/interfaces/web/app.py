"""The irsim web service: JSON API mirroring the CLI, the page, profiles with lab history.

Local by design: no request makes a network call, the page and its Plotly and Swagger UI scripts are served
from installed packages. Errors: invalid input -> 422 with irsim's field messages; anything unexpected -> 500
with a generic message (details go to the server log only).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from ... import DISCLAIMER, __version__
from ...errors import InputError, Problem
from ...schemas.person import BODY_FIELDS, FLAG_FIELDS, FLAG_LABELS, LAB_FIELDS, Person, problems_from_errors
from ...schemas.requests import (MAX_SCENARIOS, MAX_YEARS, RECORDABLE, ExplainRequest, LabIn, MealRequest,
                                  ProfileIn, SimulateRequest)
from . import db as store

log = logging.getLogger("irsim.web")
STATIC = Path(__file__).with_name("static")

MAX_BODY_BYTES = 1_000_000
RowId = Annotated[int, PathParam(ge=1, le=2**53, description="row id")]


# ---------------------------------------------------------------- helpers
def person_input(person: Person) -> dict[str, Any]:
    """The person as input JSON (each quantity as value and unit, as entered)."""
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "canonical"}
        return [strip(v) for v in x] if isinstance(x, list) else x

    return strip(json.loads(person.model_dump_json(exclude_none=True)))


def refused(problems: list[Problem]) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "detail": "the input was refused", "problems": [{"field": p.field, "message": p.message} for p in problems]})


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413, whatever the Content-Length says."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            return await self._refuse(scope, receive, send)
        body, more = b"", True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
            if len(body) > self.limit:
                return await self._refuse(scope, receive, send)
        done = False

        async def replay():
            nonlocal done
            if done:
                return await receive()
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        resp = JSONResponse(status_code=413, content={"detail": f"request body over {self.limit} bytes"})
        await resp(scope, receive, send)


def _fields() -> dict[str, Any]:
    from ... import units

    def q(name):
        a = units.analyte(name)
        return {"name": name, "label": a.label, "units": a.offered_units(), "canonical_unit": a.canonical_unit,
                "range": list(a.range)}

    return {"body": [q(n) for n in BODY_FIELDS], "labs": [q(n) for n in LAB_FIELDS], "flags": list(FLAG_FIELDS),
            "flag_labels": FLAG_LABELS,
            "sex": ["female", "male"], "recordable": list(RECORDABLE), "limits": {
                "years": MAX_YEARS, "scenarios": MAX_SCENARIOS, "body_bytes": MAX_BODY_BYTES}}


# ---------------------------------------------------------------- the app
def create_app(db_path: Path | str | None = None, warm: bool = False) -> FastAPI:
    """The app; ``warm=True`` (``irsim serve``) compiles the models in a background thread at start-up, and
    ``GET /api/status`` says when they are ready (the page shows "warming up" until then)."""
    from fastapi_offline import FastAPIOffline

    path = Path(db_path) if db_path else store.default_path()
    sessions = store.open_db(path)
    sim_lock = threading.Lock()  # one simulation at a time: bounds memory and JIT compiles on a laptop

    app = FastAPIOffline(title="irsim", version=__version__, redoc_url=None,
                         description=f"Insulin resistance assessment, projection and profiles. {DISCLAIMER}")
    app.state.db_path = path
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        resp = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path == "/" or request.url.path.startswith("/static/"):
            resp.headers["Content-Security-Policy"] = ("default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                       "img-src 'self' data: blob:; connect-src 'self'")
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return refused(problems_from_errors(exc.errors(), drop=("body",), root="body"))

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return refused(exc.problems)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error; the server log has the details"})

    def session():
        with sessions() as s:
            yield s

    def profile_or_404(s: Session, profile_id: int) -> store.Profile:
        p = store.get_profile(s, profile_id)
        if p is None:
            raise HTTPException(404, f"no profile {profile_id}")
        return p

    def project(req: SimulateRequest):
        from ...workflows import projection

        with sim_lock:
            return projection(req.person, req.years, req.scenarios)

    def history_of(req: SimulateRequest):
        """The stored profile's visits as a history (``profile_id``), else None (the request's person alone)."""
        if req.profile_id is None:
            return None
        with sessions() as s:
            return store.profile_history(profile_or_404(s, req.profile_id))

    def uncertain(req: SimulateRequest):
        """The projection over draws of what the labs leave unknown (the twin; the profile's visits if given)."""
        from ...workflows import uncertain_projection

        history = history_of(req)
        with sim_lock:
            return uncertain_projection(req.person, req.years, req.scenarios, history=history)

    ready = threading.Event()

    def warm_up():
        """Assess and project the example person once: compiles (or loads) every program a first request needs."""
        try:
            from ...assessment.api import assess as run

            person = Person.parse(json.loads((STATIC / "example-person.json").read_text()))
            run(person)
            req = SimulateRequest(person=person, years=20, scenarios=[
                {"name": "your plan", "interventions": [{"type": "weight_loss", "start_year": 0, "percent": 5,
                                                         "over_months": 6, "then": "maintain"}]}])
            project(req)
            uncertain(req)
        except Exception:  # a failed warm-up only costs the first request its compile
            log.exception("warm-up failed")
        finally:
            ready.set()

    if warm:
        threading.Thread(target=warm_up, name="irsim-warm-up", daemon=True).start()
    else:
        ready.set()

    # -------- page and assets
    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        from plotly.offline import get_plotlyjs

        return Response(get_plotlyjs(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # -------- API mirroring the CLI
    @app.get("/api/status", tags=["reference"])
    def status() -> dict[str, Any]:
        """Whether the models are compiled (``irsim serve`` compiles them in the background at start-up)."""
        return {"ready": ready.is_set(), "version": __version__}

    @app.get("/api/fields", tags=["reference"])
    def fields() -> dict[str, Any]:
        """The Person's fields for a form: accepted units, canonical unit, plausible range."""
        return _fields()

    @app.post("/api/assess", tags=["assessment"])
    def assess(person: Person, units: Literal["given", "mg/dL", "mmol/L"] = "given") -> dict[str, Any]:
        """`irsim assess`: every index and category, per organ, with the mechanism of each abnormal result;
        ``units``: glucose and lipid results in the units the person's labs were given in, or mg/dL or mmol/L
        (``results`` stay in canonical units)."""
        from ...assessment.api import assess as run
        from ...reporting.assessment import not_computable_view, organ_view, summary, to_do

        result = run(person)
        return {**result.to_dict(), "summary": summary(result), "to_do": to_do(result),
                "organs": organ_view(result, None if units == "given" else units),
                "missing": not_computable_view(result)}

    @app.post("/api/simulate", tags=["projection"])
    def simulate(req: SimulateRequest) -> dict[str, Any]:
        """`irsim simulate`: yearly trajectory under the baseline and each scenario; with ``chances``, each event's
        chance for people with these labs (`irsim simulate --events`) and the fan chart's bands."""
        from ...reporting.figures import fan_figures, projection_figures, where_figure
        from ...reporting.report import CHANCES_NOTE, chance_payload, trajectory_payload

        df, assumed = project(req)
        out = {"years": req.years, "scenarios": list(dict.fromkeys(df["scenario"])), "assumed": assumed,
               "trajectory": trajectory_payload(df), "disclaimer": DISCLAIMER}
        if req.figures:
            meas = [m.model_dump() for m in req.measurements]
            out["figures"] = {"projection": [json.loads(f.to_json()) for f in projection_figures(df, meas)],
                              "where": json.loads(where_figure(df).to_json())}
        if req.chances:
            proj = uncertain(req)
            n = int(next(iter(proj.trajectories.values())).shape[2])
            out["chances"] = {**chance_payload(proj.probability, n), "note": CHANCES_NOTE.format(draws=n)}
            if req.figures:
                out["figures"]["fan"] = [json.loads(f.to_json()) for f in fan_figures(proj.bands, proj.visits_fit)]
        return out

    @app.post("/api/explain", tags=["projection"])
    def explain(req: ExplainRequest) -> dict[str, Any]:
        """`irsim explain`: each pathway's share of the change in an outcome (exact Shapley over knock-outs)."""
        from ...analysis.explain import explain as run

        with sim_lock:
            return {**run(req.person, req.outcome, req.years, req.scenario).to_dict(), "disclaimer": DISCLAIMER}

    @app.post("/api/meal", tags=["physiology"])
    def meal(req: MealRequest) -> dict[str, Any]:
        """`irsim meal` / `irsim ogtt`: minutes-scale glucose and insulin after oral glucose."""
        from ...workflows import meal_run

        with sim_lock:
            df, summary, note = meal_run(req.person or req.subject, req.glucose_g, req.body_weight_kg, req.minutes)
        summary["subject"] += f"; {note}" if note else ""
        return {"summary": summary, "series": {c: df[c].tolist() for c in df.columns}, "disclaimer": DISCLAIMER}

    @app.post("/api/report", tags=["projection"], response_class=Response,
              responses={200: {"content": {"text/html": {}}}})
    def report(req: SimulateRequest):
        """`irsim report`: the self-contained HTML report (download)."""
        from ...workflows import build_report

        with sim_lock:
            text = build_report(req.person, req.scenarios, req.years, [m.model_dump() for m in req.measurements],
                                history_of(req))
        name = "".join(ch for ch in (req.person.id or "person") if ch.isalnum() or ch in "-_")[:60] or "person"
        return Response(text, media_type="text/html",
                        headers={"Content-Disposition": f'attachment; filename="irsim-report-{name}.html"'})

    # -------- profiles and lab history
    @app.get("/api/profiles", tags=["profiles"])
    def list_profiles(s: Session = Depends(session)) -> list[dict[str, Any]]:
        from sqlalchemy import select

        return [{"id": p.id, "name": p.name, "baseline_date": p.baseline_date.isoformat()}
                for p in s.scalars(select(store.Profile).order_by(store.Profile.name))]

    @app.post("/api/profiles", tags=["profiles"], status_code=201)
    def create_profile(body: ProfileIn, s: Session = Depends(session)) -> dict[str, Any]:
        p = store.Profile(name=body.name, person_json=json.dumps(person_input(body.person)),
                          baseline_date=body.baseline_date or dt.date.today())
        s.add(p)
        s.commit()
        return p.to_dict()

    @app.get("/api/profiles/{profile_id}", tags=["profiles"])
    def get_profile(profile_id: RowId, s: Session = Depends(session)) -> dict[str, Any]:
        return profile_or_404(s, profile_id).to_dict()

    @app.put("/api/profiles/{profile_id}", tags=["profiles"])
    def update_profile(profile_id: RowId, body: ProfileIn, s: Session = Depends(session)) -> dict[str, Any]:
        p = profile_or_404(s, profile_id)
        p.name, p.person_json = body.name, json.dumps(person_input(body.person))
        if body.baseline_date:
            p.baseline_date = body.baseline_date
        s.commit()
        return p.to_dict()

    @app.delete("/api/profiles/{profile_id}", tags=["profiles"], status_code=204)
    def delete_profile(profile_id: RowId, s: Session = Depends(session)) -> Response:
        """Delete the profile and all of its lab results."""
        s.delete(profile_or_404(s, profile_id))
        s.commit()
        return Response(status_code=204)

    @app.get("/api/profiles/{profile_id}/export", tags=["profiles"])
    def export_profile(profile_id: RowId, s: Session = Depends(session)) -> JSONResponse:
        """Everything stored about the profile, as a JSON download."""
        data = {**profile_or_404(s, profile_id).to_dict(), "irsim_version": __version__}
        return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="irsim-profile-{profile_id}.json"'})

    @app.post("/api/profiles/{profile_id}/labs", tags=["profiles"], status_code=201)
    def add_lab(profile_id: RowId, body: LabIn, s: Session = Depends(session)) -> dict[str, Any]:
        p = profile_or_404(s, profile_id)
        lab = store.LabResult(measured_on=body.measured_on, field=body.field, value=body.value, unit=body.unit,
                              canonical=body.canonical)
        p.labs.append(lab)
        s.commit()
        return lab.to_dict()

    @app.delete("/api/profiles/{profile_id}/labs/{lab_id}", tags=["profiles"], status_code=204)
    def delete_lab(profile_id: RowId, lab_id: RowId, s: Session = Depends(session)) -> Response:
        p = profile_or_404(s, profile_id)
        lab = next((x for x in p.labs if x.id == lab_id), None)
        if lab is None:
            raise HTTPException(404, f"no lab result {lab_id} in profile {profile_id}")
        p.labs.remove(lab)
        s.commit()
        return Response(status_code=204)

    return app
