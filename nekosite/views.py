from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from catalog.models import Rating
from nekosite import queue
from nekosite.lib.charts import bar_chart, column_chart
from uploads import selectors as upload_selectors

logger = logging.getLogger(__name__)

STATS_CACHE_KEY = "site:stats"
STATS_CACHE_SECONDS = 60
STATS_DAYS = 30


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("healthz: database check failed", exc_info=True)
        return False


def _cache_ok() -> bool:
    try:
        cache.set("healthz", "ok", 10)
        return cache.get("healthz") == "ok"
    except Exception:
        logger.warning("healthz: cache check failed", exc_info=True)
        return False


def _queue_state() -> dict[str, Any]:
    """The task queue as /healthz shows it; a queue that cannot be read does not make the app
    server unhealthy (requests are still served), it says "error"."""
    try:
        return {"status": "ok", **queue.stats(), "worker_seen_s": queue.worker_seen_seconds_ago()}
    except Exception:
        logger.warning("healthz: task queue check failed", exc_info=True)
        return {"status": "error"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database, cache_ok = _database_ok(), _cache_ok()
    healthy = database and cache_ok
    return JsonResponse(
        {
            "success": healthy,
            "data": {
                "database": "ok" if database else "error",
                "cache": "ok" if cache_ok else "error",
                "queue": _queue_state(),
            },
        },
        status=200 if healthy else 503,
    )


def _stats_numbers() -> dict[str, Any]:
    """The numbers behind /stats/: four aggregate queries, then cached for a minute so a busy
    page never recounts whole tables."""
    numbers = cache.get(STATS_CACHE_KEY)
    if numbers is not None:
        return numbers
    by_rating = catalog_selectors.image_count_by_rating()
    files, size = upload_selectors.upload_totals()
    numbers = {
        "by_rating": [(Rating(value).label, by_rating[value]) for value in Rating.values],
        "images": sum(by_rating.values()),
        "per_category": catalog_selectors.category_image_counts(limit=15),
        "per_day": [
            (day.isoformat(), count)
            for day, count in upload_selectors.uploads_per_day(days=STATS_DAYS)
        ],
        "uploads": files,
        "upload_bytes": size,
    }
    cache.set(STATS_CACHE_KEY, numbers, STATS_CACHE_SECONDS)
    return numbers


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    numbers = _stats_numbers()
    per_day = numbers["per_day"]
    # SVG built from escaped text by nekosite.lib.charts; the template prints it with |safe.
    charts = {
        "rating_chart": bar_chart(numbers["by_rating"], title="Images by rating", width=400),
        "category_chart": bar_chart(
            numbers["per_category"], title="Images per category", width=400
        ),
        "day_chart": column_chart(
            [(day[5:], count) for day, count in per_day],
            title=f"Uploads per day, last {STATS_DAYS} days",
        ),
    }
    return render(
        request,
        "stats.html",
        {
            **numbers,
            **charts,
            "days": STATS_DAYS,
            "uploads_last_days": sum(count for _, count in per_day),
        },
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, asked for by browsers on pages without an icon link (admin, API docs)."""
    return redirect(static("favicon.svg"), permanent=True)
