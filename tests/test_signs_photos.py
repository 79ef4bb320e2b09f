"""Sign photos: image checks, content-hash storage, zipped field photos."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from placenames.signs.photos import check_photo
from placenames.signs.photos import read_photo_archive
from placenames.signs.photos import save_photo
from placenames.signs.photos import store_photos


def _image(fmt: str = "PNG", size=(6, 6)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_accepted_formats(fmt, ext):
    assert check_photo(_image(fmt)) == ext


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html>not a photo</html>", "not a usable image"),
        (_image(size=(50, 50))[:-30], "not a (valid|usable) image"),
        (_image("GIF"), "format GIF is not accepted"),
        (_image(size=(400, 400)) + b"\0" * 200_000, "over the limit of 100000 bytes"),
    ],
)
def test_refused_photos(data, message):
    with pytest.raises(ValueError, match=message):
        check_photo(data, max_bytes=100_000)


def test_save_photo_is_content_addressed(tmp_path):
    data = _image()
    first = save_photo(data, instance_dir=tmp_path)
    assert first == save_photo(data, instance_dir=tmp_path)
    assert first.startswith("photos/") and first.endswith(".png")
    assert (tmp_path / first).read_bytes() == data
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()) == [first.split("/")[1]]


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_read_photo_archive(tmp_path):
    archive = _zip(tmp_path / "photos.zip", {"field/a.jpg": _image("JPEG"), "b.png": _image()})
    photos = read_photo_archive(archive, referenced=["a.jpg", "b.png"])
    assert sorted(photos) == ["a.jpg", "b.png"]
    stored = store_photos(photos, instance_dir=tmp_path / "inst")
    assert all((tmp_path / "inst" / p).exists() for p in stored.values())


def test_read_photo_archive_names_every_problem(tmp_path):
    archive = _zip(
        tmp_path / "bad.zip",
        {
            "../evil.png": _image(),
            "x/a.png": _image(),
            "y/a.png": _image(),
            "note.txt": b"hello",
            "big.png": b"\0" * 5000,
        },
    )
    with pytest.raises(ValueError) as info:
        read_photo_archive(archive, referenced=["a.png", "missing.jpg"], max_bytes=4000)
    message = str(info.value)
    for part in (
        "../evil.png: path leaves the archive",
        "y/a.png: a second file named a.png",
        "note.txt: the photo is not a usable image",
        "big.png: 5000 bytes, over the limit",
        "missing.jpg: referenced by the inventory but not in the archive",
    ):
        assert part in message
    (tmp_path / "not.zip").write_bytes(b"PK nope")
    with pytest.raises(ValueError, match="not a readable ZIP archive"):
        read_photo_archive(tmp_path / "not.zip")
