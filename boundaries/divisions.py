"""The one reader of administrative divisions, with the rule of which divisions count on a day or in a year.

Place names, signs, facilities and the web read divisions through here only. A division counts on
a day when it began on or before it (or has no start) and had not ended by it; it counts in a
year when it existed on any day of that year. Without a day or a year, today counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import geopandas as gpd
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import null
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import Division
from gis.crs import STORAGE_SRID
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.rows import wkb_rows_to_gdf

#: Columns of :func:`divisions_gdf`, besides the geometry.
DIVISION_COLUMNS = (
    "code", "name", "level", "kind", "parent_code", "in_wuhai", "urban_rural", "households", "population",
    "population_60plus", "valid_from", "valid_to", "source",
)  # fmt: skip
#: Levels from the top down.
LEVELS = ("province", "city", "district", "town", "community", "village")
#: The smallest units: communities (居委会) and villages (村委会).
UNIT_LEVELS = ("community", "village")


def valid_clause(*, as_of: date | None = None, year: int | None = None) -> ColumnElement[bool]:
    """The rule of which divisions count: on ``as_of``, during ``year``, or today."""
    if as_of is not None and year is not None:
        raise InvalidInput("give a day or a year, not both", field="as_of")
    if year is not None:
        first, last = date(year, 1, 1), date(year, 12, 31)
    else:
        first = last = as_of or date.today()
    return and_(
        or_(Division.valid_from.is_(None), Division.valid_from <= last),
        or_(Division.valid_to.is_(None), Division.valid_to > first),
    )


def divisions_gdf(
    session: Session,
    *,
    levels: Sequence[str] | None = None,
    as_of: date | None = None,
    year: int | None = None,
    in_wuhai: bool | None = True,
    geometry: bool = True,
    every_period: bool = False,
) -> gpd.GeoDataFrame:
    """Divisions as a GeoDataFrame in EPSG:4490, in code order.

    Parameters
    ----------
    levels
        Only these levels (``city``, ``district``, ``town``, ``community``, ``village``).
    as_of, year
        Divisions that counted on that day or during that year (default: today).
    in_wuhai
        ``True`` (default): Wuhai's own; ``False``: the neighbours; ``None``: both.
    geometry
        ``False`` leaves the geometry column empty (faster for code and name look-ups).
    every_period
        Every division ever recorded, ended ones included (history, exports).
    """
    cols = [getattr(Division, c) for c in DIVISION_COLUMNS]
    geom = func.ST_AsBinary(Division.geom) if geometry else null()
    q = select(*cols, geom)
    if levels:
        q = q.where(Division.level.in_(list(levels)))
    if in_wuhai is not None:
        q = q.where(Division.in_wuhai.is_(in_wuhai))
    if not every_period:
        q = q.where(valid_clause(as_of=as_of, year=year))
    return wkb_rows_to_gdf(session.execute(q.order_by(Division.code)).all(), DIVISION_COLUMNS)


def division_names(session: Session, *, levels: Sequence[str] | None = None) -> dict[str, str]:
    """``{code: name}`` of the divisions that count today (Wuhai's and neighbours'), for labels and menus."""
    q = select(Division.code, Division.name).where(valid_clause())
    if levels:
        q = q.where(Division.level.in_(list(levels)))
    return dict(session.execute(q.order_by(Division.code)).all())


def get_division(session: Session, code: str) -> Division:
    """The division with statistical code ``code`` (whatever its period), or :class:`NotFound`."""
    if not isinstance(code, str) or not code.isdigit() or len(code) != 12:
        raise NotFound(
            f"no division {str(code)[:20]!r}: a division code has 12 digits", field="division_code"
        )
    found = session.get(Division, code)
    if found is None:
        raise NotFound(f"no division {code}", field="division_code")
    return found


def find_division(session: Session, text: str) -> Division:
    """The division whose code or name is ``text`` (Wuhai's first, then those that count today)."""
    text = str(text).strip()
    found = (
        session.execute(
            select(Division)
            .where(or_(Division.code == text, Division.name == text))
            .order_by(Division.in_wuhai.desc(), Division.valid_to.is_not(None), Division.code)
        )
        .scalars()
        .first()
    )
    if found is None:
        raise NotFound(f"no division with code or name {text[:40]!r}", field="division")
    return found


def city(session: Session) -> Division:
    """The city itself (乌海市), or :class:`NotFound` before the reference data is loaded."""
    found = session.scalars(
        select(Division).where(Division.level == "city", Division.in_wuhai.is_(True), valid_clause())
    ).first()
    if found is None:
        raise NotFound("no city division: load the reference data (wuhai-gis load-reference) first")
    return found


def locate_division(
    session: Session, lon: float, lat: float, *, levels: Sequence[str] = UNIT_LEVELS
) -> str | None:
    """The code of the division of ``levels`` that counts today and contains the point (``None``: none)."""
    pt = from_shape(Point(lon, lat), srid=STORAGE_SRID)
    q = (
        select(Division.code)
        .where(Division.level.in_(list(levels)), Division.geom.is_not(None), valid_clause())
        .where(Division.geom.ST_Intersects(pt))
        .order_by(Division.code)
    )
    return session.scalars(q.limit(1)).first()


def district_of(code: str | None) -> str | None:
    """The 12-digit district code of a division code (``150302001001`` → ``150302000000``)."""
    return f"{code[:6]}000000" if isinstance(code, str) and code else None


def town_of(code: str | None) -> str | None:
    """The 12-digit town code of a town, community or village code (``None`` above the towns)."""
    return f"{code[:9]}000" if isinstance(code, str) and code[6:9] not in ("", "000") else None
