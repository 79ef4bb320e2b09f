"""The officers' name list: plain listing without a query, the domain search with one."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import re

from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from placenames import usecases
from webmap.db import get_session


def _rows(html: str) -> list[tuple[str, str]]:
    """(name, found-by text) of each result row of the list."""
    rows = re.findall(r'<a href="/names/\d+">([^<]+)</a></td>\s*<td class="match">([^<]*)</td>', html)
    return [(name, " ".join(found.split())) for name, found in rows]


def test_officers_search_former_names_pinyin_typos_and_every_status(client, app):
    ids = app.config["SEED_IDS"]
    with app.app_context():
        s = get_session()
        usecases.rename(
            s, ids["人民路"], actor="test", new_name="新民路", reason="道路改造后更名", expected_version=4
        )
        s.commit()
    login(client, "placename_officer")

    former = client.get("/names/?q=人民路&lang=en").get_data(as_text=True)
    assert _rows(former) == [("新民路", "former name: 人民路")]

    for query in ("haibeidajie", "hai bei da jie", "hbdj"):
        rows = _rows(client.get("/names/", query_string={"q": query, "lang": "en"}).get_data(as_text=True))
        assert [name for name, _ in rows] == ["海北大街"], query
    typo = _rows(client.get("/names/?q=海比大街&lang=en").get_data(as_text=True))
    assert typo == [("海北大街", "similar spelling")]

    # officers see names of every status; a status filter narrows the search
    proposed = _rows(client.get("/names/?q=binhelu&lang=en").get_data(as_text=True))
    assert proposed == [("滨河路", "pinyin: binhelu")]
    assert _rows(client.get("/names/?q=binhelu&status=announced").get_data(as_text=True)) == []
    assert len(_rows(client.get("/names/?q=binhelu&status=proposed").get_data(as_text=True))) == 1


def test_list_without_query_pages_by_id_and_filters(client, app):
    login(client, "placename_officer")
    page = client.get("/names/").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<a href="/names/(\d+)">', page)]
    assert ids == sorted(ids) and len(ids) == 3
    assert 'id="names-total">(3)' in page and 'class="match"' not in page
    announced = client.get("/names/?status=announced").get_data(as_text=True)
    assert "滨河路" not in announced and "海北大街" in announced
    other_district = client.get("/names/?division=150303000000").get_data(as_text=True)
    assert 'id="names-total">(0)' in other_district


def test_search_filters_and_over_long_query(client):
    login(client, "placename_officer")
    assert _rows(client.get("/names/?q=hbdj&division=150303000000").get_data(as_text=True)) == []
    assert len(_rows(client.get("/names/?q=hbdj&division=150302000000").get_data(as_text=True))) == 1
    assert _rows(client.get("/names/?q=hbdj&category=12").get_data(as_text=True)) == []
    long = client.get("/names/", query_string={"q": "路" * 80})
    assert long.status_code == 422 and "longer than" in long.get_data(as_text=True)
