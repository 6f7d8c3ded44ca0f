"""The `data` of each event: small, stable, and enough to fetch the rest through the APIs."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import ApiApplication
from catalog.models import Image
from uploads.models import Upload


def image(row: Image) -> dict[str, Any]:
    return {
        "image": {
            "id": str(row.pk),
            "nsfw": row.nsfw,
            "href": f"{settings.SITE_URL}/api/v1/image/{row.pk}",
        }
    }


def submission(row: Image) -> dict[str, Any]:
    """submission.approved / submission.rejected: the decision and, when rejected, why."""
    data: dict[str, Any] = {
        "image": {"id": str(row.pk), "status": row.status},
        "reason": row.rejection_reason or None,
    }
    if row.is_public:
        data["image"]["href"] = f"{settings.SITE_URL}/api/v1/image/{row.pk}"
    return data


def image_deleted(image_id: object) -> dict[str, Any]:
    return {"image": {"id": str(image_id)}}


def upload(row: Upload) -> dict[str, Any]:
    return {
        "upload": {
            "name": row.name,
            "url": settings.UPLOAD_BASE_URL + row.name,
            "original_name": row.original_name,
            "size": row.size,
            "content_type": row.content_type,
            "sha256": row.sha256,
            "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
        }
    }


def upload_deleted(name: str) -> dict[str, Any]:
    return {"upload": {"name": name}}


def application(row: ApiApplication) -> dict[str, Any]:
    return {
        "application": {
            "id": row.pk,
            "name": row.name,
            "status": row.status,
            "scopes": list(row.granted_scopes),
        }
    }
