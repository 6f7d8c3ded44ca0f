"""Issue #19: the deploy stack's task worker, started from deploy/systemd/nekosite-worker@.service's
ExecStart, takes the tasks the app servers behind nginx enqueue (PostgreSQL and Redis)."""

from __future__ import annotations

import io
import time
from pathlib import Path

from PIL import Image

from tests.integration.conftest import worker_command
from tests.integration.http import request, signup_and_token, upload
from tests.realserver import RealServer


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_the_worker_runs_the_deploy_units_command() -> None:
    assert worker_command()[1:] == ["manage.py", "run_huey"]


def test_an_upload_through_nginx_gets_its_thumbnail_from_the_deploy_worker(
    deploy_site: RealServer,
) -> None:
    token = signup_and_token(deploy_site.url, "thumbworker", "a long enough password 19")
    reply = upload(deploy_site.url, token, "sky.png", _png(), "image/png")
    assert reply.status == 200, reply.body
    name = reply.json()["url"].rsplit("/", 1)[-1]
    thumbnail = Path(deploy_site.env["VAR_DIR"]) / "media" / "uploads" / "_thumbs" / f"{name}.webp"
    deadline = time.monotonic() + 30
    while not thumbnail.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert thumbnail.exists(), deploy_site.log_tail()
    assert thumbnail.read_bytes()[:4] == b"RIFF"
    # The worker's heartbeat is checked by deploy_site itself: each test's set-up clears the
    # shared cache, which on Redis empties the whole database (the queue's keys included).
    queue = request("GET", f"{deploy_site.url}/healthz").json()["data"]["queue"]
    assert (queue["status"], queue["depth"]) == ("ok", 0)
