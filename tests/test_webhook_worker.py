"""Webhooks through real worker processes (`manage.py run_huey`) and a real HTTP receiver.

Each test gets its own database and queue: without DATABASE_URL a SQLite file and the SQLite
queue in its own VAR_DIR (the embedded default); with DATABASE_URL/REDIS_URL (CI's PostgreSQL
run) a fresh PostgreSQL database and a queue of its own name in that Redis. The test process
only runs manage.py commands and watches the receiver: nothing here shares memory with the
worker. Short intervals come from the environment (WEBHOOK_RETRY_BASE_SECONDS=1,
WEBHOOK_TIMEOUT_SECONDS=3, so a lease lasts 11 s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realserver import ROOT, RealServer, clean_environment
from tests.webhook_receiver import Receiver, webhook_receiver
from webhooks import signing


def _postgres_database(name: str) -> str:
    import psycopg

    base = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    admin = base._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base._replace(path=f"/{name}").geturl()


class WorkerSite(RealServer):
    """A database and a queue, and the worker processes reading that queue."""

    workers: list[subprocess.Popen[bytes]]

    def start_worker(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as handle:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "run_huey"],
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def shell(self, code: str) -> str:
        """The last line `code` printed (shell may print notes of its own before it)."""
        return self.manage("shell", "-c", code).strip().splitlines()[-1]


@pytest.fixture
def worker_site(tmp_path: Path) -> Iterator[WorkerSite]:
    name = f"hooks{uuid.uuid4().hex[:10]}"
    extra = {
        "VAR_DIR": str(tmp_path / "var"),
        "TASK_QUEUE_NAME": name,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
        # Long enough for the test's own receiver to answer on a loaded CI machine.
        "WEBHOOK_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "INFO",
    }
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith("postgres"):
        extra["DATABASE_URL"] = _postgres_database(f"nekosite_{name}")
    if os.environ.get("REDIS_URL"):
        extra["REDIS_URL"] = os.environ["REDIS_URL"]
        extra["CACHE_KEY_PREFIX"] = name
    env = clean_environment(**extra)
    site = WorkerSite(url="", upload_url="", env=env, log=tmp_path / "worker.log", processes=[])
    site.manage("migrate", "--noinput", "-v0")
    try:
        yield site
    finally:
        site.stop()
        if "REDIS_URL" in extra:
            import redis

            client = redis.Redis.from_url(extra["REDIS_URL"])
            for key in client.scan_iter(f"huey.*{name}*"):
                client.delete(key)


def register(site: WorkerSite, receiver: Receiver, *events: str) -> str:
    """A user and a webhook for `events`; returns the signing secret."""
    kinds = list(events or ["upload.created"])
    return site.shell(
        "from accounts.models import User\n"
        "from webhooks import services\n"
        "user = User.objects.create_user('hooked', 'h@example.org', 'a long password 123')\n"
        f"_, secret = services.webhook_create(user=user, url={receiver.url!r}, "
        f"event_types={kinds!r})\n"
        "print(secret)\n"
    )


def upload(site: WorkerSite, content: str = "hello") -> str:
    """Upload a file as the web process does (upload_create commits, then enqueues)."""
    return site.shell(
        "import io\n"
        "from accounts.models import User\n"
        "from uploads import services\n"
        f"data = {content.encode()!r}\n"
        "row = services.upload_create(owner=User.objects.get(username='hooked'), "
        "file=io.BytesIO(data), client_name='a.txt', size=len(data))\n"
        "print(row.name)\n"
    )


def delivery_state(site: WorkerSite) -> dict[str, object]:
    return json.loads(
        site.shell(
            "import json\n"
            "from webhooks.models import Delivery\n"
            "d = Delivery.objects.get()\n"
            "print(json.dumps({'status': d.status, 'attempts': d.attempts, "
            "'code': d.response_code, 'event': str(d.event_id)}))\n"
        )
    )


def wait_for_state(site: WorkerSite, status: str, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        state = delivery_state(site)
        if state["status"] == status or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def test_an_event_reaches_the_receiver_through_a_real_worker_and_its_signature_verifies(
    worker_site: WorkerSite,
) -> None:
    with webhook_receiver() as receiver:
        secret = register(worker_site, receiver)
        worker_site.start_worker()
        name = upload(worker_site)
        (got,) = receiver.wait_for(1, timeout=30)
    assert got.json["type"] == "upload.created"
    assert got.json["data"]["upload"]["name"] == name
    assert signing.verify(secret, got.headers["X-Nekosite-Timestamp"], got.body,
                          got.headers["X-Nekosite-Signature"], now=time.time())  # fmt: skip
    assert wait_for_state(worker_site, "delivered")["attempts"] == 1


def test_a_task_enqueued_while_no_worker_runs_is_done_when_one_starts(
    worker_site: WorkerSite,
) -> None:
    with webhook_receiver() as receiver:
        register(worker_site, receiver)
        upload(worker_site)  # the web process enqueued it and went away
        time.sleep(1)
        assert receiver.received == []
        worker_site.start_worker()
        receiver.wait_for(1, timeout=30)


def test_a_receiver_answering_500_twice_gets_the_third_attempt(worker_site: WorkerSite) -> None:
    # Backoff of 2 s, then 4 s (10 % jitter); huey's scheduler looks once a second, so each
    # wait may be up to a second longer.
    worker_site.env["WEBHOOK_RETRY_BASE_SECONDS"] = "2"
    with webhook_receiver() as receiver:
        receiver.answers = [500, 500]
        register(worker_site, receiver)
        worker_site.start_worker()
        upload(worker_site)
        got = receiver.wait_for(3, timeout=40)
    assert len({r.headers["X-Nekosite-Event-Id"] for r in got}) == 1
    gaps = [got[1].at - got[0].at, got[2].at - got[1].at]
    assert 1.8 <= gaps[0] <= 3.5 and 3.6 <= gaps[1] <= 5.5, gaps
    state = wait_for_state(worker_site, "delivered")
    assert state["attempts"] == 3 and state["code"] == 200


def test_kill_9_of_the_worker_mid_delivery_loses_nothing(worker_site: WorkerSite) -> None:
    """The worker dies while the receiver holds its request: the delivery is made later by
    another worker, with the same event id."""
    with webhook_receiver() as receiver:
        receiver.hold_first_seconds = 60
        register(worker_site, receiver)
        first_worker = worker_site.start_worker()
        upload(worker_site)
        (held,) = receiver.wait_for(1, timeout=30)
        worker_site.kill(first_worker)  # kill -9 mid-delivery
        receiver.release()
        assert delivery_state(worker_site)["status"] == "pending"
        worker_site.start_worker()  # sweeps now and again once the dead worker's lease is out
        got = receiver.wait_for(2, timeout=40)
    assert {r.headers["X-Nekosite-Event-Id"] for r in got} == {held.headers["X-Nekosite-Event-Id"]}
    assert got[1].json == held.json
    # The killed attempt and the one after it; one more if that one was too slow for the
    # timeout on a loaded machine (retried, same event id).
    attempts = wait_for_state(worker_site, "delivered")["attempts"]
    assert isinstance(attempts, int) and attempts >= 2
