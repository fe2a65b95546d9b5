"""Profiles and their lab history in a local SQLite file (SQLAlchemy 2); the schema is managed by Alembic."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import (Date, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event, func,
                        select)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    pass


class Profile(Base):
    __tablename__ = "profiles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    person_json: Mapped[str] = mapped_column(Text)
    baseline_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
    labs: Mapped[list["LabResult"]] = relationship(back_populates="profile", cascade="all, delete-orphan",
                                                   order_by="LabResult.measured_on")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "person": json.loads(self.person_json),
                "baseline_date": self.baseline_date.isoformat(), "labs": [lab.to_dict() for lab in self.labs]}


class LabResult(Base):
    __tablename__ = "lab_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    measured_on: Mapped[dt.date] = mapped_column(Date)
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    canonical: Mapped[float] = mapped_column(Float)
    profile: Mapped[Profile] = relationship(back_populates="labs")

    def to_dict(self) -> dict[str, Any]:
        year = (self.measured_on - self.profile.baseline_date).days / 365.25
        return {"id": self.id, "measured_on": self.measured_on.isoformat(), "field": self.field, "value": self.value,
                "unit": self.unit, "canonical": self.canonical, "year": round(year, 3)}


def default_path() -> Path:
    """$IRSIM_DB, else irsim.db in the user's data directory."""
    if os.environ.get("IRSIM_DB"):
        return Path(os.environ["IRSIM_DB"])
    import platformdirs

    return Path(platformdirs.user_data_dir("irsim")) / "irsim.db"


def upgrade(url: str) -> None:
    """Bring the database to the latest schema (alembic upgrade head), from the packaged migrations."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")


def open_db(path: Path) -> sessionmaker[Session]:
    """Create the file's folder, migrate, and return a session factory (foreign keys enforced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    return sessionmaker(engine, expire_on_commit=False)


def get_profile(session: Session, profile_id: int) -> Profile | None:
    return session.scalars(select(Profile).where(Profile.id == profile_id)).first()


#: Person fields a profile keeps for every visit; the rest of its person is what was measured on its baseline date.
FIXED_FIELDS = ("id", "sex", "height", "smoker", "on_bp_medication", "on_statin", "diabetes", "physical_activity",
                "diabetes_duration_years")


def profile_history(profile: Profile, today: dt.date | None = None):
    """The profile as a :class:`irsim.schemas.history.History`: its person is the visit on ``baseline_date``; each
    other day with lab results is a visit with the fixed facts (:data:`FIXED_FIELDS`) and that day's results
    (results on the baseline date override the person's values). Ages and years of diabetes follow the dates.
    Checked like a visits file (InputError naming ``visits[i].field``)."""
    from ...io.history import history_from_data, years_between
    from ...schemas.person import LAB_FIELDS, parse_quantity

    person = json.loads(profile.person_json)
    base = profile.baseline_date
    fixed = {k: person[k] for k in FIXED_FIELDS if k in person}
    measured = {k: v for k, v in person.items() if k not in fixed and k != "age"}
    days: dict[dt.date, dict[str, Any]] = {base: measured}
    for lab in profile.labs:
        visit = days.setdefault(lab.measured_on, {})
        value = {"value": lab.value, "unit": lab.unit}
        if lab.field in LAB_FIELDS:
            visit.setdefault("labs", {})[lab.field] = value
        else:
            visit[lab.field] = value
    def years(raw: Any) -> float | None:
        try:
            return None if raw is None else parse_quantity("age", raw).canonical
        except ValueError:
            return None

    age_years = years(person.get("age"))
    duration = years(fixed.get("diabetes_duration_years"))
    visits = []
    for day in sorted(days):
        v = {"date": day.isoformat(), **days[day]}
        shift = years_between(base, day)
        if age_years is not None:
            v["age"] = round(age_years + shift, 2)
        if duration is not None:
            v["diabetes_duration_years"] = round(max(0.0, duration + shift), 2)
        visits.append(v)
    fixed.pop("diabetes_duration_years", None)
    return history_from_data({**fixed, "visits": visits}, f"profile {profile.id}", today=today)
