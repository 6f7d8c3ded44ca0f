"""Public links to catalog images and the view that serves them (CATALOG_MEDIA_URL, /assets/).

An image's link is `SITE_URL + CATALOG_MEDIA_URL + "<uuid>.<ext>"`. By default the link is
permanent (the API's meta.expires is null). When a client asks for `expiry` seconds, the link
carries `?expires=<unix>&signature=<mac>` (nekosite/lib/signing.py) and this view answers 403
once it has expired or when it was tampered with.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import time
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from catalog import selectors
from nekosite.lib import signing
from nekosite.lib.errors import ApiError
from nekosite.lib.serving import stored_file_response

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "Could not find image with the provided ID."
EXPIRED_MESSAGE = "This image link has expired."
INVALID_SIGNATURE_MESSAGE = "This image link has an invalid signature."
PERMANENT_CACHE = "public, max-age=31536000, immutable"


def media_base_url() -> str:
    """Absolute base of image links; CATALOG_MEDIA_URL may already be absolute (a CDN)."""
    base = settings.CATALOG_MEDIA_URL
    return base if "://" in base else f"{settings.SITE_URL}{base}"


def image_extension(file_name: str, mimetype: str) -> str:
    """The extension of the stored file (lower case), else one guessed from the mimetype."""
    ext = posixpath.splitext(file_name)[1].lower().lstrip(".")
    if ext.isalnum() and len(ext) <= 10:
        return ext
    guessed = mimetypes.guess_extension(mimetype or "") or ".bin"
    return guessed.lstrip(".")


def image_public_name(image_id: uuid.UUID | str, file_name: str, mimetype: str) -> str:
    return f"{image_id}.{image_extension(file_name, mimetype)}"


def image_url(public_name: str, expires: int | None = None) -> str:
    """The link to an image; signed and time-limited when `expires` (unix time) is given."""
    url = media_base_url() + public_name
    if expires is not None:
        url += "?" + signing.signed_query(public_name, expires)
    return url


@require_safe
def image_asset(request: HttpRequest, filename: str) -> HttpResponseBase:
    """Serve `/assets/<uuid>.<ext>` with the stored ETag, type and size."""
    stem, _, ext = filename.partition(".")
    try:
        image_id = uuid.UUID(stem)
    except ValueError as exc:
        raise ApiError(NOT_FOUND_MESSAGE, 404) from exc
    row = selectors.image_file(image_id=image_id)
    if row is None or image_extension(row["file"], row["mimetype"]) != ext.lower():
        raise ApiError(NOT_FOUND_MESSAGE, 404)

    cache_control = PERMANENT_CACHE
    expires = request.GET.get("expires")
    sig = request.GET.get("signature")
    if expires is not None or sig is not None:
        public_name = image_public_name(image_id, row["file"], row["mimetype"])
        state = signing.verify(public_name, expires, sig)
        if state is signing.LinkState.EXPIRED:
            raise ApiError(EXPIRED_MESSAGE, 403)
        if state is not signing.LinkState.VALID:
            raise ApiError(INVALID_SIGNATURE_MESSAGE, 403)
        # A cache must not keep serving a signed link after it dies.
        remaining = max(int(expires) - int(time.time()), 0)  # type: ignore[arg-type]
        cache_control = f"public, max-age={remaining}"

    storage = storages["catalog"]
    try:
        size = row["size"] or storage.size(row["file"])
        return stored_file_response(
            request,
            storage=storage,
            name=row["file"],
            content_type=row["mimetype"] or "application/octet-stream",
            size=size,
            etag=row["etag"] or None,
            last_modified=row["created_at"],
            cache_control=cache_control,
        )
    except FileNotFoundError as exc:
        # The row outlived its file (deleted by hand from storage): a 404, not a 500.
        logger.warning("catalog image %s has no file %s", image_id, row["file"])
        raise ApiError(NOT_FOUND_MESSAGE, 404) from exc
