"""The values of a place name's fields checked and set: name, aliases, texts, romanization, geometry.

Each refusal is :class:`gis.errors.InvalidInput` naming the field.
"""

from __future__ import annotations

from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry

from gis.contracts import check
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from gis.errors import InvalidInput
from placenames.models import PLACE_NAME_CONTRACTS
from placenames.models import PlaceName
from placenames.mongolian import clean_mongolian
from placenames.romanize import initials
from placenames.romanize import pinyin_key
from placenames.romanize import romanization
from placenames.romanize import validate_override

#: The descriptive fields and their longest text, in characters (from their contracts).
TEXT_LIMITS = {
    key: PLACE_NAME_CONTRACTS[key].max_length
    for key in ("meaning", "history", "location_desc", "mongolian", "mongolian_source")
}


def set_romanization(pn: PlaceName, override: str | None, reason: str | None) -> None:
    """Set the romanized form: the automatic one, or a validated override with its reason."""
    auto = romanization(pn.name, category=pn.category_code, origin=pn.origin_language).text
    if override is not None and override.strip():
        override = check(PLACE_NAME_CONTRACTS["romanized"], override, field="romanized")
    if override is not None and override.strip() and override.strip() != auto:
        problems = validate_override(pn.name, override, reason=reason)
        if problems:
            raise InvalidInput(
                f"romanization override for {pn.name}: " + "; ".join(problems), field="romanized"
            )
        pn.romanized = override.strip()
        pn.romanized_override_reason = reason.strip() if reason else None
    elif override is None and pn.romanized_override_reason and pn.romanized:
        pass  # keep an existing, validated override
    else:
        pn.romanized = auto
        pn.romanized_override_reason = None
    pn.pinyin_key = pinyin_key(pn.name)
    pn.initials = initials(pn.name)


def needs_review(pn: PlaceName) -> bool:
    """Whether the romanization of a name of minority-language origin lacks a registered form."""
    if pn.romanized_override_reason:
        return False
    return romanization(pn.name, category=pn.category_code, origin=pn.origin_language).needs_review


def clean_language(code: str | None) -> str | None:
    """A language-of-origin code (``zh``, ``mn``, ``bo``, ``ug``...; ISO 639, lower case) or None."""
    if code is None or not str(code).strip():
        return None
    return check(PLACE_NAME_CONTRACTS["origin_language"], str(code).lower(), field="origin_language")


def clean_name(name: str, *, field: str = "name") -> str:
    """A name stripped and checked against the name's contract (characters, length)."""
    if not isinstance(name, str):
        raise InvalidInput("the name must be text", field=field)
    if not name.strip():
        raise InvalidInput("the name is empty", field=field)
    return check(PLACE_NAME_CONTRACTS["name"], name, field=field)


def clean_aliases(aliases: list[str] | None) -> list[str]:
    """Aliases checked like names, duplicates dropped, order kept."""
    out: list[str] = []
    for alias in aliases or []:
        alias = clean_name(alias, field="aliases")
        if alias not in out:
            out.append(alias)
    return out


def set_text(pn: PlaceName, **values: str | None) -> None:
    """Set descriptive texts checked by their contracts (``None`` leaves a field as it is; the Mongolian form is checked as script too)."""
    for key, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{key} must be text", field=key)
        if key == "mongolian":
            value = clean_mongolian(value, field=key)
        setattr(pn, key, check(PLACE_NAME_CONTRACTS[key], value, field=key))


def limit(value: str | None, size: int, what: str) -> str | None:
    """``value`` unless longer than ``size`` characters."""
    if value is not None and len(value) > size:
        raise InvalidInput(f"{what} is longer than {size} characters", field=what)
    return value


def geometry_value(geom: BaseGeometry):
    """A shapely geometry checked (valid, lon/lat within Wuhai and its neighbours) as a column value."""
    if not isinstance(geom, BaseGeometry):
        raise InvalidInput("geometry must be a shapely geometry in EPSG:4490", field="geometry")
    if geom.is_empty or not geom.is_valid:
        raise InvalidInput(f"invalid geometry ({geom.geom_type})", field="geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (in_extent(minx, miny) and in_extent(maxx, maxy)):
        if in_extent(miny, minx) and in_extent(maxy, maxx):
            raise InvalidInput(
                "geometry looks like lat/lon swapped: give lon/lat (x=lon, y=lat) in EPSG:4490",
                field="geometry",
            )
        raise InvalidInput(
            f"geometry {geom.bounds} lies outside Wuhai and its neighbours (EPSG:4490 lon/lat)",
            field="geometry",
        )
    return from_shape(geom, srid=STORAGE_SRID)
