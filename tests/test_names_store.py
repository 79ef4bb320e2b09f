"""The naming procedure on both backends: life cycle, rules, rename, retire, history, locking."""

from __future__ import annotations

from datetime import date

import pytest
from names_fixtures import HBW
from names_fixtures import HN
from names_fixtures import TOWN
from names_fixtures import seed_divisions
from shapely.geometry import Point
from sqlalchemy import select

from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.errors import StaleVersion
from gis.models import AuditLog
from placenames import queries
from placenames import store
from placenames.models import FormerName

DISTRICT, OTHER_DISTRICT = HBW, HN


@pytest.fixture
def divisions(session):
    seed_divisions(session)
    return session


def _announced(session, name="人民路", division=TOWN, category="253"):
    pn = store.propose(session, actor="officer", name=name, category_code=category, division_code=division,
                       geom=Point(106.82, 39.67))  # fmt: skip
    store.review(session, pn.id, actor="reviewer")
    store.approve(session, pn.id, actor="head", authority="乌海市人民政府", document="乌政字〔2024〕1号",
                  approval_date=date(2024, 3, 1))  # fmt: skip
    store.announce(session, pn.id, actor="head", announcement_date=date(2024, 3, 15), document="公告2024-1")
    return pn


def test_life_cycle_and_history(divisions):
    session = divisions
    pn = _announced(session)
    assert pn.status == "announced"
    assert pn.romanized == "Renmin Lu"
    assert (pn.pinyin_key, pn.initials) == ("renminlu", "rml")
    events = queries.events(session, pn.id)
    assert [e["action"] for e in events] == ["propose", "review", "approve", "announce"]
    assert events[2]["document"] == "乌政字〔2024〕1号"
    audits = session.scalars(select(AuditLog).where(AuditLog.table_name == "place_name")).all()
    assert len(audits) == 4 and audits[-1].actor == "head"


def test_invalid_transition(divisions):
    pn = store.propose(divisions, actor="o", name="幸福路", category_code="253", division_code=TOWN)
    with pytest.raises(InvalidInput, match="cannot approve"):
        store.approve(
            divisions, pn.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1)
        )


def test_duplicate_blocks_approval_in_scope_only(divisions):
    session = divisions
    _announced(session)
    dup = store.propose(session, actor="o", name="人民路", category_code="253", division_code=TOWN)
    assert any(f["rule"] == "duplicate" for f in queries.events(session, dup.id)[0]["findings"])
    store.review(session, dup.id, actor="r")
    with pytest.raises(store.RuleViolation, match="already exists"):
        store.approve(session, dup.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1))
    elsewhere = store.propose(
        session, actor="o", name="人民路", category_code="253", division_code=OTHER_DISTRICT
    )
    store.review(session, elsewhere.id, actor="r")
    store.approve(
        session, elsewhere.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1)
    )


def test_homophone_needs_justification(divisions):
    session = divisions
    _announced(session, name="新华路")
    pn = store.propose(session, actor="o", name="新化路", category_code="253", division_code=TOWN)
    store.review(session, pn.id, actor="r")
    with pytest.raises(store.RuleViolation, match="justification") as err:
        store.approve(session, pn.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1))
    assert err.value.findings[0].rule == "homophone"
    assert err.value.findings[0].conflicts[0]["name"] == "新华路"
    store.approve(session, pn.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1),
                  justification="historic name used since 1960")  # fmt: skip
    assert queries.events(session, pn.id)[-1]["reason"] == "historic name used since 1960"


def test_generic_must_fit_category(divisions):
    pn = store.propose(divisions, actor="o", name="幸福小区", category_code="253", division_code=TOWN)
    store.review(divisions, pn.id, actor="r")
    with pytest.raises(store.RuleViolation, match="generic"):
        store.approve(
            divisions, pn.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1)
        )


def test_rename_keeps_identity_and_former_name(divisions):
    session = divisions
    pn = _announced(session, name="卡布其街道", category="214")
    old_id = pn.id
    store.rename(session, pn.id, actor="head", new_name="林荫街道", reason="区划调整", document="内政发〔2010〕5号",
                 effective=date(2010, 6, 1))  # fmt: skip
    assert pn.id == old_id and pn.name == "林荫街道" and pn.romanized == "Linyin Jiedao"
    former = session.scalars(select(FormerName).where(FormerName.place_name_id == pn.id)).one()
    assert former.name == "卡布其街道" and former.valid_to == date(2010, 6, 1)
    assert queries.events(session, pn.id)[-1]["changes"]["name"] == ["卡布其街道", "林荫街道"]


def test_retire_with_successor(divisions):
    session = divisions
    a = _announced(session, name="东风路")
    b = _announced(session, name="东风大街")
    store.retire(session, a.id, actor="head", reason="并入东风大街", successor_id=b.id, document="d")
    assert a.status == "retired" and a.successor_id == b.id
    with pytest.raises(InvalidInput):
        store.rename(session, a.id, actor="h", new_name="西风路", reason="x")


def test_optimistic_lock(divisions):
    pn = store.propose(divisions, actor="o", name="文明路", category_code="253", division_code=TOWN)
    version = pn.version
    store.update(divisions, pn.id, actor="o", meaning="倡导文明新风", expected_version=version)
    with pytest.raises(StaleVersion, match="someone else changed it meanwhile"):
        store.update(divisions, pn.id, actor="o2", meaning="stale edit", expected_version=version)


def test_override_validated(divisions):
    pn = store.propose(divisions, actor="o", name="六安路", category_code="253", division_code=TOWN,
                       romanized="Liu'an Lu", romanized_reason="local usage")  # fmt: skip
    assert pn.romanized == "Liu'an Lu" and pn.romanized_override_reason == "local usage"
    with pytest.raises(InvalidInput, match="does not spell"):
        store.propose(divisions, actor="o", name="六安街", category_code="253", romanized="Beijing Jie",
                      romanized_reason="x")  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        "<script>alert(1)</script>路",
        "人民路'; DROP TABLE place_name;--",
        "人民\x07路",
        "x" * 120,
        "Main Street",
    ],
)
def test_hostile_names_rejected(divisions, bad):
    with pytest.raises(InvalidInput):
        store.propose(divisions, actor="o", name=bad, category_code="253")


def test_swapped_coordinates_rejected(divisions):
    with pytest.raises(InvalidInput, match="swapped"):
        store.propose(divisions, actor="o", name="团结路", category_code="253", geom=Point(39.67, 106.82))


def test_write_needs_actor(divisions):
    with pytest.raises(Forbidden):
        store.propose(divisions, actor="", name="团结路", category_code="253")


def test_refusals_are_domain_errors_naming_the_field(divisions):
    with pytest.raises(NotFound, match="no place name 999999"):
        store.get(divisions, 999999)
    with pytest.raises(NotFound):
        store.review(divisions, 2**70, actor="o")
    with pytest.raises(InvalidInput) as err:
        store.propose(divisions, actor="o", name="团结路", category_code="999")
    assert err.value.field == "category_code"
    pn = store.propose(divisions, actor="o", name="团结路", category_code="253", division_code=TOWN)
    with pytest.raises(InvalidInput) as err:
        store.retire(divisions, pn.id, actor="o", reason=" ")
    assert err.value.field == "reason"
    with pytest.raises(InvalidInput) as err:
        store.update(divisions, pn.id, actor="o", name="和平路")
    assert err.value.field == "name"


def test_rule_violation_carries_its_findings(divisions):
    _announced(divisions, name="新华路")
    pn = store.propose(divisions, actor="o", name="新化路", category_code="253", division_code=TOWN)
    store.review(divisions, pn.id, actor="r")
    with pytest.raises(store.RuleViolation) as err:
        store.approve(
            divisions, pn.id, actor="h", authority="a", document="d", approval_date=date(2024, 1, 1)
        )
    assert isinstance(err.value, InvalidInput) and err.value.field == "justification"
    problem = err.value.as_dict()
    assert problem["kind"] == "invalid" and problem["details"][0]["rule"] == "homophone"
