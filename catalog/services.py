"""Writes to the catalog: the admin, import_images and seed_demo all go through these.

Files and rows move together: an image row always has its stored file and thumbnail, and a
stored file never outlives a failed ingest.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet

from catalog.models import Artist, Category, Character, Image, Rating, catalog_storage
from nekosite.lib import readcache
from nekosite.lib.imagemeta import ImageSource, binary_handle, read_image_meta
from nekosite.lib.thumbnails import make_thumbnail

logger = logging.getLogger(__name__)

CHARACTER_FIELDS = (
    "description",
    "source",
    "gender",
    "ages",
    "birth_date",
    "nationality",
    "occupations",
)


class ImageDuplicate(Exception):
    """The same bytes (same sha256 eTag) are already in the catalog."""

    def __init__(self, existing: Image) -> None:
        super().__init__(f"The same image is already in the catalog ({existing.pk}).")
        self.existing = existing
        self.message = str(self)


def _validate_rating(nsfw: str) -> str:
    if nsfw not in Rating.values:
        raise ValidationError(f"nsfw must be one of {', '.join(Rating.values)}, got {nsfw!r}.")
    return nsfw


def _validate_url(url: str | None) -> str | None:
    if url in (None, ""):
        return None
    URLValidator(schemes=["http", "https"])(url)
    return url


def _delete_stored(names: Iterable[str]) -> None:
    storage = catalog_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:  # a missing file must not stop the others
            logger.warning("could not delete stored file %s", name, exc_info=True)


# --- artists, categories, characters --------------------------------------------------------


@transaction.atomic
def artist_get_or_create(*, name: str, url: str | None = None) -> Artist:
    """The artist with exactly this name (the oldest if several), created when missing."""
    name = name.strip()
    if not name:
        raise ValidationError("An artist needs a name.")
    url = _validate_url(url)
    artist = Artist.objects.filter(name=name).order_by("created_at").first()
    if artist is None:
        return Artist.objects.create(name=name, url=url)
    if url and not artist.url:
        artist.url = url
        artist.save(update_fields=["url"])
    return artist


@transaction.atomic
def category_get_or_create(
    *, name: str, description: str = "", nsfw: bool = False, type: str = "setting"
) -> Category:
    name = name.strip()
    if not name:
        raise ValidationError("A category needs a name.")
    category, _ = Category.objects.get_or_create(
        name=name, defaults={"description": description, "nsfw": nsfw, "type": type}
    )
    return category


@transaction.atomic
def character_get_or_create(*, name: str, **fields: Any) -> Character:
    """The character with exactly this name; `fields` fill a new one (see CHARACTER_FIELDS)."""
    name = name.strip()
    if not name:
        raise ValidationError("A character needs a name.")
    unknown = set(fields) - set(CHARACTER_FIELDS)
    if unknown:
        raise TypeError(f"unknown character fields: {', '.join(sorted(unknown))}")
    character = Character.objects.filter(name=name).order_by("created_at").first()
    if character is None:
        character = Character.objects.create(name=name, **fields)
    return character


# --- images -----------------------------------------------------------------------------------


@transaction.atomic
def image_ingest(
    *,
    file: ImageSource,
    filename: str = "",
    artist: Artist | None = None,
    categories: Iterable[Category] = (),
    characters: Iterable[Character] = (),
    source_name: str | None = None,
    source_url: str | None = None,
    nsfw: str = Rating.SFW,
    original: bool | None = None,
) -> Image:
    """Store one image file and create its row, with the metadata computed once.

    Raises ImageRejected (not an acceptable image), ImageDuplicate (same bytes already stored) or
    ValidationError (bad rating or URL) before anything is stored. `filename` is informational:
    the stored extension comes from the sniffed type.
    """
    nsfw = _validate_rating(nsfw)
    source_url = _validate_url(source_url)
    categories = list(categories)
    characters = list(characters)
    with binary_handle(file) as handle:
        meta = read_image_meta(handle)
        existing = Image.objects.filter(etag=meta.etag).first()
        if existing is not None:
            raise ImageDuplicate(existing)
        thumbnail = make_thumbnail(handle)

        image_id = uuid.uuid4()
        storage = catalog_storage()
        stored: list[str] = []
        try:
            handle.seek(0)
            file_name = storage.save(f"images/{image_id}.{meta.extension}", File(handle))
            stored.append(file_name)
            thumb_name = storage.save(f"thumbs/{image_id}.webp", ContentFile(thumbnail))
            stored.append(thumb_name)
            image = Image.objects.create(
                id=image_id,
                file=file_name,
                thumbnail=thumb_name,
                artist=artist,
                source_name=source_name or None,
                source_url=source_url,
                nsfw=nsfw,
                original=original,
                size=meta.size,
                mimetype=meta.mimetype,
                etag=meta.etag,
                color=meta.color,
                width=meta.width,
                height=meta.height,
                aspect_ratio=meta.aspect_ratio,
                orientation=meta.orientation,
            )
            if categories:
                image.categories.set(categories)
            if characters:
                image.characters.set(characters)
        except BaseException:
            # No orphan file: whatever was stored goes when the row could not be written.
            _delete_stored(stored)
            raise
    logger.debug("ingested image %s (%s) from %s", image.pk, meta.mimetype, filename or "-")
    return image


@transaction.atomic
def image_update_metadata(
    *,
    image: Image,
    artist: Artist | None = None,
    categories: Iterable[Category] | None = None,
    characters: Iterable[Character] | None = None,
    source_name: str | None = None,
    source_url: str | None = None,
    nsfw: str | None = None,
    original: bool | None = None,
) -> Image:
    """Change the descriptive fields; the file and its computed metadata never change."""
    if nsfw is not None:
        image.nsfw = _validate_rating(nsfw)
    image.artist = artist
    image.source_name = source_name or None
    image.source_url = _validate_url(source_url)
    image.original = original
    image.save(
        update_fields=["artist", "source_name", "source_url", "nsfw", "original"],
    )
    if categories is not None:
        image.categories.set(list(categories))
    if characters is not None:
        image.characters.set(list(characters))
    return image


@transaction.atomic
def image_delete(*, image: Image) -> None:
    """Delete the row now and its stored files once the transaction commits.

    Deleting files only after the commit means a rolled-back delete keeps a working image.
    """
    names = [image.file.name, image.thumbnail.name]
    image.delete()
    transaction.on_commit(lambda: _delete_stored(names))


@transaction.atomic
def image_set_rating(*, images: QuerySet[Image], nsfw: str) -> int:
    changed = images.update(nsfw=_validate_rating(nsfw))
    readcache.mark_changed("catalog")  # QuerySet.update sends no model signal
    return changed


@transaction.atomic
def image_add_category(*, images: QuerySet[Image], category: Category) -> int:
    through = Image.categories.through
    ids = list(images.values_list("pk", flat=True))
    present = set(
        through.objects.filter(category=category, image_id__in=ids).values_list(
            "image_id", flat=True
        )
    )
    rows = [through(image_id=pk, category=category) for pk in ids if pk not in present]
    through.objects.bulk_create(rows)
    readcache.mark_changed("catalog")  # bulk_create sends no model signal
    return len(rows)


@transaction.atomic
def image_remove_category(*, images: QuerySet[Image], category: Category) -> int:
    through = Image.categories.through
    ids = list(images.values_list("pk", flat=True))
    deleted, _ = through.objects.filter(category=category, image_id__in=ids).delete()
    readcache.mark_changed("catalog")  # Django sends no delete signal for through rows
    return deleted


@transaction.atomic
def image_thumbnail_ensure(*, image: Image) -> Image:
    """Make the thumbnail of an image that has none (e.g. rows created before thumbnails)."""
    if image.thumbnail.name:
        return image
    storage = catalog_storage()
    with storage.open(image.file.name, "rb") as handle:
        data = make_thumbnail(handle)
    name = storage.save(f"thumbs/{image.pk}.webp", ContentFile(data))
    try:
        Image.objects.filter(pk=image.pk).update(thumbnail=name)
    except BaseException:
        _delete_stored([name])
        raise
    image.thumbnail.name = name
    return image
