"""Shared fixtures for the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from accounts import ratelimit
from nekosite.lib import readcache
from tests.servers import moto_server

pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit counters and cached values never leak from one test into the next: neither
    the shared cache nor this process's read caches (rows of a rolled-back test)."""
    cache.clear()
    readcache.clear_all()
    ratelimit.leases.clear()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One real S3-speaking server (moto, server mode) for the whole run."""
    with moto_server() as endpoint:
        yield endpoint
