"""Reading uploaded files (photos, GNSS files) with the size limit; domain functions check and store them."""

from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage

from gis.errors import InvalidInput


def read_limited(file: FileStorage, *, field: str = "photo", limit: int | None = None) -> bytes:
    """The upload's bytes; :class:`~gis.errors.InvalidInput` when larger than ``limit`` (default
    ``UPLOAD_MAX_BYTES``) or empty."""
    limit = int(current_app.config["UPLOAD_MAX_BYTES"]) if limit is None else limit
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            f"{file.filename or 'upload'}: larger than {limit // (1024 * 1024)} MB", field=field
        )
    if not data:
        raise InvalidInput(f"{file.filename or 'upload'}: empty file", field=field)
    return data
