"""Image metadata for the catalog (seed 002 `meta`): size, type, hash, colour, dimensions.

The type is sniffed from the bytes by Pillow, never from the file name. Everything is read in a
streaming way: the hash in chunks, the pixels only through a downscaled decode (JPEG draft mode),
and the pixel count is checked before any decode so decompression bombs are refused early.
Used by the catalog ingest and, later, by uploads; it imports no app.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

# Pillow format name -> (mimetype, file extension). Only these are accepted in the catalog.
SUPPORTED_FORMATS: dict[str, tuple[str, str]] = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
HASH_CHUNK = 1024 * 1024
COLOR_SAMPLE_SIDE = 64
# EXIF orientations 5-8 rotate by 90 degrees: the displayed width is the stored height.
_ROTATED_ORIENTATIONS = {5, 6, 7, 8}
_EXIF_ORIENTATION = 0x0112

ImageSource = str | os.PathLike[str] | IO[bytes]


class ImageRejected(ValueError):
    """The file is not an image we accept (not an image, truncated, unsupported, too large)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImageMeta:
    size: int
    mimetype: str
    extension: str
    etag: str
    color: str | None  # None when not computed (with_color=False)
    width: int
    height: int
    aspect_ratio: str
    orientation: str


def aspect_ratio(width: int, height: int) -> str:
    """'16:9' for 1920x1080: the ratio reduced by the greatest common divisor."""
    divisor = math.gcd(width, height) or 1
    return f"{width // divisor}:{height // divisor}"


def orientation(width: int, height: int) -> str:
    if width > height:
        return "landscape"
    if height > width:
        return "portrait"
    return "square"


@contextmanager
def binary_handle(source: ImageSource) -> Iterator[IO[bytes]]:
    """A seekable binary handle for a path or a file object (the caller's object stays open)."""
    if isinstance(source, (str, os.PathLike)):
        with Path(source).open("rb") as handle:
            yield handle
        return
    if not hasattr(source, "read") or not hasattr(source, "seek"):
        raise TypeError("source must be a path or a seekable binary file object")
    source.seek(0)
    try:
        yield source
    finally:
        source.seek(0)


def _hash_and_size(handle: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    handle.seek(0)
    while chunk := handle.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def _max_pixels(max_pixels: int | None) -> int:
    return max_pixels if max_pixels is not None else int(settings.MAX_IMAGE_PIXELS)


class _Borrowed:
    """The caller's file handle, shielded from Image.close() (Pillow closes whatever it reads)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        pass


@contextmanager
def open_image(source: IO[bytes], *, max_pixels: int | None = None) -> Iterator[Image.Image]:
    """Image.open limited to the supported formats, with the pixel limit checked before decoding.

    Image.open reads only the header. Pillow itself raises DecompressionBombError above twice its
    own MAX_IMAGE_PIXELS; our limit (settings.MAX_IMAGE_PIXELS, 64 Mpx by default, below Pillow's
    89 Mpx warning threshold) is checked right after, before any pixel is decoded. The warnings
    filters are left alone: changing them per call is not thread-safe under gunicorn threads.
    """
    limit = _max_pixels(max_pixels)
    source.seek(0)
    try:
        # _Borrowed is file-like (read, seek, tell): all Image.open uses, not an IO[bytes].
        image = Image.open(_Borrowed(source), formats=list(SUPPORTED_FORMATS))  # type: ignore[arg-type]
    except Image.DecompressionBombError as exc:
        raise ImageRejected("The image has too many pixels (decompression bomb refused).") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("The file is not a supported image (PNG, JPEG, GIF or WebP).") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"The image could not be read: {exc}") from exc
    try:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ImageRejected("The image has no pixels.")
        if width * height > limit:
            raise ImageRejected(
                f"The image has too many pixels ({width}x{height}, the limit is {limit})."
            )
        yield image
    finally:
        image.close()


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    try:
        exif_orientation = image.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # noqa: BLE001 - broken EXIF must not reject an otherwise valid image
        exif_orientation = None
    if exif_orientation in _ROTATED_ORIENTATIONS:
        return height, width
    return width, height


def header_dimensions(source: IO[bytes], *, max_pixels: int | None = None) -> tuple[int, int]:
    """Width and height as displayed, from the header alone: no pixel is decoded.

    The EXIF orientation counts only when the header already carries it (JPEG's APP1, WebP's
    EXIF chunk): PNG's getexif() would decode the whole image to look for it. Raises
    ImageRejected like open_image.
    """
    with open_image(source, max_pixels=max_pixels) as image:
        width, height = image.size
        raw = image.info.get("exif")
        if isinstance(raw, bytes):
            exif = Image.Exif()
            try:
                exif.load(raw)
                rotated = exif.get(_EXIF_ORIENTATION) in _ROTATED_ORIENTATIONS
            except Exception:  # noqa: BLE001 - broken EXIF: the stored size is still right
                rotated = False
            if rotated:
                return height, width
        return width, height


def _verify(source: IO[bytes], max_pixels: int | None) -> None:
    """Pillow's structural check (PNG CRCs, chunk layout) without decoding the pixels."""
    with open_image(source, max_pixels=max_pixels) as image:
        try:
            image.verify()
        except Exception as exc:  # Pillow raises many types for broken files
            raise ImageRejected(f"The image is damaged: {exc}") from exc


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def reduced_first_frame(
    image: Image.Image, side: int, resample: Image.Resampling = Image.Resampling.BILINEAR
) -> Image.Image:
    """The first frame scaled to fit side x side, without a full-resolution copy.

    JPEG decodes directly at a reduced scale (draft mode); other formats are scaled in place.
    """
    image.seek(0)
    if image.format == "JPEG":
        image.draft("RGB", (side, side))
    try:
        image.load()
        frame = image
        if frame.mode not in ("RGB", "RGBA", "L", "LA"):
            # Palette (GIF) and CMYK images only resize well once converted.
            frame = frame.convert("RGBA" if has_alpha(frame) else "RGB")
        frame.thumbnail((side, side), resample, reducing_gap=2.0)
    except Exception as exc:  # truncated/corrupt data surfaces when decoding
        raise ImageRejected(f"The image is damaged or truncated: {exc}") from exc
    return frame


def downscaled_rgb(image: Image.Image, side: int) -> Image.Image:
    """A small RGB version of the first frame, for the colour."""
    frame = reduced_first_frame(image, side)
    if has_alpha(frame):
        # Transparent pixels count as the white page they are shown on.
        rgba = frame.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return frame.convert("RGB")


def dominant_color(small: Image.Image) -> str:
    """The most common colour of a small RGB image after quantizing to a few colours."""
    quantized = small.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    counts = quantized.getcolors() or [(1, 0)]
    _, index = max(counts)
    palette = quantized.getpalette() or [0, 0, 0]
    # A quantized (palette) image's colours are palette indices, ints.
    red, green, blue = palette[index * 3 : index * 3 + 3]  # type: ignore[operator]
    return f"#{red:02x}{green:02x}{blue:02x}"


def read_image_meta(
    source: ImageSource, *, max_pixels: int | None = None, with_color: bool = True
) -> ImageMeta:
    """All of seed 002's `meta` fields for one file. Raises ImageRejected for anything unusable.

    with_color=False reads only the headers (no pixel is decoded: the colour is None), for a
    task to compute the colour later (image_color)."""
    with binary_handle(source) as handle:
        etag, size = _hash_and_size(handle)
        if size == 0:
            raise ImageRejected("The file is empty.")
        _verify(handle, max_pixels)
        with open_image(handle, max_pixels=max_pixels) as image:
            fmt = image.format or ""
            mimetype, extension = SUPPORTED_FORMATS[fmt]
            width, height = _displayed_size(image)
            color = dominant_color(downscaled_rgb(image, COLOR_SAMPLE_SIDE)) if with_color else None
    return ImageMeta(
        size=size,
        mimetype=mimetype,
        extension=extension,
        etag=etag,
        color=color,
        width=width,
        height=height,
        aspect_ratio=aspect_ratio(width, height),
        orientation=orientation(width, height),
    )


def image_color(source: ImageSource, *, max_pixels: int | None = None) -> str:
    """The dominant colour (`meta.color`) alone."""
    with binary_handle(source) as handle, open_image(handle, max_pixels=max_pixels) as image:
        return dominant_color(downscaled_rgb(image, COLOR_SAMPLE_SIDE))


# Perceptual hash: the difference hash (dHash) of ImageHash's `imagehash.dhash`, with Pillow alone
# (README, "Near-duplicate detection"): the first frame in grey, scaled to 9x8, one bit per pair of
# horizontally adjacent pixels (1 when the right one is brighter), row by row, first bit highest.
PHASH_BITS = 64
_PHASH_SAMPLE_SIDE = 64  # JPEG decodes in draft mode at about this size before the 9x8 scale


def dhash_of(image: Image.Image) -> int:
    """The 64-bit dHash of an opened image (the first frame; transparency counts as white)."""
    frame = reduced_first_frame(image, _PHASH_SAMPLE_SIDE)
    if has_alpha(frame):
        rgba = frame.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(background, rgba)
    grey = frame.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            value = (value << 1) | (right > left)
    return value


def image_phash(source: ImageSource, *, max_pixels: int | None = None) -> int:
    """The perceptual hash (`dhash_of`) of an image file, an unsigned 64-bit integer."""
    with binary_handle(source) as handle, open_image(handle, max_pixels=max_pixels) as image:
        return dhash_of(image)
