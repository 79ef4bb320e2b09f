"""Reference step 2 on both backends: 3611 names, real divisions, every street, idempotent."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from data.reference import load_reference
from data.reference import names as ref_names
from gis.models import SYNTHETIC
from gis.models import RoadSegment
from placenames import search
from placenames.models import FormerName
from placenames.models import PlaceName


def test_reference_names(session):
    load_reference(session, actor="ref", steps=["base", "names"])
    total = session.scalar(select(func.count()).select_from(PlaceName))
    assert total == ref_names.TOTAL
    roads = session.execute(
        select(RoadSegment.name, RoadSegment.division_code).where(RoadSegment.name.isnot(None)).distinct()
    ).all()
    named = set(
        session.execute(
            select(PlaceName.name, PlaceName.division_code).where(PlaceName.category_code.in_(("252", "253")))
        ).all()
    )
    assert set(roads) <= named
    city = session.scalars(select(PlaceName).where(PlaceName.name == "乌海市")).one()
    assert (city.category_code, city.source, city.status) == ("212", "nbs2023", "announced")
    assert city.romanized == "Wuhai Shi" and city.approval_doc_no
    lake = session.scalars(select(PlaceName).where(PlaceName.name == "乌海湖")).one()
    assert lake.source == SYNTHETIC
    linyin = session.scalars(select(PlaceName).where(PlaceName.name == "林荫街道")).one()
    former = session.scalars(select(FormerName.name).where(FormerName.place_name_id == linyin.id)).all()
    assert former == ["卡布其街道"]
    statuses = dict(session.execute(select(PlaceName.status, func.count()).group_by(PlaceName.status)).all())
    assert statuses["announced"] > 0.85 * total and statuses.get("retired", 0) > 0
    assert search.search(session, "卡布其")[0]["name"] == "林荫街道"
    assert search.search(session, "hbwq")[0]["name"] == "海勃湾区"
    again = load_reference(session, actor="ref", steps=["base", "names"])
    assert again["steps"]["names"]["written"] == 0
    assert session.scalar(select(func.count()).select_from(PlaceName)) == total
