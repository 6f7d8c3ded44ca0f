"""Test-only URLconf: the site plus tiny endpoints under /api/, so the rate-limit tests do not
depend on the catalog or file-host views (which live on other branches)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from nekosite.urls import urlpatterns as site_urlpatterns


@csrf_exempt
def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"success": True, "data": "pong"})


urlpatterns = [
    path("api/test-ping", ping),
    path("api/v1/test-ping", ping),
    path("api/files/upload", ping),
    path("api/token/get", ping),
    *site_urlpatterns,
]
