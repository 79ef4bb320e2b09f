"""Tables for standard place names, their history, place-name signs and sign work orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from gis import contracts
from gis.models import Base
from gis.models import Tracked
from gis.models import geometry
from gis.models import utcnow

NAME_STATUSES = ("proposed", "under_review", "approved", "announced", "retired")
SIGN_KINDS = ("street", "house_number", "building", "unit", "village", "bridge", "scenic", "other")
SIGN_CONDITIONS = ("good", "worn", "damaged", "missing")


class PlaceName(Base, Tracked):
    """A standard place name (标准地名) with its legal provenance."""

    __tablename__ = "place_name"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    proper_part: Mapped[str | None] = mapped_column(String(100), nullable=True)
    generic_part: Mapped[str | None] = mapped_column(String(20), nullable=True)
    category_code: Mapped[str] = mapped_column(String(8), index=True)
    romanized: Mapped[str | None] = mapped_column(String(200), nullable=True)
    romanized_override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    pinyin_key: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    initials: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    mongolian: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mongolian_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Language the name comes from (``zh``, ``mn``...; none: Chinese).
    origin_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    meaning: Mapped[str | None] = mapped_column(Text, nullable=True)
    history: Mapped[str | None] = mapped_column(Text, nullable=True)
    division_code: Mapped[str | None] = mapped_column(
        ForeignKey("division.code", ondelete="RESTRICT"), nullable=True, index=True
    )
    location_desc: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(14), default="proposed", index=True)
    approving_authority: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approval_doc_no: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approval_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    announcement_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("place_name.id"), nullable=True)
    geom = geometry("GEOMETRY")

    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed','under_review','approved','announced','retired')", name="status"
        ),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class FormerName(Base, Tracked):
    """A former name (曾用名) of a place, searchable."""

    __tablename__ = "former_name"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_name_id: Mapped[int] = mapped_column(ForeignKey("place_name.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    romanized: Mapped[str | None] = mapped_column(String(200), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    document: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Renaming(Base, Tracked):
    """A renaming (更名) going through its own proposal, review, approval and announcement."""

    __tablename__ = "name_renaming"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_name_id: Mapped[int] = mapped_column(ForeignKey("place_name.id", ondelete="RESTRICT"), index=True)
    old_name: Mapped[str] = mapped_column(String(100))
    new_name: Mapped[str] = mapped_column(String(100))
    romanized: Mapped[str | None] = mapped_column(String(200), nullable=True)
    romanized_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(14), default="proposed", index=True)
    approving_authority: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approval_doc_no: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approval_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    announcement_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    announcement_doc: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed','under_review','approved','announced','withdrawn')", name="status"
        ),
    )


class NameEvent(Base):
    """Append-only history of a place name: naming, review, approval, renaming, retirement, edits."""

    __tablename__ = "name_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_name_id: Mapped[int] = mapped_column(ForeignKey("place_name.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(14), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(14), nullable=True)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[str | None] = mapped_column(String(200), nullable=True)
    findings: Mapped[list] = mapped_column(JSON, default=list)


class Sign(Base, Tracked):
    """A place-name sign (地名标志): street sign, house-number plate, building plate..."""

    __tablename__ = "sign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(14))
    place_name_id: Mapped[int | None] = mapped_column(
        ForeignKey("place_name.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    text_zh: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text_romanized: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text_mongolian: Mapped[str | None] = mapped_column(String(200), nullable=True)
    house_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    side: Mapped[str | None] = mapped_column(String(5), nullable=True)
    facing_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    material: Mapped[str | None] = mapped_column(String(30), nullable=True)
    size: Mapped[str | None] = mapped_column(String(30), nullable=True)
    installer: Mapped[str | None] = mapped_column(String(100), nullable=True)
    install_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    condition: Mapped[str] = mapped_column(String(10), default="good")
    last_inspected: Mapped[date | None] = mapped_column(Date, nullable=True)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    division_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    geom = geometry("POINT", nullable=False)

    __table_args__ = (
        # Migration 0002: on PostgreSQL only the signs needing attention, and codes searchable
        # by prefix (LIKE '150302%') under any collation.
        Index("ix_sign_condition", "condition", postgresql_where=text("condition <> 'good'")),
        Index(
            "ix_sign_division_code", "division_code", postgresql_ops={"division_code": "varchar_pattern_ops"}
        ),
        CheckConstraint(
            "kind IN ('street','house_number','building','unit','village','bridge','scenic','other')",
            name="kind",
        ),
        CheckConstraint("condition IN ('good','worn','damaged','missing')", name="condition"),
        CheckConstraint("side IS NULL OR side IN ('left','right')", name="side"),
    )


class WorkOrder(Base, Tracked):
    """A maintenance work order for a sign: reported, assigned, repaired/replaced, closed."""

    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sign_id: Mapped[int | None] = mapped_column(
        ForeignKey("sign.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    reported_by: Mapped[str] = mapped_column(String(64))
    reporter_contact: Mapped[str | None] = mapped_column(String(100), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    history: Mapped[list] = mapped_column(JSON, default=list)
    geom = geometry("POINT")

    __table_args__ = (
        CheckConstraint("reason IN ('damaged','missing','wrong_text','renamed','other')", name="reason"),
        CheckConstraint("status IN ('open','assigned','done','closed','rejected')", name="status"),
    )


#: A standard name: Chinese characters, no markup or SQL punctuation (地名管理条例: a plausible name).
NAME_PATTERN = r"^(?!.*(?:--|/\*))[^<>\"'`;=\\{}\[\]]*[\u3400-\u9fff][^<>\"'`;=\\{}\[\]]*$"
#: A sign's code: capital Latin letters and digits, in parts joined by single hyphens.
SIGN_CODE_PATTERN = r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$"
#: A plate number as typed: ``12``, ``12号``, ``12-1``, ``12附1`` (stored without 号).
HOUSE_NUMBER_PATTERN = r"^(?P<base>[1-9]\d{0,4})(?:(?P<sep>-|附)(?P<sub>[1-9]\d{0,2}))?号?$"
HAN_PATTERN = r"^[\u3400-\u9fff\uf900-\ufaff0-9０-９·（）()\-—、]+$"
ROMAN_PATTERN = r"^[A-Za-zÜüĀāÁáǍǎÀàĒēÉéĚěÈèĪīÍíǏǐÌìŌōÓóǑǒÒòŪūÚúǓǔÙùǕǖǗǘǙǚǛǜ0-9' \-·]+$"
MONGOLIAN_PATTERN = r"^[\u1800-\u18af\u202f\u200c\u200d \-]+$"

_NAME = contracts.text(
    50,
    required=True,
    pattern=NAME_PATTERN,
    says="Chinese characters, no markup or SQL punctuation",
)
PLACE_NAME_CONTRACTS = contracts.declare(
    PlaceName,
    {
        "name": _NAME,
        "proper_part": contracts.text(),
        "generic_part": contracts.text(),
        "category_code": contracts.text(
            required=True, pattern=r"^\d{2,8}$", says="a category code of 2 to 8 digits"
        ),
        "romanized": contracts.text(),
        "romanized_override_reason": contracts.text(4000, multiline=True),
        "mongolian": contracts.text(pattern=MONGOLIAN_PATTERN, says="traditional Mongolian script"),
        "mongolian_source": contracts.text(),
        "origin_language": contracts.text(
            pattern=r"^[a-z]{2,8}$", says="an ISO 639 language code in lower case"
        ),
        "aliases": contracts.Contract("list", item=replace(_NAME, required=False)),
        "meaning": contracts.text(4000, multiline=True),
        "history": contracts.text(8000, multiline=True),
        "division_code": contracts.division_code(),
        "location_desc": contracts.text(1000, multiline=True),
        "status": contracts.choice(NAME_STATUSES),
        "approving_authority": contracts.text(),
        "approval_doc_no": contracts.text(),
        "approval_date": contracts.Contract("date"),
        "announcement_date": contracts.Contract("date"),
        "successor_id": contracts.integer(1),
    },
    managed=("pinyin_key", "initials"),
)
SIGN_CONTRACTS = contracts.declare(
    Sign,
    {
        "code": contracts.text(
            pattern=SIGN_CODE_PATTERN,
            says="capital letters A-Z, digits and single hyphens only (e.g. WH150302D000001)",
        ),
        "kind": contracts.choice(SIGN_KINDS, required=True),
        "place_name_id": contracts.integer(1),
        "text_zh": contracts.text(pattern=HAN_PATTERN, says="written in Chinese characters"),
        "text_romanized": contracts.text(
            pattern=ROMAN_PATTERN, says="written in Latin letters (Hanyu Pinyin)"
        ),
        "text_mongolian": contracts.text(pattern=MONGOLIAN_PATTERN, says="traditional Mongolian script"),
        "house_number": contracts.text(
            pattern=HOUSE_NUMBER_PATTERN, says="a house number such as 12, 12-1 or 12附1"
        ),
        "side": contracts.choice(("left", "right")),
        "facing_deg": contracts.number(0, 360),
        "material": contracts.text(),
        "size": contracts.text(),
        "installer": contracts.text(),
        "install_date": contracts.Contract("date", note="not in the future"),
        "condition": contracts.choice(SIGN_CONDITIONS),
        "last_inspected": contracts.Contract("date", note="not in the future"),
        "division_code": contracts.division_code(),
    },
    managed=("photos",),
)
