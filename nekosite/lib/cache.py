"""Django's RedisCache, made to degrade to "no cache" while Redis is unreachable.

Everything nekosite keeps in the cache can be lost or recomputed: cached /stats, rate-limit
counters and blocks (seed 001 — an outage lets requests through rather than refusing
everybody), brute-force counters, the /healthz probe. So a Redis outage must not turn those
requests into 500s. While Redis fails, reads are misses, writes are dropped and `incr` behaves
as for a missing key; every failure is logged. After a failure the process skips Redis for
RETRY_SECONDS instead of paying the socket timeout on every call, then tries again, so service
comes back by itself when Redis does.

`ResilientRedisCache.script()` runs a Lua script on the same Redis, under the same guard, for
callers that need several commands in one round trip (the rate limiter). Every call reuses one
redis.Redis client (ReusingRedisCacheClient) instead of building one per call as Django does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client holder, but with one redis.Redis per connection pool.

    Django's get_client() builds a new redis.Redis, with its table of ~170 response callbacks,
    on every cache call, which costs more than a round trip to a nearby Redis. A redis.Redis is
    thread-safe (each command borrows a connection from the shared pool), so one will do.
    """

    def __init__(self, servers: Any, **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """RedisCache whose operations answer like an empty cache while Redis is down."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._scripts: dict[str, CacheScript] = {}

    @property
    def is_down(self) -> bool:
        """True while this process is skipping Redis after a recent failure."""
        return time.monotonic() < self._down_until

    def _guarded(self, operation: str, call: Callable[[], Any], fallback: Callable[[], Any]) -> Any:
        if self.is_down:
            return fallback()
        try:
            return call()
        except RedisError as exc:
            with self._lock:
                first = not self.is_down
                self._down_until = time.monotonic() + RETRY_SECONDS
            if first:
                logger.warning("cache unavailable, bypassed for %ss (%s): %r", RETRY_SECONDS,
                               operation, exc)  # fmt: skip
            return fallback()

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded("get", lambda: super(ResilientRedisCache, self).get(
            key, default, version), lambda: default)  # fmt: skip

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._guarded(
            "get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), dict
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(
            "has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), bool
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        # DEFAULT_TIMEOUT is a sentinel object in Django; pass the caller's value through.
        self._guarded("set", lambda: super(ResilientRedisCache, self).set(
            key, value, timeout, version), lambda: None)  # fmt: skip

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._guarded("add", lambda: super(ResilientRedisCache, self).add(
            key, value, timeout, version), lambda: False)  # fmt: skip

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded("touch", lambda: super(ResilientRedisCache, self).touch(
            key, timeout, version), lambda: False)  # fmt: skip

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(
            "delete", lambda: super(ResilientRedisCache, self).delete(key, version), lambda: False
        )

    def set_many(
        self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._guarded("set_many", lambda: super(ResilientRedisCache, self).set_many(
            data, timeout, version), lambda: list(data))  # fmt: skip

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guarded("delete_many", lambda: super(ResilientRedisCache, self).delete_many(
            keys, version), lambda: None)  # fmt: skip

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        def missing() -> int:
            # What Django says for a key that does not exist; callers already handle it.
            raise ValueError(f"Key '{key}' not found (cache unavailable).")

        return self._guarded("incr", lambda: super(ResilientRedisCache, self).incr(
            key, delta, version), missing)  # fmt: skip

    def clear(self) -> None:
        self._guarded("clear", lambda: super(ResilientRedisCache, self).clear(), lambda: None)

    def script(self, source: str) -> CacheScript:
        """The Lua script `source`, registered once for this cache (and so once per thread)."""
        found = self._scripts.get(source)
        if found is None:
            found = self._scripts[source] = CacheScript(self, source)
        return found


class CacheScript:
    """A Lua script on the cache's Redis: one EVALSHA per call, keys named like cache keys.

    Keys go through the cache's KEY_PREFIX and version (`make_key`), so a script shares keys
    with `cache.get`/`cache.set`. Values a script reads or writes must be integers, which
    Django's RedisCache stores unpickled. While Redis is down a call answers None.
    """

    def __init__(self, cache: ResilientRedisCache, source: str) -> None:
        self._cache = cache
        # register_script only hashes the source; Redis learns it on first use (NOSCRIPT, then
        # SCRIPT LOAD), and again by itself after a Redis restart.
        self._script: Script = cache._cache.get_client(write=True).register_script(source)

    def __call__(self, keys: list[str], args: list[int | str]) -> Any:
        cache = self._cache
        # make_key, not make_and_validate_key: callers build short ASCII keys, and the
        # character-by-character memcached check is measurable on a call made per request.
        made = [cache.make_key(key) for key in keys]
        return cache._guarded("script", lambda: self._script(made, args), lambda: None)
