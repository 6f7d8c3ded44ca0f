"""Serving stored files safely: conditional requests, ranges, and no script on our origin.

Used for catalog images (/assets/) and uploaded files (UPLOAD_URL). Three ways to hand the bytes
over, chosen by settings.FILE_SERVING: "django" streams them, "x-accel" lets nginx send them
(X-Accel-Redirect), "s3-redirect" redirects to a short-lived presigned URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, Literal

from django.conf import settings
from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date, parse_http_date_safe, quote_etag

# Types a browser shows without running anything of ours. Everything else (HTML, SVG, XML,
# JavaScript, unknown) is sent as an attachment inside a CSP sandbox.
INLINE_SAFE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/bmp",
        "image/x-icon",
        "application/pdf",
        "text/plain",
    }
)
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
)
CHUNK_SIZE = 256 * 1024
# ASCII digits only (\d would take any Unicode digit, which int() accepts and HTTP does not).
_RANGE_RE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
# Positions beyond any real file; longer numbers are never handed to int(), which refuses
# strings of more than 4,300 digits and takes time on long ones.
_MAX_POSITION_DIGITS = 18


def is_inline_safe(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base in INLINE_SAFE_TYPES or base.startswith(("video/", "audio/"))


def _content_disposition(kind: str, filename: str | None) -> str:
    if not filename:
        return kind
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:200]
    return f'{kind}; filename="{ascii_name}"'


def _not_modified(request: HttpRequest, etag: str | None, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and etag:
        candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return quote_etag(etag) in candidates or "*" in candidates
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since and last_modified is not None:
        since = parse_http_date_safe(if_modified_since)
        return since is not None and int(last_modified.timestamp()) <= since
    return False


def _parse_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """(start, end inclusive) for one satisfiable range; None = ignore; False = unsatisfiable."""
    match = _RANGE_RE.match(header.strip())
    if not match:
        return None  # multiple or malformed ranges: send the whole file (RFC 9110 allows it)
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = _position(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = _position(first)
    end = _position(last) if last else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def _position(digits: str) -> int:
    """A byte position from ASCII digits; absurdly long numbers mean "past any file" (10**18)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_POSITION_DIGITS:
        return 10**_MAX_POSITION_DIGITS
    return int(digits)


def _iter_file(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    """The first chunk is read now, before the response starts: a storage that cannot deliver
    the object (S3 gone between the HEAD and the GET) raises in the view, which answers 503,
    instead of breaking a response whose status was already sent."""
    try:
        handle.seek(start)
        first = handle.read(min(CHUNK_SIZE, length)) if length > 0 else b""
    except BaseException:
        handle.close()
        raise
    return _rest_of_file(handle, first, length - len(first))


def _rest_of_file(handle: IO[bytes], first: bytes, remaining: int) -> Iterator[bytes]:
    try:
        if not first:
            return
        yield first
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _apply_headers(
    response: HttpResponseBase,
    *,
    content_type: str,
    etag: str | None,
    last_modified: datetime | None,
    inline: bool,
    download_name: str | None,
    cache_control: str,
) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache_control
    if etag:
        response["ETag"] = quote_etag(etag)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if inline:
        response["Content-Disposition"] = _content_disposition("inline", download_name)
    else:
        response["Content-Disposition"] = _content_disposition("attachment", download_name)
        response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def stored_file_response(
    request: HttpRequest,
    *,
    storage: Storage,
    name: str,
    content_type: str,
    size: int,
    etag: str | None = None,
    last_modified: datetime | None = None,
    download_name: str | None = None,
    cache_control: str = "public, max-age=31536000, immutable",
    attachment_types: frozenset[str] = frozenset(),
    one_response: bool = False,
) -> HttpResponseBase:
    """A response for the stored object `name`, with the safe-serving headers in every mode.

    `attachment_types` are served as sandboxed downloads here although they are inline-safe
    elsewhere (e.g. PDFs, whose viewer runs scripts, when uploads share the site's origin).
    `one_response`: this request may get the bytes once and no more (a counted view, a
    password-protected file): no 304 from an old copy, and no presigned S3 link, which could
    be used again; the bytes come through this process (or nginx's X-Accel-Redirect) instead.
    """
    base_type = content_type.split(";", 1)[0].strip().lower()
    inline = is_inline_safe(content_type) and base_type not in attachment_types
    served_type = content_type if inline else "application/octet-stream"
    if served_type.startswith("text/plain") and "charset" not in served_type:
        served_type = "text/plain; charset=utf-8"
    headers: dict[str, Any] = {
        "content_type": served_type,
        "etag": etag,
        "last_modified": last_modified,
        "inline": inline,
        "download_name": download_name,
        "cache_control": cache_control,
    }

    if not one_response and _not_modified(request, etag, last_modified):
        return _apply_headers(HttpResponse(status=304), **headers)

    mode = settings.FILE_SERVING
    if mode == "s3-redirect" and hasattr(storage, "bucket_name") and not one_response:
        disposition = _content_disposition("inline" if inline else "attachment", download_name)
        url = storage.url(  # type: ignore[call-arg]  # S3Storage.url takes these
            name,
            parameters={
                "ResponseContentType": served_type,
                "ResponseContentDisposition": disposition,
            },
            expire=settings.S3_PRESIGN_SECONDS,
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, max-age=60"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    if mode == "x-accel":
        location = getattr(storage, "location", "")
        internal = settings.X_ACCEL_PREFIX + _relative_location(location) + name
        response = HttpResponse(content_type=served_type)
        response["X-Accel-Redirect"] = internal
        # nginx answers Range and conditional requests itself for X-Accel-Redirect.
        return _apply_headers(response, **headers)

    range_header = request.headers.get("Range")
    byte_range = _parse_range(range_header, size) if range_header and size > 0 else None
    if byte_range is False:
        response = HttpResponse(status=416, content_type=served_type)
        response["Content-Range"] = f"bytes */{size}"
        return _apply_headers(response, **headers)

    handle = storage.open(name, "rb")
    if byte_range:
        start, end = byte_range
        response = StreamingHttpResponse(
            _iter_file(handle, start, end - start + 1), status=206, content_type=served_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = StreamingHttpResponse(_iter_file(handle, 0, size), content_type=served_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    if request.method == "HEAD":
        response.streaming_content = iter(())
        handle.close()
    return _apply_headers(response, **headers)


def _relative_location(location: str) -> str:
    """The storage's folder below MEDIA_ROOT (local) or its key prefix (S3), with a slash."""
    root = str(settings.MEDIA_ROOT)
    if location.startswith(root):
        location = location[len(root) :]
    location = location.strip("/")
    return f"{location}/" if location else ""
