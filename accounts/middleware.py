"""Conventions every API view follows (both APIs; not /api/schema/ or /api/docs/): the views
that declare a `ratelimit_scope` (accounts/ratelimit.py).

1. Rate limits with X-RateLimit-* headers and the 429 envelope (accounts.ratelimit).
2. Seed 003: "The API requires the `User-Agent` header to be set to a non-empty string. Not
   doing so will return a `400 Bad Request` with a JSON body." (REQUIRE_USER_AGENT)
3. Seed 003: "Endpoints taking JSON bodies ... require the `Content-Type: application/json`
   header set." A JSON body sent without it to the catalog API is a 415. The file-host API
   takes headers and multipart bodies, so it is left alone.

Unknown paths below /api/ reach a catch-all view of the file-host API, so they follow these
conventions too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from accounts import ratelimit
from accounts.models import Token
from nekosite.lib.errors import error_response

USER_AGENT_MESSAGE = "The API requires the User-Agent header to be set to a non-empty string."
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


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
    """For views that declare a `ratelimit_scope` (accounts.ratelimit): the API views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        decision = getattr(request, "ratelimit_decision", None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        limits = ratelimit.view_limits(view_func)
        if limits is None:
            return None
        decision = ratelimit.check(request, limits)
        request.ratelimit_decision = decision  # type: ignore[attr-defined]
        if decision is not None and not decision.allowed:
            return decision.refusal()
        if settings.REQUIRE_USER_AGENT and not request.META.get("HTTP_USER_AGENT", "").strip():
            return error_response(400, USER_AGENT_MESSAGE)
        # The catalog API (its clients hold catalog tokens) takes JSON bodies; the file host
        # takes headers and multipart bodies.
        if limits.token_kind == Token.Kind.API and _json_without_content_type(request):
            return error_response(415)
        return None
