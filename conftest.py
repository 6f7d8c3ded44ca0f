"""Shared fixtures for the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from nekosite.lib import readcache
from tests.servers import moto_server

pytest_plugins = ["tests.browser_fixtures"]

# The suite's cache: this process's memory, cleared before every test. The embedded default's
# shared cache (SharedDatabaseCache, in the `cache` database) is a database alias, which Django's
# test cases refuse to any test that does not ask for it; the tests that are about it ask
# (accounts/tests/test_ratelimit.py) and the real servers use it (tests/integration/).
IN_PROCESS_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
}


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    if not settings.REDIS_URL:
        settings.CACHES = IN_PROCESS_CACHE


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit counters and cached values never leak from one test into the next: neither
    the shared cache nor this process's read caches (rows of a rolled-back test)."""
    cache.clear()
    readcache.clear_all()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One real S3-speaking server (moto, server mode) for the whole run."""
    with moto_server() as endpoint:
        yield endpoint
