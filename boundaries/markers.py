"""Boundary marker numbers per GB/T 17796-2009 and the rules for twin and triple markers."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from boundaries.models import BOUNDARY_MARKER_CONTRACTS
from boundaries.models import MARKER_NUMBER_PATTERN
from boundaries.models import MARKER_STATUSES
from boundaries.models import MARKER_TYPES
from gis.contracts import check
from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import transformer
from gis.errors import InvalidInput

#: Marker types: Q single (单立); A/B twin (同号双立); C/D/E triple (同号三立).
SINGLE = "Q"
TWIN = ("A", "B")
TRIPLE = ("C", "D", "E")
TYPES = MARKER_TYPES
MATERIALS = ("花岗岩", "钢筋混凝土", "不锈钢", "复合材料", "智慧界桩")
STATUSES = MARKER_STATUSES

_NUMBER = re.compile(MARKER_NUMBER_PATTERN)


@dataclass(frozen=True)
class MarkerNumber:
    """A parsed marker number: line code, sequence and type letter."""

    line_code: str
    seq: int
    marker_type: str

    def __str__(self) -> str:
        return format_number(self.line_code, self.seq, self.marker_type)

    @property
    def group_key(self) -> str:
        """The number shared by the members of a twin or triple group (without the letter)."""
        return f"{self.line_code}{self.seq:03d}"


def check_values(values: dict[str, Any]) -> dict[str, Any]:
    """A marker's values checked against their contracts (:data:`BOUNDARY_MARKER_CONTRACTS`).

    Texts, numbers and choices come back cleaned; other values (lists, flags) as given. A value
    a contract refuses is :class:`~gis.errors.InvalidInput` naming the field.
    """
    out = dict(values)
    for key, value in values.items():
        contract = BOUNDARY_MARKER_CONTRACTS.get(key)
        if contract is not None and contract.kind in ("text", "int", "float"):
            out[key] = check(contract, value, field=key)
    return out


def format_number(line_code: str, seq: int, marker_type: str) -> str:
    """Compose a marker number: line code + 3-digit sequence + type letter (e.g. ``1564012Q``)."""
    _check_line_code(line_code)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= 999:
        raise InvalidInput(f"marker sequence must be an integer 1–999, got {seq!r}")
    if marker_type not in TYPES:
        raise InvalidInput(f"marker type must be one of {', '.join(TYPES)}, got {marker_type!r}")
    return f"{line_code}{seq:03d}{marker_type}"


def parse_number(number: str) -> MarkerNumber:
    """Parse and validate a marker number; raise :class:`~gis.errors.InvalidInput` naming the problem."""
    if not isinstance(number, str):
        raise InvalidInput(f"marker number must be text, got {type(number).__name__}")
    text = number.strip().upper()
    m = _NUMBER.match(text)
    if not m:
        raise InvalidInput(
            f"marker number {number[:40]!r} is not GB/T 17796 form: line code (4, 8 or 12 digits) "
            "+ 3-digit sequence + type letter Q/A/B/C/D/E, e.g. 1564012Q"
        )
    seq = int(m["seq"])
    if seq == 0:
        raise InvalidInput(f"marker number {text}: sequence 000 is not allowed (starts at 001)")
    return MarkerNumber(m["line"], seq, m["type"])


def validate_number(number: str, *, line_code: str, marker_type: str | None = None) -> MarkerNumber:
    """Check that ``number`` is well formed and belongs to ``line_code`` (and has ``marker_type``)."""
    parsed = parse_number(number)
    if parsed.line_code != line_code:
        raise InvalidInput(
            f"marker number {number}: line code {parsed.line_code} does not match the line's {line_code}"
        )
    if marker_type is not None and parsed.marker_type != marker_type:
        raise InvalidInput(
            f"marker number {number}: letter {parsed.marker_type} does not match type {marker_type}"
        )
    return parsed


def check_groups(markers: Iterable[dict]) -> list[str]:
    """Problems with twin/triple grouping and sequencing of a line's markers.

    Parameters
    ----------
    markers
        Dicts with ``number`` and, for twins, ``side_code`` (the division the marker stands in).

    Returns
    -------
    list of str
        Empty when every group is complete (A+B, or C+D+E), no single shares a number with a group,
        and A stands on the side of the smaller division code.
    """
    groups: dict[str, list[dict]] = defaultdict(list)
    problems: list[str] = []
    for m in markers:
        try:
            parsed = parse_number(m["number"])
        except ValueError as exc:
            problems.append(str(exc))
            continue
        groups[parsed.group_key].append({**m, "_type": parsed.marker_type})
    for key, members in sorted(groups.items()):
        letters = sorted(x["_type"] for x in members)
        if letters == [SINGLE]:
            continue
        if letters == list(TWIN):
            a = next(x for x in members if x["_type"] == "A")
            b = next(x for x in members if x["_type"] == "B")
            if a.get("side_code") and b.get("side_code") and a["side_code"] > b["side_code"]:
                problems.append(f"twin {key}: A stands in {a['side_code']}, which is not the smaller code")
            continue
        if letters == list(TRIPLE):
            continue
        problems.append(f"marker group {key} has letters {''.join(letters)}: expected Q, AB or CDE")
    return problems


def twin_letter(side_code: str, other_code: str) -> str:
    """``'A'`` for the side with the smaller division code, else ``'B'``."""
    if side_code == other_code:
        raise InvalidInput("a twin marker's two sides must be different divisions")
    return "A" if side_code < other_code else "B"


def _check_line_code(line_code: str) -> None:
    if not (isinstance(line_code, str) and line_code.isdigit() and len(line_code) in (4, 8, 12)):
        raise InvalidInput(f"line code must be 4, 8 or 12 digits, got {line_code!r}")


#: Largest distance (m, EPSG:4545) between a marker and its line section before a justification is
#: required: lines are digitised from 1:10 000 maps, whose positional error stays well under this.
MAX_LINE_OFFSET_M = 50.0


def line_offset_m(point: BaseGeometry, line: BaseGeometry) -> float:
    """Distance in metres (EPSG:4545) from a marker position to its line section (both EPSG:4490)."""
    to_m = transformer(STORAGE_SRID, METRIC_SRID)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))

    return float(shapely.distance(shapely.transform(point, project), shapely.transform(line, project)))


def check_line_offset(
    number: str,
    offset_m: float,
    *,
    justification: str | None,
    tolerance_m: float = MAX_LINE_OFFSET_M,
) -> str | None:
    """The justification (stripped) for a marker off its line, refusing one too far without it."""
    text = (justification or "").strip() or None
    if offset_m > tolerance_m and text is None:
        raise InvalidInput(
            f"marker {number} stands {offset_m:.0f} m from its line, farther than the tolerance of "
            f"{tolerance_m:.0f} m: correct the position or record a justification",
            field="geometry",
            details={"distance_m": round(offset_m, 1), "tolerance_m": tolerance_m},
        )
    if text is not None and len(text) > 1000:
        raise InvalidInput(
            f"marker {number}: justification is longer than 1000 characters", field="justification"
        )
    return text
