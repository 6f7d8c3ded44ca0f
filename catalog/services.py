"""Writes to the catalog: the admin, import_images and seed_demo all go through these.

Files and rows move together: an image row always has its stored file and thumbnail, and a
stored file never outlives a failed ingest.

Slots move with rows: Image.slot numbers the images 0..n-1 and CategorySlot numbers each
category's images 0..n-1 (catalog.selectors.image_random draws those numbers). A new row takes
the next number; a deleted one leaves a hole that the highest-numbered row fills, so the
numbering stays dense. Numbering is serialised: an advisory lock for images and one per
category on PostgreSQL (SQLite runs one writer at a time). Links between images
and categories are only ever written here, by _link and _unlink, which keep Image.categories
and CategorySlot in step.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Field, Max, QuerySet
from django.utils import timezone

from accounts.models import User
from catalog import selectors
from catalog.models import (
    Artist,
    Category,
    CategorySlot,
    Character,
    Image,
    ModerationStatus,
    Rating,
    Submission,
    catalog_storage,
    phash_columns,
)
from nekosite.lib import readcache, versiontriggers
from nekosite.lib.imagemeta import (
    ImageRejected,
    ImageSource,
    binary_handle,
    image_color,
    image_phash,
    read_image_meta,
)
from nekosite.lib.thumbnails import make_thumbnail
from webhooks import events, payloads
from webhooks import services as webhooks

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


def _delete_stored(names: Iterable[str | None]) -> None:
    storage = catalog_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:  # a missing file must not stop the others
            logger.warning("could not delete stored file %s", name, exc_info=True)


# --- slots (catalog.selectors.image_random) ----------------------------------------------------

_CategoryLink = Image.categories.through


# PostgreSQL advisory lock key (any constant no other code uses) held while numbering images.
IMAGE_SLOT_LOCK = 0x6E656B6F


def _lock_image_slots() -> None:
    """Until the transaction ends, no other writer numbers (or renumbers) images."""
    versiontriggers.lock_family(connection, "catalog")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMAGE_SLOT_LOCK])


def _lock_category_slots(category_ids: Iterable[uuid.UUID]) -> None:
    """Until the transaction ends, no other writer numbers these categories' images.

    Advisory locks (IMAGE_SLOT_LOCK, the id's first 32 bits), not the category rows: an admin
    editing a category's description does not wait for the images being linked to it, nor they
    for the edit. Two categories whose ids start alike share a lock, which only queues them.
    """
    ids = sorted(set(category_ids))  # one order everywhere: no deadlock between two writers
    if ids:
        versiontriggers.lock_family(connection, "catalog")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for pk in ids:
                    key = int.from_bytes(pk.bytes[:4], "big", signed=True)
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMAGE_SLOT_LOCK, key])


def _fill_holes(rows: QuerySet, holes: Iterable[int]) -> None:
    """Move the highest-numbered of `rows` into `holes` (numbers just freed) below them."""
    holes = sorted(holes)
    if not holes:
        return
    movers = []
    movers_desc = rows.order_by("-slot").only("pk", "slot")[: len(holes)]
    for hole, row in zip(holes, movers_desc, strict=False):
        if row.slot <= hole:
            break
        row.slot = hole
        movers.append(row)
    if movers:
        rows.model.objects.bulk_update(movers, ["slot"])
        readcache.mark_changed("catalog")  # bulk_update sends no model signal


def _link(*, category_id: uuid.UUID, image_ids: Iterable[uuid.UUID]) -> int:
    """Give images a category (those not having it yet): how many links were made."""
    _lock_category_slots([category_id])
    ids = list(dict.fromkeys(image_ids))
    present = set(
        _CategoryLink.objects.filter(category_id=category_id, image_id__in=ids).values_list(
            "image_id", flat=True
        )
    )
    new = [pk for pk in ids if pk not in present]
    if not new:
        return 0
    top = CategorySlot.objects.filter(category_id=category_id).aggregate(top=Max("slot"))["top"]
    first = 0 if top is None else top + 1
    _CategoryLink.objects.bulk_create(
        [_CategoryLink(image_id=pk, category_id=category_id) for pk in new]
    )
    CategorySlot.objects.bulk_create(
        [
            CategorySlot(category_id=category_id, image_id=pk, slot=first + n)
            for n, pk in enumerate(new)
        ]
    )
    readcache.mark_changed("catalog")  # bulk_create sends no model signal
    return len(new)


def _unlink(*, category_id: uuid.UUID, image_ids: Iterable[uuid.UUID]) -> int:
    """Take a category from images: how many links were removed."""
    _lock_category_slots([category_id])
    ids = list(image_ids)
    deleted, _ = _CategoryLink.objects.filter(category_id=category_id, image_id__in=ids).delete()
    slots = CategorySlot.objects.filter(category_id=category_id, image_id__in=ids)
    holes = list(slots.values_list("slot", flat=True))
    slots.delete()
    _fill_holes(CategorySlot.objects.filter(category_id=category_id), holes)
    readcache.mark_changed("catalog")  # Django sends no delete signal for through rows
    return deleted


@dataclass(frozen=True)
class SlotReport:
    """How far the slot numberings are from dense (what `slots_repair` fixes)."""

    image_holes: int  # numbers below the highest Image.slot that no image holds
    missing_links: int  # category links without their CategorySlot row
    stray_slots: int  # CategorySlot rows without their link
    category_holes: int  # numbers below each category's highest slot that no row holds

    @property
    def clean(self) -> bool:
        return not (
            self.image_holes or self.missing_links or self.stray_slots or self.category_holes
        )


def _scalar(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0] or 0)


# Slot checks and repairs in plain SQL (window functions: PostgreSQL, and SQLite 3.33+ for
# UPDATE ... FROM). Table names are the models' db_table (asserted in the tests).
_SQL_IMAGE_HOLES = "SELECT COALESCE(MAX(slot) + 1, 0) - COUNT(*) FROM catalog_image"
_SQL_MISSING_LINKS = (
    "SELECT COUNT(*) FROM catalog_image_categories l WHERE NOT EXISTS (SELECT 1 FROM "
    "catalog_categoryslot s WHERE s.image_id = l.image_id AND s.category_id = l.category_id)"
)
_SQL_STRAY_SLOTS = (
    "SELECT COUNT(*) FROM catalog_categoryslot s WHERE NOT EXISTS (SELECT 1 FROM "
    "catalog_image_categories l WHERE l.image_id = s.image_id AND l.category_id = s.category_id)"
)
_SQL_CATEGORY_HOLES = (
    "SELECT COALESCE(SUM(top + 1 - n), 0) FROM (SELECT MAX(slot) AS top, COUNT(*) AS n "
    "FROM catalog_categoryslot GROUP BY category_id) AS c"
)
_SQL_REPAIR_IMAGES = [
    # Every number above the highest first, so that no row collides with another on the way...
    "UPDATE catalog_image SET slot = slot + (SELECT MAX(slot) + 1 FROM catalog_image)",
    # ...then each row takes its rank.
    "UPDATE catalog_image SET slot = r.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY slot) - 1 "
    "AS n FROM catalog_image) AS r WHERE catalog_image.id = r.id",
]
_SQL_REPAIR_CATEGORY_SLOTS = [
    "DELETE FROM catalog_categoryslot WHERE NOT EXISTS (SELECT 1 FROM catalog_image_categories l "
    "WHERE l.image_id = catalog_categoryslot.image_id "
    "AND l.category_id = catalog_categoryslot.category_id)",
    # Missing rows go above every number in use; the renumbering below puts them in place.
    "INSERT INTO catalog_categoryslot (category_id, image_id, slot) "
    "SELECT l.category_id, l.image_id, "
    "(SELECT COALESCE(MAX(slot), 0) + 1 FROM catalog_categoryslot) "
    "+ ROW_NUMBER() OVER (PARTITION BY l.category_id ORDER BY l.image_id) "
    "FROM catalog_image_categories l WHERE NOT EXISTS (SELECT 1 FROM catalog_categoryslot s "
    "WHERE s.image_id = l.image_id AND s.category_id = l.category_id)",
    "UPDATE catalog_categoryslot SET slot = slot "
    "+ (SELECT MAX(slot) + 1 FROM catalog_categoryslot)",
    "UPDATE catalog_categoryslot SET slot = r.n FROM (SELECT id, ROW_NUMBER() OVER "
    "(PARTITION BY category_id ORDER BY slot) - 1 AS n FROM catalog_categoryslot) AS r "
    "WHERE catalog_categoryslot.id = r.id",
]


def slots_check() -> SlotReport:
    """Measure the numberings (four aggregate queries; no lock)."""
    return SlotReport(
        image_holes=_scalar(_SQL_IMAGE_HOLES),
        missing_links=_scalar(_SQL_MISSING_LINKS),
        stray_slots=_scalar(_SQL_STRAY_SLOTS),
        category_holes=_scalar(_SQL_CATEGORY_HOLES),
    )


@transaction.atomic
def slots_repair() -> SlotReport:
    """Make both numberings dense again, keeping their order, and CategorySlot an exact copy of
    the category links: what writes that bypassed these services (raw SQL, QuerySet.delete)
    leave behind. Draws stay uniform with holes but need more look-ups. Returns what it found.
    """
    _lock_image_slots()
    _lock_category_slots(Category.objects.values_list("pk", flat=True))
    found = slots_check()
    if found.clean:
        return found
    with connection.cursor() as cursor:
        for sql in _SQL_REPAIR_IMAGES if found.image_holes else []:
            cursor.execute(sql)
        for sql in _SQL_REPAIR_CATEGORY_SLOTS:
            cursor.execute(sql)
    readcache.mark_changed("catalog")  # raw SQL sends no model signal
    return found


@transaction.atomic
def image_insert(*, image: Image) -> Image:
    """Save a new image row with the next slot number. image_ingest uses it; so do test
    factories that build rows without a file to ingest."""
    _lock_image_slots()
    top = Image.objects.aggregate(top=Max("slot"))["top"]
    image.slot = 0 if top is None else top + 1
    image.save(force_insert=True)
    if image.is_public:  # a submission is announced when it is approved
        webhooks.emit(events.IMAGE_CREATED, payloads.image(image))
    return image


@transaction.atomic
def image_categories_set(*, image: Image, categories: Iterable[Category]) -> Image:
    """Make `categories` the image's categories (links and slots)."""
    categories = list(categories)
    if any(category._state.adding for category in categories):
        raise ValueError("Cannot link an image to a category that is not saved yet.")
    wanted = {category.pk for category in categories}
    present = set(
        _CategoryLink.objects.filter(image_id=image.pk).values_list("category_id", flat=True)
    )
    _lock_category_slots(wanted ^ present)
    for category_id in sorted(present - wanted):
        _unlink(category_id=category_id, image_ids=[image.pk])
    for category_id in sorted(wanted - present):
        _link(category_id=category_id, image_ids=[image.pk])
    return image


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
    defer: bool = False,
    phash: int | None = None,
    submitted_by: User | None = None,
) -> Image:
    """Store one image file and create its row, with the metadata computed once.

    The colour and the thumbnail, which decode pixels, are left to a task (image_process) for
    images over IMAGE_INLINE_MAX_PIXELS and when `defer` is set: the row is `pending` until then.
    Raises ImageRejected (not an acceptable image), ImageDuplicate (same bytes already stored) or
    ValidationError (bad rating or URL) before anything is stored. `filename` is informational:
    the stored extension comes from the sniffed type.

    The perceptual hash is computed with the colour (inline, or by the task) unless given in
    `phash` (import_images computes it first to look for near-duplicates).

    With `submitted_by` the image is a user's submission: `pending_review`, invisible to the
    public until approved (submission_approve).
    """
    nsfw = _validate_rating(nsfw)
    source_url = _validate_url(source_url)
    categories = list(categories)
    characters = list(characters)
    with binary_handle(file) as handle:
        meta = read_image_meta(handle, with_color=False)
        existing = Image.objects.filter(etag=meta.etag).first()
        if existing is not None:
            raise ImageDuplicate(existing)
        pending = defer or meta.width * meta.height > int(settings.IMAGE_INLINE_MAX_PIXELS)
        if phash is None and not pending:
            phash = image_phash(handle)
        color = None if pending else image_color(handle)
        thumbnail = None if pending else make_thumbnail(handle)

        image_id = uuid.uuid4()
        storage = catalog_storage()
        stored: list[str] = []
        try:
            handle.seek(0)
            file_name = storage.save(f"images/{image_id}.{meta.extension}", File(handle))
            stored.append(file_name)
            thumb_name = ""
            if thumbnail is not None:
                thumb_name = storage.save(f"thumbs/{image_id}.webp", ContentFile(thumbnail))
                stored.append(thumb_name)
            image = Image(
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
                color=color,
                width=meta.width,
                height=meta.height,
                aspect_ratio=meta.aspect_ratio,
                orientation=meta.orientation,
                pending=pending,
                submitted_by=submitted_by,
                status=(
                    ModerationStatus.APPROVED
                    if submitted_by is None
                    else ModerationStatus.PENDING_REVIEW
                ),
            )
            image.set_phash(phash)
            image_insert(image=image)
            if categories:
                image_categories_set(image=image, categories=categories)
            if characters:
                image.characters.set(characters)
        except BaseException:
            # No orphan file: whatever was stored goes when the row could not be written.
            _delete_stored(stored)
            raise
    if pending:
        # After the commit, or the worker may look before the row exists; a queue that cannot
        # be reached is logged, and the sweep (catalog/tasks.py) enqueues the image later.
        transaction.on_commit(lambda: _enqueue_processing(image.pk), robust=True)
    logger.debug("ingested image %s (%s) from %s", image.pk, meta.mimetype, filename or "-")
    return image


def _enqueue_processing(image_id: uuid.UUID) -> None:
    from catalog import tasks  # tasks import this module

    tasks.image_process(image_id)


@transaction.atomic
def image_process(*, image_id: uuid.UUID) -> Image | None:
    """Compute a pending image's colour and thumbnail (catalog/tasks.py). Idempotent: nothing
    to do for an image no longer pending or deleted. An image whose pixels turn out unreadable,
    or whose file is missing, stays without colour (null in the API) and thumbnail rather than
    pending for ever."""
    image = Image.objects.select_for_update().filter(pk=image_id, pending=True).first()
    if image is None:
        return None
    storage = catalog_storage()
    color, thumbnail, phash = None, None, image.phash_unsigned
    assert image.file.name is not None  # an Image row always has its file
    try:
        with storage.open(image.file.name, "rb") as handle:
            color = image_color(handle)
            thumbnail = None if image.thumbnail.name else make_thumbnail(handle)
            if phash is None:
                phash = image_phash(handle)
    except ImageRejected as exc:
        logger.warning("image %s: no colour or thumbnail: %s", image.pk, exc.message)
    except FileNotFoundError:
        # Retrying (or sweeping it again every few minutes) could never succeed.
        logger.warning("image %s: no colour or thumbnail: its file is missing", image.pk)
    if thumbnail is not None:
        name = f"thumbs/{image.pk}.webp"
        storage.delete(name)  # left by an earlier run killed before it updated the row
        image.thumbnail.name = storage.save(name, ContentFile(thumbnail))
    image.color = color
    image.pending = False
    image.set_phash(phash)
    image.save(update_fields=["color", "thumbnail", "pending", *PHASH_FIELDS])
    return image


PHASH_FIELDS = ["phash", *(f"phash_band{n}" for n in range(4))]


@dataclass(frozen=True)
class PhashBatch:
    hashed: int
    unreadable: int
    last_id: uuid.UUID | None  # pass as `after` for the next batch; None when none was left


def image_phash_backfill(*, after: uuid.UUID | None = None, batch_size: int = 200) -> PhashBatch:
    """Compute the perceptual hash of up to `batch_size` images that have none (rows older than
    the hash, pending ones whose task has not run), in primary-key order after `after`. An
    unreadable or missing file is logged and left null (tried again by the next backfill)."""
    storage = catalog_storage()
    rows = Image.objects.filter(phash__isnull=True).order_by("pk").only("pk", "file")
    if after is not None:
        rows = rows.filter(pk__gt=after)
    hashed = unreadable = 0
    last_id = None
    for image in rows[:batch_size]:
        last_id = image.pk
        assert image.file.name is not None
        try:
            with storage.open(image.file.name, "rb") as handle:
                value = image_phash(handle)
        except (ImageRejected, OSError) as exc:
            logger.warning("image %s: no perceptual hash: %s", image.pk, exc)
            unreadable += 1
            continue
        # By primary key, the hash columns only: no slot, webhook or cache concern.
        Image.objects.filter(pk=image.pk).update(**phash_columns(value))
        hashed += 1
    return PhashBatch(hashed=hashed, unreadable=unreadable, last_id=last_id)


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
        image_categories_set(image=image, categories=categories)
    if characters is not None:
        image.characters.set(list(characters))
    if image.is_public:  # the catalog's webhooks never hear of a submission before approval
        webhooks.emit(events.IMAGE_UPDATED, payloads.image(image))
    return image


@transaction.atomic
def image_delete(*, image: Image) -> None:
    """Delete the row now and its stored files once the transaction commits.

    Deleting files only after the commit means a rolled-back delete keeps a working image.
    """
    names = [image.file.name, image.thumbnail.name]
    webhooks.emit(events.IMAGE_DELETED, payloads.image_deleted(image.pk))
    _lock_image_slots()
    # Lock the image's categories BEFORE reading its slots in them: another writer may move
    # this image's row into a hole of the category until then (that raced and left a hole).
    locked: set[uuid.UUID] = set()
    while True:
        categories = set(
            CategorySlot.objects.filter(image_id=image.pk).values_list("category_id", flat=True)
        )
        if categories <= locked:
            break
        _lock_category_slots(categories - locked)
        locked |= categories
    links = list(CategorySlot.objects.filter(image_id=image.pk).values_list("category_id", "slot"))
    slot = Image.objects.filter(pk=image.pk).values_list("slot", flat=True).first()
    image.delete()  # its links and CategorySlot rows go with it (cascade)
    if slot is not None:
        _fill_holes(Image.objects.all(), [slot])
    for category_id, category_slot in links:
        _fill_holes(CategorySlot.objects.filter(category_id=category_id), [category_slot])
    transaction.on_commit(lambda: _delete_stored(names))


def _emit_updated(image_ids: Iterable[uuid.UUID]) -> None:
    """image.updated for each image (bulk admin actions); webhooks looked up once."""
    rows = Image.objects.filter(pk__in=list(image_ids), status=ModerationStatus.APPROVED).only(
        "pk", "nsfw"
    )
    webhooks.emit_each(events.IMAGE_UPDATED, [payloads.image(row) for row in rows])


@transaction.atomic
def image_set_rating(*, images: QuerySet[Image], nsfw: str) -> int:
    ids = list(images.values_list("pk", flat=True))
    changed = Image.objects.filter(pk__in=ids).update(nsfw=_validate_rating(nsfw))
    readcache.mark_changed("catalog")  # QuerySet.update sends no model signal
    _emit_updated(ids)
    return changed


@transaction.atomic
def image_add_category(*, images: QuerySet[Image], category: Category) -> int:
    ids = list(images.values_list("pk", flat=True))
    linked = _link(category_id=category.pk, image_ids=ids)
    _emit_updated(ids)
    return linked


@transaction.atomic
def image_remove_category(*, images: QuerySet[Image], category: Category) -> int:
    ids = list(images.values_list("pk", flat=True))
    unlinked = _unlink(category_id=category.pk, image_ids=ids)
    _emit_updated(ids)
    return unlinked


@transaction.atomic
def image_thumbnail_ensure(*, image: Image) -> Image:
    """Make the thumbnail of an image that has none (e.g. rows created before thumbnails)."""
    if image.thumbnail.name:
        return image
    storage = catalog_storage()
    assert image.file.name is not None  # an Image always has its file
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


def images_pending_resend(*, older_than_seconds: float, limit: int = 500) -> int:
    """Enqueue again the images still pending `older_than_seconds` after their ingest: their
    task was lost (a worker killed mid-task) or failed for good. Returns how many."""
    ids = list(selectors.images_pending_overdue(older_than_seconds=older_than_seconds)[:limit])
    for image_id in ids:
        _enqueue_processing(image_id)
    return len(ids)


# --- moderation (submissions) -------------------------------------------------------------------


def _decide(
    *,
    images: Iterable[Image],
    reviewer: User,
    status: ModerationStatus,
    reason: str,
) -> list[Submission]:
    """Record one decision on each submission still pending review (others are left alone):
    the status, who and when, a LogEntry each, then the webhook events."""
    ids = [image.pk for image in images]
    # Locked, and only those still pending: two moderators deciding at once decide once.
    # Through the proxy: the LogEntry rows belong to the moderation queue's history.
    rows = list(
        Submission.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status=ModerationStatus.PENDING_REVIEW)
        .select_related("submitted_by")
        .order_by("created_at", "pk")
    )
    now = timezone.now()
    for image in rows:
        image.status = status
        image.rejection_reason = reason
        image.reviewed_by = reviewer
        image.reviewed_at = now
        image.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    message = (
        "Approved the submission."
        if status == ModerationStatus.APPROVED
        else (f"Rejected the submission: {reason}")
    )
    LogEntry.objects.log_actions(
        user_id=reviewer.pk, queryset=rows, action_flag=CHANGE, change_message=message
    )
    event = (
        events.SUBMISSION_APPROVED
        if status == ModerationStatus.APPROVED
        else events.SUBMISSION_REJECTED
    )
    for image in rows:
        if image.submitted_by is not None:
            webhooks.emit(event, payloads.submission(image), user=image.submitted_by)
    if status == ModerationStatus.APPROVED:
        webhooks.emit_each(events.IMAGE_CREATED, [payloads.image(image) for image in rows])
    return rows


@transaction.atomic
def submission_approve(*, images: Iterable[Image], reviewer: User) -> list[Submission]:
    """Make submissions public (API, gallery, random draws): the ones decided."""
    return _decide(images=images, reviewer=reviewer, status=ModerationStatus.APPROVED, reason="")


@transaction.atomic
def submission_reject(*, images: Iterable[Image], reviewer: User, reason: str) -> list[Submission]:
    """Refuse submissions with a reason the submitter reads on their dashboard. The files stay
    (the submitter may look at what was refused) until the image is deleted."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("A rejection needs a reason.")
    return _decide(
        images=images, reviewer=reviewer, status=ModerationStatus.REJECTED, reason=reason
    )


# --- the write API (catalog/api/writes.py validates; these write) --------------------------------


class SubmissionLimit(Exception):
    """The user has SUBMISSIONS_MAX_PENDING submissions waiting for review already."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You have {limit} submissions waiting for review; submit more once staff have "
            "decided on some."
        )
        self.limit = limit


@transaction.atomic
def submission_create(*, user: User, file: ImageSource, **fields: Any) -> Image:
    """A user's submission (POST /api/v1/image, the dashboard's form): pending review, refused
    with SubmissionLimit when the user already has SUBMISSIONS_MAX_PENDING waiting. `fields` are
    image_ingest's (artist, categories, characters, source_name, source_url, nsfw, original)."""
    limit = int(settings.SUBMISSIONS_MAX_PENDING)
    # Locked: two parallel submissions of one user cannot both pass the count.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    waiting = Image.objects.filter(
        submitted_by=user, status=ModerationStatus.PENDING_REVIEW
    ).count()
    if waiting >= limit:
        raise SubmissionLimit(limit)
    return image_ingest(file=file, submitted_by=user, **fields)


Record = Artist | Category | Character


def _cleared(model: type[Record], name: str, value: Any) -> Any:
    """PluralKit's null clears a value: None for a nullable column, else the column's empty
    default ("" for a description, [] for ages); an empty string counts as null too."""
    if value is None or value == "":
        field = model._meta.get_field(name)
        assert isinstance(field, Field)  # a column, not a relation
        return None if field.null else field.get_default()
    return value


def _log(*, by: User, obj: Any, flag: int, message: str) -> None:
    """The admin's history shows changes made through the API beside its own."""
    LogEntry.objects.log_actions(
        user_id=by.pk, queryset=[obj], action_flag=flag, change_message=message, single_object=True
    )


@transaction.atomic
def record_create(*, model: type[Record], values: dict[str, Any], by: User) -> Record:
    """A new artist, category or character (POST): omitted fields are null / empty."""
    obj = model(**{name: _cleared(model, name, value) for name, value in values.items()})
    obj.save(force_insert=True)
    _log(by=by, obj=obj, flag=ADDITION, message="Added through the API.")
    return obj


@transaction.atomic
def record_update(*, obj: Record, changes: dict[str, Any], by: User) -> Record:
    """PATCH: only the fields given change."""
    if not changes:
        return obj
    model = type(obj)
    for name, value in changes.items():
        setattr(obj, name, _cleared(model, name, value))
    obj.save(update_fields=list(changes))
    _log(by=by, obj=obj, flag=CHANGE, message=f"Changed {', '.join(changes)} through the API.")
    return obj


@transaction.atomic
def record_delete(*, obj: Record, by: User) -> None:
    """Delete an artist (its images keep no artist), a character or a category (its images lose
    it, with its random-draw slots)."""
    if isinstance(obj, Category):
        _lock_category_slots([obj.pk])
    _log(by=by, obj=obj, flag=DELETION, message="Deleted through the API.")
    obj.delete()


@transaction.atomic
def image_patch(*, image: Image, changes: dict[str, Any], by: User) -> Image:
    """PATCH /api/v1/image/{id}: the fields given change, the others stay; null clears
    (no artist, no categories, no source)."""
    if not changes:
        return image
    source = changes.get("source", {})
    if source is None:  # "source": null clears both
        source = {"name": None, "url": None}
    lists = {
        name: (changes[name] or []) if name in changes else None
        for name in ("categories", "characters")
    }
    image_update_metadata(
        image=image,
        artist=changes.get("artist", image.artist),
        categories=lists["categories"],
        characters=lists["characters"],
        source_name=source.get("name", image.source_name),
        source_url=source.get("url", image.source_url),
        nsfw=changes.get("nsfw"),
        original=changes.get("original", image.original),
    )
    _log(by=by, obj=image, flag=CHANGE, message=f"Changed {', '.join(changes)} through the API.")
    return image


@transaction.atomic
def image_delete_logged(*, image: Image, by: User) -> None:
    """image_delete, with the admin's history entry (DELETE /api/v1/image/{id})."""
    _log(by=by, obj=image, flag=DELETION, message="Deleted through the API.")
    image_delete(image=image)
