"""Conventions every /api/ request follows (both APIs; not /api/schema/ or /api/docs/).

1. Rate limits with X-RateLimit-* headers and the 429 envelope (accounts.ratelimit).
2. Seed 003: "The API requires the `User-Agent` header to be set to a non-empty string. Not
   doing so will return a `400 Bad Request` with a JSON body." (REQUIRE_USER_AGENT)
3. Seed 003: "Endpoints taking JSON bodies ... require the `Content-Type: application/json`
   header set." A JSON body sent without it to the catalog API is a 415. The file-host API
   takes headers and multipart bodies, so it is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from accounts import ratelimit
from nekosite.lib.errors import error_response

USER_AGENT_MESSAGE = "The API requires the User-Agent header to be set to a non-empty string."
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_catalog_api(path: str) -> bool:
    return path == "/api/v1" or path.startswith("/api/v1/")


def _json_without_content_type(request: HttpRequest) -> bool:
    if request.method not in BODY_METHODS or request.content_type == "application/json":
        return False
    try:
        body = request.body
    except RequestDataTooBig:
        return False  # the view answers 413
    if not body.strip():
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


class ApiConventionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not ratelimit.applies_to(path):
            return self.get_response(request)
        decision = ratelimit.check(request)
        if decision is not None and not decision.allowed:
            return decision.refusal()
        response = self._refusal(request, path) or self.get_response(request)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response

    def _refusal(self, request: HttpRequest, path: str) -> HttpResponse | None:
        if settings.REQUIRE_USER_AGENT and not request.META.get("HTTP_USER_AGENT", "").strip():
            return error_response(400, USER_AGENT_MESSAGE)
        if _is_catalog_api(path) and _json_without_content_type(request):
            return error_response(415)
        return None
