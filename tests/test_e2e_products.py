"""End to end in headless Chromium: an officer asks for the gazetteer, waits on the "being prepared"
page and is taken to the product when its background build is done."""
# ruff: noqa: F811  (pytest fixtures imported from test_e2e_web are redefined as arguments)

from __future__ import annotations

import pytest
from conftest import only_backends
from test_e2e_web import ARTIFACTS
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import page  # noqa: F401
from test_e2e_web import server  # noqa: F401
from web_fixtures import PASSWORD

pytestmark = pytest.mark.e2e


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/auth/login?lang=zh")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/home")


@only_backends("spatialite")
def test_officer_waits_for_the_gazetteer_and_gets_it(server, page, backend):
    base, _app = server
    _login(page, base, "placename_officer")
    first = page.goto(base + "/names/products/gazetteer/")
    assert first.status == 202
    page.screenshot(path=str(ARTIFACTS / "e2e_product_waiting.png"))
    page.wait_for_url("**/names/products/gazetteer/files/html/**", timeout=120000)
    assert "乌海市地名志" in page.inner_text("h1")
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    again = page.goto(base + "/names/products/gazetteer/")  # current now: straight to the file
    assert again.status == 200 and "/files/html/" in page.url
