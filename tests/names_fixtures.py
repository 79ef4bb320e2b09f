"""The small division tree that the place-name tests put their names in."""

from __future__ import annotations

from boundaries.models import Division

CITY = "150300000000"
HBW = "150302000000"  # 海勃湾区
HN = "150303000000"  # 海南区
TOWN = "150302001000"  # 凤凰岭街道, in 海勃湾区


def seed_divisions(session) -> None:
    """乌海市 with two districts and one town (no geometries), flushed."""
    session.add_all(
        [
            Division(code=CITY, name="乌海市", level="city"),
            Division(code=HBW, name="海勃湾区", level="district", parent_code=CITY),
            Division(code=HN, name="海南区", level="district", parent_code=CITY),
            Division(code=TOWN, name="凤凰岭街道", level="town", parent_code=HBW),
        ]
    )
    session.flush()
