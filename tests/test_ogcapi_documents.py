"""The OGC API's documents and refusals: OpenAPI validity, schemas, queryables, HTML with a map, 400/404/406."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import pytest
from web_fixtures import ro_app  # noqa: F401
from web_fixtures import ro_client  # noqa: F401

ITEMS = "/ogcapi/collections/signs/items"


def test_openapi_document_validates_with_bodies_security_and_page_size(ro_client, ro_app):
    from openapi_spec_validator import validate

    doc = ro_client.get("/ogcapi/api").get_json()
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == ro_app.config["OGCAPI_MAX_LIMIT"]
    assert limit["default"] == ro_app.config["OGCAPI_DEFAULT_LIMIT"]
    item = doc["paths"]["/collections/facilities/items/{featureId}"]
    assert item["parameters"] == [{"$ref": "#/components/parameters/featureId"}]
    assert "application/merge-patch+json" in item["patch"]["requestBody"]["content"]
    assert item["put"]["security"] == [{"bearer": []}]
    assert "requestBody" in doc["paths"]["/collections/facilities/items"]["post"]
    assert "412" in item["put"]["responses"]


def test_conformance_classes_are_served(ro_client):
    conf = ro_client.get("/ogcapi/conformance").get_json()["conformsTo"]
    assert any("features-3" in c for c in conf) and any("features-5" in c for c in conf)
    coll = ro_client.get("/ogcapi/collections/facilities").get_json()
    rels = {link["rel"].lower(): link for link in coll["links"]}
    for rel in ("describedby", "queryables", "http://www.opengis.net/def/rel/ogc/1.0/schema"):
        href = rels[rel]["href"].replace("http://localhost", "")
        resp = ro_client.get(href)
        assert resp.status_code == 200 and resp.mimetype == "application/schema+json", rel
    assert ro_client.get("/ogcapi/api?f=html").status_code == 200


def test_schema_and_queryables_type_numbers_as_numbers(ro_client):
    schema = ro_client.get("/ogcapi/collections/facilities/schema").get_json()
    props = schema["properties"]
    assert props["floor_area_m2"]["type"] == "number"
    assert props["planned_year"]["type"] == props["year_closed"]["type"] == "integer"
    assert props["new_or_rebuilt"]["type"] == "boolean"
    assert props["geometry"] == {
        "title": "geometry",
        "format": "geometry-point",
        "x-ogc-role": "primary-geometry",
    }
    assert props["id"]["x-ogc-role"] == "id" and {"kind", "name"} <= set(schema["required"])
    names = ro_client.get("/ogcapi/collections/place_names/schema").get_json()["properties"]
    assert names["approval_date"] == {**names["approval_date"], "type": "string", "format": "date",
                                      "x-ogc-role": "primary-instant"}  # fmt: skip
    areas = ro_client.get("/ogcapi/collections/place_names_areas/schema").get_json()
    assert areas["properties"]["geometry"]["format"] == "geometry-multipolygon"
    item = ro_client.get("/ogcapi/collections/facilities/schema/geojson").get_json()
    assert item["properties"]["properties"]["properties"]["beds"]["type"] == "integer"
    queryables = ro_client.get("/ogcapi/collections/facilities/queryables").get_json()
    assert (
        queryables["properties"]["beds"]["type"] == "integer" and queryables["additionalProperties"] is False
    )


def test_names_are_single_typed_collections_reaching_every_name(ro_client, ro_app):
    ids = ro_app.config["SEED_IDS"]
    points = ro_client.get("/ogcapi/collections/place_names/items").get_json()
    lines = ro_client.get("/ogcapi/collections/place_names_lines/items").get_json()
    areas = ro_client.get("/ogcapi/collections/place_names_areas/items").get_json()
    assert {f["geometry"]["type"] for f in points["features"]} == {"Point"}
    assert {f["geometry"]["type"] for f in lines["features"]} == {"MultiLineString"}
    assert areas["numberMatched"] == 0
    assert (
        {f["id"] for f in points["features"]}
        == {f["id"] for f in lines["features"]}
        == {
            ids["人民路"],
            ids["海北大街"],
        }
    )
    one = ro_client.get(f"/ogcapi/collections/place_names_areas/items/{ids['人民路']}")
    assert one.status_code == 404  # a line is not in the areas
    coll = ro_client.get("/ogcapi/collections/place_names").get_json()
    assert coll["extent"]["temporal"]["interval"] == [["2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z"]]


def test_html_pages_carry_a_small_map(ro_client, ro_app):
    sid = ro_app.config["SEED_IDS"]["sign0"]
    for url in ("/ogcapi/collections/signs?f=html", f"{ITEMS}?f=html", f"{ITEMS}/{sid}?f=html"):
        html = ro_client.get(url).get_data(as_text=True)
        assert 'id="ogcmap"' in html and "/ogcapi/static/map.js" in html, url
    with ro_client.get("/ogcapi/static/map.js") as script:
        assert script.status_code == 200
    assert "HBW-0000" in ro_client.get(f"{ITEMS}/{sid}", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        (f"{ITEMS}?f=xml", {}, 400),
        ("/ogcapi/collections?f=xml", {}, 400),
        (ITEMS, {"Accept": "application/xml"}, 406),
        ("/ogcapi/", {"Accept": "image/png"}, 406),
        (f"{ITEMS}?bbox=nan,39,107,40", {}, 400),
        (f"{ITEMS}?bbox=106,39,inf,40", {}, 400),
        (f"{ITEMS}?offset={2**70}", {}, 400),
        (f"{ITEMS}?limit={2**70}", {}, 400),
        (f"{ITEMS}?facing_deg=nan", {}, 400),
        (f"{ITEMS}/{2**70}", {}, 404),
        (f"{ITEMS}/{2**40}", {}, 404),
        (f"{ITEMS}/abc", {}, 404),
        ("/ogcapi/collections/nope/schema", {}, 404),
    ],
)
def test_refusals(ro_client, url, headers, status):
    resp = ro_client.get(url, headers=headers)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype in ("application/problem+json", "application/json")


def test_a_large_limit_is_capped_to_the_advertised_maximum(ro_client, ro_app):
    page = ro_client.get(f"{ITEMS}?limit=1000000").get_json()
    assert page["numberReturned"] == 3
    nxt = [link for link in page["links"] if link["rel"] == "self"][0]["href"]
    assert "limit=1000000" in nxt
