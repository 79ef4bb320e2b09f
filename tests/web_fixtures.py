"""Shared arrangements of the web-app tests: a small seeded database, accounts per role, logins."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from shapely.geometry import LineString
from shapely.geometry import MultiLineString
from shapely.geometry import MultiPolygon
from shapely.geometry import Point
from shapely.geometry import box

from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Division
from gis.db import make_engine
from gis.db import make_session_factory
from gis.models import RoadSegment
from placenames import store as names_store
from placenames.signs import store as signs_store

CITY = "150300000000"
DISTRICT = "150302000000"
TOWN = "150302001000"
COMMUNITY = "150302001001"
PASSWORD = "correct horse 42"
ROLES = ("public", "placename_officer", "sign_maintainer", "boundary_inspector", "planner", "admin")


def _mp(geom):
    return MultiPolygon([geom])


def seed(session) -> dict[str, int]:
    """A district with one town and community, a road, announced names, signs, a line and markers."""
    from geoalchemy2.shape import from_shape

    def g(geom):
        return from_shape(geom, srid=4490)

    session.add_all(
        [
            Division(code=CITY, name="乌海市", level="city", geom=g(_mp(box(106.70, 39.55, 106.95, 39.80)))),
            Division(
                code=DISTRICT,
                name="海勃湾区",
                level="district",
                parent_code=CITY,
                geom=g(_mp(box(106.78, 39.62, 106.88, 39.72))),
            ),
            Division(
                code="150303000000",
                name="海南区",
                level="district",
                parent_code=CITY,
                geom=g(_mp(box(106.78, 39.55, 106.88, 39.62))),
            ),
            Division(
                code=TOWN,
                name="凤凰岭街道",
                level="town",
                kind="街道",
                parent_code=DISTRICT,
                geom=g(_mp(box(106.80, 39.64, 106.86, 39.70))),
            ),
            Division(
                code=COMMUNITY,
                name="<b>新华</b>社区",
                level="community",
                kind="社区",
                urban_rural="urban",
                parent_code=TOWN,
                households=1200,
                population=3000,
                population_60plus=500,
                geom=g(_mp(box(106.80, 39.64, 106.86, 39.70))),
            ),
        ]
    )
    session.add(RoadSegment(name="人民路", road_class="primary", division_code=DISTRICT, source="synthetic",
                            geom=g(LineString([(106.80, 39.67), (106.86, 39.67)]))))  # fmt: skip
    session.flush()
    ids = {}
    for name, pt in (
        ("人民路", LineString([(106.80, 39.67), (106.86, 39.67)])),
        ("海北大街", LineString([(106.83, 39.64), (106.83, 39.70)])),
    ):
        pn = names_store.propose(
            session, actor="seed", name=name, category_code="253", division_code=TOWN, geom=pt
        )
        names_store.review(session, pn.id, actor="seed")
        names_store.approve(session, pn.id, actor="seed", authority="乌海市人民政府", document="乌政字〔2024〕1号",
                            approval_date=date(2024, 3, 1))  # fmt: skip
        names_store.announce(session, pn.id, actor="seed", announcement_date=date(2024, 3, 15))
        ids[name] = pn.id
    hidden = names_store.propose(
        session,
        actor="seed",
        name="滨河路",
        category_code="253",
        division_code=TOWN,
        geom=Point(106.81, 39.66),
    )
    ids["proposed"] = hidden.id
    for i in range(3):
        sign = signs_store.create_sign(
            session, actor="seed",
            values={"kind": "street", "code": f"HBW-{i:04d}", "text_zh": "人民路", "text_romanized": "RENMIN LU",
                    "place_name_id": ids["人民路"], "division_code": TOWN, "lon": 106.81 + i * 0.01, "lat": 39.6702},
        )  # fmt: skip
        ids[f"sign{i}"] = sign.id
    line = BoundaryLine(code="150302-150303", line_code="150302-150303", line_name="海勃湾区—海南区线", name="海勃湾区—海南区", level="district", left_code=DISTRICT, left_name="海勃湾区",
                        right_code="150303000000", right_name="海南区", length_km=8.6,
                        geom=g(MultiLineString([[(106.78, 39.62), (106.88, 39.62)]])))  # fmt: skip
    session.add(line)
    session.flush()
    session.add_all(
        [
            BoundaryMarker(
                number="HN001Q", line_id=line.id, seq=1, marker_type="Q", geom=g(Point(106.80, 39.62))
            ),
            BoundaryMarker(
                number="HN002Q",
                line_id=line.id,
                seq=2,
                marker_type="Q",
                public=False,
                geom=g(Point(106.84, 39.62)),
            ),
        ]
    )
    session.flush()
    return ids


def _seed_url(url: str) -> dict[str, int]:
    from gis.accounts import create_user

    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        ids = seed(s)
        for role in ROLES:
            create_user(s, username=role, password=PASSWORD, roles=[role], actor="test")
        s.commit()
    engine.dispose()
    return ids


@pytest.fixture
def web_db(fresh_db_url):
    """A freshly migrated database with the seed and one account per role; yields (url, ids)."""
    return fresh_db_url, _seed_url(fresh_db_url)


def seeded_app(request, backend: str, tmp, **config):
    """A new database on ``backend`` (migrated, seeded, with accounts) and an app on it."""
    from conftest import _backend_url
    from conftest import _reset_postgis

    from data import schema
    from webmap import create_app

    url = _backend_url(
        request, backend, tmp, suffix=f"_{tmp.name.replace('-', '_')}" if backend == "postgis" else "_ro"
    )
    engine = make_engine(url)
    if backend == "postgis":
        _reset_postgis(engine)
    schema.upgrade(engine)
    engine.dispose()
    ids = _seed_url(url)
    settings = {"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance"),
                "RATE_LIMITS": {"login": (1000, 60), "report": (1000, 60)}, **config}  # fmt: skip
    application = create_app(settings)
    application.config["SEED_IDS"] = ids
    return application


@pytest.fixture(scope="module")
def ro_app(request, backend, tmp_path_factory):
    """One seeded app per test module and backend, for tests that only read."""
    application = seeded_app(request, backend, tmp_path_factory.mktemp("webro"), WTF_CSRF_ENABLED=False)
    yield application
    application.extensions["wuhai_engine"].dispose()


@pytest.fixture
def ro_client(ro_app):
    return ro_app.test_client()


@pytest.fixture
def app(web_db, tmp_path):
    from webmap import create_app

    url, ids = web_db
    application = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                              "WTF_CSRF_ENABLED": False})  # fmt: skip
    application.config["SEED_IDS"] = ids
    yield application
    application.extensions["wuhai_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username: str, password: str = PASSWORD):
    return client.post("/auth/login", data={"username": username, "password": password})


@contextmanager
def served_over_http(app, *, threads: int = 4) -> Iterator[str]:
    """``app`` served by waitress on a free loopback port (its base URL), stopped cleanly afterwards.

    The server is closed from its own loop thread: closing its sockets from another thread while
    the loop waits on them makes the loop fail with "Bad file descriptor".
    """
    from waitress import wasyncore
    from waitress.server import create_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(30)
        server.task_dispatcher.shutdown()
