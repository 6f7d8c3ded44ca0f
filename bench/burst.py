"""Seed 000's burst queue under load: what one client bursting 24 requests wide costs the others.

The server is the one users run (deploy/gunicorn.conf.py: 2 workers x 4 threads), with the
documented default limits (RATELIMIT_TOKEN_RATE 5/s, RATELIMIT_MAX_DELAY_MS 200,
RATELIMIT_MAX_WAITING 2, counters in Redis). The "others" are four paced clients, each with its
own token (rate raised so they are never limited), asking for an image every 100 ms (40 req/s
in all) and timing each answer. They are measured alone (the baseline) and while a fifth token
holder runs `wrk -t2 -c24` (closed loop: a new request as soon as an answer comes back) against
the same endpoint, in turn, BURST_REPS times each; medians are kept.

The burster also shows the queue's bounds: its slowest answer must stay within the window plus
RATELIMIT_MAX_DELAY_MS (no request waits longer than one window), and it gets about its rate
in 200s. It is a new token each time, since ten refusals block a token for an hour (seed 001).

Run: .venv/bin/python bench/burst.py
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import http.client
import math
import subprocess
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from bench.catalog_data import fill_pg, image_id
from bench.common import (
    USER_AGENT,
    Gunicorn,
    api_token,
    app_env,
    emit,
    parse_wrk,
    pg_drop,
    pg_reset,
    prepare_app,
    ratio,
    redis_flush,
    shell,
    table,
    target,
)

NAME = "burst"
DB = "nekosite_bench_burst"
OBSERVERS = 4
OBSERVER_INTERVAL_S = 0.1
SECONDS = 10
BURST_WIDTH = 24
BURST_REPS = 3
# Documented defaults (README, "Settings"), spelled out so the bench says what it measured.
LIMITS = {
    "RATELIMIT_ENABLE": "true",
    "RATELIMIT_TOKEN_RATE": "5/s",
    "RATELIMIT_MAX_DELAY_MS": "200",
    "RATELIMIT_MAX_WAITING": "2",
}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def observe(url: str, tokens: list[str], seconds: float) -> dict[str, Any]:
    """Paced clients (one keep-alive connection each) timing every answer, in ms."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    assert host is not None
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(token: str, offset: float) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"User-Agent": USER_AGENT, "Authorization": f"Bearer {token}"}
        start = time.monotonic() + offset
        for n in range(int(seconds / OBSERVER_INTERVAL_S)):
            pause = start + n * OBSERVER_INTERVAL_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            began = time.perf_counter()
            connection.request("GET", parts.path, headers=headers)
            response = connection.getresponse()
            response.read()
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()

    threads = [
        threading.Thread(target=client, args=(token, i * OBSERVER_INTERVAL_S / len(tokens)))
        for i, token in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
        "max": max(latencies),
        "requests": len(latencies),
        "statuses": statuses,
    }


def burst(url: str, token: str, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", "--latency", "-t", "2", "-c", str(BURST_WIDTH), "-d", f"{seconds}s",
         "--timeout", "30s", "-H", f"User-Agent: {USER_AGENT}",
         "-H", f"Authorization: Bearer {token}", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run() -> dict[str, Any]:
    database = pg_reset(DB)
    env = app_env(database, **LIMITS)
    prepare_app(env)
    fill_pg(DB, 0, 1000)
    observers = []
    for n in range(OBSERVERS):
        observers.append(api_token(env, [], username=f"observer{n}"))
    shell(env, "from accounts.models import Token\n"
               "Token.objects.filter(user__username__startswith='observer')"
               ".update(rate_limit_override=1000)\nprint('ok')\n")  # fmt: skip
    bursters = [api_token(env, [], username=f"burster{n}") for n in range(BURST_REPS)]
    redis_flush()
    alone: list[dict[str, Any]] = []
    during: list[dict[str, Any]] = []
    bursts: list[dict[str, Any]] = []
    with Gunicorn(env, production_config=True) as app:
        url = f"{app.url}/api/v1/image/{image_id(7)}"
        observe(url, observers, 2)  # warm every worker's read cache and connections
        for rep in range(BURST_REPS):
            alone.append(observe(url, observers, SECONDS))
            wrk = burst(url, bursters[rep], SECONDS + 2)
            time.sleep(1)
            during.append(observe(url, observers, SECONDS))
            out, err = wrk.communicate(timeout=SECONDS + 120)
            if wrk.returncode != 0:
                raise RuntimeError(f"wrk failed: {err}")
            parsed = parse_wrk(out)
            ok = parsed["requests"] - parsed["non_2xx"]
            bursts.append({**parsed, "ok_per_s": ok / (SECONDS + 2)})
            time.sleep(1)
    pg_drop(DB)
    base_p99 = _median([r["p99"] for r in alone])
    burst_p99 = _median([r["p99"] for r in during])
    rows = [
        ["others alone", _median([r["p50"] for r in alone]), base_p99,
         _median([r["max"] for r in alone]), 1.0],
        [f"others while one token bursts {BURST_WIDTH}-wide",
         _median([r["p50"] for r in during]), burst_p99,
         _median([r["max"] for r in during]), ratio(burst_p99, base_p99)],
    ]  # fmt: skip
    headers = ["observer (4 tokens, 40 req/s in all)", "p50 ms", "p99 ms", "max ms", "p99 vs alone"]
    slowest_burst = max(b["max"] for b in bursts)
    window_ms = 1000 + int(LIMITS["RATELIMIT_MAX_DELAY_MS"])
    refused = [r for r in during if set(r["statuses"]) - {200}]
    answered = ", ".join(f"{b['rps']:,.0f}" for b in bursts)
    served = ", ".join(f"{b['ok_per_s']:.1f}" for b in bursts)
    notes = [
        f"burster: wrk -t2 -c{BURST_WIDTH} for {SECONDS + 2} s per rep on its own token at "
        f"RATELIMIT_TOKEN_RATE 5/s; per rep {answered} answers/s, of them {served} 200s/s "
        f"(the rest 429, then the hour's block); slowest burster answer {slowest_burst:.0f} ms",
        f"server: deploy/gunicorn.conf.py (2 workers x 4 threads), PostgreSQL + Redis; "
        f"{BURST_REPS} reps of {SECONDS} s, alone and bursting in turn, medians kept",
    ]
    if refused:
        notes.append(f"observers got non-200 answers: {[r['statuses'] for r in refused]}")
    return {
        "name": NAME,
        "title": f"Burst queue: other clients while one bursts {BURST_WIDTH}-wide",
        "table": table(headers, rows),
        "targets": [
            target(
                "slowest burster answer, ms (window + RATELIMIT_MAX_DELAY_MS)",
                slowest_burst,
                "<=",
                window_ms,
            ),
        ],
        "notes": notes,
        "figures": {"alone": alone, "during": during, "bursts": bursts},
    }


if __name__ == "__main__":
    emit(NAME, run())
