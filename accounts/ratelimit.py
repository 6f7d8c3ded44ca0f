"""API rate limits (seeds 000, 001, 003), counted by django-ratelimit in the Django cache.

- Each API view declares its scope, as DRF views declare `throttle_scope`:
  `ratelimit_scope = GENERIC` (seed 003's `generic_get` for GET/HEAD/OPTIONS, `generic_update`
  otherwise), `AUTH` (endpoints that take a password) or `UPLOAD`; and `api_token_kind`, the kind
  of token that identifies its clients. Views that declare no scope are not limited.
- Key: the token ("token:<id>") when a valid one is sent, else the client IP ("ip:<address>").
  Raw tokens never reach a cache key: django-ratelimit hashes the key into its cache key.
- Windows are django-ratelimit's: fixed and aligned to the wall clock, so every process sharing
  the cache agrees on a window's counter and on when it resets.
- Seed 000: "Requests over the limit will be stored and placed in the lower priority queue":
  a request over the limit whose window resets within RATELIMIT_MAX_DELAY_MS waits for the
  reset and is counted in the next window. At most RATELIMIT_MAX_WAITING requests of a client
  wait in one window (a wait holds a server thread); sustained excess gets 429.
- Seed 001: "If you exceed the rate limit 10 times in the same hour, you'll get blocked for an
  hour." Each 429 is a violation, counted by django-ratelimit in a RATELIMIT_BLOCK_SECONDS
  window; every RATELIMIT_BLOCK_AFTER-th writes a RateLimitBlock row and a cached block that
  staff can lift in the admin.

Cache round trips per request: one read of the block, then django-ratelimit's `add` (the first
request of a window) or `add` and `incr`; a 429 adds the same for its violation. A cache that
cannot be reached lets requests through (logged) instead of refusing everybody.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django_ratelimit.core import get_usage

from accounts import services
from accounts.authentication import api_token, filehost_token
from accounts.models import Token
from nekosite.lib.clientip import client_ip
from nekosite.lib.errors import error_response

logger = logging.getLogger(__name__)

GENERIC = "generic"  # a view's declaration: the scope follows the method
GENERIC_GET = "generic_get"
GENERIC_UPDATE = "generic_update"
AUTH = "auth"
UPLOAD = "upload"

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class ApiClient:
    """Who is counted: "token:<id>" for a valid token, else "ip:<address>"."""

    key: str
    token: Token | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    scope: str
    limit: int
    remaining: int
    reset_ms: int
    retry_after_ms: int = 0
    delayed_ms: int = 0

    def headers(self) -> dict[str, str]:
        """Seed 003: X-RateLimit-Limit/Remaining/Reset (UNIX ms)/Scope on every response."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms),
            "X-RateLimit-Scope": self.scope,
        }

    def refusal(self) -> JsonResponse:
        """429 with seed 003's body ("retry_after": ms) and seed 001's Retry-After (s)."""
        retry_after_ms = max(1, self.retry_after_ms)
        return error_response(
            429,
            "429: too many requests",
            headers={
                **self.headers(),
                "Retry-After": str(max(1, math.ceil(retry_after_ms / 1000))),
            },
            retry_after=retry_after_ms,
        )


@dataclass(frozen=True)
class ViewLimits:
    """What a view declares: its scope and the kind of token that identifies its clients."""

    scope: str
    token_kind: str | None


def view_limits(view_func: Callable[..., Any]) -> ViewLimits | None:
    """The view's `ratelimit_scope` and `api_token_kind` (on the function or its class)."""
    declared = getattr(view_func, "view_class", view_func)
    scope = getattr(declared, "ratelimit_scope", None)
    if scope is None:
        return None
    return ViewLimits(scope=scope, token_kind=getattr(declared, "api_token_kind", None))


def scope_for(request: HttpRequest, declared: str) -> str:
    if declared != GENERIC:
        return declared
    return GENERIC_GET if request.method in READ_METHODS else GENERIC_UPDATE


def identify(request: HttpRequest, token_kind: str | None) -> ApiClient:
    """The catalog API reads `Authorization: Bearer`; the file host its `token` header."""
    token = None
    if token_kind == Token.Kind.API:
        _, token = api_token(request)
    elif token_kind == Token.Kind.FILEHOST:
        _, token = filehost_token(request)
    if token is not None:
        return ApiClient(key=f"token:{token.pk}", token=token)
    return ApiClient(key=f"ip:{client_ip(request)}", token=None)


def rate_for(scope: str, client: ApiClient) -> str:
    if scope == AUTH:
        return settings.RATELIMIT_AUTH_RATE
    if scope == UPLOAD:
        return settings.RATELIMIT_UPLOAD_RATE
    if client.token is None:
        return settings.RATELIMIT_ANON_RATE
    if client.token.rate_limit_override:
        # Seed 003: "We may raise the limits for individual API clients".
        return f"{client.token.rate_limit_override}/s"
    return settings.RATELIMIT_TOKEN_RATE


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """'5/s' -> (5, 1), '10/m' -> (10, 60), '3/10s' -> (3, 10), as django-ratelimit reads them."""
    match = _RATE_RE.match(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * int(multiplier or 1)


def usage(request: HttpRequest, *, group: str, key: str, rate: str) -> dict[str, Any] | None:
    """Count one hit of `key` in `group` at `rate` (django-ratelimit's get_usage); None when
    limits are off or the cache cannot be reached (an increment never yields a count of 0)."""
    found = get_usage(request, group=group, key=lambda _group, _request: key, rate=rate,
                      increment=True)  # fmt: skip
    if found is None or not found["count"]:
        return None
    return found


# Dashboard forms (sign up, API application request): django-ratelimit's decorator with these
# keys and rate, `block=False`, and the view shows FORM_MESSAGE when `request.limited`.
FORM_MESSAGE = "Too many attempts. Please wait a minute before trying again."


def ip_key(group: str, request: HttpRequest) -> str:
    return f"ip:{client_ip(request)}"


def user_key(group: str, request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


def auth_rate(group: str, request: HttpRequest) -> str:
    return settings.RATELIMIT_AUTH_RATE


def _now_ms() -> int:
    return int(time.time() * 1000)


def _reset_ms(found: dict[str, Any]) -> int:
    # django-ratelimit's window value is the last second of the window, and time_left counts
    # whole seconds up to it: the next window starts one second after. time_left is -1 when
    # the clock ticked inside get_usage: the window the request was counted in has just ended.
    return (int(time.time()) + found["time_left"] + 1) * 1000


def _blocked_until_ms(client: ApiClient) -> int | None:
    until = cache.get(services.ratelimit_block_cache_key(client.key))
    if until is None or until <= _now_ms():
        return None
    return int(until)


def _violation(request: HttpRequest, client: ApiClient) -> int | None:
    """Count a 429; every RATELIMIT_BLOCK_AFTER-th in the period blocks the client. Returns the
    block's end (UNIX ms) when this one did. Exactly one request reaches each multiple, so one
    block row however many processes count."""
    after = settings.RATELIMIT_BLOCK_AFTER
    seconds = settings.RATELIMIT_BLOCK_SECONDS
    found = usage(request, group="rl:violations", key=client.key, rate=f"{after}/{seconds}s")
    if found is None or found["count"] % after:
        return None
    block = services.ratelimit_block_create(
        key=client.key, violations=found["count"], seconds=seconds
    )
    logger.warning("rate limit: %s blocked until %s", client.key, block.blocked_until)
    return int(block.blocked_until.timestamp() * 1000)


def _may_wait(
    request: HttpRequest, scope: str, client: ApiClient, rate: str, found: dict[str, Any]
) -> int:
    """Seed 000's queue: how long (ms) this request over the limit may wait for the next
    window, or 0 when it must be refused: the reset is further than RATELIMIT_MAX_DELAY_MS
    (and a wait never outlasts a window), or RATELIMIT_MAX_WAITING requests of this client
    already waited in this window."""
    period = parse_rate(rate)[1]
    wait_ms = max(0, _reset_ms(found) - _now_ms())
    if wait_ms > min(settings.RATELIMIT_MAX_DELAY_MS, period * 1000):
        return 0
    # Counted like the requests: same key and period, so the same window.
    waiting = usage(
        request,
        group=f"rl:waiting:{scope}",
        key=client.key,
        rate=f"{settings.RATELIMIT_MAX_WAITING}/{period}s",
    )
    if waiting is None or waiting["should_limit"]:
        return 0
    return wait_ms + 1


def check(request: HttpRequest, limits: ViewLimits) -> Decision | None:
    """Count this request; None when rate limits are off (or the cache is down)."""
    if not settings.RATELIMIT_ENABLE:
        return None
    scope = scope_for(request, limits.scope)
    client = identify(request, limits.token_kind)
    rate = rate_for(scope, client)
    group = f"api:{scope}"
    try:
        until_ms = _blocked_until_ms(client)
        if until_ms is not None:
            return _refused(scope, parse_rate(rate)[0], until_ms)
        found = usage(request, group=group, key=client.key, rate=rate)
        if found is None:
            logger.warning("rate limit: counter unavailable, request let through")
            return None
        delayed_ms = 0
        if found["should_limit"]:
            delayed_ms = _may_wait(request, scope, client, rate, found)
            if delayed_ms:
                time.sleep(delayed_ms / 1000)
                found = usage(request, group=group, key=client.key, rate=rate) or found
        if found["should_limit"]:
            until_ms = _violation(request, client) or _reset_ms(found)
            return _refused(scope, found["limit"], until_ms)
    except Exception:
        logger.warning("rate limit: cache error, request let through", exc_info=True)
        return None
    return Decision(
        allowed=True,
        scope=scope,
        limit=found["limit"],
        remaining=max(0, found["limit"] - found["count"]),
        reset_ms=_reset_ms(found),
        delayed_ms=delayed_ms,
    )


def _refused(scope: str, limit: int, until_ms: int) -> Decision:
    """A 429 until `until_ms`: the window's reset, or the end of a block."""
    return Decision(
        allowed=False,
        scope=scope,
        limit=limit,
        remaining=0,
        reset_ms=until_ms,
        retry_after_ms=until_ms - _now_ms(),
    )
