from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from nekosite.lib.readcache import ReadOnlyWhenCached


class User(ReadOnlyWhenCached, AbstractUser):
    """The site's user: uploader, API developer, or staff moderator."""

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.username

    def can_be_managed_by(self, user: object) -> bool:
        """Only a superuser may change, disable or delete a superuser's account (the admin and
        the file-host admin API apply the same rule)."""
        return bool(getattr(user, "is_superuser", False)) or not self.is_superuser


class ApiApplication(ReadOnlyWhenCached, models.Model):
    """A request for a catalog API token (seed 000: an admin approves the app first)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    name = models.CharField(max_length=100)
    purpose = models.TextField(max_length=2000)
    requested_scopes = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    granted_scopes = models.JSONField(default=list, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API application"
        verbose_name_plural = "API applications"

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class Token(ReadOnlyWhenCached, models.Model):
    """A bearer token. Only a hash and a nonce are stored; the token is derived again for display.

    token = HMAC(TOKEN_SECRET, nonce), formatted per kind, so a copy of the database alone
    yields no usable token (see accounts/tokens.py).
    """

    class Kind(models.TextChoices):
        API = "api", "Catalog API token"
        FILEHOST = "filehost", "File-host token"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    application = models.OneToOneField(
        ApiApplication, on_delete=models.CASCADE, null=True, blank=True, related_name="token"
    )
    nonce = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Per-token rate-limit override (requests per second), set by staff (seed 003).
    rate_limit_override = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # One file-host token per user (seed 004).
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="filehost"),
                name="one_filehost_token_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of {self.user_id}"

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class RateLimitBlock(models.Model):
    """A client blocked after repeated rate-limit violations (seed 001: 10 in an hour → 1 hour)."""

    key = models.CharField(max_length=200, db_index=True, help_text="token:<id> or ip:<address>")
    violations = models.PositiveIntegerField(default=0)
    blocked_until = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key

    def is_active(self, now: datetime | None = None) -> bool:
        return self.lifted_at is None and self.blocked_until > (now or timezone.now())
