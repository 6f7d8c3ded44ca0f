"""Shared fixtures for the whole suite."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit counters and cached values never leak from one test into the next."""
    cache.clear()
