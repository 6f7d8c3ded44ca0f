"""Test data for the catalog: real rows, real tiny images in the catalog storage.

make_* fill rows and metadata directly, the way ingest would fill them; ingest_image goes
through catalog.services, as the import command and the admin do.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import random
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image as PillowImage

from catalog.models import Artist, Category, Character, Image
from catalog.services import image_categories_set, image_insert

_counter = itertools.count(1)


def png_bytes(width: int = 4, height: int = 3, color: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def make_artist(**fields: Any) -> Artist:
    n = next(_counter)
    fields.setdefault("name", f"artist {n}")
    fields.setdefault("url", f"https://example.com/artist/{n}")
    return Artist.objects.create(**fields)


def make_category(**fields: Any) -> Category:
    n = next(_counter)
    fields.setdefault("name", f"category-{n}")
    fields.setdefault("description", f"Description of category {n}")
    return Category.objects.create(**fields)


def make_character(**fields: Any) -> Character:
    n = next(_counter)
    fields.setdefault("name", f"character {n}")
    fields.setdefault("description", "A character")
    fields.setdefault("source", "Some anime")
    fields.setdefault("gender", "Female")
    fields.setdefault("ages", [16, 17])
    fields.setdefault("birth_date", "January 1")
    fields.setdefault("nationality", "Japanese")
    fields.setdefault("occupations", ["Student"])
    return Character.objects.create(**fields)


def make_image(
    *,
    categories: Iterable[Category] = (),
    characters: Iterable[Character] = (),
    width: int = 4,
    height: int = 3,
    **fields: Any,
) -> Image:
    """An Image row whose file is a real PNG saved to storages["catalog"]."""
    data = png_bytes(width, height)
    defaults: dict[str, Any] = {
        "size": len(data),
        "mimetype": "image/png",
        "etag": hashlib.sha256(data).hexdigest()[:32],
        "color": "#ff0000",
        "aspect_ratio": "4:3" if (width, height) == (4, 3) else f"{width}:{height}",
        "orientation": (
            "landscape" if width > height else "portrait" if height > width else "square"
        ),
        "source_name": "pixiv",
        "source_url": "https://example.com/source",
    }
    image = Image(width=width, height=height, **{**defaults, **fields})
    image.file.save(f"{image.id}.png", ContentFile(data), save=False)
    # Through the services that number images and category links (image_random draws them).
    image_insert(image=image)
    image_categories_set(image=image, categories=categories)
    image.characters.set(list(characters))
    return image


_colours = itertools.count(1)


def image_bytes(
    fmt: str = "PNG",
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] | None = None,
    **save: Any,
) -> bytes:
    """A solid image of `color`; without it, each call gets a different colour and a different
    pattern of light and dark blocks (distinct sha256 and distinct perceptual hashes)."""
    if color is not None:
        picture = PillowImage.new("RGB", size, color)
    else:
        n = next(_colours)
        base = (n * 37 % 256, n * 91 % 256, (n // 7) * 53 % 256)
        pattern = random.Random(n)
        blocks = PillowImage.new("RGB", (9, 8))
        blocks.putdata(
            [
                tuple(min(255, c + 120) for c in base) if pattern.random() < 0.5 else base
                for _ in range(72)
            ]
        )
        picture = blocks.resize(size, PillowImage.Resampling.NEAREST)
    out = io.BytesIO()
    picture.save(out, format=fmt, **save)
    return out.getvalue()


def ingest_image(**kwargs: Any) -> Image:
    """An image made through the ingest service, with distinct bytes; kwargs go to image_ingest."""
    from catalog.services import image_ingest

    data = kwargs.pop("data", None) or image_bytes()
    return image_ingest(file=io.BytesIO(data), filename=kwargs.pop("filename", "x.png"), **kwargs)
