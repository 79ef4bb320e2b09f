"""GCJ-02 <-> WGS84 against published values, round trips and the identity outside China."""

from __future__ import annotations

import numpy as np
import pytest

from gis import gcj02

# Published test values (hujiulong/gcoord unit tests, MIT): WGS84 (123, 45) <-> GCJ-02.
KNOWN = [
    ((123.0, 45.0), (123.00607541, 45.00197815)),
]


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_forward_matches_published_values(wgs, gcj):
    lon, lat = gcj02.wgs84_to_gcj02(*wgs)
    assert float(lon) == pytest.approx(gcj[0], abs=1e-7)
    assert float(lat) == pytest.approx(gcj[1], abs=1e-7)


def test_inverse_matches_published_value():
    # gcoord: GCJ-02 (123, 45) -> WGS84 (122.99395597, 44.99804071), a one-step approximation:
    # the iterated inverse agrees to 1e-6 degrees and is exact in the round trip below.
    lon, lat = gcj02.gcj02_to_wgs84(123.0, 45.0)
    assert float(lon) == pytest.approx(122.99395597, abs=1e-6)
    assert float(lat) == pytest.approx(44.99804071, abs=1e-6)


def test_offset_at_wuhai_is_as_documented():
    # data/reference/source/SOURCES.md: about +0.0047 deg lon and +0.0009 deg lat at Wuhai.
    lon, lat = gcj02.wgs84_to_gcj02(106.82, 39.67)
    assert float(lon) - 106.82 == pytest.approx(0.0047, abs=0.0005)
    assert float(lat) - 39.67 == pytest.approx(0.0009, abs=0.0005)


def test_round_trip_is_sub_millimetre_and_vectorised():
    rng = np.random.default_rng(3)
    lon = rng.uniform(106.2, 107.4, 1000)
    lat = rng.uniform(39.0, 40.1, 1000)
    g_lon, g_lat = gcj02.wgs84_to_gcj02(lon, lat)
    assert g_lon.shape == (1000,)
    back_lon, back_lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    assert np.abs(back_lon - lon).max() < 1e-8
    assert np.abs(back_lat - lat).max() < 1e-8
    assert np.abs(g_lon - lon).min() > 1e-3  # really shifted


def test_identity_outside_china_and_inputs_untouched():
    lon = np.array([2.35, 183.0])
    lat = np.array([48.85, 45.0])
    out_lon, out_lat = gcj02.wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)
    back = gcj02.gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(back[0], lon)
    assert lon.tolist() == [2.35, 183.0]
