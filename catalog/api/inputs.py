"""Query parameters and tokens of the catalog API, with seed 002's exact sentences.

The sentences differ per endpoint on purpose (seed 002 wording, kept for client compatibility):
/image/random says "The specified limit ..." where the others say "The limit provided ...", and
/image, /image/random and /token say "The token provided is not a valid token." where the
others say "The token provided is invalid.".
"""

from __future__ import annotations

import uuid

from django.db.models import Model
from django.http import HttpRequest
from rest_framework.request import Request

from accounts import scopes
from accounts.authentication import api_token
from accounts.models import Token, User
from catalog import search as catalog_search
from nekosite.lib import signing
from nekosite.lib.errors import ApiError

DEFAULT_LIMIT = 10  # seed 001: "The default limit is 10 and the maximum limit is 25."
MAX_LIMIT = 25
MIN_EXPIRY = 30  # seed 002: "... not a number greater than 30."
MAX_CATEGORIES = 10

LIMIT_MESSAGE = "The limit provided is not a number between 1 and 25."
RANDOM_LIMIT_MESSAGE = "The specified limit is not a number between 1 and 25."
OFFSET_MESSAGE = "The offset provided is not a number greater than 0."
EXPIRY_MESSAGE = "The provided custom expiry time is not a number greater than 30."
CATEGORIES_MESSAGE = "One or more categories selected do not exist."
TOO_MANY_CATEGORIES_MESSAGE = "No more than 10 categories can be selected at once."
ID_MESSAGE = "The provided ID is not a valid UUID."
IMAGE_NOT_FOUND_MESSAGE = "Could not find image with the provided ID."
SEARCH_TOO_LONG_MESSAGE = catalog_search.TOO_LONG_MESSAGE
NO_TOKEN_MESSAGE = "You have not provided a token."  # noqa: S105 (a sentence)
TOKEN_NOT_VALID_MESSAGE = "The token provided is not a valid token."  # noqa: S105
TOKEN_INVALID_MESSAGE = "The token provided is invalid."  # noqa: S105
NO_LIST_PERMISSION_MESSAGE = "The access token provided has not got permission to list all images."
NO_EXPIRY_PERMISSION_MESSAGE = (
    "The access token provided has not got permission to set a custom image expiry time."
)
EXPIRY_TOO_LONG_MESSAGE = "The custom expiry time is greater than what allowed by the token."
NO_SUBMIT_PERMISSION_MESSAGE = "The access token provided has not got permission to submit images."
# Staff writes: "... has not got permission to change artists." (the action, the model's plural).
NO_STAFF_PERMISSION_MESSAGE = "The access token provided has not got permission to {action} {what}."

# RFC 9110: a 401 names the scheme the client should use.
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

# Digits only (no sign, no spaces, no decimals). Any run of digits is a number, however long
# ("a number greater than 0" is true of 10**30), but values are capped at NUMBER_CAP before use:
# int() is never fed thousands of digits, and OFFSET/expiry stay inside a 64-bit integer, the
# widest SQLite and PostgreSQL accept.
NUMBER_CAP = 10**18
_CAP_DIGITS = len(str(NUMBER_CAP))


def _whole_number(value: str) -> int | None:
    """The number written in `value`, at most NUMBER_CAP; None when it is not all digits."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    digits = value.lstrip("0") or "0"  # leading zeros do not make a number larger
    if len(digits) > _CAP_DIGITS:
        return NUMBER_CAP
    return min(int(digits), NUMBER_CAP)


def limit(request: Request, message: str = LIMIT_MESSAGE) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    value = _whole_number(raw)
    if value is None or not 1 <= value <= MAX_LIMIT:
        raise ApiError(message, 400)
    return value


def offset(request: Request) -> int:
    """0 (the default) or more (PRODUCT.md: offset accepts 0 despite the seed's wording).

    An offset past the end, however large, is a valid number and gives an empty page."""
    raw = request.query_params.get("offset")
    if raw is None:
        return 0
    value = _whole_number(raw)
    if value is None:
        raise ApiError(OFFSET_MESSAGE, 400)
    return value


def object_id(value: str) -> uuid.UUID:
    if len(value) > 45:
        raise ApiError(ID_MESSAGE, 400)
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ApiError(ID_MESSAGE, 400) from exc


def search(request: Request) -> str | None:
    """The `search` query, checked (length, then pattern syntax) so selectors cannot fail."""
    raw = request.query_params.get("search")
    if not raw:
        return None
    if len(raw) > catalog_search.MAX_QUERY_LENGTH:
        raise ApiError(SEARCH_TOO_LONG_MESSAGE, 400)
    try:
        catalog_search.name_pattern(raw)
    except catalog_search.SearchError as exc:
        raise ApiError(str(exc), 400) from exc
    return raw


def category_names(request: Request) -> list[str]:
    """`categories=a,b` (and repeated `categories=`), stripped, duplicates removed."""
    names: dict[str, None] = {}
    for raw in request.query_params.getlist("categories"):
        if "\x00" in raw:
            # No category is named with a NUL (PostgreSQL text cannot even hold one, and would
            # fail the query): seed 002's "do not exist", before any SQL.
            raise ApiError(CATEGORIES_MESSAGE, 400)
        for name in raw.split(","):
            name = name.strip()
            if name:
                names[name.casefold()] = None
    if len(names) > MAX_CATEGORIES:
        raise ApiError(TOO_MANY_CATEGORIES_MESSAGE, 400)
    return list(names)


def _http_request(request: Request | HttpRequest) -> HttpRequest:
    # The rate-limit middleware reads the token from the HttpRequest; share its cached result.
    return getattr(request, "_request", request)


def optional_token(request: Request, invalid_message: str = TOKEN_INVALID_MESSAGE) -> Token | None:
    """The caller's token, or None when none was sent. A wrong, revoked or expired token is a
    401 even where no token is needed: the client should learn its token is dead."""
    sent, token = api_token(_http_request(request))
    if sent and token is None:
        raise ApiError(invalid_message, 401, headers=_CHALLENGE)
    return token


def required_token(request: Request, invalid_message: str = TOKEN_NOT_VALID_MESSAGE) -> Token:
    token = optional_token(request, invalid_message)
    if token is None:
        raise ApiError(NO_TOKEN_MESSAGE, 401, headers=_CHALLENGE)
    return token


def link_expiry(request: Request, token: Token | None) -> int | None:
    """Unix time the image links of this response die, or None for permanent links.

    `expiry` is a number of seconds greater than 30 and at most the N of the token's
    `image:custom-expiry:<N>` scope. A huge number is still "a number greater than 30": it is
    refused by the token check (403), not by the 400 meant for non-numbers.
    """
    raw = request.query_params.get("expiry")
    if raw is None:
        return None
    seconds = _whole_number(raw)
    if seconds is None or seconds <= MIN_EXPIRY:
        raise ApiError(EXPIRY_MESSAGE, 400)
    if token is None:
        # "(requires auth)" in seed 002: asking for signed links needs a token.
        raise ApiError(NO_TOKEN_MESSAGE, 401, headers=_CHALLENGE)
    allowed = scopes.max_custom_expiry(token.scopes)
    if allowed is None:
        raise ApiError(NO_EXPIRY_PERMISSION_MESSAGE, 403)
    if seconds > allowed:
        raise ApiError(EXPIRY_TOO_LONG_MESSAGE, 403)
    return signing.expires_at(seconds)


def submitter(request: Request) -> User:
    """The owner of a token with the `image:submit` scope (POST /api/v1/image)."""
    token = required_token(request, TOKEN_NOT_VALID_MESSAGE)
    if not scopes.has_scope(token.scopes, scopes.IMAGE_SUBMIT):
        raise ApiError(NO_SUBMIT_PERMISSION_MESSAGE, 403)
    return User.objects.get(pk=token.user_id)


def staff_member(request: Request, *, action: str, model: type[Model]) -> User:
    """The owner of the token, when they are active staff allowed to `action` ("add",
    "change", "delete") rows of `model` in the admin: a staff token acts with its owner's admin
    permissions, read afresh on every write (a demoted moderator's token stops writing at once)."""
    token = required_token(request, TOKEN_INVALID_MESSAGE)
    user = User.objects.filter(pk=token.user_id, is_active=True, is_staff=True).first()
    meta = model._meta
    if user is None or not user.has_perm(f"{meta.app_label}.{action}_{meta.model_name}"):
        raise ApiError(
            NO_STAFF_PERMISSION_MESSAGE.format(action=action, what=meta.verbose_name_plural), 403
        )
    return user
