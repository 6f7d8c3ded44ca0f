"""Resumable uploads: a tus 1.0.0 server at /api/files/tus/ (issue #21), with the creation,
termination, checksum and expiration extensions. https://tus.io/protocols/resumable-upload

The wire format lives here (tus headers in and out); the writes are uploads/tus.py. Clients
authenticate with the file-host token, like every other file-host endpoint (`token` header or
`Authorization: Bearer`); an upload is visible to its creator only (others get 404).

- `POST /api/files/tus/` creates an upload (Upload-Length, Upload-Metadata) -> 201 + Location.
- `HEAD`, `PATCH`, `DELETE` on that Location; `OPTIONS` on either URL (no token needed).
- The PATCH that brings the last byte stores the file through the same pipeline as
  POST /api/files/upload and answers with its link in the `File-Url` header.

Errors carry the site's JSON envelope (the protocol lets error answers have any body). Rate
limits: creating an upload counts in the `upload` scope, like POST /api/files/upload; HEAD,
PATCH and DELETE of an existing upload count in the generic scopes, so resuming a file in many
chunks does not spend its owner's upload allowance. tus is its own protocol (HEAD/PATCH with
application/offset+octet-stream bodies, headers instead of JSON), so the views stay out of the
OpenAPI schema; README.md, "Resumable uploads (tus)", documents them.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import ratelimit
from nekosite.lib.errors import ApiError
from nekosite.lib.slowbody import accepts_files
from uploads import selectors, tus
from uploads.api.views import FileHostView, _authenticated_user, _utf8
from uploads.models import TusUpload
from uploads.uploadhandlers import max_upload_bytes

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
PATCH_CONTENT_TYPE = "application/offset+octet-stream"
# Not a tus header: the link of the stored file, on the answer to the PATCH that finished it.
FILE_URL_HEADER = "File-Url"
REASONS = {460: "Checksum Mismatch"}


def _expires(upload: TusUpload) -> str:
    """tus expiration: an RFC 7231 date."""
    return http_date(upload.expires_at.timestamp())


def _non_negative(request: Request, name: str) -> int:
    value = request.headers.get(name)
    if value is None or not value.strip().isdigit():
        raise ApiError(f"The {name} header is required: a whole number of bytes.", 400)
    return int(value)


def _encoded_metadata(upload: TusUpload) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key
        for key, value in upload.metadata.items()
    )


class TusView(FileHostView):
    """Tus-Resumable on every answer of these views; 412 for a client of another version."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # tus: every request but OPTIONS says which version it speaks.
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise ApiError(
                f"This server speaks tus {TUS_VERSION}: send Tus-Resumable: {TUS_VERSION}.",
                412,
                headers={"Tus-Version": TUS_VERSION},
            )

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        if response.status_code in REASONS:
            response.reason_phrase = REASONS[response.status_code]
        return response

    def options(self, request: HttpRequest | Request, *args: Any, **kwargs: Any) -> Response:
        """Discovery: what this server supports (no token needed)."""
        return Response(
            status=204,
            headers={
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": EXTENSIONS,
                "Tus-Max-Size": str(max_upload_bytes()),
                "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
            },
        )


@extend_schema(exclude=True)
class TusCreateView(TusView):
    """tus creation: POST with Upload-Length and Upload-Metadata; the answer's Location is the
    upload's URL."""

    ratelimit_scope = ratelimit.UPLOAD

    def post(self, request: Request) -> HttpResponse:
        user = _authenticated_user(request)
        if request.headers.get("Upload-Defer-Length") is not None:
            raise ApiError("Upload-Defer-Length is not supported: send Upload-Length.", 400)
        length = _non_negative(request, "Upload-Length")
        if length > max_upload_bytes():
            # Before parsing anything else: the client learns the limit at once.
            raise ApiError(
                f"The file is larger than the {settings.MAX_UPLOAD_MB} MB upload limit.",
                413,
                headers={"Tus-Max-Size": str(max_upload_bytes())},
            )
        try:
            metadata = tus.parse_metadata(_utf8(request.headers.get("Upload-Metadata", "")))
        except ValueError as exc:
            raise ApiError(str(exc), 400) from exc
        upload = tus.tus_upload_create(owner=user, length=length, metadata=metadata)
        # On SITE_URL, like every link the site gives out: behind a proxy the request's own
        # Host may lack the public port (nginx's $host), and tus clients follow this URL.
        location = settings.SITE_URL + reverse("filehost-tus-upload", args=[upload.id])
        return HttpResponse(
            status=201, headers={"Location": location, "Upload-Expires": _expires(upload)}
        )


@extend_schema(exclude=True)
@accepts_files  # PATCH bodies are file data: up to MAX_UPLOAD_MB, not the 256 KB form limit
class TusUploadView(TusView):
    """One upload: HEAD (where am I?), PATCH (append), DELETE (termination)."""

    ratelimit_scope = ratelimit.GENERIC

    def _upload(self, request: Request, upload_id: uuid.UUID) -> TusUpload:
        upload = selectors.tus_upload_get_for_user(
            user=_authenticated_user(request), upload_id=str(upload_id)
        )
        if upload is None:
            raise tus.UploadGone()  # another user's upload looks exactly like a missing one
        return upload

    def head(self, request: Request, upload_id: uuid.UUID) -> HttpResponse:
        upload = self._upload(request, upload_id)
        headers = {
            "Upload-Offset": str(upload.offset),
            "Upload-Length": str(upload.length),
            "Upload-Expires": _expires(upload),
            "Cache-Control": "no-store",
        }
        if upload.metadata:
            headers["Upload-Metadata"] = _encoded_metadata(upload)
        return HttpResponse(status=200, headers=headers)

    def patch(self, request: Request, upload_id: uuid.UUID) -> HttpResponse:
        if request.content_type.split(";")[0].strip().lower() != PATCH_CONTENT_TYPE:
            raise ApiError(f"PATCH bodies must be sent as {PATCH_CONTENT_TYPE}.", 415)
        upload = self._upload(request, upload_id)
        offset = _non_negative(request, "Upload-Offset")
        checksum = None
        if (sent := request.headers.get("Upload-Checksum")) is not None:
            try:
                checksum = tus.parse_checksum(sent)
            except ValueError as exc:
                raise ApiError(str(exc), 400) from exc
        appended = tus.tus_upload_append(
            upload=upload,
            offset=offset,
            read=request._request.read,
            content_length=_content_length(request),
            checksum=checksum,
        )
        headers = {"Upload-Offset": str(appended.upload.offset)}
        if appended.stored is None:
            headers["Upload-Expires"] = _expires(appended.upload)
        else:
            headers[FILE_URL_HEADER] = settings.UPLOAD_BASE_URL + appended.stored.name
        return HttpResponse(status=204, headers=headers)

    def delete(self, request: Request, upload_id: uuid.UUID) -> Response:
        tus.tus_upload_terminate(upload=self._upload(request, upload_id))
        return Response(status=204)


def _content_length(request: Request) -> int:
    """The PATCH body's size. WSGI hands a chunked body without Content-Length to Django as an
    empty one, so such a body is refused rather than taken for an empty chunk."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not declared:
        raise ApiError("Send each PATCH with a Content-Length header.", 411)
    if declared and not declared.isdigit():
        raise ApiError("Content-Length must be a whole number.", 400)
    return int(declared or 0)
