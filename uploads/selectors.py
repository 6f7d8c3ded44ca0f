"""Reads of the file host. Every QuerySet is ready to use (related rows selected)."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from uploads.models import RegistrationKey, TusUpload, Upload


def upload_list_for_user(*, user: User) -> QuerySet[Upload]:
    return Upload.objects.filter(owner=user).order_by("-created_at", "-id")


def upload_get_for_user(*, user: User, name: str) -> Upload | None:
    """The user's file called `name`; None for unknown names and other users' files alike."""
    return Upload.objects.filter(owner=user, name=name).first()


def tus_upload_get_for_user(*, user: User, upload_id: str) -> TusUpload | None:
    """The user's resumable upload in progress; None for unknown, expired and other users'
    uploads alike."""
    return TusUpload.objects.filter(owner=user, pk=upload_id, expires_at__gt=timezone.now()).first()


def upload_get_by_name(*, name: str) -> Upload | None:
    return Upload.objects.select_related("owner").filter(name=name).first()


def upload_total_count() -> int:
    return Upload.objects.count()


def upload_usage(*, user: User) -> tuple[int, int]:
    """(bytes stored, number of files) of one user."""
    usage = Upload.objects.filter(owner=user).aggregate(
        size=Coalesce(Sum("size"), 0), files=Count("id")
    )
    return int(usage["size"]), int(usage["files"])


def admin_upload_list(*, query: str) -> QuerySet[Upload]:
    """Seed 004: `query` is the EXACT file name, or " " for every file."""
    uploads = Upload.objects.select_related("owner").order_by("-created_at", "-id")
    if query.strip():
        uploads = uploads.filter(name=query)
    return uploads


def admin_user_list(*, query: str) -> QuerySet[User]:
    """Seed 004: `query` is the EXACT username, or " " for every user."""
    users = User.objects.order_by("username")
    if query.strip():
        users = users.filter(username=query)
    return users


def regkey_list() -> QuerySet[RegistrationKey]:
    return RegistrationKey.objects.select_related("created_by", "used_by")


def upload_totals() -> tuple[int, int]:
    """(number of files, bytes stored) over every user, from ONE aggregate query."""
    totals = Upload.objects.order_by().aggregate(files=Count("id"), size=Coalesce(Sum("size"), 0))
    return int(totals["files"]), int(totals["size"])


def uploads_per_day(*, days: int = 30) -> list[tuple[datetime.date, int]]:
    """Uploads on each of the last `days` days (today included, zeros filled in), oldest first.

    ONE grouped query; days are calendar days in the site's time zone (UTC).
    """
    today = timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    rows = (
        Upload.objects.order_by()
        .filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    counts = {day: int(count) for day, count in rows}
    return [
        (
            first + datetime.timedelta(days=offset),
            counts.get(first + datetime.timedelta(days=offset), 0),
        )
        for offset in range(days)
    ]


def uploads_thumbnail_overdue(*, older_than_seconds: float) -> QuerySet[Upload, int]:
    """Ids of uploads whose thumbnail is still pending `older_than_seconds` after the upload,
    oldest first (index upload_thumbnail_pending)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    return (
        Upload.objects.filter(thumbnail_pending=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
