"""Reads of the file host. Every QuerySet is ready to use (related rows selected)."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from uploads.models import KIND_PREFIXES, Album, AlbumItem, RegistrationKey, TusUpload, Upload


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


# --- media library --------------------------------------------------------------------------------
# sort -> (field, descending). Each is served by an index (owner, field, id): a page is an index
# range scan from a cursor with LIMIT, however many files there are (keyset pagination).
LIBRARY_SORTS = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "largest": ("size", True),
    "smallest": ("size", False),
    "name": ("original_name", False),
    "name-desc": ("original_name", True),
}
MAX_BULK_NAMES = 500


@dataclass(frozen=True)
class LibraryQuery:
    """What the owner asked the media library for. `since` is inclusive, `until` exclusive."""

    text: str = ""
    kind: str = ""
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    sort: str = "newest"


@dataclass(frozen=True)
class LibraryPage:
    uploads: list[Upload]
    # Opaque positions: the page after the last row, and the page before the first one.
    next_cursor: str | None
    previous_cursor: str | None


def _library_filtered(*, user: User, query: LibraryQuery) -> QuerySet[Upload]:
    uploads = Upload.objects.filter(owner=user)
    if query.text:
        uploads = uploads.filter(
            Q(name__icontains=query.text) | Q(original_name__icontains=query.text)
        )
    if query.kind in KIND_PREFIXES:
        uploads = uploads.filter(content_type__startswith=f"{query.kind}/")
    elif query.kind == "other":
        for prefix in KIND_PREFIXES:
            uploads = uploads.exclude(content_type__startswith=f"{prefix}/")
    if query.since is not None:
        uploads = uploads.filter(created_at__gte=query.since)
    if query.until is not None:
        uploads = uploads.filter(created_at__lt=query.until)
    return uploads


def _cursor_of(upload: Upload, field: str) -> str:
    value = getattr(upload, field)
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    raw = json.dumps([value, upload.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_value(cursor: str, field: str) -> tuple[object, int] | None:
    """(sort value, id) of a cursor made by _cursor_of for `field`; None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if field == "created_at":
            value = datetime.datetime.fromisoformat(value)
        elif field == "size":
            value = int(value)
        elif not isinstance(value, str):
            return None
        return value, int(pk)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None


def upload_library_page(
    *, user: User, query: LibraryQuery, after: str = "", before: str = "", size: int = 50
) -> LibraryPage:
    """One page of the owner's files: the `size` rows after the cursor `after` (or before
    `before`) in the query's order. Never counts the matches: one query of at most size + 1
    rows, whatever the number of files."""
    field, descending = LIBRARY_SORTS.get(query.sort, LIBRARY_SORTS["newest"])
    uploads = _library_filtered(user=user, query=query)
    position = _cursor_value(after, field) if after else None
    backwards = False
    if position is None and before:
        position = _cursor_value(before, field)
        backwards = position is not None
    forward_desc = descending != backwards  # the direction this query walks the index
    if position is not None:
        value, pk = position
        op = "lt" if forward_desc else "gt"
        # (field, id) beyond (value, pk), spelt so that `field <= value` seeks into the index
        # rather than filtering every row before the cursor.
        uploads = uploads.filter(
            Q(**{f"{field}__{op}e": value}),
            Q(**{f"{field}__{op}": value}) | Q(**{f"pk__{op}": pk}),
        )
    order = [f"-{field}", "-pk"] if forward_desc else [field, "pk"]
    rows = list(uploads.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return LibraryPage(uploads=[], next_cursor=None, previous_cursor=None)
    has_next = more if not backwards else True
    has_previous = more if backwards else position is not None
    return LibraryPage(
        uploads=rows,
        next_cursor=_cursor_of(rows[-1], field) if has_next else None,
        previous_cursor=_cursor_of(rows[0], field) if has_previous else None,
    )


def uploads_by_names_for_user(*, user: User, names: Iterable[str]) -> QuerySet[Upload]:
    """The user's files among `names` (at most MAX_BULK_NAMES); other users' names and unknown
    names are simply not there."""
    wanted = list(dict.fromkeys(str(name) for name in names))[:MAX_BULK_NAMES]
    return Upload.objects.filter(owner=user, name__in=wanted).order_by("-created_at", "-id")


# --- albums ---------------------------------------------------------------------------------------
def album_list_for_user(*, user: User) -> QuerySet[Album]:
    return Album.objects.filter(owner=user).annotate(item_count=Count("items"))


def album_get_for_user(*, user: User, album_id: int) -> Album | None:
    return Album.objects.filter(owner=user, pk=album_id).first()


def album_items(*, album: Album) -> QuerySet[AlbumItem]:
    """Every file of the album, in album order (the owner's view: unavailable ones too)."""
    return AlbumItem.objects.filter(album=album).select_related("upload").order_by("position", "id")


def album_get_shared(*, slug: str) -> Album | None:
    """The shared album behind a share link; None for unknown, old and unshared links alike."""
    return Album.objects.select_related("owner").filter(slug=slug, is_public=True).first()


def album_items_shared(*, album: Album) -> QuerySet[AlbumItem]:
    """The album's files a visitor may see: not past their expiry or their views."""
    return album_items(album=album).filter(
        Q(upload__expires_at__isnull=True) | Q(upload__expires_at__gt=timezone.now()),
        Q(upload__max_views__isnull=True) | Q(upload__view_count__lt=F("upload__max_views")),
    )
