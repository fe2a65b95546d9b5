"""Read a FHIR R4 Bundle (Patient + LOINC-coded Observations with UCUM units) into Person data."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from ..errors import InputError, Problem
from ..units import analytes

LOINC = "http://loinc.org"

#: LOINC codes read as flags or OGTT samples (analyte codes come from data/analytes.yaml).
_SMOKING_STATUS = "72166-2"
_BP_PANELS = {"85354-9", "55284-4", "35094-2"}
#: SNOMED CT smoking-status answers meaning a current smoker (LOINC answer list LL2201-3).
_CURRENT_SMOKER = {"449868002", "428041000124106", "77176002", "LA18976-3", "LA18977-1"}
_OGTT_2H = {"20438-8", "1518-0"}  # glucose 2 h post 75 g oral glucose


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


def _codes(concept: dict | None) -> list[str]:
    if not concept:
        return []
    return [c.get("code") for c in concept.get("coding", []) if c.get("system") in (LOINC, None) and c.get("code")]


def _when(obs: dict) -> str:
    return obs.get("effectiveDateTime") or (obs.get("effectivePeriod") or {}).get("start") or obs.get("issued") or ""


def _quantity(vq: dict, where: str, problems: list[Problem]) -> dict | None:
    if "value" not in vq:
        problems.append(Problem(where, "valueQuantity has no value"))
        return None
    unit = vq.get("code") or vq.get("unit")
    if not unit:
        problems.append(Problem(where, f"value {vq['value']!r} has no unit (valueQuantity.code or .unit)"))
        return None
    return {"value": vq["value"], "unit": unit}


def _age(birth: str, at: str) -> float:
    b = date.fromisoformat(birth[:10])
    when = datetime.fromisoformat(at.replace("Z", "+00:00")).date() if at else date.today()
    return (when - b).days / 365.2425


def bundle_to_person_data(bundle: dict) -> dict[str, Any]:
    """Person data (as for :meth:`Person.parse`) from a Bundle; the latest Observation of each code wins."""
    problems: list[Problem] = []
    patient, observations = None, []
    for i, entry in enumerate(bundle.get("entry", [])):
        res = entry.get("resource", {})
        rt = res.get("resourceType")
        if rt == "Patient":
            patient = res
        elif rt == "Observation" and res.get("status", "final") not in ("entered-in-error", "cancelled"):
            observations.append((i, res))
    data: dict[str, Any] = {"labs": {}}
    if patient is None:
        problems.append(Problem("Bundle", "no Patient resource (needed for sex and birth date)"))
    else:
        g = patient.get("gender")
        if g in ("female", "male"):
            data["sex"] = g
        else:
            problems.append(Problem("Patient.gender", f"value {g!r}: irsim needs 'female' or 'male' for its sex-specific equations"))
        data["id"] = patient.get("id")
    latest: dict[str, tuple[str, Any]] = {}
    lmap = loinc_map()
    for i, obs in sorted(observations, key=lambda io: _when(io[1])):
        where = f"Bundle.entry[{i}] Observation"
        codes = _codes(obs.get("code"))
        if _SMOKING_STATUS in codes:
            answer = _codes(obs.get("valueCodeableConcept")) + [c.get("code") for c in (obs.get("valueCodeableConcept") or {}).get("coding", [])]
            latest["smoker"] = (_when(obs), any(a in _CURRENT_SMOKER for a in answer))
            continue
        if _BP_PANELS & set(codes) or obs.get("component"):
            for comp in obs.get("component", []):
                for code in _codes(comp.get("code")):
                    if code in lmap and "valueQuantity" in comp:
                        q = _quantity(comp["valueQuantity"], where, problems)
                        if q:
                            latest[lmap[code]] = (_when(obs), q)
            continue
        field = next((lmap[c] for c in codes if c in lmap), None)
        if field is None and _OGTT_2H & set(codes):
            field = "ogtt_2h"
        if field is None or "valueQuantity" not in obs:
            continue
        q = _quantity(obs["valueQuantity"], f"{where} ({field})", problems)
        if q:
            latest[field] = (_when(obs), q)
    for field, (when, value) in latest.items():
        if field == "ogtt_2h":
            data["labs"]["ogtt"] = {"minutes": [120], "glucose": {"values": [value["value"]], "unit": value["unit"]}}
        elif field == "age":
            data["age"] = value
        elif field in ("smoker",):
            data[field] = value
        elif field in ("height", "weight", "waist", "systolic_bp", "diastolic_bp"):
            data[field] = value
        else:
            data["labs"][field] = value
    if patient is not None and "age" not in data:
        birth = patient.get("birthDate")
        if not birth:
            problems.append(Problem("Patient.birthDate", "missing: needed for age"))
        else:
            last = max((w for w, _ in latest.values() if w), default="")
            try:
                data["age"] = round(_age(birth, last), 2)
            except ValueError:
                problems.append(Problem("Patient.birthDate", f"value {birth!r} is not a date (YYYY-MM-DD)"))
    if problems:
        raise InputError(problems)
    return data
