"""Test-only URLconf: the site plus tiny endpoints under /api/, so the rate-limit tests do not
depend on the catalog or file-host views. Each declares its scope, as the real views do."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from accounts import ratelimit
from accounts.models import Token
from nekosite.urls import urlpatterns as site_urlpatterns


def _ping(scope: str, token_kind: str) -> Callable[[HttpRequest], JsonResponse]:
    @csrf_exempt
    def ping(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"success": True, "data": "pong"})

    ping.ratelimit_scope = scope  # type: ignore[attr-defined]
    ping.api_token_kind = token_kind  # type: ignore[attr-defined]
    return ping


urlpatterns = [
    path("api/test-ping", _ping(ratelimit.GENERIC, Token.Kind.FILEHOST)),
    path("api/v1/test-ping", _ping(ratelimit.GENERIC, Token.Kind.API)),
    path("api/files/upload", _ping(ratelimit.UPLOAD, Token.Kind.FILEHOST)),
    re_path(r"^api/token/get/?$", _ping(ratelimit.AUTH, Token.Kind.FILEHOST)),
    *site_urlpatterns,
]
