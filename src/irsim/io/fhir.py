"""FHIR R4 in and out.

In: a Bundle (Patient + LOINC-coded Observations with UCUM units), validated with ``fhir.resources``, read as one
Person (the latest value of each code) or as a history (one visit per day of ``effectiveDateTime``).
Out: Bundles for an assessment (the person's measurements + one Observation per result) and for a twin's
projection (percentile Observations + RiskAssessments), validated before they are returned as plain dicts.

fhir.resources 8 holds R5 at its top level and R4B (4.3) as ``fhir.resources.R4B``; R4B's Bundle, Patient,
Observation and RiskAssessment are R4's, so R4B is the R4-compatible choice used here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from functools import lru_cache
from typing import Any

from ..errors import InputError, Problem
from ..units import analytes

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
#: irsim's own code systems: inputs without a LOINC code (flags), assessment results, projections, events.
IRSIM_INPUT = "urn:irsim:input"
IRSIM_RESULT = "urn:irsim:assessment"
IRSIM_PROJECTION = "urn:irsim:projection"
IRSIM_QUANTILE = "urn:irsim:quantile"
IRSIM_SCENARIO = "urn:irsim:scenario"
IRSIM_EVENT = "urn:irsim:event"
IRSIM_CATEGORY = "urn:irsim:category"
_OUTPUT_SYSTEMS = {IRSIM_RESULT, IRSIM_PROJECTION}  # irsim's outputs are never read back as measurements

#: LOINC codes read as flags or OGTT samples (analyte codes come from data/analytes.yaml).
_SMOKING_STATUS = "72166-2"
_BP_PANELS = {"85354-9", "55284-4", "35094-2"}
#: SNOMED CT smoking-status answers meaning a current smoker (LOINC answer list LL2201-3).
_CURRENT_SMOKER = {"449868002", "428041000124106", "77176002", "LA18976-3", "LA18977-1"}
_OGTT_2H = {"20438-8", "1518-0"}  # glucose 2 h post 75 g oral glucose
_BODY = ("height", "weight", "waist", "systolic_bp", "diastolic_bp", "physical_activity", "diabetes_duration_years")


@lru_cache(maxsize=1)
def loinc_map() -> dict[str, str]:
    """LOINC code -> Person field."""
    out = {}
    for name, a in analytes().items():
        if name.startswith("ogtt_"):
            continue
        for code in a.loinc:
            out.setdefault(code, name)
    return out


def is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def _r4():
    """The R4-compatible resource modules of fhir.resources (imported on first use)."""
    from fhir.resources.R4B import bundle

    return bundle


def validate_bundle(data: dict):
    """The Bundle as a ``fhir.resources`` R4B model; every schema problem in one InputError."""
    from pydantic import ValidationError

    try:
        return _r4().Bundle.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = "Bundle"
            for part in err["loc"]:
                if isinstance(part, int):
                    where += f"[{part}]"
                elif "[" not in str(part):
                    where += f".{part}"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(where, f"{msg} (value given: {repr(err.get('input'))[:60]})"
                                    if err["type"] != "missing" else "required field is missing"))
        raise InputError(problems) from None


def _codes(concept, systems=(LOINC, None)) -> list[str]:
    if concept is None:
        return []
    return [c.code for c in (concept.coding or []) if c.system in systems and c.code]


def _when(obs) -> str:
    """The observation's time as ISO text ("" when it has none)."""
    t = obs.effectiveDateTime or (obs.effectivePeriod.start if obs.effectivePeriod else None) or obs.issued
    if t is None:
        return ""
    return t.isoformat()


def _number(x) -> float | int:
    f = float(x)
    return int(f) if f.is_integer() and "." not in str(x) else f


def _quantity(vq, where: str, problems: list[Problem]) -> dict | None:
    if vq.value is None:
        problems.append(Problem(where, "valueQuantity has no value"))
        return None
    unit = vq.code or vq.unit
    if not unit:
        problems.append(Problem(where, f"value {_number(vq.value)!r} has no unit (valueQuantity.code or .unit)"))
        return None
    return {"value": _number(vq.value), "unit": unit}


def _age(birth: str, at: str) -> float:
    b = dt.date.fromisoformat(birth[:10])
    when = dt.datetime.fromisoformat(at.replace("Z", "+00:00")).date() if at else dt.date.today()
    return (when - b).days / 365.2425


def _read(bundle: dict) -> tuple[dict[str, Any], list[tuple[str, str, Any]], list[Problem]]:
    """``(patient facts, [(time, field, value)], problems)`` from a validated Bundle; field "ogtt_2h" is the
    2-h OGTT glucose. Observations entered in error or cancelled, and irsim's own outputs, are skipped."""
    model = validate_bundle(bundle)
    problems: list[Problem] = []
    patient, observations = None, []
    for i, entry in enumerate(model.entry or []):
        res = entry.resource
        rt = getattr(res, "get_resource_type", lambda: type(res).__name__)()
        if rt == "Patient":
            patient = res
        elif rt == "Observation" and res.status not in ("entered-in-error", "cancelled"):
            observations.append((i, res))
    facts: dict[str, Any] = {}
    if patient is None:
        problems.append(Problem("Bundle", "no Patient resource (needed for sex and birth date)"))
    else:
        g = patient.gender
        if g in ("female", "male"):
            facts["sex"] = g
        else:
            problems.append(Problem("Patient.gender", f"value {g!r}: irsim needs 'female' or 'male' for its sex-specific equations"))
        facts["id"] = patient.id
        if patient.birthDate is not None:
            facts["birth_date"] = patient.birthDate.isoformat()[:10]
    lmap = loinc_map()
    found: list[tuple[str, str, Any]] = []
    for i, obs in observations:
        where = f"Bundle.entry[{i}] Observation"
        when = _when(obs)
        if _codes(obs.code, _OUTPUT_SYSTEMS):
            continue
        codes = _codes(obs.code)
        own = _codes(obs.code, (IRSIM_INPUT,))
        if _SMOKING_STATUS in codes:
            answer = [c.code for c in ((obs.valueCodeableConcept.coding or []) if obs.valueCodeableConcept else [])]
            found.append((when, "smoker", any(a in _CURRENT_SMOKER for a in answer)))
            continue
        if own and obs.valueBoolean is not None:
            found.append((when, own[0], bool(obs.valueBoolean)))
            continue
        if _BP_PANELS & set(codes) or obs.component:
            for comp in obs.component or []:
                for code in _codes(comp.code):
                    if code in lmap and comp.valueQuantity is not None:
                        q = _quantity(comp.valueQuantity, where, problems)
                        if q:
                            found.append((when, lmap[code], q))
            continue
        field = next((lmap[c] for c in codes if c in lmap), None) or (own[0] if own else None)
        if field is None and _OGTT_2H & set(codes):
            field = "ogtt_2h"
        if field is None or obs.valueQuantity is None:
            continue
        q = _quantity(obs.valueQuantity, f"{where} ({field})", problems)
        if q:
            found.append((when, field, q))
    found.sort(key=lambda t: t[0])
    return facts, found, problems


_OGTT_SAMPLE = re.compile(r"^ogtt_(glucose|insulin)_(\d+(?:\.\d+)?)$")


def _put(data: dict[str, Any], field: str, value: Any) -> None:
    """Put one read value where a Person mapping holds it."""
    m = _OGTT_SAMPLE.match(field)
    if m:  # one OGTT sample (irsim's own code): the curve is rebuilt from all samples of the day
        og = data.setdefault("labs", {}).setdefault("ogtt", {"minutes": [], "glucose": {"values": [], "unit": None}})
        minute = float(m.group(2))
        if m.group(1) == "glucose":
            og["minutes"].append(minute)
            og["glucose"]["values"].append(value["value"])
            og["glucose"]["unit"] = value["unit"]
        else:
            ins = og.setdefault("insulin", {"values": [], "unit": value["unit"]})
            ins["values"].append(value["value"])
    elif field == "ogtt_2h":
        data.setdefault("labs", {})["ogtt"] = {"minutes": [120], "glucose": {"values": [value["value"]],
                                                                             "unit": value["unit"]}}
    elif field in ("age", "smoker", "on_bp_medication", "on_statin", "diabetes") or field in _BODY:
        data[field] = value
    else:
        data.setdefault("labs", {})[field] = value


def bundle_to_history_data(bundle: dict) -> dict[str, Any]:
    """History data (as for :func:`irsim.io.history.history_from_data`) from a Bundle: Patient gives sex, id and
    ``birth_date``; Observations become visits, one per calendar day of ``effectiveDateTime`` (the latest value of
    a code that day wins). Observations without a time join the last visit where it lacks that field."""
    facts, found, problems = _read(bundle)
    if problems:
        raise InputError(problems)
    days: dict[str, dict[str, Any]] = {}
    undated: list[tuple[str, Any]] = []
    for when, field, value in found:
        if not when:
            undated.append((field, value))
            continue
        _put(days.setdefault(when[:10], {"date": when[:10]}), field, value)
    visits = [days[d] for d in sorted(days)]
    if not visits:
        visits = [{}]
    for field, value in undated:
        last = visits[-1]
        if field not in last and field not in last.get("labs", {}):
            _put(last, field, value)
    if "birth_date" not in facts and not any("age" in v for v in visits):
        raise InputError([Problem("Patient.birthDate", "missing: needed for age")])
    data = {k: v for k, v in facts.items() if v is not None}
    if visits == [{}] or (len(visits) == 1 and "date" not in visits[0]):
        return {**data, **visits[0]}  # no dated observation: one visit, now
    return {**data, "visits": visits}


def bundle_to_person_data(bundle: dict) -> dict[str, Any]:
    """Person data (as for :meth:`Person.parse`) from a Bundle; the latest Observation of each code wins."""
    facts, found, problems = _read(bundle)
    data: dict[str, Any] = {"labs": {}}
    if "sex" in facts:
        data["sex"] = facts["sex"]
    if "sex" in facts or "id" in facts:
        data["id"] = facts.get("id")
    latest: dict[str, tuple[str, Any]] = {}
    for when, field, value in found:
        latest[field] = (when, value)
    for field, (when, value) in latest.items():
        _put(data, field, value)
    if "id" in data and "age" not in data:
        birth = facts.get("birth_date")
        if not birth:
            problems.append(Problem("Patient.birthDate", "missing: needed for age"))
        else:
            last = max((w for w, _ in latest.values() if w), default="")
            data["age"] = round(_age(birth, last), 2)
    if problems:
        raise InputError(problems)
    return data


# ---------------------------------------------------------------- out

#: UCUM codes for units irsim writes differently (the unit as given stays in ``unit``).
_UCUM = {"mmHg": "mm[Hg]", "10^9/L": "10*9/L", "10^3/uL": "10*3/uL", "year": "a", "years": "a", "uIU/mL": "u[IU]/mL",
         "IU/L": "[IU]/L", "min/week": "min/wk", "mL/min/1.73m2": "mL/min/{1.73_m2}", "mL/min/1.73 m2": "mL/min/{1.73_m2}",
         "": "1", None: "1"}
#: LOINC codes of assessment results that have one (codes that are also inputs are left out so that an
#: assessment Bundle reads back as the same person).
RESULT_LOINC = {"egfr_ckd_epi_2021": "98979-8", "egfr_ckd_epi_2021_cr_cys": "98980-6", "eag": "27353-2",
                "non_hdl_cholesterol": "43396-1"}
#: LOINC codes of projected trajectory columns.
PROJECTION_LOINC = {"fasting_glucose_mmol_l": ("14771-0", "mmol/L"), "glucose_2h_mmol_l": ("20438-8", "mmol/L"),
                    "hba1c_percent": ("4548-4", "%"), "weight_kg": ("29463-7", "kg")}
#: Units whose text is already their UCUM code.
_UCUM_SAME = {"%", "mg/dL", "mmol/L", "umol/L", "pmol/L", "nmol/L", "ng/mL", "ng/dL", "mg/L", "g/L", "g/dL", "mg/g",
              "mg/mmol", "U/L", "kg", "g", "cm", "m", "mmol/mol", "mL/min", "kg/m2"}
_SMOKER_ANSWER = {True: ("77176002", "Smoker"), False: ("8392000", "Non-smoker")}
_QUANTILES = ("q05", "q25", "q75", "q95")


def _ucum(unit: str | None, field: str | None = None, value: float | None = None) -> dict[str, Any]:
    """``unit`` plus UCUM ``system``/``code`` when a code is known (for a Person field: only when it reads back the
    same)."""
    code = _UCUM.get(unit, unit if unit in _UCUM_SAME or field is not None else None)
    out: dict[str, Any] = {"unit": unit} if unit else {}
    if code is None:
        return out
    if field is not None and code != unit:
        from ..schemas.person import parse_quantity

        try:
            same = math.isclose(parse_quantity(field, {"value": value, "unit": code}).canonical,
                                parse_quantity(field, {"value": value, "unit": unit}).canonical, rel_tol=1e-9)
        except (ValueError, KeyError):
            same = False
        if not same:
            return out
    return {**out, "system": UCUM, "code": code}


def _day(date: str | dt.date | None) -> str:
    if date is None:
        return dt.date.today().isoformat()
    return date.isoformat() if isinstance(date, dt.date) else str(date)[:10]


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": resource}


def _patient(person) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "gender": person.sex}
    if person.id and re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", person.id):
        res["id"] = person.id
    return res


def _finish(entries: list[dict[str, Any]]) -> dict[str, Any]:
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": dt.datetime.now(dt.timezone.utc)
              .replace(microsecond=0).isoformat(), "entry": entries}
    validate_bundle(bundle)
    return bundle


def _concept(system: str, code: str, display: str | None = None, loinc: str | None = None) -> dict[str, Any]:
    coding = [{"system": LOINC, "code": loinc}] if loinc else []
    coding.append({"system": system, "code": code, **({"display": display} if display else {})})
    return {"coding": coding, "text": display or code}


def person_observations(person, date: str | dt.date | None, subject: str) -> list[dict[str, Any]]:
    """Observations for a Person's measurements on ``date`` (LOINC where the analyte has a code, irsim's input
    codes for flags and fields without one). OGTT samples carry irsim's codes ``ogtt_glucose_<min>``
    (the 2-h glucose also LOINC 20438-8) and ``ogtt_insulin_<min>``."""
    from ..schemas.person import BODY_FIELDS, FLAG_FIELDS, LAB_FIELDS

    when, out = _day(date), []
    base = {"resourceType": "Observation", "status": "final", "subject": {"reference": subject},
            "effectiveDateTime": when}
    for field in BODY_FIELDS + LAB_FIELDS:
        q = getattr(person.labs, field) if field in LAB_FIELDS else getattr(person, field)
        if q is None:
            continue
        a = analytes()[field]
        code = (_concept(IRSIM_INPUT, field, a.label, a.loinc[0]) if a.loinc
                else _concept(IRSIM_INPUT, field, a.label))
        kind = "laboratory" if field in LAB_FIELDS else "vital-signs"
        out.append({**base, "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                      "code": kind}]}],
                    "code": code, "valueQuantity": {"value": q.value, **_ucum(q.unit, field, q.value)}})
    og = person.labs.ogtt
    if og is not None:  # one Observation per sample, in time order (the reader rebuilds the curve from them)
        for label, series in (("glucose", og.glucose), ("insulin", og.insulin)):
            for minute, v in zip(og.minutes, series.values if series is not None else []):
                loinc = "20438-8" if label == "glucose" and minute == 120 else None
                out.append({**base, "code": _concept(IRSIM_INPUT, f"ogtt_{label}_{minute:g}",
                                                     f"OGTT {label} at {minute:g} min", loinc),
                            "valueQuantity": {"value": v, **_ucum(series.unit, f"ogtt_{label}", v)}})
    for field in FLAG_FIELDS:
        flag = getattr(person, field)
        if flag is None:
            continue
        if field == "smoker":
            code, text = _SMOKER_ANSWER[flag]
            out.append({**base, "code": {"coding": [{"system": LOINC, "code": _SMOKING_STATUS}], "text": "Tobacco smoking status"},
                        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": code,
                                                             "display": text}], "text": text}})
        else:
            out.append({**base, "code": _concept(IRSIM_INPUT, field), "valueBoolean": flag})
    return out


def result_labels() -> dict[str, str]:
    """The calculators' human names, when the assessment registry is loaded (io sits below assessment, so it is
    read from what is already imported rather than imported here)."""
    import sys

    registry = getattr(sys.modules.get("irsim.assessment.registry"), "REGISTRY", {})
    return {k: c.label for k, c in registry.items() if getattr(c, "label", "")}


def _result_value(value: Any, unit: str | None) -> dict[str, Any] | None:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueQuantity": {"value": float(f"{value:.6g}"), **_ucum(unit)}} if math.isfinite(value) else None
    if isinstance(value, str):
        return {"valueString": value}
    return None


def assessment_bundle(assessment, date: str | dt.date | None = None, history=None,
                      labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A FHIR R4 Bundle (plain dict, validated) for ``irsim assess``: the Patient, the person's measurements and
    one Observation per result (code: irsim's result key, plus LOINC where one exists, see RESULT_LOINC; value:
    quantity, integer, boolean or text; ``interpretation``: irsim's category; ``method``: the formula; ``note``:
    the reference; ``derivedFrom``: the measurements). ``date``: the day of the measurements (default today).
    With a ``history`` (whose last visit is the assessed person), every visit's measurements are written, on
    their dates, so that the Bundle reads back as the same history. ``labels``: result key -> human name
    (default: :func:`result_labels`)."""
    labels = result_labels() if labels is None else labels
    person = assessment.person
    patient = _entry(_patient(person))
    subject = patient["fullUrl"]
    entries = [patient]
    if history is not None and len(history.visits) > 1:
        for visit in history.visits[:-1]:
            entries += [_entry(o) for o in person_observations(visit.person, visit.date, subject)]
        date = history.visits[-1].date if date is None else date
    inputs = [_entry(o) for o in person_observations(person, date, subject)]
    entries += inputs
    when = _day(date)
    for key, rec in assessment.results.items():
        value = _result_value(rec.get("value"), rec.get("unit"))
        if value is None:
            continue
        label = labels.get(key) or key
        obs: dict[str, Any] = {"resourceType": "Observation", "status": "final",
                               "code": _concept(IRSIM_RESULT, key, label, RESULT_LOINC.get(key)),
                               "subject": {"reference": subject}, "effectiveDateTime": when, **value}
        if rec.get("category") is not None and not isinstance(rec.get("value"), str):
            cat = str(rec["category"])
            obs["interpretation"] = [{"coding": [{"system": IRSIM_CATEGORY, "code": cat}], "text": cat}]
        if rec.get("formula"):
            obs["method"] = {"text": rec["formula"]}
        if rec.get("reference"):
            obs["note"] = [{"text": rec["reference"]}]
        if inputs:
            obs["derivedFrom"] = [{"reference": e["fullUrl"]} for e in inputs]
        entries.append(_entry(obs))
    return _finish(entries)


def twin_bundle(person, bands, probabilities: dict[str, dict[str, dict[str, float]]],
                date: str | dt.date | None = None) -> dict[str, Any]:
    """A FHIR R4 Bundle (plain dict, validated) for a twin's projection.

    ``bands``: DataFrame with columns scenario, year, variable, q05, q25, q50, q75, q95. Each row becomes one
    Observation (status ``preliminary``: a projection, not a measurement) dated ``date`` + ``year`` years: the
    median as ``valueQuantity``, the other percentiles as components coded ``urn:irsim:quantile|q05`` ... ``q95``
    (q05-q95 is the 90 % interval); ``method`` names the scenario. Percentiles are not written as
    ``referenceRange``, which readers take for a normal range. ``probabilities[scenario][event][year]`` (years as
    text, "5", "10") becomes one RiskAssessment per scenario, one prediction per event and year:
    ``probabilityDecimal`` = probability the event has happened by that year, ``whenRange`` = 0 to year years.
    """
    need = {"scenario", "year", "variable", "q05", "q25", "q50", "q75", "q95"}
    missing = need - set(bands.columns)
    if missing:
        raise ValueError(f"bands lacks columns {sorted(missing)}")
    start = dt.date.fromisoformat(_day(date))
    patient = _entry(_patient(person))
    subject = patient["fullUrl"]
    entries = [patient]
    for row in bands.itertuples(index=False):
        year = float(row.year)
        if not all(math.isfinite(float(getattr(row, q))) for q in ("q50", *_QUANTILES)):
            continue
        loinc, unit = PROJECTION_LOINC.get(row.variable, (None, None))
        quantity = lambda x: {"value": float(f"{float(x):.6g}"), **(_ucum(unit) if unit else {})}  # noqa: E731
        obs = {"resourceType": "Observation", "status": "preliminary",
               "code": _concept(IRSIM_PROJECTION, str(row.variable), str(row.variable), loinc),
               "subject": {"reference": subject},
               "effectiveDateTime": (start + dt.timedelta(days=round(year * 365.25))).isoformat(),
               "method": {"coding": [{"system": IRSIM_SCENARIO, "code": str(row.scenario)}],
                          "text": f"irsim twin projection, scenario {row.scenario}, year {year:g}"},
               "valueQuantity": quantity(row.q50),
               "component": [{"code": {"coding": [{"system": IRSIM_QUANTILE, "code": q}], "text": q},
                              "valueQuantity": quantity(getattr(row, q))} for q in _QUANTILES]}
        entries.append(_entry(obs))
    for scenario, events in probabilities.items():
        predictions = []
        for event, by_year in events.items():
            for year, p in by_year.items():
                if p is None or not math.isfinite(float(p)):
                    continue
                predictions.append({"outcome": {"coding": [{"system": IRSIM_EVENT, "code": str(event)}], "text": str(event)},
                                    "probabilityDecimal": min(1.0, max(0.0, float(f"{float(p):.6g}"))),
                                    "whenRange": {"low": {"value": 0, "unit": "year", "system": UCUM, "code": "a"},
                                                  "high": {"value": float(year), "unit": "year", "system": UCUM,
                                                           "code": "a"}}})
        entries.append(_entry({"resourceType": "RiskAssessment", "status": "preliminary",
                               "subject": {"reference": subject}, "occurrenceDateTime": start.isoformat(),
                               "method": {"coding": [{"system": IRSIM_SCENARIO, "code": str(scenario)}],
                                          "text": f"irsim twin, scenario {scenario}: probability each event has "
                                                  "happened by the end of whenRange"},
                               **({"prediction": predictions} if predictions else {})}))
    return _finish(entries)
