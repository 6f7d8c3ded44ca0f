from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

# Types a browser shows as a picture without running anything (see nekosite.lib.serving).
PREVIEW_IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
)


class Upload(models.Model):
    """A user's file on the file host (seed 004). The stored object is named exactly `name`."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    name = models.CharField(max_length=32, unique=True)
    original_name = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # An image whose stored thumbnail a task has not made yet (uploads/tasks.py); the sweep
    # enqueues it again when it stays so for TASK_SWEEP_AFTER_SECONDS.
    thumbnail_pending = models.BooleanField(default=False)
    # Per-upload options (issue #20; uploads/options.py). Unset: the seed's behaviour.
    expires_at = models.DateTimeField(null=True, blank=True)
    max_views = models.PositiveIntegerField(null=True, blank=True)
    # Exact for files with max_views (counted in the database as each is served); for the others
    # counted in each worker's memory and added here every few seconds (uploads/views.py).
    view_count = models.PositiveBigIntegerField(default=0)
    password_hash = models.CharField(max_length=128, blank=True, default="")
    keep_metadata = models.BooleanField(default=False)
    embed_title = models.CharField(max_length=100, blank=True, default="")
    embed_color = models.CharField(max_length=7, blank=True, default="")
    embed_description = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The media library's sorts (selectors.upload_library_page): the owner's files in
            # key order, id last so a page can start after any row (keyset pagination).
            models.Index(fields=["owner", "created_at", "id"], name="upload_owner_date"),
            models.Index(fields=["owner", "size", "id"], name="upload_owner_size"),
            models.Index(fields=["owner", "original_name", "id"], name="upload_owner_orig_name"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(thumbnail_pending=True),
                name="upload_thumbnail_pending",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(expires_at__isnull=False),
                name="upload_expires",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_previewable_image(self) -> bool:
        return self.content_type in PREVIEW_IMAGE_TYPES

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def views_used_up(self) -> bool:
        return self.max_views is not None and self.view_count >= self.max_views

    def is_available(self, now: datetime | None = None) -> bool:
        """False once the file is past its expiry or its views: it then answers 404."""
        return not self.is_expired(now) and not self.views_used_up

    def can_be_deleted_by(self, user: object) -> bool:
        return getattr(user, "pk", None) == self.owner_id or bool(getattr(user, "is_staff", False))

    @property
    def kind(self) -> str:
        """The media library's type: image, video, audio, text or other."""
        major = self.content_type.split("/", 1)[0]
        return major if major in KIND_PREFIXES else "other"

    @property
    def extension(self) -> str:
        return self.name.rpartition(".")[2] if "." in self.name else ""


# Types of the media library's filter, each a Content-Type prefix ("other": none of them).
KIND_PREFIXES = ("image", "video", "audio", "text")


def new_share_slug() -> str:
    """72 random bits: an album's share link cannot be guessed, only given out."""
    return secrets.token_urlsafe(9)


class Album(models.Model):
    """An owner's named set of files. Shared, it has a public page at /a/<slug>/ that shows
    each file as its own options allow (uploads/views.py, album_public)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True, default="")
    slug = models.CharField(max_length=16, unique=True, default=new_share_slug)
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    uploads = models.ManyToManyField(Upload, through="AlbumItem", related_name="albums")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "created_at"], name="album_owner_date")]

    def __str__(self) -> str:
        return self.title


class AlbumItem(models.Model):
    """A file in an album; it goes with the file (CASCADE), so a deleted file leaves every
    album at once."""

    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="items")
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="album_items")
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["album", "upload"], name="album_item_unique")
        ]
        indexes = [models.Index(fields=["album", "position", "id"], name="album_item_order")]

    def __str__(self) -> str:
        return f"{self.album_id}:{self.upload_id}"


class RegistrationKey(models.Model):
    """Single-use invite for invite-only signup. Only the key's hash is stored."""

    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8, help_text="First characters of the key, to recognise it.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_by_username = models.CharField(max_length=150, blank=True, default="")
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hint}…"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class TusUpload(models.Model):
    """A resumable upload in progress (tus 1.0, uploads/tus.py). Its bytes so far live in a
    file of the upload temp dir; the row goes once the file is stored as an Upload, terminated
    by its owner, or purged after `expires_at`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tus_uploads"
    )
    length = models.PositiveBigIntegerField()
    # Bytes received and kept; the part file is cut back to this when a write was interrupted.
    offset = models.PositiveBigIntegerField(default=0)
    # The client's Upload-Metadata (filename, filetype, option keys) minus file-password,
    # which is kept only as its hash.
    metadata = models.JSONField(default=dict, blank=True)
    password_hash = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.offset}/{self.length})"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_complete(self) -> bool:
        return self.offset >= self.length
