"""A person's history from parsed data: fixed facts at the top level plus a list of dated ``visits``.

Rules (docs/units.md, "Histories"): each visit has a ``date`` (ISO) or an ``age`` (every visit the same kind);
a visit's fields override or add to the top-level ones; the last visit is "now" (years 0). Age at a visit comes
from the visit's ``age``, else from ``birth_date``, else from the top-level ``age`` read as the age at the last
visit. Every refusal names the visit and field, e.g. ``visits[1].date``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..schemas.history import History, Visit
from ..schemas.person import LAB_FIELDS, Person, parse_quantity, problems_from_errors

DAYS_PER_YEAR = 365.25
#: Age at a visit may differ by this many years from the one its date and the birth date give.
AGE_TOLERANCE_YEARS = 1.0


def _date(raw: Any) -> dt.date:
    """A date from ISO text (a time part is ignored), a date or a datetime; ValueError otherwise."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"value {raw!r} is not a date (YYYY-MM-DD)")


def years_between(a: dt.date, b: dt.date) -> float:
    """``b - a`` in years of 365.25 days."""
    return (b - a).days / DAYS_PER_YEAR


def _nest_labs(data: dict) -> dict:
    """Lab fields given at the top level of a mapping moved under ``labs`` (so visits override them key by key)."""
    flat = {k: v for k, v in data.items() if k in LAB_FIELDS or k == "ogtt"}
    if not flat and not isinstance(data.get("labs"), dict):
        return dict(data)
    out = {k: v for k, v in data.items() if k not in flat}
    labs = out.get("labs")
    if isinstance(labs, dict) or labs is None:
        out["labs"] = {**(labs or {}), **flat}
    return out


def _age_years(raw: Any, where: str, problems: list[Problem]) -> float | None:
    try:
        return parse_quantity("age", raw).canonical
    except ValueError as exc:
        problems.append(Problem(where, str(exc)))
        return None


def history_from_data(data: Any, source: str = "the person data", today: dt.date | None = None) -> History:
    """A :class:`History` from a person mapping, with or without ``visits``; every problem in one InputError.

    ``today`` (default: the current date) is the latest date a visit may have.
    """
    from .fhir import bundle_to_history_data, is_bundle

    if is_bundle(data):
        data = bundle_to_history_data(data)
    if data is None:
        raise InputError([Problem(f"could not read {source}", "it is empty")])
    if not isinstance(data, dict):
        raise InputError([Problem(f"could not read {source}", "it holds no fields, not one person")])
    if "visits" not in data and "birth_date" not in data and "date" not in data:
        return History.of(Person.parse(data))  # a plain person file, read as always
    today = today or dt.date.today()
    top = dict(data)
    visits_raw = top.pop("visits", None)
    if visits_raw is None:  # a plain person with a birth date or a date: one visit
        visits_raw = [{"date": top.pop("date")}] if "date" in top else [{}]
    problems: list[Problem] = []
    if not isinstance(visits_raw, list) or not visits_raw:
        raise InputError([Problem("visits", "give a list of visits, oldest first, each with a date or an age")])
    birth = None
    if "birth_date" in top:
        raw = top.pop("birth_date")
        try:
            birth = _date(raw)
            if birth > today:
                problems.append(Problem("birth_date", f"{birth.isoformat()} is after today ({today.isoformat()})"))
                birth = None
        except ValueError as exc:
            problems.append(Problem("birth_date", str(exc)))
    top_age = _age_years(top["age"], "age", problems) if top.get("age") is not None else None
    if "date" in top:
        problems.append(Problem("date", "a date belongs to a visit: put it inside each entry of visits"))
        top.pop("date")
    top = _nest_labs(top)

    # each visit's date and stated age
    visits: list[dict] = []
    dates: list[dt.date | None] = []
    ages: list[float | None] = []
    for i, v in enumerate(visits_raw):
        where = f"visits[{i}]"
        if not isinstance(v, dict):
            problems.append(Problem(where, f"a visit is a mapping of fields with a date or an age, not {v!r}"))
            v = {}
        v = dict(v)
        d = None
        if v.get("date") is not None:
            try:
                d = _date(v["date"])
                if d > today:
                    problems.append(Problem(f"{where}.date", f"{d.isoformat()} is after today ({today.isoformat()})"))
            except ValueError as exc:
                problems.append(Problem(f"{where}.date", str(exc)))
                d = None
        v.pop("date", None)
        a = _age_years(v["age"], f"{where}.age", problems) if v.get("age") is not None else None
        if "date" not in v and v.get("age") is None and len(visits_raw) > 1 and isinstance(visits_raw[i], dict) \
                and visits_raw[i].get("date") is None:
            problems.append(Problem(where, "give the visit a date (YYYY-MM-DD) or an age"))
        visits.append(_nest_labs(v))
        dates.append(d)
        ages.append(a)
    dated = [isinstance(v, dict) and v.get("date") is not None for v in visits_raw]
    if any(dated) and not all(dated):
        for i, has in enumerate(dated):
            if not has and isinstance(visits_raw[i], dict) and visits_raw[i].get("age") is not None:
                problems.append(Problem(f"visits[{i}].date", "missing while other visits are dated: give every visit "
                                        "a date, or every visit an age"))
    if problems:
        raise InputError(problems)

    by_date = all(dated)
    if len(visits_raw) == 1 and not dated[0]:
        by_date = False
        if birth is not None and ages[0] is None:  # one undated visit: it is today
            dates[0], by_date = today, True
    keys = dates if by_date else ages
    for i in range(1, len(keys)):
        if keys[i] is not None and keys[i - 1] is not None and keys[i] <= keys[i - 1]:
            what = "date" if by_date else "age"
            shown = keys[i].isoformat() if by_date else f"{keys[i]:g}"
            prev = keys[i - 1].isoformat() if by_date else f"{keys[i - 1]:g}"
            problems.append(Problem(f"visits[{i}].{what}", f"{shown} is not after the previous visit's {prev}: "
                                    "list visits oldest first, one per " + ("date" if by_date else "age")))
    if problems:
        raise InputError(problems)

    # age at each visit
    derived: list[float | None] = list(ages)
    if by_date:
        last = dates[-1]
        if birth is not None:
            anchor = lambda d: years_between(birth, d)  # noqa: E731
            anchor_name = f"birth_date {birth.isoformat()}"
        elif top_age is not None:
            anchor = lambda d: top_age - years_between(d, last)  # noqa: E731
            anchor_name = f"age {top_age:g} at the last visit"
        elif any(a is not None for a in ages):
            k = next(i for i, a in enumerate(ages) if a is not None)
            anchor = lambda d: ages[k] + years_between(dates[k], d)  # noqa: E731
            anchor_name = f"visits[{k}].age"
        else:
            anchor = None
            problems.append(Problem("birth_date", "required field is missing: give birth_date (or age) with dated "
                                    "visits"))
        if anchor is not None:
            for i, d in enumerate(dates):
                expect = anchor(d)
                if ages[i] is None:
                    derived[i] = round(expect, 2)
                elif abs(ages[i] - expect) > AGE_TOLERANCE_YEARS and (birth is not None or top_age is not None):
                    problems.append(Problem(f"visits[{i}].age", f"{ages[i]:g} years contradicts {anchor_name}, which "
                                            f"gives {expect:.1f} on {d.isoformat()}"))
        years = [years_between(last, d) for d in dates]
    else:
        if top_age is not None and ages[-1] is None:
            derived[-1] = top_age
        if top_age is not None and ages[-1] is not None and abs(top_age - ages[-1]) > AGE_TOLERANCE_YEARS:
            problems.append(Problem(f"visits[{len(ages) - 1}].age", f"{ages[-1]:g} years contradicts the top-level "
                                    f"age {top_age:g} (read as the age at the last visit)"))
        if len(ages) > 1 and any(a is None for a in derived):
            problems.append(Problem("visits", "give every visit a date or an age"))
        years = [(a - derived[-1]) if a is not None and derived[-1] is not None else 0.0 for a in derived]
    if problems:
        raise InputError(problems)

    # each visit a full Person: the fixed facts, overridden by the visit's own fields
    out: list[Visit] = []
    top_problems: list[Problem] = []
    top_fields = {k for k in top if k != "labs"}
    top_labs = set(top.get("labs") or {}) if isinstance(top.get("labs"), dict) else set()
    for i, v in enumerate(visits):
        merged = {**top, **v}
        if isinstance(top.get("labs"), dict) and isinstance(v.get("labs"), dict):
            merged["labs"] = {**top["labs"], **v["labs"]}
        if derived[i] is not None and v.get("age") is None:
            merged["age"] = derived[i]
        try:
            person = Person.model_validate(merged)
        except ValidationError as exc:
            for p in problems_from_errors(exc.errors()):
                head = p.field.split(".")
                from_top = (head[0] == "labs" and len(head) > 1 and head[1] in top_labs
                            and head[1] not in (v.get("labs") or {})) or \
                           (head[0] in top_fields and head[0] not in v and not (head[0] == "age" and v.get("age") is None
                                                                              and derived[i] is not None and top_age is None))
                if from_top:
                    if p not in top_problems:
                        top_problems.append(p)
                else:
                    field = f"visits[{i}]" if p.field == "person" else f"visits[{i}].{p.field}"
                    problems.append(Problem(field, p.message))
            continue
        d = dates[i] if by_date else None
        out.append(Visit(years=round(years[i], 6), person=person, date=None if d is None else d.isoformat()))
    if top_problems or problems:
        raise InputError(top_problems + problems)
    return History(tuple(out))
