"""Public map with the full dataset: page weight and time to first features drawn, in headless Chromium.

Three pages, loaded one after the other in the same headless Chromium (Debian ``chromium``):

- project: the web app's public map (``/``) served by waitress: a small HTML shell, Leaflet and
  ``publicmap.js`` from ``static/``, then viewport GeoJSON with server-side aggregation;
- naive: a Folium map with one ``folium.Marker`` (with a tooltip) per sign and per standard name;
- FastMarkerCluster: Folium's ``FastMarkerCluster`` holding every sign and name point.

Folium pages link Leaflet and Leaflet.markercluster from CDNs; here they are rewritten to the
same vendored files the app serves (this machine has no internet), so all three pages load the
same library bytes from loopback. Page weight is the sum of the bytes received (Chrome's
``encodedDataLength``, headers included) for every request the page made (for the project: the shell, scripts and every viewport request of the first view);
time is from navigation start until the first features are on the map (project: the moment
``publicmap.js`` drew the first layer; Folium: the end of the load event, since its inline script
builds every marker before the first paint). JS heap comes from Chrome's Performance metrics.
The project page is also checked for reachability: the aggregated counts at a city-wide zoom
sum to every sign in the database.

Run: ``DATABASE_URL=... .venv/bin/python -m bench.webmap_weight`` on a database loaded with
``wuhai-gis load-reference``.
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "webmap_weight.json"
VENDOR = ROOT / "webmap" / "static" / "vendor"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def points(url: str) -> tuple[list[tuple[float, float, str]], int]:
    """Every sign and every standard name as (lat, lon, label), and the number of signs."""
    from geoalchemy2.functions import ST_X
    from geoalchemy2.functions import ST_Y
    from geoalchemy2.functions import ST_Centroid

    from gis.db import make_engine
    from placenames.models import PlaceName
    from placenames.models import Sign

    engine = make_engine(url)
    with engine.connect() as conn:
        signs = conn.execute(
            select(ST_Y(Sign.geom), ST_X(Sign.geom), func.coalesce(Sign.text_zh, Sign.code))
        ).all()
        c = ST_Centroid(PlaceName.geom)
        names = conn.execute(
            select(ST_Y(c), ST_X(c), PlaceName.name).where(PlaceName.geom.is_not(None))
        ).all()
    engine.dispose()
    return [(float(a), float(b), str(t or "")) for a, b, t in [*signs, *names]], len(signs)


def folium_pages(pts: list[tuple[float, float, str]], out: Path) -> dict[str, Path]:
    """Write the naive and the FastMarkerCluster pages (assets rewritten to ./vendor)."""
    import folium
    from folium.plugins import FastMarkerCluster

    def base() -> folium.Map:
        m = folium.Map(location=[39.6, 106.85], zoom_start=10, tiles=None, maxZoom=19)
        m.default_js = [("leaflet", "vendor/leaflet/leaflet.js")]
        m.default_css = [("leaflet_css", "vendor/leaflet/leaflet.css")]
        return m

    paths = {"naive": out / "naive.html", "fastmarkercluster": out / "fast.html"}
    if not paths["naive"].exists():
        naive = base()
        for lat, lon, label in pts:
            # a tooltip carries the label (folium's Popup needs jQuery from a CDN)
            folium.Marker([lat, lon], tooltip=html.escape(label)).add_to(naive)
        naive.save(str(paths["naive"]))
    if not paths["fastmarkercluster"].exists():
        fast = base()
        # Folium's default callback styles each marker with Leaflet.awesome-markers (another CDN
        # plugin); a plain L.marker keeps the comparison to Leaflet + markercluster only.
        plain = "function (row) { return L.marker(new L.LatLng(row[0], row[1])); }"
        cluster = FastMarkerCluster([[lat, lon] for lat, lon, _ in pts], callback=plain)
        cluster.default_js = [("markerclusterjs", "vendor/leaflet.markercluster/leaflet.markercluster.js")]
        cluster.default_css = [
            ("markerclustercss", "vendor/leaflet.markercluster/MarkerCluster.css"),
            ("markerclusterdefaultcss", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
        ]
        cluster.add_to(fast)
        fast.save(str(paths["fastmarkercluster"]))
    if not (out / "vendor").exists():
        shutil.copytree(VENDOR, out / "vendor")
    return paths


def measure(browser, url: str, *, ready_selector: str, project: bool, timeout_s: float = 600) -> dict:
    """Load ``url`` once in a fresh context; bytes fetched, time to first features, JS heap."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sizes: list[int] = []
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    cdp.send("Network.enable")
    # bytes received per request (headers and body as transferred); CDP events need no round trip
    cdp.on("Network.loadingFinished", lambda ev: sizes.append(int(ev.get("encodedDataLength", 0))))
    t0 = time.perf_counter()
    _log(f"loading {url}")
    page.goto(url, wait_until="load", timeout=timeout_s * 1000)
    _log("loaded")
    page.wait_for_selector(ready_selector, state="attached", timeout=timeout_s * 1000)
    _log("features drawn")
    wall = time.perf_counter() - t0
    # project: when the first viewport layer was drawn; Folium: its inline script builds every
    # marker before the first paint, so the load event's end is when the first features show.
    first = page.evaluate(
        "wuhaiMapStats.firstDrawnAt"
        if project
        else "performance.getEntriesByType('navigation')[0].loadEventEnd"
    )
    page.wait_for_timeout(1500)  # let the remaining viewport requests finish
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    drawn = page.evaluate(
        "document.querySelectorAll('.leaflet-marker-icon, .leaflet-interactive, .cluster-icon').length"
    )
    context.close()
    return {
        "bytes": int(sum(sizes)),
        "requests": len(sizes),
        "first_features_ms": round(float(first), 1),
        "wall_to_ready_s": round(wall, 2),
        "js_heap_mb": round(metrics.get("JSHeapUsedSize", 0) / 1e6, 1),
        "dom_nodes": int(metrics.get("Nodes", 0)),
        "elements_drawn": int(drawn),
    }


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def reachable_signs(base: str) -> int:
    """Sum of the signs layer's cells and points over the whole city at zoom 9."""
    import urllib.request

    with urllib.request.urlopen(f"{base}/api/features/signs?bbox=105,38,108,41&zoom=9") as resp:
        fc = json.load(resp)
    return sum(f["properties"].get("count", 1) for f in fc["features"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the Folium pages here and reuse them on the next run (they take minutes to build)",
    )
    args = parser.parse_args()
    from gis import settings

    url = args.database_url or settings.database_url()
    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from webmap import create_app

    pts, n_signs = points(url)
    if n_signs == 0:
        raise SystemExit("no signs in the database: run `wuhai-gis load-reference` first")
    tmp = args.workdir or Path(tempfile.mkdtemp(prefix="webmap-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    folium_pages(pts, tmp)
    build_s = time.perf_counter() - t

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance")})
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    static_port = _free_port()
    handler = functools.partial(_QuietHandler, directory=str(tmp))
    static = http.server.ThreadingHTTPServer(("127.0.0.1", static_port), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    results: dict = {"points": len(pts), "signs": n_signs, "folium_build_s": round(build_s, 1)}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            measure(
                browser, base + "/", ready_selector="body[data-features-drawn]", project=True
            )  # warm caches
            results["project"] = measure(
                browser, base + "/", ready_selector="body[data-features-drawn]", project=True
            )
            results["naive"] = measure(browser, f"http://127.0.0.1:{static_port}/naive.html",
                                       ready_selector=".leaflet-marker-icon", project=False)  # fmt: skip
            results["fastmarkercluster"] = measure(browser, f"http://127.0.0.1:{static_port}/fast.html",
                                                   ready_selector=".marker-cluster", project=False)  # fmt: skip
            browser.close()
        results["project"]["reachable_signs"] = reachable_signs(base)
    finally:
        server.close()
        static.shutdown()
        app.extensions["wuhai_engine"].dispose()
        if args.workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    pr = results["project"]
    for other in ("naive", "fastmarkercluster"):
        o = results[other]
        results[f"lighter_than_{other}"] = round(o["bytes"] / pr["bytes"], 1)
        results[f"faster_than_{other}"] = round(o["first_features_ms"] / max(pr["first_features_ms"], 1), 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D102
        pass


if __name__ == "__main__":
    main()
