"""Reading bearer tokens from requests (seeds 000, 001, 003, 004)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts import services
from accounts.models import Token


def bearer_value(request: HttpRequest) -> str | None:
    """The token in `Authorization: Bearer <token>` or a bare `Authorization: <token>`.

    Returns None when no Authorization header was sent, "" when it was sent but empty.
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip()
    return header


def api_token(request: HttpRequest) -> tuple[bool, Token | None]:
    """(a token was sent, the active catalog API token or None). Cached on the request."""
    cached = getattr(request, "_nekosite_api_token", None)
    if cached is not None:
        return cached
    value = bearer_value(request)
    result = (
        value is not None,
        services.token_authenticate(value=value or "", kind=Token.Kind.API),
    )
    request._nekosite_api_token = result  # type: ignore[attr-defined]
    return result


def filehost_token(request: HttpRequest) -> tuple[bool, Token | None]:
    """The file-host token from the `token` header (seed 004) or `Authorization`."""
    value = request.META.get("HTTP_TOKEN")
    if value is None:
        value = bearer_value(request)
    if value is None:
        return False, None
    return True, services.token_authenticate(value=value.strip(), kind=Token.Kind.FILEHOST)
