"""OpenAPI pieces shared by both APIs (drf-spectacular only; nothing here runs per request).

- ErrorSerializer: the one error envelope of nekosite/lib/errors.py, as a schema component.
- Header patterns for the file host's credential headers.
- api_response_headers_hook: documents the rate-limit headers every /api/ answer may carry
  (accounts/ratelimit.py) and the Retry-After every 429 carries.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# A header value the file host accepts: at least one character, none of them a control
# character (uploads/api/views.py refuses those with 400). Python and ECMA-262 read it alike.
HEADER_VALUE_PATTERN = r"^[^\x00-\x1f\x7f]+$"
# Text without control characters, possibly empty (the catalog's `search`).
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"

RATELIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "X-RateLimit-Limit": {
        "schema": {"type": "integer"},
        "description": "Requests allowed in the current window of this scope (seed 003).",
    },
    "X-RateLimit-Remaining": {
        "schema": {"type": "integer"},
        "description": "Requests left in the current window.",
    },
    "X-RateLimit-Reset": {
        "schema": {"type": "integer"},
        "description": "When the window resets, in UNIX milliseconds.",
    },
    "X-RateLimit-Scope": {
        "schema": {
            "type": "string",
            "enum": ["generic_get", "generic_update", "auth", "upload"],
        },
        "description": "Which limit counted this request.",
    },
}
RETRY_AFTER = {
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "Seconds to wait before trying again (seed 001).",
}


class ErrorSerializer(serializers.Serializer):
    """{"code", "message", "success": false}; a 429 adds "retry_after" (ms, seed 003)."""

    code = serializers.IntegerField(help_text="The HTTP status code.")
    message = serializers.CharField(help_text="What went wrong, in one sentence.")
    success = serializers.BooleanField(help_text="Always false.")


# Answers every /api/ operation can give, whatever the view does (accounts/middleware.py).
COMMON_ERRORS = {
    "400": "The request is not valid, e.g. no User-Agent header (seed 003).",
    "429": "Too many requests; wait Retry-After seconds.",
}


def api_response_headers_hook(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry. Every /api/ operation documents 400 and 429
    (the middleware can answer them anywhere) in the envelope. The rate-limit headers are sent
    only while RATELIMIT_ENABLE is on, so they are optional; Retry-After is always on 429."""
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_ERRORS.items():
                responses.setdefault(status, {"description": description, "content": envelope})
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                for name, header in RATELIMIT_HEADERS.items():
                    headers.setdefault(name, {**header, "required": False})
                if status == "429":
                    headers.setdefault("Retry-After", dict(RETRY_AFTER))
    return result
