"""WebP thumbnails for galleries (catalog now, uploads later). Imports no app.

The gallery never asks the browser to scale full images: each image gets one small WebP,
made from the first frame, turned upright according to its EXIF orientation.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from nekosite.lib.imagemeta import ImageRejected, ImageSource, binary_handle, open_image

THUMBNAIL_SIDE = 480
THUMBNAIL_QUALITY = 80
THUMBNAIL_MIMETYPE = "image/webp"


def make_thumbnail(
    source: ImageSource, *, side: int = THUMBNAIL_SIDE, max_pixels: int | None = None
) -> bytes:
    """WebP bytes of the image scaled so its longest side is at most `side` pixels."""
    with binary_handle(source) as handle, open_image(handle, max_pixels=max_pixels) as image:
        image.seek(0)  # first frame of an animation
        if image.format == "JPEG":
            # Decode at the smallest scale that still covers the thumbnail.
            image.draft("RGB", (side, side))
        try:
            image.load()
            frame = ImageOps.exif_transpose(image.copy())
        except Exception as exc:  # truncated/corrupt data surfaces here
            raise ImageRejected(f"The image is damaged or truncated: {exc}") from exc
        frame.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
        has_alpha = frame.mode in ("RGBA", "LA", "PA") or (
            frame.mode == "P" and "transparency" in frame.info
        )
        frame = frame.convert("RGBA" if has_alpha else "RGB")
        out = io.BytesIO()
        frame.save(out, format="WEBP", quality=THUMBNAIL_QUALITY, method=4)
        return out.getvalue()
