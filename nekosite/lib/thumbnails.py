"""WebP thumbnails for galleries (catalog now, uploads later). Imports no app.

The gallery never asks the browser to scale full images: each image gets one small WebP,
made from the first frame, turned upright according to its EXIF orientation.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from nekosite.lib.imagemeta import (
    ImageSource,
    binary_handle,
    has_alpha,
    open_image,
    reduced_first_frame,
)

THUMBNAIL_SIDE = 480
THUMBNAIL_QUALITY = 80
THUMBNAIL_MIMETYPE = "image/webp"


def make_thumbnail(
    source: ImageSource, *, side: int = THUMBNAIL_SIDE, max_pixels: int | None = None
) -> bytes:
    """WebP bytes of the image scaled so its longest side is at most `side` pixels."""
    with binary_handle(source) as handle, open_image(handle, max_pixels=max_pixels) as image:
        frame = reduced_first_frame(image, side, Image.Resampling.LANCZOS)
        # Turned upright after scaling: the box is square, so the bounds still hold.
        frame = ImageOps.exif_transpose(frame)
        frame = frame.convert("RGBA" if has_alpha(frame) else "RGB")
        out = io.BytesIO()
        frame.save(out, format="WEBP", quality=THUMBNAIL_QUALITY, method=4)
        return out.getvalue()
