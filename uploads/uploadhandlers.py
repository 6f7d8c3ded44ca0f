"""Streaming upload handler that refuses bodies over MAX_UPLOAD_MB while they arrive."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest

from nekosite.lib.errors import ApiError, storage_error
from uploads.errors import FileTooLarge

# Multipart boundaries and part headers around the file; a Content-Length beyond
# limit + slack cannot hold an acceptable file, so it is refused before the body is read.
MULTIPART_SLACK_BYTES = 64 * 1024


def max_upload_bytes() -> int:
    return int(settings.MAX_UPLOAD_MB) * 1024 * 1024


def reject_oversized_content_length(request: HttpRequest) -> None:
    """Refuse early, on the declared size, without reading a byte of the body.

    A chunked body without Content-Length reaches Django (WSGI) as an empty body, so it is
    refused with 411 rather than misread as a form without its file; behind nginx (which
    buffers the body and sets Content-Length) chunked uploads work.
    """
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and request.META.get("CONTENT_LENGTH", "") in ("", "0"):
        raise ApiError(
            "Send the upload with a Content-Length header (chunked bodies are not supported "
            "here; a proxy such as nginx adds one).",
            411,
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_upload_bytes() + MULTIPART_SLACK_BYTES:
        raise FileTooLarge(int(settings.MAX_UPLOAD_MB))


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Writes to a temporary file like Django's handler, and stops at the size limit.

    On overflow the temporary file is closed (which deletes it) and FileTooLarge propagates,
    so nothing is left behind whatever the Content-Length claimed.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().new_file(*args, **kwargs)
        except OSError as exc:  # FILE_UPLOAD_TEMP_DIR full, read-only or missing
            raise storage_error(exc, writing=True) or exc from exc

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()
            raise FileTooLarge(int(settings.MAX_UPLOAD_MB))
        try:
            return super().receive_data_chunk(raw_data, start)
        except OSError as exc:
            # The disk filled up while the body streamed in: drop the partial temporary
            # file (closing deletes it) and answer 507 instead of a 500.
            self.file.close()
            raise storage_error(exc, writing=True) or exc from exc

    def file_complete(self, file_size: int) -> Any:
        try:
            return super().file_complete(file_size)
        except OSError as exc:  # the last buffered bytes did not fit either
            self.file.close()
            raise storage_error(exc, writing=True) or exc from exc


def install_limited_handler(request: HttpRequest) -> None:
    """Must run before request.POST / request.FILES / DRF request.data is touched."""
    request.upload_handlers = [LimitedTemporaryFileUploadHandler(request)]


def parse_files_under_limit(request: HttpRequest) -> None:
    """Read a form with files now, under MAX_UPLOAD_MB (FileTooLarge, 411 or 507 as ApiError):
    for views that check CSRF themselves afterwards, since the CSRF middleware would parse the
    body first with Django's unlimited handler (Django docs, "Modifying upload handlers on the
    fly")."""
    reject_oversized_content_length(request)
    install_limited_handler(request)
    request.POST  # noqa: B018 - parse now, under the limit
