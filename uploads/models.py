from __future__ import annotations

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
            models.Index(fields=["owner", "-created_at"]),
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
