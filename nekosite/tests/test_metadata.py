"""EXIF/GPS stripping (issue #20): metadata goes, every pixel and the orientation stay.

Checked with Pillow and, where installed, with exiftool (Debian's libimage-exiftool-perl).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, PngImagePlugin

from nekosite.lib import metadata

GPS_IFD = 0x8825
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
       b"dc:creator=\"Secret Photographer\"/></rdf:RDF></x:xmpmeta>")  # fmt: skip


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "Camera app 1.0"  # Software
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 42.0, 5.0)})
    return exif


ORIENTATION = metadata.ORIENTATION_TAG


def photo(fmt: str, orientation: int = 1, **extra: object) -> bytes:
    image = Image.new("RGB", (64, 48))
    image.putdata([(x * 4 % 256, y * 5 % 256, (x * y) % 256) for y in range(48) for x in range(64)])
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif_with_gps(orientation), **extra)
    return buffer.getvalue()


def stripped(data: bytes, content_type: str) -> bytes:
    out = io.BytesIO()
    metadata.strip(io.BytesIO(data), out, content_type)
    return out.getvalue()


def assert_same_pixels(before: bytes, after: bytes) -> None:
    with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
        assert a.size == b.size
        assert ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None


def exiftool(data: bytes, tmp_path: Path, suffix: str) -> dict[str, object]:
    tool = shutil.which("exiftool")
    if tool is None:
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl)")
    path = tmp_path / f"file{suffix}"
    path.write_bytes(data)
    out = subprocess.run([tool, "-j", "-a", "-G1", str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)[0]


def gps_tags(tags: dict[str, object]) -> list[str]:
    return [key for key in tags if "GPS" in key or "Make" in key or "Creator" in key]


@pytest.mark.parametrize(("fmt", "content_type", "suffix"), [
    ("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png"), ("WEBP", "image/webp", ".webp"),
])  # fmt: skip
def test_gps_and_camera_tags_are_gone_and_every_pixel_is_kept(
    fmt: str, content_type: str, suffix: str, tmp_path: Path
) -> None:
    extra: dict[str, Any] = {"quality": 90} if fmt == "JPEG" else {}
    if fmt == "WEBP":
        extra = {"lossless": True, "xmp": XMP}
    original = photo(fmt, **extra)
    assert gps_tags(exiftool(original, tmp_path, suffix))  # the fixture really has them
    clean = stripped(original, content_type)
    with Image.open(io.BytesIO(clean)) as image:
        assert GPS_IFD not in image.getexif() and not image.getexif().get(0x010F)
        assert not image.info.get("xmp")
    assert gps_tags(exiftool(clean, tmp_path, suffix)) == []
    assert_same_pixels(original, clean)


def test_a_jpeg_keeps_its_entropy_coded_data_byte_for_byte() -> None:
    original = photo("JPEG", quality=85)
    clean = stripped(original, "image/jpeg")
    scan = original.index(b"\xff\xda")
    assert clean.endswith(original[scan:]) and len(clean) < len(original)


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"),
])  # fmt: skip
def test_the_orientation_survives_as_the_only_exif_field(fmt: str, content_type: str) -> None:
    extra = {"lossless": True} if fmt == "WEBP" else {}
    clean = stripped(photo(fmt, orientation=6, **extra), content_type)
    with Image.open(io.BytesIO(clean)) as image:
        exif = image.getexif()
        assert dict(exif) == {ORIENTATION: 6}
        assert exif.get_ifd(GPS_IFD) == {}


def test_jpeg_comments_xmp_and_appended_images_are_dropped_but_the_icc_profile_stays(
    tmp_path: Path,
) -> None:
    profile = b"\x00" * 128  # a stand-in profile body: kept byte for byte, never parsed here
    base = photo("JPEG", comment=b"taken at home", icc_profile=profile)
    xmp_segment = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    with_xmp = base[:2] + b"\xff\xe1" + (len(xmp_segment) + 2).to_bytes(2, "big") + xmp_segment
    with_xmp += base[2:]
    appended = with_xmp + photo("JPEG")  # a second picture with its own GPS, as phones add
    clean = stripped(appended, "image/jpeg")
    assert b"taken at home" not in clean and b"Secret Photographer" not in clean
    assert clean.count(b"\xff\xd8") == 1 and clean.endswith(b"\xff\xd9")
    assert b"ICC_PROFILE\x00" in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.info.get("icc_profile") == profile
    assert gps_tags(exiftool(clean, tmp_path, ".jpg")) == []


def test_png_text_chunks_go_and_a_png_with_nothing_to_strip_is_unchanged() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Photographer")
    info.add_itxt("Location", "Home sweet home")
    original = photo("PNG", pnginfo=info)
    clean = stripped(original, "image/png")
    assert b"Secret Photographer" not in clean and b"Home sweet home" not in clean
    plain = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(plain, format="PNG")
    assert stripped(plain.getvalue(), "image/png") == plain.getvalue()


@pytest.mark.parametrize(("data", "content_type"), [
    (b"", "image/jpeg"), (b"\xff\xd8\xff\xe1\x00", "image/jpeg"), (b"GIF89a", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"), (b"RIFF\x00\x00\x00\x00WEBPVP8X", "image/webp"),
])  # fmt: skip
def test_damaged_files_are_refused_not_half_written(data: bytes, content_type: str) -> None:
    with pytest.raises(metadata.NotStrippable):
        metadata.strip(io.BytesIO(data), io.BytesIO(), content_type)
