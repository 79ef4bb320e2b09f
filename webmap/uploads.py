"""Reading uploaded files (photos, GNSS files) with the size limit; domain functions check and store them."""

from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage


def read_limited(file: FileStorage) -> bytes:
    """The upload's bytes; ``ValueError`` when it is larger than ``UPLOAD_MAX_BYTES`` or empty."""
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{file.filename or 'upload'}: larger than {limit // (1024 * 1024)} MB")
    if not data:
        raise ValueError(f"{file.filename or 'upload'}: empty file")
    return data
