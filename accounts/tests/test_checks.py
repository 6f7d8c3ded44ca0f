"""System checks of the accounts app."""

from __future__ import annotations

from typing import Any

from accounts.checks import read_cache_keeps_the_revocation_bound


def test_read_cache_over_a_second_warns_that_revocation_gets_slower(settings: Any) -> None:
    settings.READ_CACHE_MS = 1500
    assert [w.id for w in read_cache_keeps_the_revocation_bound()] == ["accounts.W002"]


def test_default_read_cache_keeps_the_one_second_revocation_bound(settings: Any) -> None:
    settings.READ_CACHE_MS = 1000
    assert read_cache_keeps_the_revocation_bound() == []
