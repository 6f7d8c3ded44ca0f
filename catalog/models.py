from __future__ import annotations

import uuid

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

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(pending=True),
                name="image_pending",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


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
