"""The nekos.cafe wire format (seed 004): exact sentences and JSON shapes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from accounts.models import User
from uploads import embeds
from uploads.models import Upload

# Seed 004 answers these endpoints with plain-text sentences, not JSON.
SUCCESS = "Success!"
USER_DELETED = "This user has been deleted"
TOKEN_REGENERATED = "Token has been regenerated!"  # noqa: S105 (a sentence)
TOKEN_VALID = "This token is valid!"  # noqa: S105 (a sentence)
PASSWORD_RESET = "The password has been reset!"  # noqa: S105 (a sentence)


def file_deleted(name: str) -> str:
    # Seed 004: 'it will return "xxxxxxx.png has been deleted!"'
    return f"{name} has been deleted!"


def text(sentence: str, status: int = 200) -> HttpResponse:
    return HttpResponse(sentence, status=status, content_type="text/plain; charset=utf-8")


def info(*, total_files: int) -> dict[str, Any]:
    return {
        "inviteonly": settings.INVITE_ONLY,
        "adminreg": settings.ADMIN_REGISTRATION,
        "totalfiles": total_files,
        "uploadURL": settings.UPLOAD_BASE_URL,
        # Seed 004 shows the size as a string: "maxuploadsize": "100"
        "maxuploadsize": str(settings.MAX_UPLOAD_MB),
    }


def user_info(*, user: User, file_count: int) -> dict[str, Any]:
    return {"username": user.username, "filecount": file_count}


def upload_url(upload: Upload, *, embed: bool = False) -> dict[str, str]:
    """Seed 004's `{"url"}`; with `embed` (the `embed: true` header) also the embed page."""
    body = {"url": settings.UPLOAD_BASE_URL + upload.name}
    if embed:
        body["embed"] = embed_url(upload)
    return body


def embed_url(upload: Upload) -> str:
    """The file's embed page: OpenGraph/Twitter/oEmbed data for chat apps (issue #20)."""
    return embeds.page_url(upload)


OEMBED_VERSION = "1.0"


def oembed(
    upload: Upload, *, max_width: int | None = None, max_height: int | None = None
) -> dict[str, Any]:
    """oEmbed 1.0 (oembed.com) for an available upload.

    "photo" for an image chat apps may show whose size is known and fits maxwidth/maxheight
    (the bytes cannot be scaled down here, so a bigger one is a "link"); "link" for everything
    else. Videos are links too: the spec's "video" type needs an HTML player with a width and
    height, which are not read from video files; chat apps play them from the embed page's
    og:video. Password-protected and view-limited files are links without the file's URL.
    """
    embed = embeds.embed_for(upload)
    body: dict[str, Any] = {
        "version": OEMBED_VERSION,
        "type": "link",
        "title": embed.title,
        "provider_name": embeds.PROVIDER_NAME,
        "provider_url": f"{settings.SITE_URL}/",
    }
    width, height = embed.width, embed.height
    if (
        embed.is_image
        and width
        and height
        and (max_width is None or width <= max_width)
        and (max_height is None or height <= max_height)
    ):
        body.update(type="photo", url=embed.file_url, width=width, height=height)
    if upload.expires_at is not None:
        # Consumers should not keep the answer past the file's expiry.
        left = int((upload.expires_at - timezone.now()).total_seconds())
        body["cache_age"] = max(left, 0)
    return body


def admin_upload_row(upload: Upload) -> dict[str, str]:
    return {"file": upload.name, "username": upload.owner.username}
