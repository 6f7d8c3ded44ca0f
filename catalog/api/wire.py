"""The Nekos API v1 wire format (seed 002): rows from catalog/selectors.py -> JSON objects.

Every field of seed 002 is always present, null when unknown (seed 003's rule, PRODUCT.md);
empty strings and zero sizes stored by the catalog mean "unknown" and become null. Two additive
fields real v1 clients read are included: `original` on images and `type` on categories.
Artist, character and category objects carry no other keys.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from catalog import media
from catalog.selectors import Row


def timestamp(value: datetime | None) -> str | None:
    """Seed 002's "2021-01-01T00:00:00.000Z": UTC, milliseconds, Z."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def unix_timestamp(seconds: int) -> str:
    return timestamp(datetime.fromtimestamp(seconds, UTC))  # type: ignore[return-value]


def _known(value: Any) -> Any:
    """Empty strings and zeros stored for "not computed" are unknown: null on the wire."""
    return value if value else None


def category(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": _known(row["description"]),
        "nsfw": row["nsfw"],
        "type": row["type"],
        "createdAt": timestamp(row["created_at"]),
    }


def character(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": _known(row["description"]),
        "source": _known(row["source"]),
        "gender": _known(row["gender"]),
        "ages": row["ages"] if row["ages"] is not None else [],
        "birth_date": _known(row["birth_date"]),
        "nationality": _known(row["nationality"]),
        "occupations": row["occupations"] if row["occupations"] is not None else [],
        "createdAt": timestamp(row["created_at"]),
    }


def artist(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "url": _known(row["url"])}


def with_images(obj: dict[str, Any], row: Row) -> dict[str, Any]:
    """Detail views of artists, characters and categories add the `images` count."""
    obj["images"] = row["images_count"]
    return obj


class ImageWriter:
    """Builds image objects for one response; category and character objects shared by several
    images of the page are built once."""

    def __init__(self, expires: int | None = None) -> None:
        # Unix time signed links die, or None for permanent links.
        self.expires = expires
        self.expires_text = unix_timestamp(expires) if expires is not None else None
        self._categories: dict[uuid.UUID, dict[str, Any]] = {}
        self._characters: dict[uuid.UUID, dict[str, Any]] = {}

    def _category(self, row: Row) -> dict[str, Any]:
        obj = self._categories.get(row["id"])
        if obj is None:
            obj = self._categories[row["id"]] = category(row)
        return obj

    def _character(self, row: Row) -> dict[str, Any]:
        obj = self._characters.get(row["id"])
        if obj is None:
            obj = self._characters[row["id"]] = character(row)
        return obj

    def image(self, row: Row) -> dict[str, Any]:
        # A new object every time: rows come from the read cache, shared and read-only.
        return self._build(row)

    def _build(self, row: Row) -> dict[str, Any]:
        public_name = media.image_public_name(row["id"], row["file"], row["mimetype"])
        return {
            "id": row["id"],
            "url": media.image_url(public_name, self.expires),
            "artist": row["artist_id"],
            "source": {"name": _known(row["source_name"]), "url": _known(row["source_url"])},
            "nsfw": row["nsfw"],
            "categories": [self._category(c) for c in row["categories"]],
            "characters": [self._character(c) for c in row["characters"]],
            "createdAt": timestamp(row["created_at"]),
            "meta": {
                "eTag": _known(row["etag"]),
                "size": _known(row["size"]),
                "mimetype": _known(row["mimetype"]),
                "color": _known(row["color"]),
                "expires": self.expires_text,
                "dimens": {
                    "width": _known(row["width"]),
                    "height": _known(row["height"]),
                    "aspectRatio": _known(row["aspect_ratio"]),
                    "orientation": _known(row["orientation"]),
                },
            },
            "original": row["original"],
        }

    def images(self, rows: list[Row]) -> list[dict[str, Any]]:
        return [self.image(row) for row in rows]
