"""Django's RedisCache, made to degrade to "no cache" while Redis is unreachable.

Everything nekosite keeps in the cache can be lost or recomputed: cached /stats, rate-limit
counters and blocks (seed 001 — an outage lets requests through rather than refusing
everybody), brute-force counters, the /healthz probe. So a Redis outage must not turn those
requests into 500s. While Redis fails, reads are misses, writes are dropped and `incr` behaves
as for a missing key; every failure is logged. After a failure the process skips Redis for
RETRY_SECONDS instead of paying the socket timeout on every call, then tries again, so service
comes back by itself when Redis does.

Every call reuses one redis.Redis client (ReusingRedisCacheClient) instead of building one per
call as Django does.

Without REDIS_URL the cache is `SharedDatabaseCache`: Django's DatabaseCache in its own SQLite
file, which every gunicorn worker of one machine shares (see its docstring).
"""

from __future__ import annotations

import base64
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.utils.timezone import now as tz_now
from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
# The database alias of SharedDatabaseCache's table (nekosite/settings.py).
CACHE_DATABASE = "cache"


# Django's incr is EXISTS then INCRBY: two round trips, and not atomic (a key expiring between
# them is re-created without an expiry). The same contract in one atomic round trip, as
# django-redis does it: false (nil) when the key does not exist.
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client holder, but with one redis.Redis per connection pool, and `incr`
    in one round trip.

    Django's get_client() builds a new redis.Redis, with its table of ~170 response callbacks,
    on every cache call, which costs more than a round trip to a nearby Redis. A redis.Redis is
    thread-safe (each command borrows a connection from the shared pool), so one will do.
    """

    def __init__(self, servers: Any, **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # not in the stubs
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def incr(self, key: Any, delta: int) -> int:
        client = self.get_client(key, write=True)
        value = client.register_script(_INCR_IF_EXISTS)(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)


class ResilientRedisCache(RedisCache):
    """RedisCache whose operations answer like an empty cache while Redis is down."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

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
        """Delete this site's keys (KEY_PREFIX) only. Django's clear() is FLUSHDB, which would
        also empty the task queue (huey keeps it in the same Redis database) and anything
        else sharing the database."""

        def delete_ours() -> None:
            client = self._cache.get_client(None, write=True)
            batch: list[bytes] = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)

        self._guarded("clear", delete_ours, lambda: None)


class SharedDatabaseCache(DatabaseCache):
    """Django's DatabaseCache whose `add` and `incr` are atomic across processes.

    The embedded default (no REDIS_URL) keeps the cache in its own SQLite file (the `cache`
    database alias, opened with `transaction_mode: IMMEDIATE`), so every gunicorn worker sees
    the same counters and a block lifted in the admin is lifted for all of them at once.
    IMMEDIATE makes each transaction take SQLite's write lock when it begins: Django's `add`
    (select, then insert or update, in one transaction) is then atomic as it is; `incr`, which
    Django builds from `get` and `set`, is done here in one transaction, and keeps the key's
    expiry (Django's `set` would reset it to the default timeout). A thread lock in front of
    the write lock makes this worker's threads queue in Python rather than in SQLite's
    busy-wait, which sleeps in steps of milliseconds.
    """

    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self._write_lock = threading.Lock()

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        with self._write_lock:
            return super().add(key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)  # type: ignore[attr-defined]  # not in the stubs
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with self._write_lock, transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {table} WHERE cache_key = %s AND expires > %s",  # noqa: S608
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s",  # noqa: S608
                [encoded, key],
            )
        return value


class CacheDatabaseRouter:
    """The cache table lives in the `cache` database alias and nothing else does."""

    def _is_cache(self, model: Any) -> bool:
        return model._meta.app_label == "django_cache"

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return CACHE_DATABASE if self._is_cache(model) else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return CACHE_DATABASE if self._is_cache(model) else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if db == CACHE_DATABASE:
            return app_label == "django_cache"
        return False if app_label == "django_cache" else None


def create_cache_table(**kwargs: Any) -> None:
    """post_migrate: `migrate` (make run, deploys, the test database) also creates the cache
    table in the cache database, when there is one."""
    from django.conf import settings
    from django.core.management import call_command

    if kwargs.get("using") == DEFAULT_DB_ALIAS and CACHE_DATABASE in settings.DATABASES:
        call_command("createcachetable", database=CACHE_DATABASE, verbosity=0)
