"""API rate limits (seeds 000, 001, 003) on counters shared by every process.

- Scopes (seed 003): `generic_get` (GET/HEAD/OPTIONS), `generic_update` (POST/PATCH/PUT/DELETE),
  `auth` (file-host endpoints that take a password) and `upload`.
- Key: the token ("token:<id>") when a valid one is sent, else the client IP ("ip:<address>").
  Raw tokens never reach a cache key: keys hold a SHA-256 of the client key.
- Windows are fixed and aligned to the wall clock (a 1/s window resets on the second; longer
  ones at a per-client offset, as django-ratelimit did), so every process sharing the cache
  agrees on when a window resets and on its counter's key.
- Seed 000: "Requests over the limit will be stored and placed in the lower priority queue":
  a request over the limit whose window resets within RATELIMIT_MAX_DELAY_MS waits for the
  reset and is counted in the next window; sustained excess gets 429.
- Seed 001: "If you exceed the rate limit 10 times in the same hour, you'll get blocked for an
  hour." Each 429 is a violation; RATELIMIT_BLOCK_AFTER of them within RATELIMIT_BLOCK_SECONDS
  write a RateLimitBlock row and a cached block that staff can lift in the admin.

With Redis (REDIS_URL: nekosite.lib.cache.ResilientRedisCache) one Lua script does the block
check, the count and the violation count in a single round trip per request. Any other cache
(LocMemCache without REDIS_URL: `make run`, the SQLite test suite) gets the same answers through
the Django cache API, in a few calls. Either way a cache that cannot be reached lets requests
through (logged) instead of refusing everybody.

Leased quota (Redis only, high limits only): for a limit of at least 2 * RATELIMIT_LEASE_PARTS
requests per window, the script hands the process a slice of limit / RATELIMIT_LEASE_PARTS
counts at once, and the process spends the rest of the slice without asking Redis again. A slice
is only granted while the whole of it fits under the limit (the last counts of a window go one
by one), so no client ever gets more than its limit; a slice a process does not use before the
window ends is lost, so a client spread over P processes may be refused up to P slices early.
While a process spends a slice it does not see a block written meanwhile by another process
(blocks come from 429s, which only happen once the counter is past the limit) until the window
ends, and X-RateLimit-Remaining counts the whole slice as used. The default limits (1/s, 5/s,
10/m, 2/s) are far below the threshold: every request is counted exactly.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import threading
import time
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, JsonResponse

from accounts import services
from accounts.authentication import api_token, filehost_token
from accounts.models import Token
from nekosite.lib.cache import ResilientRedisCache
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


@functools.lru_cache(maxsize=64)  # a handful of distinct rates, parsed on every request
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


def _window(hashed: str, period: int, now: float) -> tuple[int, int]:
    """(id, reset in UNIX ms) of the window that holds `now`, the same in every process.

    The id is the window's last second. Windows longer than a second are offset per client
    (crc32 of the hashed key, as django-ratelimit did) so that they do not all reset at once.
    """
    second = int(now)
    last = second
    if period > 1:
        last = second - second % period + zlib.crc32(hashed.encode()) % period
        if last < second:
            last += period
    return last, (last + 1) * 1000


@dataclass(frozen=True)
class Hit:
    """What one counted request learnt from the shared cache."""

    count: int = 0
    violations: int = 0  # the client's 429s in the block period, 0 when this is not one
    blocked_until_ms: int = 0  # the client is blocked until then; nothing was counted
    taken: int = 1  # counts taken: this request plus a leased slice for the next ones


# KEYS: block, counter, violations. ARGV: now (ms), counter TTL (s), limit, 1 when a count over
# the limit is a violation (0 when the caller may wait for the reset instead), block period (s),
# violations that make a block, counts wanted (1, or a leased slice). Replies
# {-1, blocked until (ms)} or {count, violations, counts taken}. A slice is taken only when all
# of it fits under the limit; otherwise one count. The block is an integer (ms) written by
# services.ratelimit_block_create through the cache.
HIT_SCRIPT = """
local blocked = tonumber(redis.call('GET', KEYS[1]) or '')
if blocked and blocked > tonumber(ARGV[1]) then
  return {-1, blocked}
end
local take = tonumber(ARGV[7])
if take > 1 and tonumber(redis.call('GET', KEYS[2]) or '0') + take > tonumber(ARGV[3]) then
  take = 1
end
local count = redis.call('INCRBY', KEYS[2], take)
if count == take then
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
local violations = 0
if count > tonumber(ARGV[3]) and ARGV[4] == '1' then
  violations = redis.call('INCR', KEYS[3])
  if violations == 1 then
    redis.call('EXPIRE', KEYS[3], ARGV[5])
  end
  if violations >= tonumber(ARGV[6]) then
    redis.call('DEL', KEYS[3])
  end
end
return {count, violations, take}
"""

# Counters outlive their window a little, as django-ratelimit's did, then expire.
EXPIRATION_FUDGE = 5


def _counter_key(scope: str, limit: int, period: int, hashed: str, window_id: int) -> str:
    # The rate is in the key so that a changed rate (a token override) starts a fresh counter.
    return f"rl:{scope}:{limit}/{period}s:{hashed}:{window_id}"


def lease_size(limit: int) -> int:
    """Counts a process takes at once for a client with this limit per window (1: exact)."""
    parts = settings.RATELIMIT_LEASE_PARTS
    if parts <= 0 or limit < 2 * parts or not _counters_in_redis():
        return 1
    return limit // parts


def _counters_in_redis() -> bool:
    return isinstance(caches["default"], ResilientRedisCache)


class _Leases:
    """Counts this process took from Redis ahead of time, per counter key (one per client and
    window): [counts left, the counter's value when taken, the window's reset in UNIX ms]."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, list[int]] = {}

    def spend(self, key: str) -> int | None:
        """Use one leased count: the counter's value at lease time, or None when none is left."""
        with self._lock:
            lease = self._leases.get(key)
            if lease is None or lease[0] <= 0:
                return None
            lease[0] -= 1
            return lease[1]

    def keep(self, key: str, counts: int, count: int, reset_ms: int) -> None:
        with self._lock:
            if len(self._leases) >= self.MAX_KEYS:
                now_ms = _now_ms()
                self._leases = {k: v for k, v in self._leases.items() if v[2] > now_ms}
            self._leases[key] = [counts, count, reset_ms]

    def clear(self) -> None:
        with self._lock:
            self._leases.clear()


leases = _Leases()


def _hit(
    client: ApiClient,
    hashed: str,
    counter_key: str,
    limit: int,
    period: int,
    *,
    violation: bool,
    lease: int = 1,
) -> Hit | None:
    """Check the client's block, count one request in `counter_key` (see _counter_key); None
    when the cache cannot be reached.

    `violation`: a count over the limit is a 429 (not a request that will wait for the reset),
    so it counts towards a block.
    """
    block_key = services.ratelimit_block_cache_key(client.key)
    violations_key = f"rl:viol:{hashed}"
    now_ms = _now_ms()
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache):
        reply = backend.script(HIT_SCRIPT)(
            [block_key, counter_key, violations_key],
            [
                now_ms,
                period + EXPIRATION_FUDGE,
                limit,
                int(violation),
                settings.RATELIMIT_BLOCK_SECONDS,
                settings.RATELIMIT_BLOCK_AFTER,
                lease,
            ],
        )
        if reply is None:
            return None
        first, second = int(reply[0]), int(reply[1])
        if first < 0:
            return Hit(blocked_until_ms=second)
        return Hit(count=first, violations=second, taken=int(reply[2]))

    # Any other cache: the same steps through the Django cache API.
    blocked = backend.get(block_key)
    if blocked is not None and blocked > now_ms:
        return Hit(blocked_until_ms=int(blocked))
    if backend.add(counter_key, 1, timeout=period + EXPIRATION_FUDGE):
        count = 1
    else:
        try:
            count = backend.incr(counter_key)
        except ValueError:  # expired between add and incr
            backend.set(counter_key, 1, timeout=period + EXPIRATION_FUDGE)
            count = 1
    violations = 0
    if count > limit and violation:
        seconds = settings.RATELIMIT_BLOCK_SECONDS
        backend.add(violations_key, 0, timeout=seconds)
        try:
            violations = backend.incr(violations_key)
        except ValueError:  # expired between add and incr
            backend.set(violations_key, 1, timeout=seconds)
            violations = 1
        if violations >= settings.RATELIMIT_BLOCK_AFTER:
            backend.delete(violations_key)
    return Hit(count=count, violations=violations)


def _block(client: ApiClient, violations: int) -> int:
    """Write the block (row and cache); its end in UNIX ms."""
    block = services.ratelimit_block_create(
        key=client.key, violations=violations, seconds=settings.RATELIMIT_BLOCK_SECONDS
    )
    logger.warning("rate limit: %s blocked until %s", client.key, block.blocked_until)
    return int(block.blocked_until.timestamp() * 1000)


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


def check(request: HttpRequest) -> Decision | None:
    """Count this request; None when rate limits are off (or the shared cache is down)."""
    if not settings.RATELIMIT_ENABLE:
        return None
    scope = scope_for(request)
    client = identify(request)
    limit, period = parse_rate(rate_for(scope, client))
    hashed = _hashed(client.key)
    try:
        now = time.time()
        window_id, reset_ms = _window(hashed, period, now)
        # Seed 000: a short burst waits for the next window instead of failing, so a request
        # over the limit that may wait is not a violation.
        may_wait = reset_ms - int(now * 1000) <= settings.RATELIMIT_MAX_DELAY_MS
        lease = lease_size(limit)
        counter_key = _counter_key(scope, limit, period, hashed, window_id)
        if lease > 1:
            leased_count = leases.spend(counter_key)
            if leased_count is not None:
                return Decision(
                    allowed=True,
                    scope=scope,
                    limit=limit,
                    remaining=max(0, limit - leased_count),
                    reset_ms=reset_ms,
                )
        hit = _hit(client, hashed, counter_key, limit, period, violation=not may_wait, lease=lease)
        if hit is not None and hit.taken > 1 and hit.count <= limit:
            leases.keep(counter_key, hit.taken - 1, hit.count, reset_ms)
        delayed_ms = 0
        if hit is not None and not hit.blocked_until_ms and hit.count > limit and may_wait:
            delayed_ms = max(0, reset_ms - _now_ms()) + 1
            time.sleep(delayed_ms / 1000)
            window_id, reset_ms = _window(hashed, period, time.time())
            counter_key = _counter_key(scope, limit, period, hashed, window_id)
            hit = _hit(client, hashed, counter_key, limit, period, violation=True)
        if hit is None:
            # Serving beats refusing everybody.
            logger.warning("rate limit: counter unavailable, request let through")
            return None
        if hit.blocked_until_ms:
            return _refused(scope, limit, hit.blocked_until_ms)
        if hit.count > limit:
            # Exactly one request (in one process) reaches the threshold: one block row.
            if hit.violations >= settings.RATELIMIT_BLOCK_AFTER:
                return _refused(scope, limit, _block(client, hit.violations))
            return _refused(scope, limit, reset_ms)
    except Exception:
        logger.warning("rate limit: cache error, request let through", exc_info=True)
        return None
    return Decision(
        allowed=True,
        scope=scope,
        limit=limit,
        remaining=max(0, limit - hit.count),
        reset_ms=reset_ms,
        delayed_ms=delayed_ms,
    )
