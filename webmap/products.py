"""Generated products on the web: served from the on-disk cache (``gis.products``), built in the
background, with a "being prepared" page that polls a small JSON status endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gis.products import Builder
from gis.products import ProductCache
from gis.products import Status
from webmap.db import get_session

_KEY = "wuhai_products"
#: Policy of generated HTML products (no script; their images come from this server).
PRODUCT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


#: The steps the builders report (``gis.progress``), as the waiting page shows them.
STEPS = {
    "reading the names": _l("reading the names"),
    "drawing the district maps": _l("drawing the district maps"),
    "drawing the city map": _l("drawing the city map"),
    "writing the HTML edition": _l("writing the HTML edition"),
    "writing the PDF edition": _l("writing the PDF edition"),
    "computing the indicators": _l("computing the indicators"),
    "computing the service circles": _l("computing the service circles"),
    "drawing the chart": _l("drawing the chart"),
    "drawing the maps": _l("drawing the maps"),
    "writing the tables": _l("writing the tables"),
    "writing the HTML report": _l("writing the HTML report"),
    "writing the PDF report": _l("writing the PDF report"),
    "done": _l("done"),
}


@dataclass(frozen=True)
class WebProduct:
    """A product as the web offers it: its cache name and the four endpoints serving it.

    ``endpoint`` answers with the file (or the waiting page), ``endpoint + "_status"`` with
    JSON, ``endpoint + "_rebuild"`` (POST) forces a build and ``endpoint + "_file"`` serves
    the files of a build; its URL holds the parameters and the build id as path parts, so
    that the relative links of an HTML product (its images) resolve within the build.
    """

    name: str
    endpoint: str
    title: str


def init_app(app: Flask) -> None:
    """Keep one product cache per app under ``<instance>/products/cache`` (idempotent; the
    blueprints offering products call it when registered). With ``REDIS_URL`` set, builds are
    coordinated across hosts by a Redis lock (the hosts then share the instance's products folder)."""
    if _KEY not in app.extensions:
        from gis.shared_state import client_for

        root = Path(app.instance_path) / "products" / "cache"
        redis = client_for(app.config)
        app.extensions[_KEY] = ProductCache(root, app.extensions["wuhai_sessionmaker"], redis=redis)


def get_cache() -> ProductCache:
    """The application's product cache."""
    return current_app.extensions[_KEY]


def respond(
    product: WebProduct, params: dict[str, str], builder: Builder, *, download_name: str | None = None
):
    """The product's main file when current; otherwise start a build and show the waiting page.

    HTML products redirect to their file URL (so that their images resolve next to them);
    others are sent as attachments named ``download_name``. Right after a forced rebuild
    (``?rebuilt=1``) the waiting page is shown until the new build is done.
    """
    status = get_cache().request(get_session(), product.name, params, builder)
    rebuilding = request.args.get("rebuilt") == "1" and status.state in ("queued", "building")
    if status.current and not rebuilding:
        latest = status.latest
        if latest.main.endswith(".html"):
            return redirect(_file_url(product, params, status))
        return send_file(latest.path, as_attachment=True, download_name=download_name or latest.main)
    code = 500 if status.state == "failed" else 202
    return _waiting(product, params, status), code


def status_json(product: WebProduct, params: dict[str, str]):
    """``{"state", "current", "generation", "since", "built_at", "file_url", "error", "failed_at"}``."""
    status = get_cache().status(get_session(), product.name, params)
    latest = status.latest
    return jsonify(
        {
            "state": status.state,
            "current": status.current,
            "generation": status.generation,
            "since": _iso(status.since),
            "built_at": _iso(latest.built_at) if latest else None,
            "build_seconds": latest.seconds if latest else None,
            "file_url": _file_url(product, params, status) if latest else None,
            "page_url": url_for(product.endpoint, **params),
            "error": status.error,
            "failed_at": _iso(status.failed_at),
            "progress": progress_of(status),
        }
    )


def progress_of(status: Status) -> dict | None:
    """How far a running build is: ``{"done", "total", "percent", "text"}`` (the step in the page's
    language), ``None`` before its first step or when none runs."""
    step = status.progress
    if status.state != "building" or not step or not step.get("total"):
        return None
    done, total = int(step["done"]), int(step["total"])
    text = str(STEPS.get(step.get("text"), step.get("text") or ""))
    return {
        "done": done,
        "total": total,
        "percent": round(100 * done / total),
        "text": _("Step %(n)s of %(total)s: %(step)s", n=min(done + 1, total), total=total, step=text),
    }


def rebuild(product: WebProduct, params: dict[str, str], builder: Builder):
    """Force a build (unless one runs) and go back to the product's page."""
    get_cache().request(get_session(), product.name, params, builder, force=True)
    return redirect(url_for(product.endpoint, **params, rebuilt=1))


def send_build_file(product: WebProduct, params: dict[str, str], build_id: str, name: str, *,
                    download_name: str | None = None):  # fmt: skip
    """A file of one build (HTML with a script-free policy; PDF as an attachment)."""
    path = get_cache().file(product.name, params, build_id, name)
    attachment = path.suffix == ".pdf"
    resp = send_file(path, as_attachment=attachment, download_name=download_name if attachment else None)
    resp.headers["Content-Security-Policy"] = PRODUCT_CSP
    return resp


def _waiting(product: WebProduct, params: dict[str, str], status: Status) -> str:
    return render_template(
        "products/waiting.html",
        product=product,
        params=params,
        status=status,
        progress=progress_of(status),
        file_url=_file_url(product, params, status) if status.latest else None,
        built_at=_local(status.latest.built_at) if status.latest else None,
        since=_local(status.since),
        failed_at=_local(status.failed_at),
    )


def _file_url(product: WebProduct, params: dict[str, str], status: Status) -> str:
    latest = status.latest
    return url_for(product.endpoint + "_file", **params, build=latest.build_id, name=latest.main)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _local(value) -> str | None:
    """A time in the server's time zone, to the minute."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else None
