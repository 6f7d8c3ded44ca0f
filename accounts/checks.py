"""System checks for the accounts app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


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


# README promises that a revoked token stops working on every worker within a second.
REVOCATION_BOUND_MS = 1000


@register()
def read_cache_keeps_the_revocation_bound(**kwargs: Any) -> list[Warning]:
    """Workers notice revoked tokens, deleted and disabled users at most READ_CACHE_MS late."""
    if settings.READ_CACHE_MS > REVOCATION_BOUND_MS:
        return [
            Warning(
                f"READ_CACHE_MS={settings.READ_CACHE_MS} lets a revoked token work for up to "
                f"{settings.READ_CACHE_MS} ms on other workers (README promises 1 s).",
                hint=f"Keep READ_CACHE_MS at {REVOCATION_BOUND_MS} or below.",
                id="accounts.W002",
            )
        ]
    return []
