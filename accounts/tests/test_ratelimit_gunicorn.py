"""The limits hold across processes: gunicorn with two workers sharing Redis counters.

Skipped unless REDIS_URL is set (per-process LocMemCache counters cannot be shared).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
UA = "nekosite-tests/1.0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, dict[str, str]]:
    """One request on a fresh connection, so the two workers share the load."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"User-Agent": UA, "Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


@pytest.fixture
def gunicorn_port() -> int:
    if not settings.REDIS_URL:
        pytest.skip("the cross-process rate-limit test needs REDIS_URL")
    env = {
        **os.environ,
        "RATELIMIT_ENABLE": "true",
        "REQUIRE_USER_AGENT": "true",
        "RATELIMIT_ANON_RATE": "1/s",
        "RATELIMIT_MAX_DELAY_MS": "0",
        "RATELIMIT_BLOCK_AFTER": "100000",
        "REDIS_URL": settings.REDIS_URL,
    }
    if connection.vendor == "postgresql":
        db = settings.DATABASES["default"]
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "nekosite.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_anonymous_limit_is_shared_by_two_gunicorn_workers(gunicorn_port: int) -> None:
    """Seed 001: "The API has a rate limit of 1 request per second." — for the whole site,
    not per worker: of many quick requests at most one per wall-clock second passes."""
    path = "/api/ratelimit-probe"  # any /api/ path is limited, even an unknown one
    started = time.time()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _get(gunicorn_port, path), range(60)))
    finished = time.time()
    passed = [headers for status, headers in results if status != 429]
    refused = [headers for status, headers in results if status == 429]
    seconds_spanned = int(finished) - int(started) + 1
    statuses = sorted(status for status, _ in results)
    assert 1 <= len(passed) <= seconds_spanned, (statuses, started, finished)
    assert len(refused) == 60 - len(passed)
    for headers in refused:
        assert headers["X-RateLimit-Limit"] == "1"
        assert headers["X-RateLimit-Remaining"] == "0"
        assert int(headers["Retry-After"]) >= 1
