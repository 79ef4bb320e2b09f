"""Tables for civil-affairs facilities, population by year, entered indicator values and analysis runs."""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from facilities.kinds import FACILITY_STATUSES
from facilities.kinds import KIND_CODES
from facilities.kinds import OPERATOR_TYPES
from gis import contracts
from gis.models import Base
from gis.models import Tracked
from gis.models import geometry
from gis.models import utcnow


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class Facility(Base, Tracked):
    """A civil-affairs facility."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(200))
    operator_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    year_opened: Mapped[int | None] = mapped_column(Integer, nullable=True)
    year_closed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    planned_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    beds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nursing_beds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    floor_area_m2: Mapped[float | None] = mapped_column(Float, nullable=True)
    new_or_rebuilt: Mapped[bool] = mapped_column(default=False)
    has_volunteer_site: Mapped[bool] = mapped_column(default=False)
    service_radius_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    service_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    opening_hours: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    division_code: Mapped[str | None] = mapped_column(
        ForeignKey("division.code", ondelete="RESTRICT"), nullable=True, index=True
    )
    #: The administrative unit the facility is established for (e.g. the city or a district for a
    #: minor-protection institution, a town for a social-work station); ``None`` = its location.
    serves_code: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    geom = geometry("POINT", nullable=False)

    __table_args__ = (
        CheckConstraint(_in("kind", KIND_CODES), name="kind"),
        CheckConstraint(_in("status", FACILITY_STATUSES), name="status"),
        CheckConstraint(
            f"operator_type IS NULL OR {_in('operator_type', OPERATOR_TYPES)}", name="operator_type"
        ),
        CheckConstraint("beds IS NULL OR beds >= 0", name="beds"),
        CheckConstraint(
            "nursing_beds IS NULL OR (nursing_beds >= 0 AND beds IS NOT NULL AND nursing_beds <= beds)",
            name="nursing_beds",
        ),
        CheckConstraint(
            "floor_area_m2 IS NULL OR kind <> 'community_service' OR floor_area_m2 >= 300",
            name="community_floor_area",
        ),
    )


class PopulationStat(Base, Tracked):
    """Households, residents and people aged 60+ of a division in a year."""

    __tablename__ = "population_stat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("division.code", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer, nullable=True)
    residents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    aged_60plus: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (UniqueConstraint("division_code", "year", name="uq_population_stat_division_year"),)


class IndicatorEntry(Base, Tracked):
    """A value of a non-spatial plan indicator, entered with its source and date."""

    __tablename__ = "indicator_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    value: Mapped[float] = mapped_column(Float)
    value_source: Mapped[str] = mapped_column(String(200))
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        CheckConstraint("number BETWEEN 1 AND 12", name="number"),
        UniqueConstraint("number", "year", "division_code", name="uq_indicator_entry_number_year_division"),
    )


class AnalysisRun(Base):
    """A stored analysis run: its inputs, parameters, time and results (reloadable, comparable)."""

    __tablename__ = "analysis_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[str] = mapped_column(String(64), default="system")
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    result_geojson: Mapped[str | None] = mapped_column(Text, nullable=True)


_CODE12 = contracts.division_code()
_YEAR = contracts.integer(1949, 2100)
FACILITY_CONTRACTS = contracts.declare(
    Facility,
    {
        "kind": contracts.choice(KIND_CODES, required=True),
        "name": contracts.text(required=True),
        "operator_type": contracts.choice(OPERATOR_TYPES),
        "status": contracts.choice(FACILITY_STATUSES),
        "year_opened": _YEAR,
        "year_closed": _YEAR,
        "planned_year": _YEAR,
        "beds": contracts.integer(0),
        "nursing_beds": contracts.integer(0, note="at most beds"),
        "floor_area_m2": contracts.number(0, note="≥ 300 m² for a community service centre"),
        "new_or_rebuilt": contracts.Contract("bool"),
        "has_volunteer_site": contracts.Contract("bool"),
        "service_radius_m": contracts.number(0),
        "service_minutes": contracts.number(0),
        "opening_hours": contracts.text(),
        "contact": contracts.text(),
        "address": contracts.text(),
        "division_code": _CODE12,
        "serves_code": _CODE12,
    },
)
