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
