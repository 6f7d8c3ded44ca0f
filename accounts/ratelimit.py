"""API rate limits (seeds 000, 001, 003) on django-ratelimit's shared counters.

- Scopes (seed 003): `generic_get` (GET/HEAD/OPTIONS), `generic_update` (POST/PATCH/PUT/DELETE),
  `auth` (file-host endpoints that take a password) and `upload`.
- Key: the token ("token:<id>") when a valid one is sent, else the client IP ("ip:<address>").
  Raw tokens never reach a cache key; django-ratelimit hashes the key again.
- Seed 000: "Requests over the limit will be stored and placed in the lower priority queue":
  a request over the limit whose window resets within RATELIMIT_MAX_DELAY_MS waits for the
  reset and is counted in the next window; sustained excess gets 429.
- Seed 001: "If you exceed the rate limit 10 times in the same hour, you'll get blocked for an
  hour." Each 429 is a violation; RATELIMIT_BLOCK_AFTER of them within RATELIMIT_BLOCK_SECONDS
  write a RateLimitBlock row and a cached block that staff can lift in the admin.

django-ratelimit's windows are aligned to the wall clock, so every process sharing the cache
(Redis when REDIS_URL is set) agrees on when a window resets.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass

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

GENERIC_GET = "generic_get"
GENERIC_UPDATE = "generic_update"
AUTH = "auth"
UPLOAD = "upload"

EXEMPT_PREFIXES = ("/api/schema/", "/api/docs/")
# The nekos.cafe endpoints that take a password (seed 004).
AUTH_PATHS = frozenset(
    {
        "/api/user/signup",
        "/api/user/delete",
        "/api/user/passreset",
        "/api/token/get",
        "/api/admin/signup",
        "/api/admin/token/get",
    }
)
UPLOAD_PATHS = frozenset({"/api/files/upload"})
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


def applies_to(path: str) -> bool:
    return path.startswith("/api/") and not path.startswith(EXEMPT_PREFIXES)


def scope_for(request: HttpRequest) -> str:
    path = request.path_info.rstrip("/")
    if path in AUTH_PATHS:
        return AUTH
    if path in UPLOAD_PATHS:
        return UPLOAD
    return GENERIC_GET if request.method in READ_METHODS else GENERIC_UPDATE


def identify(request: HttpRequest) -> ApiClient:
    """The catalog API reads `Authorization: Bearer`; the file host its `token` header."""
    path = request.path_info
    if path == "/api/v1" or path.startswith("/api/v1/"):
        _, token = api_token(request)
    else:
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


def parse_rate(rate: str) -> tuple[int, int]:
    """'5/s' -> (5, 1), '10/m' -> (10, 60), '3/10s' -> (3, 10)."""
    match = _RATE_RE.match(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * int(multiplier or 1)


def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:40]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _count(request: HttpRequest, scope: str, client: ApiClient, rate: str) -> dict | None:
    """One hit on the shared counter of (scope, client) in the current wall-clock window."""
    return get_usage(
        request,
        group=f"api:{scope}",
        key=lambda _group, _request: _hashed(client.key),
        rate=rate,
        increment=True,
    )


def _reset_ms(usage: dict) -> int:
    # django-ratelimit's window value is the last second of the window (for 1-second windows,
    # the current second), and time_left counts whole seconds up to it: the next window
    # starts one second after. time_left is -1 when the clock ticked inside get_usage: the
    # window the request was counted in has just ended.
    return (int(time.time()) + usage["time_left"] + 1) * 1000


def blocked_until(client: ApiClient) -> float | None:
    """UNIX time the client's block ends, or None. Read from the cache on every request."""
    until = cache.get(services.ratelimit_block_cache_key(client.key))
    if until is None or until <= time.time():
        return None
    return float(until)


def _record_violation(client: ApiClient) -> float | None:
    """Count a 429; the RATELIMIT_BLOCK_AFTER-th within the period blocks the client."""
    key = "rl:viol:" + _hashed(client.key)
    seconds = settings.RATELIMIT_BLOCK_SECONDS
    cache.add(key, 0, timeout=seconds)
    try:
        violations = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        violations = 1
    # Exactly one request (and one process) reaches the threshold value, so one block row.
    if violations != settings.RATELIMIT_BLOCK_AFTER:
        return None
    cache.delete(key)
    block = services.ratelimit_block_create(key=client.key, violations=violations, seconds=seconds)
    logger.warning("rate limit: %s blocked until %s", client.key, block.blocked_until)
    return block.blocked_until.timestamp()


def check(request: HttpRequest) -> Decision | None:
    """Count this request; None when rate limits are off (or the shared cache is down)."""
    if not settings.RATELIMIT_ENABLE:
        return None
    scope = scope_for(request)
    client = identify(request)
    rate = rate_for(scope, client)
    limit, _ = parse_rate(rate)
    try:
        until = blocked_until(client)
        if until is not None:
            return Decision(
                allowed=False,
                scope=scope,
                limit=limit,
                remaining=0,
                reset_ms=int(until * 1000),
                retry_after_ms=int(until * 1000) - _now_ms(),
            )
        usage = _count(request, scope, client, rate)
        if usage is None or usage["count"] == 0:
            # No counter (an increment never yields 0, so the cache is unreachable):
            # serving beats refusing everybody.
            logger.warning("rate limit: counter unavailable, request let through")
            return None
        delayed_ms = 0
        if usage["should_limit"]:
            wait_ms = max(0, _reset_ms(usage) - _now_ms())
            if wait_ms <= settings.RATELIMIT_MAX_DELAY_MS:
                # Seed 000: a short burst waits for the next window instead of failing.
                time.sleep((wait_ms + 1) / 1000)
                delayed_ms = wait_ms + 1
                again = _count(request, scope, client, rate)
                if again is not None and again["count"]:
                    usage = again
        reset_ms = _reset_ms(usage)
        if usage["should_limit"]:
            retry_after_ms = reset_ms - _now_ms()
            until = _record_violation(client)
            if until is not None:
                reset_ms = int(until * 1000)
                retry_after_ms = reset_ms - _now_ms()
            return Decision(
                allowed=False,
                scope=scope,
                limit=usage["limit"],
                remaining=0,
                reset_ms=reset_ms,
                retry_after_ms=retry_after_ms,
            )
    except Exception:
        logger.warning("rate limit: cache error, request let through", exc_info=True)
        return None
    return Decision(
        allowed=True,
        scope=scope,
        limit=usage["limit"],
        remaining=max(0, usage["limit"] - usage["count"]),
        reset_ms=reset_ms,
        delayed_ms=delayed_ms,
    )
