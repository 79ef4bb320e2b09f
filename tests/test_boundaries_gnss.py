"""GNSS exports: CSV variants, GPX waypoints, refusal of unsafe or wrong input (pure)."""

from __future__ import annotations

import pytest

from boundaries.gnss import read_csv
from boundaries.gnss import read_fixes
from boundaries.gnss import read_gpx
from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import transformer


def test_csv_decimal_degrees_and_elevation():
    fixes = read_csv(b"number,lon,lat,ele\n1564001Q,106.8512,39.4501,1090.5\n\n1564002q,106.86,39.44,\n")
    assert [(f.number, f.lon, f.lat, f.elevation_m) for f in fixes] == [
        ("1564001Q", 106.8512, 39.4501, 1090.5),
        ("1564002Q", 106.86, 39.44, None),
    ]


def test_csv_chinese_headers_dms_and_gb18030():
    text = "点号,经度,纬度,高程\n1564001Q,106°51'04.32\",39°27'00.36\",1090\n"
    fixes = read_csv(text.encode("gb18030"))
    assert fixes[0].lon == pytest.approx(106 + 51 / 60 + 4.32 / 3600)
    assert fixes[0].lat == pytest.approx(39 + 27 / 60 + 0.36 / 3600)


def test_csv_projected_coordinates():
    x, y = transformer(STORAGE_SRID, METRIC_SRID).transform(106.85, 39.45)
    fixes = read_csv(f"name,E,N\n1564001Q,{x:.3f},{y:.3f}\n".encode())
    assert (fixes[0].lon, fixes[0].lat) == (pytest.approx(106.85, abs=1e-7), pytest.approx(39.45, abs=1e-7))
    with pytest.raises(ValueError, match="E and N look swapped"):
        read_csv(f"name,E,N\n1564001Q,{y:.3f},{x:.3f}\n".encode())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"number,lon,lat\n1564001Q,39.45,106.85\n", "row 2: longitude and latitude look swapped"),
        (b"number,lon,lat\n1564001Q,116.4,39.9\n", "row 2: .* outside the Wuhai area"),
        (b"number,lon,lat\n1564001Q,abc,39.9\n", "row 2 lon: 'abc' is not a number"),
        (b"number,lon,lat\n<script>,106.8,39.5\n", "row 2: marker number"),
        (b"number,lon,lat\n1564001Q,106.8\n", "row 2: 2 fields"),
        (b"foo,bar\n1,2\n", "no marker number column"),
        (b"number,foo\n1,2\n", "need lon/lat or E/N"),
        (b"number,lon,lat\n", "no data rows"),
        (b"\xff\xfe\x00\x00bad", "binary|neither UTF-8"),
        ("number,lon,lat\n1564001Q,106° 61' 00\",39.5\n".encode(), "minutes or seconds over 60"),
    ],
)
def test_csv_errors_name_the_row(content, message):
    with pytest.raises(ValueError, match=message):
        read_csv(content, filename="gnss.csv")


GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="receiver" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="39.4501" lon="106.8512"><ele>1090.2</ele><name>1564001Q</name></wpt>
  <wpt lat="39.4400" lon="106.8600"><name>1564002Q</name></wpt>
</gpx>"""


def test_gpx_waypoints():
    fixes = read_fixes(GPX, filename="day1.GPX")
    assert [(f.number, f.lon, f.lat, f.elevation_m) for f in fixes] == [
        ("1564001Q", 106.8512, 39.4501, 1090.2),
        ("1564002Q", 106.86, 39.44, None),
    ]


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x "1564001Q">]><gpx><wpt lat="39.45" lon="106.85"><name>&x;</name></wpt></gpx>',
        b'<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd"><gpx></gpx>',
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><gpx>&lol2;</gpx>',
    ],
)
def test_gpx_refuses_dtds_and_entities(content):
    with pytest.raises(ValueError, match="DTDs and entity declarations are not accepted"):
        read_gpx(content)


def test_gpx_malformed_and_empty():
    with pytest.raises(ValueError, match="not well-formed"):
        read_gpx(b"<gpx><wpt></gpx>")
    with pytest.raises(ValueError, match="no <wpt>"):
        read_gpx(b"<gpx></gpx>")
    with pytest.raises(ValueError, match="swapped"):
        read_gpx(b'<gpx><wpt lat="106.85" lon="39.45"><name>1564001Q</name></wpt></gpx>')


def test_unknown_extension():
    with pytest.raises(ValueError, match=".csv or .gpx"):
        read_fixes(b"x", filename="fixes.kml")
