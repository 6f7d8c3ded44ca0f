"""System checks for the accounts app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def ratelimit_cache_is_shared(**kwargs: Any) -> list[Error]:
    """Rate limits need counters shared by every process: Redis in production.

    Without REDIS_URL each process counts on its own (LocMemCache), which is fine for `make run`
    and the test suite but would multiply every limit by the number of workers.
    """
    if settings.PRODUCTION and settings.RATELIMIT_ENABLE and not settings.REDIS_URL:
        return [
            Error(
                "Rate limits need a shared cache in production.",
                hint="Set REDIS_URL, or RATELIMIT_ENABLE=false.",
                id="accounts.E001",
            )
        ]
    return []
