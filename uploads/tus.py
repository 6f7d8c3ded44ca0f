"""Resumable uploads (tus 1.0, issue #21): the writes behind /api/files/tus/ (uploads/api/tus.py).

A TusUpload row says how long the file will be and how many bytes are kept; the bytes live in
`<upload temp dir>/tus/<id>.part`, appended to as PATCH bodies stream in (64 KB at a time, never
the whole body in memory). Once the last byte is in, the part file goes through
services.upload_create exactly like a body of POST /api/files/upload: type sniffing, naming,
quota, options, metadata stripping, storage (on S3, django-storages streams it up as a
multipart upload), webhooks. Then the row and the part file go.

One writer at a time: a PATCH holds an exclusive non-blocking flock on the part file (it works
the same on SQLite, where select_for_update does nothing, and across gunicorn workers of one
machine); a second PATCH on the same upload is refused with 409. Partial uploads live on the
local disk of the machine that received them: several app servers need the temp dir shared, or
sticky routing of /api/files/tus/ (README, "Resumable uploads (tus)").
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import fcntl
import hashlib
import hmac
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from nekosite.lib.errors import ApiError, storage_errors
from uploads import options, services
from uploads.errors import EmptyFile, FileTooLarge
from uploads.models import TusUpload, Upload
from uploads.uploadhandlers import max_upload_bytes

logger = logging.getLogger(__name__)

PART_DIR = "tus"
PIECE = 64 * 1024
# The upload options a client may send as Upload-Metadata keys, named as the headers of
# POST /api/files/upload (uploads/options.py). `embed` is left out: its answer is a JSON body.
METADATA_OPTIONS = (
    "expires",
    "max-views",
    "file-password",
    "keep-metadata",
    "embed-title",
    "embed-color",
    "embed-description",
)
# Checksum extension: the algorithms a client may name in Upload-Checksum.
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
# A part file without a row (its row was purged or its owner deleted) older than this is removed.
ORPHAN_MIN_AGE_SECONDS = 3600


class UploadGone(ApiError):
    def __init__(self) -> None:
        super().__init__("This upload does not exist (or has expired).", 404)


class UploadBusy(ApiError):
    def __init__(self) -> None:
        super().__init__("Another request is writing to this upload; retry when it is done.", 409)


class OffsetMismatch(ApiError):
    def __init__(self, expected: int) -> None:
        super().__init__(
            f"Upload-Offset does not match the {expected} bytes received so far.",
            409,
            extra={"offset": expected},
        )


class ChecksumMismatch(ApiError):
    def __init__(self) -> None:
        # tus checksum extension: "460 Checksum Mismatch"; the chunk is discarded.
        super().__init__("The chunk does not match its Upload-Checksum; it was discarded.", 460)


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes


@dataclass(frozen=True)
class Appended:
    upload: TusUpload
    stored: Upload | None  # the finished file, once the last byte arrived


def expiry_from(now: datetime) -> datetime:
    return now + timedelta(seconds=int(settings.TUS_EXPIRY_SECONDS))


def part_dir() -> Path:
    return services.upload_temp_dir() / PART_DIR


def part_path(upload_id: uuid.UUID) -> Path:
    return part_dir() / f"{upload_id}.part"


# --- parsing the protocol's headers (the domain's input) ----------------------------------------
def parse_metadata(header: str) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated `key base64(value)` pairs (a key may have no value).
    Values are decoded as UTF-8; ValueError for anything malformed."""
    found: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        encoded = encoded.strip()
        if not key or " " in encoded or key in found:
            raise ValueError("Upload-Metadata must be comma-separated `key base64value` pairs.")
        try:
            found[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"The Upload-Metadata value of {key} is not base64 UTF-8.") from exc
    return found


def parse_checksum(header: str) -> Checksum:
    """tus Upload-Checksum: `<algorithm> <base64 digest>`; ValueError when malformed or unknown."""
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ValueError(
            f"Upload-Checksum: the algorithm must be one of {', '.join(CHECKSUM_ALGORITHMS)}."
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError("Upload-Checksum: the digest must be base64.") from exc
    return Checksum(algorithm, digest)


# --- writes -------------------------------------------------------------------------------------
def tus_upload_create(*, owner: User, length: int, metadata: dict[str, str]) -> TusUpload:
    """A new, empty resumable upload of `length` bytes. The options among `metadata` are
    checked now (OptionError), so a wrong one costs no upload; a file-password is kept hashed."""
    if length <= 0:
        raise EmptyFile()
    if length > max_upload_bytes():
        raise FileTooLarge(int(settings.MAX_UPLOAD_MB))
    try:
        chosen = options.from_values(metadata, names=METADATA_OPTIONS)
    except options.OptionError as exc:
        raise ApiError(str(exc), 400) from exc
    upload_id = uuid.uuid4()
    path = part_path(upload_id)
    with storage_errors(writing=True):  # a full or read-only temp dir is a 507, not a 500
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=False)
    try:
        now = timezone.now()
        return TusUpload.objects.create(
            id=upload_id,
            owner=owner,
            length=length,
            metadata={k: v for k, v in metadata.items() if k != "file-password"},
            password_hash=make_password(chosen.password) if chosen.password else "",
            created_at=now,
            expires_at=expiry_from(now),
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked_part(upload: TusUpload) -> Iterator[IO[bytes]]:
    """The part file, opened for writing under an exclusive flock; UploadBusy when another
    request holds it, UploadGone when the file is missing."""
    try:
        handle = part_path(upload.id).open("r+b")
    except FileNotFoundError:
        raise UploadGone() from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy() from None
        yield handle  # closing the file releases the lock


def tus_upload_append(
    *,
    upload: TusUpload,
    offset: int,
    read: Callable[[int], bytes],
    content_length: int,
    checksum: Checksum | None = None,
) -> Appended:
    """Append a PATCH body (`content_length` bytes, read in pieces) at `offset`.

    A body cut short (the client went away, or the slow-body guard cut it) keeps what arrived,
    so the client resumes from there; with an Upload-Checksum an incomplete or mismatching
    chunk is discarded instead (ChecksumMismatch for the latter). When the last byte is in,
    the file is stored through services.upload_create and `stored` is the new Upload.
    """
    with _locked_part(upload) as handle:
        # Under the lock, the row's offset is the truth: re-read it (another writer may just
        # have finished, or the owner terminated the upload).
        current = TusUpload.objects.filter(pk=upload.pk).first()
        if current is None or current.is_expired():
            raise UploadGone()
        if offset != current.offset:
            raise OffsetMismatch(current.offset)
        if offset + content_length > current.length:
            raise ApiError(
                f"The body would take the upload past its Upload-Length of {current.length}.",
                413,
            )
        start = current.offset
        # A writer killed between writing and recording its offset left extra bytes: drop them.
        handle.truncate(start)
        handle.seek(start)
        hasher = CHECKSUM_ALGORITHMS[checksum.algorithm]() if checksum else None
        received = 0
        interrupted: BaseException | None = None
        try:
            with storage_errors(writing=True):
                while received < content_length:
                    piece = read(min(PIECE, content_length - received))
                    if not piece:
                        break  # the client went away: keep what arrived
                    handle.write(piece)
                    if hasher is not None:
                        hasher.update(piece)
                    received += len(piece)
        except (OSError, ApiError) as exc:
            # A disconnect, the slow-body guard's 408 or a full disk: keep the progress made
            # (unless a checksum can no longer be checked), then let the error be answered.
            interrupted = exc
        complete_chunk = received == content_length and interrupted is None
        verified = (
            hasher is None
            or checksum is None
            or (complete_chunk and hmac.compare_digest(hasher.digest(), checksum.digest))
        )
        if not verified:
            handle.truncate(start)
            received = 0
            if complete_chunk:
                raise ChecksumMismatch()
        handle.flush()
        os.fsync(handle.fileno())
        current.offset = start + received
        current.expires_at = expiry_from(timezone.now())
        saved = TusUpload.objects.filter(pk=current.pk).update(
            offset=current.offset, expires_at=current.expires_at
        )
        if not saved:  # terminated while we wrote
            handle.truncate(0)
            raise UploadGone()
        if isinstance(interrupted, ApiError):
            raise interrupted
        if interrupted is not None:
            # The body could not be read to its end (the connection broke): progress is kept.
            raise ApiError(
                "The request body was cut off; ask HEAD for Upload-Offset and resume.", 400
            ) from interrupted
        stored = _finish(current, handle) if current.is_complete else None
    return Appended(current, stored)


class _PartFile(File):
    """The part file as a File with a `temporary_file_path`, like Django's
    TemporaryUploadedFile: FileSystemStorage then moves it into place instead of copying."""

    def __init__(self, handle: IO[bytes], path: Path) -> None:
        super().__init__(handle, name=path.name)
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)


def _finish(upload: TusUpload, handle: IO[bytes]) -> Upload:
    """Store the complete part file as an Upload; the tus upload goes either way (a refused
    file, e.g. over quota or of a blocked type, cannot become acceptable by sending it again)."""
    path = part_path(upload.id)
    handle.seek(0)
    chosen = options.from_values(upload.metadata, names=METADATA_OPTIONS)
    chosen = dataclasses.replace(chosen, password=None, password_hash=upload.password_hash)
    try:
        with transaction.atomic():
            stored = services.upload_create(
                owner=upload.owner,
                file=_PartFile(handle, path),
                client_name=upload.metadata.get("filename", ""),
                size=upload.length,
                options=chosen,
            )
            TusUpload.objects.filter(pk=upload.pk).delete()
    except BaseException:
        _discard(upload)
        raise
    path.unlink(missing_ok=True)  # moved into storage already on a local storage
    return stored


def _discard(upload: TusUpload) -> None:
    TusUpload.objects.filter(pk=upload.pk).delete()
    part_path(upload.id).unlink(missing_ok=True)


@transaction.atomic
def tus_upload_terminate(*, upload: TusUpload) -> None:
    """tus termination: the row and the bytes received go. A PATCH still writing notices the
    row is gone and stops (its bytes go to the unlinked file)."""
    _discard(upload)


def tus_uploads_purge_expired(*, now: datetime | None = None) -> int:
    """Remove partial uploads past their expiry and part files without a row (the periodic
    task, uploads/tasks.py). Returns how many uploads went."""
    now = now or timezone.now()
    removed = 0
    for upload in TusUpload.objects.filter(expires_at__lte=now).only("id"):
        _discard(upload)
        removed += 1
    folder = part_dir()
    if folder.is_dir():
        known = {str(pk) for pk in TusUpload.objects.values_list("id", flat=True)}
        for path in folder.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                young = time.time() - path.stat().st_mtime < ORPHAN_MIN_AGE_SECONDS
                if path.stem not in known and not young:
                    path.unlink()
    return removed
