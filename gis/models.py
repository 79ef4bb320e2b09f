"""Declarative base, the common row columns, the audit log, accounts and the road network."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import declared_attr
from sqlalchemy.orm import mapped_column

from gis import contracts
from gis.crs import STORAGE_SRID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Values of the ``source`` column for data that is not real.
SYNTHETIC = "synthetic"


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(UTC)


def geometry(geometry_type: str = "GEOMETRY", *, nullable: bool = True):
    """A geometry column in the storage CRS with a spatial index (both backends)."""
    return mapped_column(
        Geometry(geometry_type=geometry_type, srid=STORAGE_SRID, spatial_index=True),
        nullable=nullable,
    )


class Base(DeclarativeBase):
    """Base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict: JSON, list: JSON}


class Tracked:
    """Columns every business row carries: times, author, version (optimistic lock) and source."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    author: Mapped[str] = mapped_column(String(64), default="system")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    source: Mapped[str] = mapped_column(String(64), default="manual")

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805
        return {"version_id_col": cls.version}


class AuditLog(Base):
    """Append-only record of every write: who, when, what, why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (Index("ix_audit_log_table_row", "table_name", "row_key"),)


class User(Base, Tracked):
    """An account with one or more roles."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    api_token_hash: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class RoadSegment(Base, Tracked):
    """A road centre-line segment: the street network for signs, addresses and travel-time analysis."""

    __tablename__ = "road_segment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    road_class: Mapped[str] = mapped_column(String(20), default="street")
    oneway: Mapped[bool] = mapped_column(default=False)
    speed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    length_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    division_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    geom = geometry("LINESTRING", nullable=False)

    __table_args__ = (
        CheckConstraint(
            "road_class IN ('trunk','primary','secondary','street','lane','path','rural')",
            name="road_class",
        ),
    )


#: Road classes, from trunk roads to rural tracks.
ROAD_CLASSES = ("trunk", "primary", "secondary", "street", "lane", "path", "rural")
ROAD_CONTRACTS = contracts.declare(
    RoadSegment,
    {
        "name": contracts.text(),
        "road_class": contracts.choice(ROAD_CLASSES),
        "oneway": contracts.Contract("bool"),
        "speed_kmh": contracts.number(0, 150),
        "length_m": contracts.number(0),
        "division_code": contracts.division_code(),
    },
)
