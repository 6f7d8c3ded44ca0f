"""One error envelope for the whole site: {"code", "message", "success": false}.

Views raise ApiError (or any DRF/Django exception); the DRF exception handler and the
middleware below turn it into the envelope. Nobody builds error JSON by hand.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
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
    507: "Insufficient storage: the server cannot store files right now, please retry later.",
}
STORAGE_UNAVAILABLE = "The file storage is temporarily unavailable, please retry shortly."

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


# OSErrors that mean "this storage cannot take writes now" (full disk, quota, read-only mount,
# permissions, a path component that is not a folder, a failing device) rather than a bug.
_STORAGE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOTDIR,
        errno.EIO,
    }
)


def _is_object_store_outage(exc: BaseException) -> bool:
    """botocore: the endpoint is unreachable or slow, or answered with a 5xx (SlowDown...)."""
    try:
        from botocore import exceptions as boto
    except ImportError:  # S3 support not installed: nothing to classify
        return False
    if isinstance(exc, (boto.ConnectionError, boto.HTTPClientError)):
        return True  # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ...
    if isinstance(exc, boto.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return int(status) >= 500
    return False


def storage_error(exc: BaseException, *, writing: bool = True) -> ApiError | None:
    """The ApiError a storage failure should become, or None when `exc` is no storage outage.

    Writing into a full, read-only or unusable local folder is a 507 (the server cannot store
    the file); an unreachable or failing object store, and any failure while reading or
    deleting, is a 503. Both carry Retry-After: the condition is expected to pass.
    """
    if isinstance(exc, ApiError):
        return None
    # Django's FileSystemStorage re-raises "<folder> exists and is not a directory." as a bare
    # FileExistsError (no errno) when the uploads folder itself has become a file.
    unusable_folder = isinstance(exc, FileExistsError) and exc.errno is None
    if unusable_folder or (isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS):
        if writing:
            return ApiError(DEFAULT_MESSAGES[507], 507, headers={"Retry-After": "60"})
        return ApiError(STORAGE_UNAVAILABLE, 503, headers={"Retry-After": "30"})
    if _is_object_store_outage(exc):
        return ApiError(STORAGE_UNAVAILABLE, 503, headers={"Retry-After": "30"})
    return None


@contextlib.contextmanager
def storage_errors(*, writing: bool = True) -> Iterator[None]:
    """Turn storage outages raised inside the block into ApiError (507/503), logged once."""
    try:
        yield
    except Exception as exc:
        failure = storage_error(exc, writing=writing)
        if failure is None:
            raise
        logger.warning("storage unavailable (%s): %r", failure.status, exc)
        raise failure from exc


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
        wait = getattr(exc, "wait", None)  # Throttled's
        if wait:
            response["Retry-After"] = str(int(wait))
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
    failure = storage_error(exc, writing=False)
    if failure is not None:
        logger.warning("storage unavailable: %r", exc)
        return Response(
            error_body(failure.status, failure.message), status=failure.status,
            headers=failure.headers,
        )  # fmt: skip
    return None


def json_error_prefixes() -> tuple[str, ...]:
    """URL prefixes whose errors are JSON rather than HTML pages (settings.JSON_ERROR_PATHS),
    without their trailing slash: "/api" covers "/api" itself and everything under "/api/"."""
    return tuple(url.rstrip("/") for url in settings.JSON_ERROR_PATHS if url.startswith("/"))


def is_json_path(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(f"{prefix}/") for prefix in prefixes)


# Set by accounts' ApiConventionsMiddleware (inside this one); kept when a page is converted.
RATELIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Scope",
)


UNCAUGHT_ATTR = "_nekosite_uncaught_exception"


def _remember_uncaught_exception(sender: Any, request: HttpRequest | None = None, **_: Any) -> None:
    """Django sends got_request_exception from inside its `except` block, before turning an
    exception raised by a middleware into a 500 page; keep it for JsonErrorMiddleware."""
    if request is not None:
        setattr(request, UNCAUGHT_ATTR, sys.exc_info()[1])


got_request_exception.connect(_remember_uncaught_exception, dispatch_uid=UNCAUGHT_ATTR)


class JsonErrorMiddleware:
    """Error pages of JSON endpoints (404 routes, 405, 500, DB outages) in the envelope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = json_error_prefixes()

    def _is_json_path(self, request: HttpRequest) -> bool:
        return is_json_path(request.path_info, self.prefixes)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500:
            # An outage (or an ApiError such as a too-slow body) raised inside a middleware
            # below this one — the rate-limit check looks tokens up in the database, CSRF
            # reads the body: Django already made it a 500; answer what it really is.
            outage = self._outage_response(request, getattr(request, UNCAUGHT_ATTR, None))
            if outage is not None:
                return outage
        if (
            response.status_code >= 400
            and self._is_json_path(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
            and not getattr(response, "keep_body", False)
        ):
            converted = error_response(response.status_code)
            for header in ("Allow", "Retry-After", "Content-Range", *RATELIMIT_HEADERS):
                if header in response:
                    converted[header] = response[header]
            return converted
        return response

    def _outage_response(
        self, request: HttpRequest, exception: BaseException | None
    ) -> HttpResponse | None:
        """503 (database, object store) or 507/503 (storage) for an infrastructure failure:
        the envelope on JSON paths, a short plain-text answer on pages. None for anything else.
        """
        if exception is None:
            return None
        if isinstance(exception, ApiError):
            status, message, headers = exception.status, exception.message, exception.headers
        elif isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", exception)
            status, message, headers = 503, DEFAULT_MESSAGES[503], {"Retry-After": "5"}
        else:
            failure = storage_error(exception, writing=False)
            if failure is None:
                return None
            logger.warning("storage unavailable: %r", exception)
            status, message, headers = failure.status, failure.message, failure.headers
        if self._is_json_path(request):
            return error_response(status, message, headers=headers)
        return HttpResponse(message, status=status, content_type="text/plain", headers=headers)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApiError):
            if not self._is_json_path(request):
                return None  # pages handle their own ApiErrors (as form messages)
            return error_response(
                exception.status, exception.message, headers=exception.headers, **exception.extra
            )
        outage = self._outage_response(request, exception)
        if outage is not None:
            return outage
        if not self._is_json_path(request):
            return None
        if isinstance(exception, Http404):
            return error_response(404)
        if isinstance(exception, PermissionDenied):
            return error_response(403)
        if isinstance(exception, RequestDataTooBig):
            return error_response(413)
        if isinstance(exception, SuspiciousOperation):
            return error_response(400)
        if isinstance(exception, DataError):
            # The database refused a value the client sent (PostgreSQL: a NUL byte in text,
            # a number out of range): bad input is a 400, never a 500.
            logger.info("database refused a value on %s: %s", request.path, exception)
            return error_response(400, BAD_DATA_MESSAGE)
        if isinstance(exception, DatabaseError):
            logger.exception("database error on %s", request.path)
            return error_response(500)
        logger.exception("unhandled error on %s", request.path)
        return error_response(500)
