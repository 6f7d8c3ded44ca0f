from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_URL": settings.SITE_URL,
        "INVITE_ONLY": settings.INVITE_ONLY,
        "UPLOAD_BASE_URL": settings.UPLOAD_BASE_URL,
        "MAX_UPLOAD_MB": settings.MAX_UPLOAD_MB,
    }
