"""nekosite/lib/imagemeta.py: seed 002's `meta` fields computed from the file's content."""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image as PILImage

from catalog.tests.factories import image_bytes
from nekosite.lib.imagemeta import ImageRejected, aspect_ratio, orientation, read_image_meta
from nekosite.lib.thumbnails import make_thumbnail


@pytest.mark.parametrize(
    ("fmt", "mimetype", "extension"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_each_format_is_sniffed_from_content_not_name(
    fmt: str, mimetype: str, extension: str, tmp_path: Path
) -> None:
    data = image_bytes(fmt, size=(40, 30))
    # A misleading name: the type must come from the bytes.
    path = tmp_path / "picture.txt"
    path.write_bytes(data)
    meta = read_image_meta(path)
    assert meta.mimetype == mimetype
    assert meta.extension == extension
    assert (meta.width, meta.height) == (40, 30)


def test_etag_is_sha256_of_content_and_size_is_byte_count() -> None:
    data = image_bytes("PNG", size=(100, 100))
    meta = read_image_meta(io.BytesIO(data))
    assert meta.etag == hashlib.sha256(data).hexdigest()
    assert meta.size == len(data)


def test_file_object_is_left_open_and_rewound() -> None:
    handle = io.BytesIO(image_bytes())
    read_image_meta(handle)
    assert not handle.closed
    assert handle.tell() == 0


@pytest.mark.parametrize(
    ("size", "ratio", "orientation"),
    [
        ((1920, 1080), "16:9", "landscape"),
        ((1080, 1920), "9:16", "portrait"),
        ((1024, 1024), "1:1", "square"),
        ((800, 600), "4:3", "landscape"),
        ((1001, 1000), "1001:1000", "landscape"),
    ],
)
def test_aspect_ratio_is_reduced_and_orientation_follows_the_sides(
    size: tuple[int, int], ratio: str, orientation: str
) -> None:
    meta = read_image_meta(io.BytesIO(image_bytes("PNG", size=size)))
    assert meta.aspect_ratio == ratio
    assert meta.orientation == orientation


def test_aspect_ratio_helper_uses_gcd() -> None:
    assert aspect_ratio(1280, 720) == "16:9"
    assert aspect_ratio(7, 3) == "7:3"


@given(st.integers(1, 100_000), st.integers(1, 100_000))
def test_aspect_ratio_is_fully_reduced_and_keeps_the_proportion(width: int, height: int) -> None:
    left, right = (int(part) for part in aspect_ratio(width, height).split(":"))
    assert math.gcd(left, right) == 1
    assert left * height == right * width
    assert orientation(width, height) == (
        "landscape" if width > height else "portrait" if height > width else "square"
    )


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP"])
def test_colour_of_a_solid_image_is_that_colour(fmt: str) -> None:
    save = {"lossless": True} if fmt == "WEBP" else {}
    data = image_bytes(fmt, size=(300, 200), color=(18, 52, 86), **save)
    assert read_image_meta(io.BytesIO(data)).color == "#123456"


def test_colour_of_a_solid_jpeg_is_close_to_that_colour() -> None:
    data = image_bytes("JPEG", size=(300, 200), color=(200, 30, 60), quality=95)
    color = read_image_meta(io.BytesIO(data)).color
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    assert abs(red - 200) <= 3 and abs(green - 30) <= 3 and abs(blue - 60) <= 3


def test_dominant_colour_is_the_larger_area() -> None:
    picture = PILImage.new("RGB", (400, 400), (0, 0, 255))
    picture.paste((255, 255, 0), (0, 0, 400, 100))  # a quarter yellow, three quarters blue
    out = io.BytesIO()
    picture.save(out, format="PNG")
    assert read_image_meta(io.BytesIO(out.getvalue())).color == "#0000ff"


def test_exif_rotation_swaps_displayed_width_and_height() -> None:
    picture = PILImage.new("RGB", (200, 100), (10, 10, 10))
    exif = picture.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    meta = read_image_meta(io.BytesIO(out.getvalue()))
    assert (meta.width, meta.height, meta.orientation) == (100, 200, "portrait")


def test_decompression_bomb_is_refused_before_decoding(settings) -> None:
    settings.MAX_IMAGE_PIXELS = 10_000
    data = image_bytes("PNG", size=(200, 100))  # 20,000 pixels
    with pytest.raises(ImageRejected, match="too many pixels"):
        read_image_meta(io.BytesIO(data))


def test_pillow_bomb_error_becomes_image_rejected(settings) -> None:
    # Above Pillow's own hard limit (2x its MAX_IMAGE_PIXELS): a tiny PNG header claiming
    # a huge canvas must be refused without allocating it.
    settings.MAX_IMAGE_PIXELS = 10**12
    big = PILImage.new("1", (20_000, 10_000))  # 200 Mpx, 1 bit per pixel: small to encode
    out = io.BytesIO()
    big.save(out, format="PNG")
    with pytest.raises(ImageRejected, match="too many pixels"):
        read_image_meta(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, I am a text file\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"%PDF-1.4\n",
    ],
)
def test_non_image_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected):
        read_image_meta(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_truncated_image_is_refused(fmt: str) -> None:
    picture = PILImage.effect_noise((300, 300), 64).convert("RGB")
    out = io.BytesIO()
    picture.save(out, format=fmt)
    data = out.getvalue()
    with pytest.raises(ImageRejected):
        read_image_meta(io.BytesIO(data[: len(data) // 2]))


def test_unsupported_image_format_is_refused() -> None:
    with pytest.raises(ImageRejected, match="not a supported image"):
        read_image_meta(io.BytesIO(image_bytes("BMP")))


def test_thumbnail_is_webp_with_longest_side_480() -> None:
    thumb = make_thumbnail(io.BytesIO(image_bytes("PNG", size=(1600, 900))))
    with PILImage.open(io.BytesIO(thumb)) as picture:
        assert picture.format == "WEBP"
        assert picture.size == (480, 270)


def test_thumbnail_of_small_image_is_not_enlarged() -> None:
    thumb = make_thumbnail(io.BytesIO(image_bytes("JPEG", size=(100, 50))))
    with PILImage.open(io.BytesIO(thumb)) as picture:
        assert picture.size == (100, 50)


def test_thumbnail_follows_exif_orientation() -> None:
    picture = PILImage.new("RGB", (600, 300), (200, 100, 50))
    exif = picture.getexif()
    exif[0x0112] = 6
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    with PILImage.open(io.BytesIO(make_thumbnail(io.BytesIO(out.getvalue())))) as thumb:
        assert thumb.size == (240, 480)


def test_thumbnail_uses_the_first_frame_of_an_animation() -> None:
    red = PILImage.new("RGB", (100, 100), (255, 0, 0))
    blue = PILImage.new("RGB", (100, 100), (0, 0, 255))
    out = io.BytesIO()
    red.save(out, format="GIF", save_all=True, append_images=[blue], duration=100)
    with PILImage.open(io.BytesIO(make_thumbnail(io.BytesIO(out.getvalue())))) as thumb:
        pixel = thumb.convert("RGB").getpixel((50, 50))
        assert isinstance(pixel, tuple)
        r, _g, b = pixel
        assert r > 200 and b < 50


def test_thumbnail_refuses_a_bomb(settings) -> None:
    settings.MAX_IMAGE_PIXELS = 100
    with pytest.raises(ImageRejected):
        make_thumbnail(io.BytesIO(image_bytes("PNG", size=(20, 20))))
