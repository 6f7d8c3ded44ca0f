"""The nekos.cafe wire format (seed 004): exact sentences and JSON shapes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse

from accounts.models import User
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
    return f"{settings.SITE_URL}/e/{upload.name}"


def admin_upload_row(upload: Upload) -> dict[str, str]:
    return {"file": upload.name, "username": upload.owner.username}
