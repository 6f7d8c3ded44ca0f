"""Writes of the file host. The API, the dashboards, the admin and the management command all
come here, so a file leaves storage the same way everywhere."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
import string
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from accounts.models import Token, User
from accounts.services import filehost_token_get_or_create
from nekosite.lib import metadata
from nekosite.lib.errors import ApiError, storage_errors
from nekosite.lib.imagemeta import ImageRejected
from nekosite.lib.thumbnails import make_thumbnail, placeholder_thumbnail, thumbnail_slot
from uploads import permissions, selectors, sniffing
from uploads.errors import (
    AdminRegistrationClosed,
    BlockedFileType,
    DamagedImage,
    EmptyFile,
    FileTooLarge,
    InvalidAdminKey,
    InvalidInput,
    InvalidRegistrationKey,
    QuotaExceeded,
    UsernameTaken,
)
from uploads.models import (
    PREVIEW_IMAGE_TYPES,
    Album,
    AlbumItem,
    RegistrationKey,
    Upload,
    new_share_slug,
)
from uploads.options import UploadOptions
from uploads.storage import upload_storage
from webhooks import events, payloads
from webhooks import services as webhooks

logger = logging.getLogger(__name__)

NAME_ALPHABET = string.ascii_letters + string.digits
NAME_LENGTH = 7
_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,10}$")
_HASH_CHUNK = 1024 * 1024
THUMBNAIL_DIR = "_thumbs"


# --- names --------------------------------------------------------------------------------------
def _client_basename(client_name: str) -> str:
    """The last path component of what the client sent, printable characters only."""
    name = client_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip()[:255]


def extension_from_client_name(client_name: str) -> str:
    """Lowercase [a-z0-9]{1,10} from the last suffix of the basename, or ""."""
    basename = _client_basename(client_name)
    if basename in {"", ".", ".."} or "." not in basename.lstrip("."):
        return ""
    suffix = PurePosixPath(basename).suffix.lower().lstrip(".")
    return suffix if _EXTENSION_RE.match(suffix) else ""


def _random_name(extension: str) -> str:
    stem = "".join(secrets.choice(NAME_ALPHABET) for _ in range(NAME_LENGTH))
    return f"{stem}.{extension}"


def _free_name(extension: str) -> str:
    storage = upload_storage()
    for _ in range(10):
        name = _random_name(extension)
        if not Upload.objects.filter(name=name).exists() and not storage.exists(name):
            return name
    raise RuntimeError("could not find a free upload name")  # 62**7 names: practically never


def _sha256(handle: IO[bytes]) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(_HASH_CHUNK):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _check_blocked(*extensions: str) -> None:
    blocked = set(settings.BLOCKED_UPLOAD_EXTENSIONS)
    for extension in extensions:
        if extension and extension in blocked:
            raise BlockedFileType(extension)


def _check_quota(*, owner: User, size: int) -> None:
    if settings.UPLOAD_QUOTA_BYTES is None and settings.UPLOAD_QUOTA_FILES is None:
        return
    used_bytes, used_files = selectors.upload_usage(user=owner)
    if settings.UPLOAD_QUOTA_FILES is not None and used_files + 1 > settings.UPLOAD_QUOTA_FILES:
        raise QuotaExceeded(f"You have reached your quota of {settings.UPLOAD_QUOTA_FILES} files.")
    if settings.UPLOAD_QUOTA_BYTES is not None and used_bytes + size > settings.UPLOAD_QUOTA_BYTES:
        raise QuotaExceeded(
            f"This file would take you over your storage quota of "
            f"{settings.UPLOAD_QUOTA_BYTES} bytes."
        )


# --- uploads ------------------------------------------------------------------------------------
DEFAULT_OPTIONS = UploadOptions()


@transaction.atomic
def upload_create(
    *,
    owner: User,
    file: IO[bytes],
    client_name: str,
    size: int,
    options: UploadOptions = DEFAULT_OPTIONS,
) -> Upload:
    """Store `file` under a fresh unguessable name and record it; both exist or neither.

    The client's name only contributes a sanitized extension; its path never reaches storage.
    JPEG, PNG and WebP files lose their metadata (EXIF/GPS...) unless `options.keep_metadata`;
    size and hash then describe the stored bytes.
    """
    if size <= 0:
        raise EmptyFile()
    if size > int(settings.MAX_UPLOAD_MB) * 1024 * 1024:
        raise FileTooLarge(int(settings.MAX_UPLOAD_MB))
    client_extension = extension_from_client_name(client_name)
    _check_blocked(client_extension)
    content_type = sniffing.sniff_content_type(file, client_extension)
    extension = client_extension or sniffing.extension_for(content_type)
    _check_blocked(extension)
    with contextlib.ExitStack() as cleanup:
        if content_type in metadata.STRIPPABLE_TYPES and not options.keep_metadata:
            file, size = _without_metadata(file, content_type, cleanup)
        return _store(owner, file, client_name, size, content_type, extension, options)


def _without_metadata(
    file: IO[bytes], content_type: str, cleanup: contextlib.ExitStack
) -> tuple[IO[bytes], int]:
    """The file's bytes without metadata, in a temporary file removed when `cleanup` exits."""
    stripped = cleanup.enter_context(
        tempfile.NamedTemporaryFile(dir=upload_temp_dir(), prefix="tmpstrip", suffix=".upload")  # noqa: SIM115 (closed by cleanup)
    )
    try:
        metadata.strip(file, stripped, content_type)
    except metadata.NotStrippable as exc:
        raise DamagedImage(content_type) from exc
    stripped.flush()
    size = stripped.tell()
    stripped.seek(0)
    return stripped, size


def _store(
    owner: User,
    file: IO[bytes],
    client_name: str,
    size: int,
    content_type: str,
    extension: str,
    options: UploadOptions,
) -> Upload:
    # Lock the owner so two parallel uploads cannot both squeeze under the quota.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    _check_quota(owner=owner, size=size)

    sha256 = _sha256(file)
    storage = upload_storage()
    # A full, read-only or unreachable storage is a 507/503 for the client, not a 500.
    with storage_errors(writing=True):
        name = _free_name(extension)
        content = file if isinstance(file, File) else File(file, name=name)
        try:
            stored = storage.save(name, content)
        except BaseException:
            # A local save that hit a full disk may have left a partial file under the
            # fresh name (nobody else can hold it: it was free a moment ago).
            _discard(name)
            raise
    try:
        if stored != name:
            raise RuntimeError(f"storage renamed {name!r} to {stored!r}")
        with transaction.atomic():
            upload = Upload.objects.create(
                owner=owner,
                name=name,
                original_name=_client_basename(client_name),
                size=size,
                content_type=content_type,
                sha256=sha256,
                thumbnail_pending=content_type in PREVIEW_IMAGE_TYPES,
                expires_at=timezone.now() + options.expires_in if options.expires_in else None,
                max_views=options.max_views,
                password_hash=(
                    make_password(options.password) if options.password else options.password_hash
                ),
                keep_metadata=options.keep_metadata,
                embed_title=options.embed_title,
                embed_color=options.embed_color,
                embed_description=options.embed_description,
            )
            webhooks.emit(events.UPLOAD_CREATED, payloads.upload(upload), user=owner)
    except BaseException:
        # No row, no file: never leave an orphan behind.
        storage.delete(stored)
        raise
    if upload.thumbnail_pending:
        # After the commit, or the worker may look before the row exists. A queue that cannot
        # be reached is logged, not the client's problem: the sweep enqueues it again later.
        transaction.on_commit(lambda: _enqueue_thumbnail(upload.pk), robust=True)
    if upload.expires_at is not None:
        _purge_at(upload)
    return upload


def _purge_at(upload: Upload) -> None:
    """Have a worker delete the file as it expires (the minutely purge is the safety net)."""
    from uploads import tasks  # tasks import this module

    upload_id = upload.pk
    delay = (
        max(0.0, (upload.expires_at - timezone.now()).total_seconds()) if upload.expires_at else 0
    )
    transaction.on_commit(
        lambda: tasks.purge_upload.schedule(args=(upload_id,), delay=delay + 1), robust=True
    )


def purge_when_used_up(upload: Upload) -> None:
    """The last allowed view was served: delete the file now rather than at the next purge."""
    from uploads import tasks  # tasks import this module

    upload_id = upload.pk
    transaction.on_commit(lambda: tasks.purge_upload(upload_id), robust=True)


def upload_purge_if_unavailable(*, upload_id: int) -> bool:
    """Delete the file when it is past its expiry or its views (idempotent); True if it went."""
    upload = Upload.objects.filter(pk=upload_id).select_related("owner").first()
    if upload is None or upload.is_available():
        return False
    upload_delete(upload=upload)
    return True


def _enqueue_thumbnail(upload_id: int) -> None:
    from uploads import tasks  # tasks import this module

    tasks.upload_thumbnail(upload_id)


def _discard(name: str) -> None:
    """Best-effort removal of a half-written object; storage_check --fix catches the rest."""
    try:
        upload_storage().delete(name)
    except Exception:
        logger.warning("could not remove partial upload %s", name, exc_info=True)


def thumbnail_name(name: str) -> str:
    """Where the dashboard thumbnail of upload `name` is kept (beside the flat uploads)."""
    return f"{THUMBNAIL_DIR}/{name}.webp"


def upload_thumbnail_ensure(*, upload: Upload) -> str | None:
    """The stored name of the upload's WebP thumbnail, made once and kept in the uploads
    storage (deleted with the upload by _delete_stored). A task makes it after the upload
    commits (uploads/tasks.py); a request that comes first makes it itself, so the dashboard
    never waits for the queue. Either way, the upload's thumbnail is no longer pending.

    None when the upload is no previewable image. An image Pillow refuses (a bomb, a lie, or
    more decoded pixels than THUMBNAIL_MAX_PIXELS) gets the generic placeholder, stored like a
    thumbnail so it is never decoded again. Raises ThumbnailBusy when this process is already
    making THUMBNAIL_CONCURRENCY thumbnails.
    """
    if not upload.is_previewable_image:
        return None
    storage = upload_storage()
    name = thumbnail_name(upload.name)
    if storage.exists(name):
        _thumbnail_done(upload)
        return name
    with thumbnail_slot():
        if storage.exists(name):  # made by another request while this one waited
            _thumbnail_done(upload)
            return name
        try:
            with storage.open(upload.name, "rb") as handle:
                data = make_thumbnail(handle, decode_budget=int(settings.THUMBNAIL_MAX_PIXELS))
        except ImageRejected as exc:
            logger.info("placeholder thumbnail for %s: %s", upload.name, exc.message)
            data = placeholder_thumbnail()
        saved = storage.save(name, ContentFile(data))
    if saved != name:  # a parallel request (another process) made it first; keep one copy
        storage.delete(saved)
    if not _thumbnail_done(upload) and not Upload.objects.filter(pk=upload.pk).exists():
        storage.delete(name)  # deleted meanwhile: leave no orphan thumbnail
        return None
    return name


def _thumbnail_done(upload: Upload) -> bool:
    """Mark the thumbnail made; False when the row no longer exists (or was not pending)."""
    upload.thumbnail_pending = False
    return bool(
        Upload.objects.filter(pk=upload.pk, thumbnail_pending=True).update(thumbnail_pending=False)
    )


def upload_thumbnail_make(*, upload_id: int) -> str | None:
    """The task's work (uploads/tasks.py): idempotent, nothing to do for a deleted upload. A
    row whose file is gone (storage_check's "dangling") stops being pending: retrying, or
    sweeping it again every few minutes, could never make its thumbnail."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        return None
    try:
        return upload_thumbnail_ensure(upload=upload)
    except FileNotFoundError:
        logger.warning("no thumbnail for %s: its file is missing", upload.name)
        _thumbnail_done(upload)
        return None


def upload_thumbnails_resend(*, older_than_seconds: float, limit: int = 500) -> int:
    """Enqueue again the thumbnails still pending `older_than_seconds` after their upload:
    their task was lost (a worker killed mid-task) or failed for good. Returns how many."""
    ids = list(selectors.uploads_thumbnail_overdue(older_than_seconds=older_than_seconds)[:limit])
    for upload_id in ids:
        _enqueue_thumbnail(upload_id)
    return len(ids)


def _delete_stored(names: list[str]) -> None:
    storage = upload_storage()
    # An unreachable storage is a 503 and rolls the row deletion back (callers are atomic).
    with storage_errors(writing=False):
        for name in names:
            storage.delete(name)
            storage.delete(thumbnail_name(name))


@transaction.atomic
def upload_delete(*, upload: Upload) -> None:
    """Remove the row, then the stored object and its thumbnail; a storage failure rolls the
    row back."""
    name = upload.name
    owner = upload.owner
    upload.delete()
    webhooks.emit(events.UPLOAD_DELETED, payloads.upload_deleted(name), user=owner)
    _delete_stored([name])


PURGE_BATCH = 500


def uploads_purge_unavailable(*, now: datetime | None = None) -> int:
    """Delete up to PURGE_BATCH files past their expiry or their views (the periodic task);
    each in its own transaction, so one storage failure does not keep the others."""
    now = now or timezone.now()
    views_used_up = Q(max_views__isnull=False, view_count__gte=F("max_views"))
    names = list(
        Upload.objects.filter(Q(expires_at__lte=now) | views_used_up)
        .order_by("id")
        .values_list("name", flat=True)[:PURGE_BATCH]
    )
    removed = 0
    for name in names:
        upload = Upload.objects.filter(name=name).select_related("owner").first()
        if upload is None or upload.is_available(now):
            continue  # deleted meanwhile, or its owner gave it more time or views
        try:
            upload_delete(upload=upload)
        except ApiError:
            logger.warning("could not purge %s; it is tried again next time", name, exc_info=True)
            continue
        removed += 1
    return removed


@transaction.atomic
def upload_update_options(
    *,
    upload: Upload,
    expires_at: datetime | None,
    max_views: int | None,
    password: str | None = None,
    remove_password: bool = False,
    embed_title: str = "",
    embed_color: str = "",
    embed_description: str = "",
) -> Upload:
    """The owner changes a file's options (dashboard). `password` None keeps the current one;
    `remove_password` takes it off. Changing or removing it ends every link given out for the
    old one. Metadata removal cannot be undone: keep_metadata stays as it was at upload."""
    upload = Upload.objects.select_for_update().get(pk=upload.pk)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry must be in the future.")
    if max_views is not None and max_views <= upload.view_count:
        raise InvalidInput(
            f"This file has been viewed {upload.view_count} times: allow more views than that, "
            "or none."
        )
    upload.expires_at = expires_at
    upload.max_views = max_views
    if remove_password:
        upload.password_hash = ""
    elif password is not None:
        upload.password_hash = make_password(password)
    upload.embed_title = embed_title
    upload.embed_color = embed_color
    upload.embed_description = embed_description
    fields = ["expires_at", "max_views", "password_hash"]
    upload.save(update_fields=[*fields, "embed_title", "embed_color", "embed_description"])
    if upload.expires_at is not None:
        _purge_at(upload)
    return upload


@transaction.atomic
def user_delete_with_files(*, user: User) -> int:
    """Seed 004: "all files associated with the account are purged and all traces are deleted".

    Returns how many files were removed.
    """
    names = list(Upload.objects.filter(owner=user).values_list("name", flat=True))
    Upload.objects.filter(owner=user).delete()
    _delete_stored(names)
    # Keys the user redeemed keep the name for the audit trail; the FK goes null.
    user.delete()
    return len(names)


# --- accounts -----------------------------------------------------------------------------------
def _validate_username(username: str) -> str:
    if not username:
        raise InvalidInput("The username must not be empty.")
    max_length = cast(int, User._meta.get_field("username").max_length)
    if len(username) > max_length:
        raise InvalidInput(f"The username must be at most {max_length} characters.")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages)) from exc
    return username


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages)) from exc


def regkey_digest(key: str) -> str:
    return hashlib.sha256(key.strip().lower().encode("utf-8", "replace")).hexdigest()


@transaction.atomic
def regkey_generate(*, created_by: User | None, count: int = 1) -> list[str]:
    """New single-use registration keys, UUID-shaped as in seed 004. Only hashes are kept,
    so the returned plain keys are shown exactly once."""
    keys = [str(uuid.uuid4()) for _ in range(count)]
    RegistrationKey.objects.bulk_create(
        RegistrationKey(digest=regkey_digest(key), hint=key[:8], created_by=created_by)
        for key in keys
    )
    return keys


@transaction.atomic
def regkey_redeem(*, key: str, user: User) -> RegistrationKey:
    """Mark the key used by `user`. A conditional UPDATE, so two signups can't share one key."""
    digest = regkey_digest(key)
    claimed = RegistrationKey.objects.filter(
        digest=digest, used_at__isnull=True, revoked_at__isnull=True
    ).update(used_at=timezone.now(), used_by=user, used_by_username=user.username)
    if claimed != 1:
        raise InvalidRegistrationKey()
    return RegistrationKey.objects.get(digest=digest)


@transaction.atomic
def regkey_revoke(*, regkey: RegistrationKey) -> bool:
    """Revoke an unused key; returns False when it was already used or revoked."""
    return bool(
        RegistrationKey.objects.filter(
            pk=regkey.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    )


def _create_user(*, username: str, password: str, is_staff: bool) -> User:
    _validate_username(username)
    candidate = User(username=username)
    _validate_password(password, candidate)
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    if is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    filehost_token_get_or_create(user=user)
    return user


@transaction.atomic
def user_signup(*, username: str, password: str, regkey: str | None) -> User:
    """Seed 004 /api/user/signup; with INVITE_ONLY a valid unused key is required."""
    if settings.INVITE_ONLY and not (regkey or "").strip():
        raise InvalidRegistrationKey()
    user = _create_user(username=username, password=password, is_staff=False)
    if settings.INVITE_ONLY:
        # Same transaction: a refused key rolls the new user back.
        regkey_redeem(key=regkey or "", user=user)
    return user


def admin_key_matches(adminkey: str) -> bool:
    expected = settings.ADMIN_KEY
    return bool(expected) and hmac.compare_digest(
        adminkey.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def moderators_group_ensure() -> Group:
    """The moderators group with the permissions the file-host admin API needs; made on first
    use. Idempotent: missing permissions are added back, an operator's additions are kept."""
    group, _ = Group.objects.get_or_create(name=permissions.MODERATORS_GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".", 1) for name in permissions.MODERATOR_PERMISSIONS)
    ]
    group.permissions.add(*wanted)
    return group


@transaction.atomic
def admin_signup(*, username: str, password: str, adminkey: str) -> User:
    """Seed 004 /api/admin/signup, only with ADMIN_REGISTRATION and the key: a staff account in
    the moderators group, never a superuser (the group holds exactly what the admin API needs)."""
    if not settings.ADMIN_REGISTRATION:
        raise AdminRegistrationClosed()
    if not admin_key_matches(adminkey):
        raise InvalidAdminKey()
    user = _create_user(username=username, password=password, is_staff=True)
    user.groups.add(moderators_group_ensure())
    return user


@transaction.atomic
def password_reset(*, user: User, new_password: str) -> None:
    """Seed 004: resets the password only; the file-host token stays the same."""
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])


def filehost_token_for(*, user: User) -> tuple[Token, str]:
    return filehost_token_get_or_create(user=user)


# --- consistency --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StorageReport:
    orphans: list[str]
    dangling: list[str]
    recent: list[str] = field(default_factory=list)  # orphans too young to delete


def _list(folder: str) -> set[str]:
    try:
        _, files = upload_storage().listdir(folder)
    except FileNotFoundError:
        return set()  # a local storage whose folder was never created holds nothing
    return set(files)


def _stored_names() -> set[str]:
    """Every stored object: the flat uploads, and thumbnails as `_thumbs/<name>.webp`."""
    thumbs = {f"{THUMBNAIL_DIR}/{name}" for name in _list(THUMBNAIL_DIR)}
    return _list("") | thumbs


def _owner_of(stored: str) -> str:
    """The upload a stored object belongs to (a thumbnail belongs to its upload)."""
    if stored.startswith(f"{THUMBNAIL_DIR}/"):
        return stored[len(THUMBNAIL_DIR) + 1 :].removesuffix(".webp")
    return stored


def _younger_than(name: str, seconds: float) -> bool:
    if seconds <= 0:
        return False
    try:
        modified = upload_storage().get_modified_time(name)
    except (FileNotFoundError, OSError):
        return False  # gone meanwhile, or the storage cannot tell: treat as old
    return (timezone.now() - modified).total_seconds() < seconds


def upload_temp_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def stale_upload_temp_files(*, min_age_seconds: float, delete: bool) -> list[Path]:
    """Half-received upload bodies left by killed workers: Django's `tmp*.upload*` files in
    the upload temp dir not written to for `min_age_seconds`. A live upload writes to its file
    all the time (the slow-body guard cuts clients slower than 16 KB/s), so an old
    modification time means nobody is receiving it any more."""
    now = time.time()
    stale = []
    for path in upload_temp_dir().glob("tmp*.upload*"):
        try:
            if path.is_file() and now - path.stat().st_mtime >= min_age_seconds:
                stale.append(path)
        except FileNotFoundError:
            continue  # finished meanwhile
    if delete:
        for path in stale:
            path.unlink(missing_ok=True)
    return sorted(stale)


def storage_reconcile(*, fix: bool, min_age_seconds: float = 0) -> StorageReport:
    """Objects without a row and rows without an object; with fix=True remove both kinds.

    An upload stores its object a moment before it commits its row: an object younger than
    `min_age_seconds` may be such an upload in flight, so it is reported but never deleted
    (`recent`).
    """
    stored = _stored_names()
    rows = set(Upload.objects.values_list("name", flat=True))
    orphans = sorted(name for name in stored if _owner_of(name) not in rows)
    dangling = sorted(rows - {name for name in stored if _owner_of(name) == name})
    recent = [name for name in orphans if _younger_than(name, min_age_seconds)]
    if fix:
        storage = upload_storage()
        for name in orphans:
            # Re-check: an upload may have committed its row since we listed.
            if name in recent or Upload.objects.filter(name=_owner_of(name)).exists():
                continue
            storage.delete(name)
        for name in dangling:
            with transaction.atomic():
                if not storage.exists(name):
                    Upload.objects.filter(name=name).delete()
    return StorageReport(orphans=orphans, dangling=dangling, recent=recent)


# --- media library: bulk changes ----------------------------------------------------------------
@dataclass(frozen=True)
class BulkResult:
    done: list[str] = field(default_factory=list)
    # (file name, the message the one-file service gave)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BulkOptions:
    """What a bulk change sets; what it does not set stays each file's own."""

    set_expiry: bool = False
    expires_at: datetime | None = None
    set_max_views: bool = False
    max_views: int | None = None
    remove_password: bool = False


# Not atomic as a whole, on purpose: each file goes through its own atomic one-file service, so
# one file that cannot be changed (a storage error, a limit below its views) is reported and
# the others are still done.
def uploads_delete(*, uploads: Iterable[Upload]) -> BulkResult:
    result = BulkResult()
    for upload in uploads:
        try:
            upload_delete(upload=upload)
        except ApiError as exc:
            result.failed.append((upload.name, exc.message))
        else:
            result.done.append(upload.name)
    return result


def uploads_update_options(*, uploads: Iterable[Upload], change: BulkOptions) -> BulkResult:
    result = BulkResult()
    for upload in uploads:
        try:
            upload_update_options(
                upload=upload,
                expires_at=change.expires_at if change.set_expiry else upload.expires_at,
                max_views=change.max_views if change.set_max_views else upload.max_views,
                remove_password=change.remove_password,
                embed_title=upload.embed_title,
                embed_color=upload.embed_color,
                embed_description=upload.embed_description,
            )
        except ApiError as exc:
            result.failed.append((upload.name, exc.message))
        else:
            result.done.append(upload.name)
    return result


# --- albums --------------------------------------------------------------------------------------
ALBUM_TITLE_LENGTH = 100
ALBUM_DESCRIPTION_LENGTH = 500


def _album_text(title: str, description: str) -> tuple[str, str]:
    title, description = " ".join(title.split()), description.strip()
    if not title:
        raise InvalidInput("An album needs a title.")
    if len(title) > ALBUM_TITLE_LENGTH:
        raise InvalidInput(f"The title must be at most {ALBUM_TITLE_LENGTH} characters long.")
    if len(description) > ALBUM_DESCRIPTION_LENGTH:
        raise InvalidInput(
            f"The description must be at most {ALBUM_DESCRIPTION_LENGTH} characters long."
        )
    return title, description


@transaction.atomic
def album_create(
    *, owner: User, title: str, description: str = "", is_public: bool = False
) -> Album:
    title, description = _album_text(title, description)
    return Album.objects.create(
        owner=owner, title=title, description=description, is_public=is_public
    )


@transaction.atomic
def album_update(*, album: Album, title: str, description: str, is_public: bool) -> Album:
    """Rename, describe, share or stop sharing. Stopping makes the public page 404 at once;
    sharing again uses the same link (rotate it to end the old one)."""
    album.title, album.description = _album_text(title, description)
    album.is_public = is_public
    album.save(update_fields=["title", "description", "is_public"])
    return album


@transaction.atomic
def album_delete(*, album: Album) -> None:
    """The album and its list go; the files stay."""
    album.delete()


@transaction.atomic
def album_add_uploads(*, album: Album, uploads: Iterable[Upload]) -> int:
    """Add the album owner's files at the end, in the given order; files already in it and
    other users' files are skipped. Returns how many were added."""
    album = Album.objects.select_for_update().get(pk=album.pk)
    present = set(AlbumItem.objects.filter(album=album).values_list("upload_id", flat=True))
    last = AlbumItem.objects.filter(album=album).aggregate(last=Max("position"))["last"]
    position = -1 if last is None else last
    items = []
    for upload in uploads:
        if upload.owner_id != album.owner_id or upload.pk in present:
            continue
        present.add(upload.pk)
        position += 1
        items.append(AlbumItem(album=album, upload=upload, position=position))
    AlbumItem.objects.bulk_create(items)
    return len(items)


@transaction.atomic
def album_remove_uploads(*, album: Album, uploads: Iterable[Upload]) -> int:
    """Take files out of the album (they stay in the library). Returns how many."""
    ids = [upload.pk for upload in uploads]
    removed, _ = AlbumItem.objects.filter(album=album, upload_id__in=ids).delete()
    return removed


@transaction.atomic
def album_move(*, album: Album, upload: Upload, offset: int) -> bool:
    """Move a file `offset` places (-1: one earlier, 1: one later); False when it cannot."""
    items = list(
        AlbumItem.objects.select_for_update().filter(album=album).order_by("position", "id")
    )
    index = next((i for i, item in enumerate(items) if item.upload_id == upload.pk), None)
    if index is None or not 0 <= index + offset < len(items):
        return False
    items.insert(index + offset, items.pop(index))
    for position, item in enumerate(items):
        item.position = position
    AlbumItem.objects.bulk_update(items, ["position"])
    return True


@transaction.atomic
def album_rotate_slug(*, album: Album) -> Album:
    """A new share link; the old one answers 404 from now on."""
    album.slug = new_share_slug()
    album.save(update_fields=["slug"])
    return album
