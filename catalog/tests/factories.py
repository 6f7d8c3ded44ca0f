"""Test data: real image bytes made with Pillow, and catalog rows made through the services."""

from __future__ import annotations

import io
import itertools
from typing import Any

from PIL import Image as PILImage

from catalog.models import Image
from catalog.services import image_ingest

_colours = itertools.count(1)


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] | None = None,
    **save: Any,
) -> bytes:
    """A solid image; without `color`, each call gets a different colour (distinct hashes)."""
    if color is None:
        n = next(_colours)
        color = (n * 37 % 256, n * 91 % 256, (n // 7) * 53 % 256)
    picture = PILImage.new("RGB", size, color)
    out = io.BytesIO()
    picture.save(out, format=fmt, **save)
    return out.getvalue()


def make_image(**kwargs: Any) -> Image:
    """An ingested image with distinct bytes; kwargs go to image_ingest."""
    data = kwargs.pop("data", None) or image_bytes()
    return image_ingest(file=io.BytesIO(data), filename=kwargs.pop("filename", "x.png"), **kwargs)
