"""WebP thumbnails for galleries (catalog and uploads). Imports no app.

The gallery never asks the browser to scale full images: each image gets one small WebP,
made from the first frame, turned upright according to its EXIF orientation.

Making one can be expensive: a tiny, highly compressed PNG can decode to tens of millions of
pixels. So callers that make thumbnails on request bound the work three ways: the decoded
pixels (`decode_budget`, checked after JPEG's draft mode has picked a reduced scale, before any
pixel is decoded), the number of thumbnails made at once in a process (`thumbnail_slot`), and
making each one once (the caller stores it). Refused images get `placeholder_thumbnail()`.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from PIL import Image, ImageDraw, ImageOps

from nekosite.lib.imagemeta import (
    ImageRejected,
    ImageSource,
    binary_handle,
    has_alpha,
    open_image,
    reduced_first_frame,
)

THUMBNAIL_SIDE = 480
THUMBNAIL_QUALITY = 80
THUMBNAIL_MIMETYPE = "image/webp"
# How long a request waits for a free thumbnail slot before it is told to come back (503).
SLOT_WAIT_SECONDS = 1.0
SLOT_RETRY_AFTER = "2"


class ThumbnailTooLarge(ImageRejected):
    """Decoding the image would cost more pixels than the thumbnail budget allows."""


class ThumbnailBusy(Exception):
    """Every thumbnail slot of this process stayed taken for SLOT_WAIT_SECONDS."""


def make_thumbnail(
    source: ImageSource,
    *,
    side: int = THUMBNAIL_SIDE,
    max_pixels: int | None = None,
    decode_budget: int | None = None,
) -> bytes:
    """WebP bytes of the image scaled so its longest side is at most `side` pixels.

    `max_pixels` refuses images whose header announces more pixels (MAX_IMAGE_PIXELS by
    default); `decode_budget` refuses, with ThumbnailTooLarge, images that would still decode
    to more pixels once JPEG's draft mode has chosen its reduced scale.
    """
    with binary_handle(source) as handle, open_image(handle, max_pixels=max_pixels) as image:
        if decode_budget is not None:
            _check_decode_budget(image, side, decode_budget)
        frame = reduced_first_frame(image, side, Image.Resampling.LANCZOS)
        # Turned upright after scaling: the box is square, so the bounds still hold.
        frame = ImageOps.exif_transpose(frame)
        frame = frame.convert("RGBA" if has_alpha(frame) else "RGB")
        return _webp(frame)


def _check_decode_budget(image: Image.Image, side: int, budget: int) -> None:
    if image.format == "JPEG":
        # Draft mode decodes at 1/2, 1/4 or 1/8 scale; image.size becomes the reduced size.
        image.draft("RGB", (side, side))
    width, height = image.size
    if width * height > budget:
        raise ThumbnailTooLarge(
            f"A thumbnail of this image would decode {width}x{height} pixels "
            f"(the budget is {budget})."
        )


def _webp(frame: Image.Image) -> bytes:
    out = io.BytesIO()
    frame.save(out, format="WEBP", quality=THUMBNAIL_QUALITY, method=4)
    return out.getvalue()


@functools.cache
def placeholder_thumbnail() -> bytes:
    """A generic picture icon (grey frame, mountain and sun) shown instead of a refused image."""
    icon = Image.new("RGB", (160, 120), "#e5e7eb")
    draw = ImageDraw.Draw(icon)
    draw.rectangle((8, 8, 151, 111), outline="#6b7280", width=4)
    draw.polygon([(20, 100), (62, 48), (92, 84), (112, 64), (140, 100)], fill="#6b7280")
    draw.ellipse((108, 22, 130, 44), fill="#9ca3af")
    return _webp(icon)


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    size = max(int(settings.THUMBNAIL_CONCURRENCY), 1)
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


@contextmanager
def thumbnail_slot(wait: float = SLOT_WAIT_SECONDS) -> Iterator[None]:
    """One of THUMBNAIL_CONCURRENCY slots of this process, or ThumbnailBusy after `wait` s."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=wait):
        raise ThumbnailBusy()
    try:
        yield
    finally:
        semaphore.release()
