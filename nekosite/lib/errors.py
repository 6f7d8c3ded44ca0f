"""One error envelope for the whole site: {"code", "message", "success": false}.

Views raise ApiError (or any DRF/Django exception); the DRF exception handler and the
middleware below turn it into the envelope. Nobody builds error JSON by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    400: "The request is not valid.",
    401: "You have not provided a token.",
    403: "You do not have permission to do this.",
    404: "The requested resource does not exist.",
    405: "This method is not allowed on this endpoint.",
    413: "The request body is too large.",
    415: "Unsupported media type: send JSON bodies with Content-Type: application/json.",
    429: "429: too many requests",
    500: "Internal server error.",
    503: "The service is temporarily unavailable, please retry shortly.",
}


BAD_DATA_MESSAGE = "The request contains a value that cannot be used (e.g. a NUL byte)."


class ApiError(Exception):
    """An error the client should see, with its HTTP status and sentence."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": status, "message": message, **extra, "success": False}


def error_response(
    status: int,
    message: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JsonResponse:
    response = JsonResponse(
        error_body(status, message or DEFAULT_MESSAGES.get(status, ""), **extra), status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _drf_message(exc: drf_exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, list) and detail:
        detail = detail[0]
    if isinstance(detail, dict) and detail:
        first = next(iter(detail.values()))
        detail = first[0] if isinstance(first, list) and first else first
    text = str(detail)
    return text or DEFAULT_MESSAGES.get(exc.status_code, "")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF EXCEPTION_HANDLER: every exception becomes the envelope."""
    if isinstance(exc, ApiError):
        response = Response(error_body(exc.status, exc.message, **exc.extra), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, Http404):
        return Response(error_body(404, DEFAULT_MESSAGES[404]), status=404)
    if isinstance(exc, PermissionDenied):
        return Response(error_body(403, DEFAULT_MESSAGES[403]), status=403)
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return Response(error_body(405, DEFAULT_MESSAGES[405]), status=405)
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return Response(error_body(415, DEFAULT_MESSAGES[415]), status=415)
    if isinstance(exc, drf_exceptions.APIException):
        response = Response(error_body(exc.status_code, _drf_message(exc)), status=exc.status_code)
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response
    if isinstance(exc, DataError):
        # A value the database cannot hold (a NUL byte, a number out of range): client input.
        logger.info("data error: %s", exc)
        return Response(error_body(400, BAD_DATA_MESSAGE), status=400)
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", exc)
        return Response(
            error_body(503, DEFAULT_MESSAGES[503]), status=503, headers={"Retry-After": "5"}
        )
    return None


def json_error_prefixes() -> tuple[str, ...]:
    """URL prefixes whose errors are JSON rather than HTML pages."""
    prefixes = ["/api/", "/healthz"]
    for url in (settings.UPLOAD_SERVE_PATH, settings.CATALOG_MEDIA_URL):
        if url.startswith("/"):
            prefixes.append(url)
    return tuple(prefixes)


# Set by accounts' ApiConventionsMiddleware (inside this one); kept when a page is converted.
RATELIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Scope",
)


class JsonErrorMiddleware:
    """Error pages of JSON endpoints (404 routes, 405, 500, DB outages) in the envelope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = json_error_prefixes()

    def _is_json_path(self, request: HttpRequest) -> bool:
        return request.path_info.startswith(self.prefixes)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and self._is_json_path(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
            and not getattr(response, "keep_body", False)
        ):
            converted = error_response(response.status_code)
            for header in ("Allow", "Retry-After", *RATELIMIT_HEADERS):
                if header in response:
                    converted[header] = response[header]
            return converted
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._is_json_path(request):
            if isinstance(exception, (OperationalError, InterfaceError)):
                logger.warning("database unavailable: %s", exception)
                return HttpResponse(
                    DEFAULT_MESSAGES[503],
                    status=503,
                    content_type="text/plain",
                    headers={"Retry-After": "5"},
                )
            return None
        if isinstance(exception, ApiError):
            return error_response(
                exception.status, exception.message, headers=exception.headers, **exception.extra
            )
        if isinstance(exception, Http404):
            return error_response(404)
        if isinstance(exception, PermissionDenied):
            return error_response(403)
        if isinstance(exception, RequestDataTooBig):
            return error_response(413)
        if isinstance(exception, SuspiciousOperation):
            return error_response(400)
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", exception)
            return error_response(503, headers={"Retry-After": "5"})
        if isinstance(exception, DataError):
            logger.info("data error on %s: %s", request.path, exception)
            return error_response(400, BAD_DATA_MESSAGE)
        if isinstance(exception, DatabaseError):
            logger.exception("database error on %s", request.path)
            return error_response(500)
        logger.exception("unhandled error on %s", request.path)
        return error_response(500)
