"""Officers' file import: upload a file for a layer, see the dry run row by row, then apply it.

The page runs :func:`data.importer.import_file`, the function behind ``wuhai-gis import``: first
as a dry run, whose report (new / changed / unchanged / refused rows with their messages, or the
problems of a refused file) is shown; on confirmation the same file again, for real. Between the
two steps the upload waits in the instance folder under a random token remembered in the
officer's session, so only its uploader can apply it.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import session as web_session
from flask_babel import gettext as _
from flask_login import current_user

from data.importer import ImportReport
from data.importer import import_file
from data.layers import LAYERS
from data.layers import get_layer
from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.errors import NotFound
from webmap import forms
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import form_errors
from webmap.uploads import read_limited

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: Who may import into each layer (admin holds every role).
LAYER_ROLES: dict[str, tuple[str, ...]] = {
    "divisions": ("placename_officer", "boundary_inspector"),
    "roads": ("placename_officer",),
    "place_names": ("placename_officer",),
    "signs": ("placename_officer", "sign_maintainer"),
    "boundary_lines": ("boundary_inspector",),
    "markers": ("boundary_inspector",),
    "facilities": ("planner",),
}
ROLES = tuple(sorted({r for roles in LAYER_ROLES.values() for r in roles}))
#: Suffixes of the file an import reads; other uploaded files lie beside it (.dbf, .shx, .prj...).
DATA_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".csv", ".xlsx")
SIDE_SUFFIXES = (".dbf", ".shx", ".prj", ".cpg", ".gpkg")
#: Uploads not applied are removed after this many seconds.
KEEP_SECONDS = 24 * 3600


def _layers() -> list[tuple[str, str]]:
    """The layers the officer may import into: ``(name, label)``."""
    return [
        (name, lyr.label_zh if _zh() else lyr.label_en)
        for name, lyr in LAYERS.items()
        if current_user.has_role(*LAYER_ROLES[name])
    ]


_NOTES = (
    (re.compile(r"^CRS (?P<crs>.+) from the file's crs column$"),
     lambda v: _("CRS %(crs)s from the file's crs column", **v)),
    (re.compile(r"^geometries too long for a cell read from (?P<file>.+)$"),
     lambda v: _("geometries too long for a cell read from %(file)s", **v)),
    (re.compile(r"^ignored columns: (?P<columns>.+)$"), lambda v: _("ignored columns: %(columns)s", **v)),
    (re.compile(r"^tables read one after the other: (?P<tables>.+)$"),
     lambda v: _("tables read one after the other: %(tables)s", tables=_SPAN.sub(_span, v["tables"]))),
)  # fmt: skip
_SPAN = re.compile(r"\((?:rows (?P<first>\d+)-(?P<last>\d+)|(?P<none>no rows))\)")


@bp.context_processor
def _report_texts() -> dict[str, Any]:
    return {"note_text": note_text, "layer_label": layer_label}


def note_text(note: str) -> str:
    """An import report's note in the page's language (file, column and table names as they are)."""
    for pattern, text in _NOTES:
        if m := pattern.match(note):
            return text(m.groupdict())
    return note


def _span(m: re.Match) -> str:
    if m.group("none"):
        return _("(no rows)")
    return _("(rows %(first)s–%(last)s)", first=m.group("first"), last=m.group("last"))


def layer_label(name: str) -> str:
    """A layer's name in the page's language."""
    lyr = LAYERS.get(name)
    if lyr is None:
        return name
    return lyr.label_zh if _zh() else lyr.label_en


def _zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale()) == "zh"


def _form(error: str | None = None, status: int = 200, exc: Any = None, **_kw: Any):
    report = getattr(exc, "report", None)
    page = render_template(
        "imports/index.html",
        layers=_layers(),
        chosen=request.form.get("layer") or request.args.get("layer") or "",
        update=bool(request.form.get("update")) if request.method == "POST" else True,
        reason=request.form.get("reason") or "",
        report=report,
        error=error,
    )
    return page, status


@bp.get("/")
@role_required(*ROLES)
def index():
    """The upload form."""
    return _form()


@bp.post("/")
@role_required(*ROLES)
@form_errors(_form)
def check():
    """Store the upload and run the import as a dry run; show its report and the confirmation."""
    lyr = _layer()
    options = _options()
    token, path = _store(request.files.getlist("file"))
    report = _run(path, lyr.name, dry_run=True, **options)
    web_session.setdefault("imports", {})[token] = {"layer": lyr.name, **options}
    web_session.modified = True
    return render_template(
        "imports/review.html", report=report, token=token, layer=lyr, options=options, counts=_counts(report)
    )


@bp.post("/<token>")
@role_required(*ROLES)
@form_errors(_form)
def apply(token: str):
    """Apply a checked upload (the same import, written this time)."""
    pending = web_session.get("imports", {})
    if token not in pending:
        raise NotFound("no upload waiting to be applied under this link: upload the file again", field="file")
    job = dict(pending[token])
    folder = _folder(token)
    path = _data_file(sorted(folder.iterdir())) if folder.is_dir() else None
    if path is None:
        raise NotFound("the uploaded file is no longer kept: upload it again", field="file")
    layer = job.pop("layer")
    report = _run(path, layer, dry_run=False, **job)
    get_session().commit()
    pending.pop(token, None)
    web_session.modified = True
    shutil.rmtree(folder, ignore_errors=True)
    return render_template("imports/done.html", report=report, layer=get_layer(layer), counts=_counts(report))


# -- helpers ------------------------------------------------------------------------------------


def _layer():
    name = forms.text("layer", required=True, contract=forms.OPTION) or ""
    lyr = get_layer(name)
    if not current_user.has_role(*LAYER_ROLES[lyr.name]):
        raise Forbidden(f"your role does not allow imports into {lyr.name}")
    return lyr


def _options() -> dict[str, Any]:
    return {
        "update": bool(request.form.get("update")),
        "crs": forms.text("crs", contract=forms.OPTION),
        "encoding": forms.text("encoding", contract=forms.OPTION),
        "reason": forms.text("reason", contract=forms.REASON),
    }


def _run(path: Path, layer: str, *, dry_run: bool, update: bool, crs, encoding, reason) -> ImportReport:
    report = import_file(
        get_session(),
        path,
        layer=layer,
        actor=actor(),
        crs=crs,
        encoding=encoding,
        dry_run=dry_run,
        reason=reason,
        update=update,
        max_bytes=int(current_app.config["IMPORT_MAX_BYTES"]),
    )
    if dry_run:
        get_session().rollback()
    return report


def _store(files: list) -> tuple[str, Path]:
    """Save the uploaded files under a new token; return it and the file the import reads."""
    files = [f for f in files if f and f.filename]
    if not files:
        raise InvalidInput(
            "choose a file (GeoPackage, GeoJSON, Shapefile with its .dbf/.shx, CSV or XLSX)", field="file"
        )
    _sweep()
    limit = int(current_app.config["IMPORT_MAX_BYTES"])
    token = secrets.token_urlsafe(16)
    folder = _folder(token)
    folder.mkdir(parents=True)
    total = 0
    try:
        for upload in files:
            name = _safe_name(upload.filename)
            data = read_limited(upload, field="file", limit=limit)
            total += len(data)
            if total > limit:
                raise InvalidInput(
                    f"the files are larger than {limit // (1024 * 1024)} MB together", field="file"
                )
            (folder / name).write_bytes(data)
        path = _data_file(sorted(folder.iterdir()))
        if path is None:
            raise InvalidInput(
                f"none of the files is one an import reads ({', '.join(DATA_SUFFIXES)})", field="file"
            )
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token, path


def _safe_name(filename: str) -> str:
    """The upload's own file name (it is recorded in the audit log), refusing paths and odd names."""
    name = Path(filename.replace("\\", "/")).name.strip()
    suffix = Path(name).suffix.lower()
    if not name or name.startswith(".") or len(name) > 120 or suffix not in DATA_SUFFIXES + SIDE_SUFFIXES:
        raise InvalidInput(f"{filename[:60]!r}: not a file an import reads", field="file")
    return name


def _data_file(paths: list[Path]) -> Path | None:
    """The file to import among the uploaded ones (a spreadsheet's companion GeoPackage aside)."""
    names = {p.name for p in paths}
    for path in paths:
        companion_of = path.name.removesuffix(".geometry.gpkg")
        if path.name.endswith(".geometry.gpkg") and any(
            n.startswith(companion_of + ".") for n in names - {path.name}
        ):
            continue
        if path.suffix.lower() in DATA_SUFFIXES:
            return path
    return None


def _folder(token: str) -> Path:
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 40:
        raise NotFound("no upload waiting to be applied under this link", field="file")
    return Path(current_app.instance_path) / "imports" / token


def _sweep() -> None:
    """Remove uploads older than :data:`KEEP_SECONDS` (checked and never applied)."""
    root = Path(current_app.instance_path) / "imports"
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _counts(report: ImportReport) -> dict[str, int]:
    return report.counts() if report.update else {}
