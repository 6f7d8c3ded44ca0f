"""The Redis cache backend (nekosite/lib/cache.py) on a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.core.cache import caches

from nekosite.lib.cache import ResilientRedisCache
from tests.servers import redis_server


@pytest.fixture
def redis_cache(settings: object) -> Iterator[tuple[ResilientRedisCache, redis.Redis]]:
    with redis_server() as url:
        if url is None:
            pytest.skip("redis-server is not installed")
        settings.CACHES = {  # type: ignore[attr-defined]
            "default": {
                "BACKEND": "nekosite.lib.cache.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "nekosite",
            }
        }
        cache = caches["default"]
        assert isinstance(cache, ResilientRedisCache)
        yield cache, redis.Redis.from_url(url)


def test_clear_deletes_the_sites_keys_and_leaves_the_task_queue_alone(
    redis_cache: tuple[ResilientRedisCache, redis.Redis],
) -> None:
    cache, client = redis_cache
    for n in range(2500):  # more than one SCAN/UNLINK batch
        cache.set(f"key{n}", n, 60)
    client.lpush("huey.redis.nekosite", b"a queued task")
    client.set("other-app:data", b"kept")
    cache.clear()
    assert cache.get("key1") is None and cache.get("key2499") is None
    assert client.llen("huey.redis.nekosite") == 1
    assert client.get("other-app:data") == b"kept"
