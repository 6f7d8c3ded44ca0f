"""Rate limits on the embedded default, across real processes (issue #18, items 3 and 4).

`make run`'s server: gunicorn with 2 workers and threads, SQLite, no Redis. The workers share
the cache (nekosite.lib.cache.SharedDatabaseCache, its own SQLite file), so the documented limits
hold exactly, a lifted block is lifted in every worker at once, and parallel password guesses
are held at RATELIMIT_AUTH_RATE. Hour-long windows, so no wall-clock boundary falls inside a test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.integration.conftest import ROOT, wait_for
from tests.integration.http import Reply, request
from tests.servers import free_port

PASSWORD = "a-long-Passw0rd!"


@dataclass
class Server:
    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, check=True, timeout=120, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """make run's gunicorn (2 workers, 4 threads) on its own SQLite file and VAR_DIR."""
    var = tmp_path_factory.mktemp("embedded")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    port = free_port()
    env.update(
        VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'nekosite.sqlite3'}",
        SITE_URL=f"http://127.0.0.1:{port}",
        RATELIMIT_ENABLE="true",
        RATELIMIT_ANON_RATE="6/h",
        RATELIMIT_AUTH_RATE="10/h",
        RATELIMIT_MAX_DELAY_MS="0",
        RATELIMIT_BLOCK_AFTER="3",
        TRUSTED_PROXIES="127.0.0.1",
        REQUIRE_USER_AGENT="true",
        LOG_LEVEL="WARNING",
    )
    found = Server(url=f"http://127.0.0.1:{port}", env=env)
    found.manage("migrate", "--noinput", "-v0")  # also creates the cache table
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "nekosite.wsgi:application", "--workers", "2",
         "--threads", "4", "--bind", f"127.0.0.1:{port}", "--no-control-socket"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(f"{found.url}/healthz")
        yield found
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _parallel(count: int, send: object) -> list[Reply]:
    # More requests at once than one worker has threads: both workers answer.
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(send, range(count)))  # type: ignore[arg-type]


def test_the_documented_limit_holds_exactly_across_both_workers(server: Server) -> None:
    """Seed 001's anonymous limit, here 6 an hour: 6 of 24 parallel requests pass, not 12."""
    headers = {"X-Forwarded-For": "192.0.2.10"}
    replies = _parallel(24, lambda _: request("GET", f"{server.url}/api/v1/stats",
                                              headers=headers))  # fmt: skip
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [200] * 6 + [429] * 18
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in replies if r.status == 200)
    assert remaining == [0, 1, 2, 3, 4, 5]


def test_a_lifted_block_is_lifted_in_every_worker_at_once(server: Server) -> None:
    headers = {"X-Forwarded-For": "192.0.2.20"}
    replies = _parallel(12, lambda _: request("GET", f"{server.url}/api/v1/stats",
                                              headers=headers))  # fmt: skip
    assert sorted(r.status for r in replies).count(429) == 6  # 3 violations block
    blocked = _parallel(8, lambda _: request("POST", f"{server.url}/api/info", headers=headers))
    assert {reply.status for reply in blocked} == {429}
    assert min(int(reply.headers["Retry-After"]) for reply in blocked) > 3000  # the block

    # What the admin's "lift" action does, from a third process.
    server.manage(
        "shell",
        "-c",
        "from accounts.models import RateLimitBlock; from accounts import services; "
        "[services.ratelimit_block_lift(block=b, by=None) for b in "
        "RateLimitBlock.objects.filter(key='ip:192.0.2.20', lifted_at=None)]",
    )
    # At once, in both workers: the update scope has its own (unused) counter.
    lifted = _parallel(6, lambda _: request("POST", f"{server.url}/api/info", headers=headers))
    assert {reply.status for reply in lifted} == {405}, [r.status for r in lifted]


def test_parallel_wrong_passwords_from_many_addresses_are_held_at_the_limit(
    server: Server,
) -> None:
    """40 wrong passwords at once for one username from 40 addresses: exactly 10 are checked."""
    signup = request(
        "POST",
        f"{server.url}/api/user/signup",
        headers={"username": "victim", "password": PASSWORD, "X-Forwarded-For": "192.0.2.30"},
    )
    assert signup.status == 200, signup.body

    def guess(number: int) -> Reply:
        return request(
            "POST",
            f"{server.url}/api/token/get",
            headers={
                "username": "victim",
                "password": f"wrong guess {number}",
                "X-Forwarded-For": f"198.51.100.{number + 1}",
            },
        )

    statuses = sorted(reply.status for reply in _parallel(40, guess))
    assert statuses == [401] * 10 + [429] * 30
