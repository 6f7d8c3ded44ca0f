from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone


def catalog_storage() -> Storage:
    return storages["catalog"]


def _random_key() -> float:
    """The default of the former Image.random_key; migration 0001 still refers to it."""
    import random

    return random.random()


class Rating(models.TextChoices):
    SFW = "sfw", "Safe"
    QUESTIONABLE = "questionable", "Questionable"
    NSFW = "nsfw", "Not safe for work"


class Orientation(models.TextChoices):
    LANDSCAPE = "landscape", "Landscape"
    PORTRAIT = "portrait", "Portrait"
    SQUARE = "square", "Square"


class ModerationStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    PENDING_REVIEW = "pending_review", "Pending review"
    REJECTED = "rejected", "Rejected"


class Artist(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, db_index=True)
    url = models.URLField(max_length=500, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    nsfw = models.BooleanField(default=False)
    type = models.CharField(max_length=50, default="setting")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Character(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, db_index=True)
    description = models.TextField(null=True, blank=True)
    source = models.CharField(max_length=200, null=True, blank=True)
    gender = models.CharField(max_length=50, null=True, blank=True)
    ages = models.JSONField(default=list, blank=True)
    birth_date = models.CharField(max_length=50, null=True, blank=True)
    nationality = models.CharField(max_length=100, null=True, blank=True)
    occupations = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(storage=catalog_storage, upload_to="images/", max_length=255)
    thumbnail = models.FileField(
        storage=catalog_storage, upload_to="thumbs/", max_length=255, blank=True, default=""
    )
    artist = models.ForeignKey(
        Artist, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    source_name = models.CharField(max_length=200, null=True, blank=True)
    source_url = models.URLField(max_length=500, null=True, blank=True)
    nsfw = models.CharField(
        max_length=16, choices=Rating.choices, default=Rating.SFW, db_index=True
    )
    original = models.BooleanField(null=True, blank=True)
    categories = models.ManyToManyField(Category, related_name="images", blank=True)
    characters = models.ManyToManyField(Character, related_name="images", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # Metadata computed once at ingest (nekosite/lib/imagemeta.py).
    size = models.PositiveBigIntegerField(default=0)
    mimetype = models.CharField(max_length=50, default="")
    etag = models.CharField(max_length=64, db_index=True, default="")
    color = models.CharField(max_length=7, null=True, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    aspect_ratio = models.CharField(max_length=20, default="")
    orientation = models.CharField(
        max_length=10, choices=Orientation.choices, default=Orientation.SQUARE
    )
    # Dense numbering 0..n-1 for uniform random selection (catalog.selectors.image_random),
    # given by catalog.services when the row is inserted and compacted when one is deleted.
    slot = models.PositiveIntegerField(unique=True, editable=False)
    # Colour and thumbnail not computed yet: a task does it after the ingest commits (large
    # images, import_images; catalog/tasks.py). The API shows `color: null` meanwhile.
    pending = models.BooleanField(default=False, editable=False)
    # Perceptual hash (nekosite.lib.imagemeta.image_phash), stored signed (a bigint), and its four
    # 16-bit bands, each indexed: an image within Hamming distance 3 shares at least one band
    # (pigeonhole), so catalog.selectors.near_duplicates looks up 4 exact values, then counts bits.
    # Null until computed (a pending image, a row older than phash_backfill).
    phash = models.BigIntegerField(null=True, blank=True, editable=False)
    phash_band0 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    phash_band1 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    phash_band2 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    phash_band3 = models.IntegerField(null=True, blank=True, editable=False, db_index=True)
    # Moderation (catalog.services.submission_*): a user's submission is `pending_review` and
    # invisible to the public API, the gallery and random draws (catalog.selectors) until staff
    # approve it. Staff-ingested and imported images are approved from the start.
    status = models.CharField(
        max_length=16,
        choices=ModerationStatus.choices,
        default=ModerationStatus.APPROVED,
        editable=False,
    )
    rejection_reason = models.TextField(blank=True, default="", editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="image_submissions",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(pending=True),
                name="image_pending",
            ),
            # The public reads filter on status = approved, which nearly every row is: only
            # the moderation queue needs an index, and a small partial one serves it.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending_review"),
                name="image_review_queue",
            ),
            # The API's list in its order, public images only: pages and the list's anchors
            # (catalog.selectors._list_page) walk it without visiting the table for the status.
            models.Index(
                fields=["-created_at", "id"],
                condition=models.Q(status="approved"),
                name="image_public_list",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)

    def set_phash(self, value: int | None) -> None:
        """Store an unsigned 64-bit perceptual hash (or None) with its bands."""
        fields = phash_columns(value)
        for name, column in fields.items():
            setattr(self, name, column)

    @property
    def is_public(self) -> bool:
        return self.status == ModerationStatus.APPROVED

    @property
    def phash_unsigned(self) -> int | None:
        return None if self.phash is None else self.phash & PHASH_MASK


class Submission(Image):
    """The moderation queue's view of Image (its own admin): user submissions."""

    class Meta:
        proxy = True
        verbose_name = "submission"
        verbose_name_plural = "submissions (moderation queue)"


PHASH_MASK = (1 << 64) - 1
PHASH_BANDS = 4  # of 16 bits: exact for distances up to PHASH_BANDS - 1 (pigeonhole)


def phash_bands(value: int) -> list[int]:
    """The four 16-bit bands of an unsigned 64-bit hash, highest first."""
    return [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]


def phash_columns(value: int | None) -> dict[str, int | None]:
    """Image's column values for an unsigned 64-bit hash: signed `phash` and the bands."""
    if value is None:
        return {"phash": None, **{f"phash_band{n}": None for n in range(PHASH_BANDS)}}
    if not 0 <= value <= PHASH_MASK:
        raise ValueError(f"a perceptual hash is an unsigned 64-bit integer, got {value}")
    signed = value - (1 << 64) if value >= 1 << 63 else value
    bands = phash_bands(value)
    return {"phash": signed, **{f"phash_band{n}": bands[n] for n in range(PHASH_BANDS)}}


class CategorySlot(models.Model):
    """An image-category link numbered densely within its category (0..n-1).

    A copy of Image.categories for random selection: image_random draws slot numbers of the
    rarest requested category and looks them up by (category, slot). Written only by
    catalog.services together with Image.categories; the admin cannot edit an explicit through
    model, hence a table beside the many-to-many rather than extra columns on it.
    """

    # No index of their own: the two unique constraints below lead with these columns.
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    slot = models.PositiveIntegerField()
    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, related_name="category_slots", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "slot"], name="categoryslot_slot"),
            models.UniqueConstraint(fields=["image", "category"], name="categoryslot_link"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}#{self.slot}"
