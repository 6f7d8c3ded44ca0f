"""Embed pages (issue #20): what Discord, Slack and Twitter show when a file's link is shared.

`/e/<name>` is an HTML page on the site's origin with OpenGraph and Twitter-card tags, the
uploader's embed title, description and colour (`theme-color`), and an oEmbed discovery link;
the oEmbed endpoint is part of the file-host API (uploads/api/views.py, OEmbedView).

Neither the page nor the oEmbed answer counts a view of the file. A password-protected file is
described without its bytes or its name, and a file with a view limit without its bytes: a chat
app's crawler fetching og:image would burn one of its views.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from nekosite.lib.imagemeta import header_dimensions
from uploads import selectors
from uploads.models import Upload
from uploads.storage import upload_storage

logger = logging.getLogger(__name__)

PROVIDER_NAME = "nekosite"
PROTECTED_TITLE = "Password-protected file"
# Chat apps play these inline (og:video); other videos are plain files to them.
VIDEO_TYPES = frozenset({"video/mp4", "video/webm"})
# Keyed by the stored bytes' hash, so an entry is never wrong, only unused after a deletion.
DIMENSIONS_CACHE_SECONDS = 7 * 86400
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class Embed:
    """What the embed page and the oEmbed answer say about one available upload."""

    name: str
    title: str
    description: str
    color: str
    content_type: str
    page_url: str
    file_url: str
    is_image: bool  # a picture chat apps may show (og:image), i.e. neither protected nor limited
    is_video: bool  # a video chat apps may play (og:video), likewise
    protected: bool  # password-protected: only the file URL, which shows the password page
    limited: bool  # has max views: every fetch of the bytes counts
    width: int | None = None
    height: int | None = None

    @property
    def twitter_card(self) -> str:
        if self.is_image:
            return "summary_large_image"
        if self.is_video:
            return "player"
        return "summary"


def page_url(upload: Upload) -> str:
    return settings.SITE_URL + reverse("uploads_embed:page", args=[upload.name])


def file_url(upload: Upload) -> str:
    return settings.UPLOAD_BASE_URL + upload.name


def oembed_url(embed_page_url: str) -> str:
    query = urlencode({"url": embed_page_url, "format": "json"})
    return f"{settings.SITE_URL}{reverse('filehost-oembed')}?{query}"


def embed_for(upload: Upload) -> Embed:
    base_type = upload.content_type.split(";", 1)[0].strip().lower()
    shows_bytes = not upload.has_password and upload.max_views is None
    is_image = shows_bytes and upload.is_previewable_image
    size = image_dimensions(upload) if is_image else None
    return Embed(
        name=upload.name,
        title=PROTECTED_TITLE
        if upload.has_password
        else upload.embed_title or upload.original_name or upload.name,
        description="" if upload.has_password else upload.embed_description,
        color=upload.embed_color,
        content_type=base_type,
        page_url=page_url(upload),
        file_url=file_url(upload),
        is_image=is_image,
        is_video=shows_bytes and base_type in VIDEO_TYPES,
        protected=upload.has_password,
        limited=upload.max_views is not None,
        width=size[0] if size else None,
        height=size[1] if size else None,
    )


def image_dimensions(upload: Upload) -> tuple[int, int] | None:
    """The image's displayed size, read from the stored file's header once (Pillow opens
    lazily and decodes no pixel), then cached by content hash. None when it cannot be read."""
    key = f"embed-dimensions:{upload.sha256}"
    cached = cache.get(key)
    if cached == _UNKNOWN:
        return None
    if isinstance(cached, (list, tuple)) and len(cached) == 2:
        return int(cached[0]), int(cached[1])
    try:
        with upload_storage().open(upload.name, "rb") as handle:
            size: tuple[int, int] | None = header_dimensions(handle)
    except Exception as exc:  # noqa: BLE001 - optional tags: an unreadable file just has none
        logger.info("no dimensions for the embed of %s: %r", upload.name, exc)
        size = None
    cache.set(key, list(size) if size else _UNKNOWN, DIMENSIONS_CACHE_SECONDS)
    return size


def _url_prefixes() -> list[tuple[str, str]]:
    """(host, path prefix) of the embed pages and of the files: the URLs oEmbed describes."""
    page = urlsplit(settings.SITE_URL + reverse("uploads_embed:page", args=["_"]))
    files = urlsplit(settings.UPLOAD_BASE_URL)
    return [(page.netloc.lower(), page.path[:-1]), (files.netloc.lower(), files.path)]


def upload_from_url(url: str) -> Upload | None:
    """The available upload whose embed page or file `url` is (a query, such as a signed
    link's, is ignored); None for another site's URL, an unknown name or an unavailable file."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    for host, prefix in _url_prefixes():
        if parts.netloc.lower() != host or not parts.path.startswith(prefix):
            continue
        name = parts.path[len(prefix) :]
        if not name or "/" in name:
            continue
        upload = selectors.upload_get_by_name(name=name)
        if upload is not None and upload.is_available():
            return upload
    return None


@require_http_methods(["GET", "HEAD"])
def embed_page(request: HttpRequest, name: str) -> HttpResponse:
    """The file's embed page. Unknown, expired, used-up and deleted files: the site's 404 page.
    It never counts a view: chat apps fetch it to build their preview."""
    upload = selectors.upload_get_by_name(name=name)
    if upload is None or not upload.is_available():
        raise Http404("This file does not exist.")
    embed = embed_for(upload)
    context = {
        "embed": embed,
        "oembed_url": oembed_url(embed.page_url),
        "site_name": PROVIDER_NAME,
        "size": upload.size,
    }
    response = render(request, "uploads/embed.html", context)
    response["X-Robots-Tag"] = "noindex"
    # The page shows the visitor's nav (logged in or not), and an expiring or deleted file's
    # page must go at once: no shared cache, revalidated every time.
    response["Cache-Control"] = "private, no-cache"
    return response
