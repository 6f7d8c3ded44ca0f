"""Cost of rate limiting: the same endpoints with RATELIMIT_ENABLE=true (limits raised so nothing
is ever refused, counters in Redis) against RATELIMIT_ENABLE=false.

Run: .venv/bin/python bench/ratelimit_cost.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typing import Any

from bench.catalog_data import fill_pg, image_id
from bench.common import (
    REDIS_URL,
    WRK_DESC,
    Gunicorn,
    api_token,
    app_env,
    emit,
    get,
    pg_drop,
    pg_reset,
    prepare_app,
    ratio,
    redis_flush,
    table,
    target,
    wrk_interleaved,
)

NAME = "ratelimit_cost"
DB = "nekosite_bench_ratelimit"
HIGH = "1000000/s"


def run() -> dict[str, Any]:
    database = pg_reset(DB)
    base_env = app_env(database)
    prepare_app(base_env)
    fill_pg(DB, 0, 1000)
    token = api_token(base_env, ["image:list"])
    auth = {"Authorization": f"Bearer {token}"}
    # The cheapest endpoints first: the limiter's fixed cost is the largest share there.
    endpoints = [
        ("API root (anonymous)", "/api/v1", {}),
        ("category search=%ai% (anonymous)", "/api/v1/category?search=%25ai%25", {}),
        ("image detail (anonymous)", f"/api/v1/image/{image_id(7)}", {}),
        ("image list limit=25 (token)", "/api/v1/image?limit=25", auth),
    ]
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    envs = {
        mode: app_env(
            database,
            RATELIMIT_ENABLE="true" if mode == "on" else "false",
            RATELIMIT_ANON_RATE=HIGH,
            RATELIMIT_TOKEN_RATE=HIGH,
            RATELIMIT_AUTH_RATE=HIGH,
        )
        for mode in ("off", "on")
    }
    redis_flush()
    # Both servers run at once and are measured in turn (off, on, off, on).
    with Gunicorn(envs["off"]) as off_app, Gunicorn(envs["on"]) as on_app:
        apps = {"off": off_app, "on": on_app}
        for label, path, headers in endpoints:
            answers = {mode: get(app.url + path, headers) for mode, app in apps.items()}
            failed = {mode: a for mode, a in answers.items() if a[0] != 200}
            if failed:
                notes.append(f"{label}: {failed}; not measured")
                continue
            measured = wrk_interleaved(
                {mode: (app.url + path, headers) for mode, app in apps.items()}
            )
            # Prove the limiter really ran: it must announce itself in headers.
            measured["on"]["headers_seen"] = _ratelimit_headers(on_app.url + path, headers)
            results[label] = measured
    pg_drop(DB)
    rows = []
    ratios = []
    for label, by_mode in results.items():
        if "on" not in by_mode or "off" not in by_mode:
            continue
        on, off = by_mode["on"], by_mode["off"]
        r = ratio(on["rps"], off["rps"])
        ratios.append(r)
        rows.append([label, off["rps"], off["p50"], on["rps"], on["p50"], on["p99"], r])
        if on["non_2xx"]:
            notes.append(f"{label}: {on['non_2xx']} non-2xx answers with the limiter on")
        if not on.get("headers_seen"):
            notes.append(f"{label}: no X-RateLimit-* header with RATELIMIT_ENABLE=true")
    columns = [
        "endpoint",
        "off req/s",
        "off p50 ms",
        "on req/s",
        "on p50 ms",
        "on p99 ms",
        "on/off",
    ]
    notes.append(
        f"limits raised to {HIGH}; counters in Redis db 8 through django-ratelimit: 3 Redis "
        "round trips per counted request (GET of the block, SET NX of django-ratelimit's add, "
        f"then the cache's incr, one EVALSHA); {WRK_DESC}"
    )
    notes.append(
        f"one Redis round trip from Python (redis-py PING, median of 2,000) took "
        f"{redis_round_trip_us():.0f} us on this machine; the cheapest endpoint without the "
        "limiter costs about 2 cores / its req/s of CPU per request"
    )
    worst = min(ratios) if ratios else float("nan")
    return {
        "name": NAME,
        "title": "Rate-limit cost (RATELIMIT_ENABLE=true vs false)",
        "table": table(columns, rows),
        "targets": [target("req/s with limiter vs without (worst endpoint)", worst, ">=", 0.85)],
        "notes": notes,
        "figures": results,
    }


def redis_round_trip_us() -> float:
    import statistics

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    timings = []
    for _ in range(2200):
        began = time.perf_counter()
        client.ping()
        timings.append((time.perf_counter() - began) * 1e6)
    return statistics.median(timings[200:])


def _ratelimit_headers(url: str, headers: dict[str, str]) -> list[str]:
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "bench", **headers})
    with urllib.request.urlopen(request, timeout=30) as response:
        return [k for k in response.headers if k.lower().startswith("x-ratelimit")]


if __name__ == "__main__":
    emit(NAME, run())
