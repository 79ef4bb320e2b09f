"""Photos of signs: checked to be real images under the upload limit, stored by content hash; zipped field photos."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path
from pathlib import PurePosixPath

from PIL import Image
from PIL import UnidentifiedImageError

from gis import settings
from gis.errors import InvalidInput

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Most photos accepted in one field archive.
MAX_ARCHIVE_PHOTOS = 50_000


def check_photo(data: bytes, *, max_bytes: int | None = None) -> str:
    """Check that ``data`` is a JPEG, PNG or WebP image under the upload limit; return its extension.

    Raises
    ------
    gis.errors.InvalidInput
        Empty, over ``max_bytes`` (default ``UPLOAD_MAX_BYTES``), not an image, a truncated image
        or an image of another format.
    """
    limit = int(max_bytes if max_bytes is not None else settings.get("UPLOAD_MAX_BYTES"))
    if not data:
        raise InvalidInput("the photo is empty", field="photo")
    if len(data) > limit:
        raise InvalidInput(f"the photo is {len(data)} bytes, over the limit of {limit} bytes", field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                img.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"the photo is not a usable image ({type(exc).__name__})", field="photo") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"the photo is not a valid image: {exc}", field="photo") from None
    if fmt not in PHOTO_FORMATS:
        raise InvalidInput(f"photo format {fmt} is not accepted (JPEG, PNG or WebP)", field="photo")
    return PHOTO_FORMATS[fmt]


def save_photo(
    data: bytes, *, instance_dir: str | os.PathLike[str] | None = None, max_bytes: int | None = None
) -> str:
    """Validate and store a photo under ``<instance>/photos/`` named by its SHA-256; return ``photos/<name>``."""
    ext = check_photo(data, max_bytes=max_bytes)
    folder = Path(instance_dir) if instance_dir is not None else settings.instance_path()
    folder = folder / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    target = folder / name
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return f"photos/{name}"


def read_photo_archive(
    path: str | os.PathLike[str],
    *,
    referenced: Iterable[str] = (),
    max_bytes: int | None = None,
) -> dict[str, bytes]:
    """Read the photos of a field import from a ZIP archive, each checked as an image.

    Parameters
    ----------
    path
        The ``.zip`` delivered with a sign inventory (CSV/XLSX/GPKG).
    referenced
        Photo file names the inventory rows refer to (its ``photos`` column); each must be in
        the archive.
    max_bytes
        Limit per photo (default ``UPLOAD_MAX_BYTES``).

    Returns
    -------
    dict
        ``{file name: bytes}`` keyed by the entry's base name.

    Raises
    ------
    gis.errors.InvalidInput
        Not a ZIP archive, an entry with an absolute or ``..`` path, duplicate base names, an
        entry over the limit (checked before it is inflated), an entry that is not an image,
        or a referenced photo missing from the archive; every problem is named.
    """
    limit = int(max_bytes if max_bytes is not None else settings.get("UPLOAD_MAX_BYTES"))
    problems: list[str] = []
    photos: dict[str, bytes] = {}
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{Path(path).name}: not a readable ZIP archive ({exc})") from None
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > MAX_ARCHIVE_PHOTOS:
            raise InvalidInput(
                f"{Path(path).name}: {len(entries)} files, at most {MAX_ARCHIVE_PHOTOS} accepted"
            )
        for info in entries:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts:
                problems.append(f"{info.filename}: path leaves the archive")
                continue
            if info.file_size > limit:
                problems.append(f"{info.filename}: {info.file_size} bytes, over the limit of {limit} bytes")
                continue
            if name.name in photos:
                problems.append(f"{info.filename}: a second file named {name.name}")
                continue
            with archive.open(info) as fh:
                data = fh.read(limit + 1)
            try:
                check_photo(data, max_bytes=limit)
            except InvalidInput as exc:
                problems.append(f"{info.filename}: {exc}")
                continue
            photos[name.name] = data
    missing = sorted({PurePosixPath(r).name for r in referenced if r} - set(photos))
    problems += [f"{m}: referenced by the inventory but not in the archive" for m in missing]
    if problems:
        raise InvalidInput(
            f"{Path(path).name}: " + "; ".join(problems[:20]) + (" …" if len(problems) > 20 else "")
        )
    return photos


def store_photos(
    photos: dict[str, bytes], *, instance_dir: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """Store checked photos; ``{file name: 'photos/<sha256>.<ext>'}`` for the rows' ``photos`` lists."""
    return {name: save_photo(data, instance_dir=instance_dir) for name, data in photos.items()}
