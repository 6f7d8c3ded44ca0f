"""Slow clients against the embedded default server (gunicorn -w 2 --threads 4, as `make run`),
without nginx in front: trickling upload bodies must not stop everybody else being served
(nekosite/lib/slowbody.py; the live measurement is bench/faults.py --fault slow)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.models import User
from accounts.services import filehost_token_get_or_create
from tests.integration.conftest import ROOT, database_url, free_port, wait_for


@pytest.fixture
def embedded_server(
    require_postgres_and_redis: None, transactional_db: None, tmp_path: Path
) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "RATELIMIT_ENABLE": "false",
        "FILE_UPLOAD_TEMP_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "nekosite.wsgi:application", "-w", "2",
         "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "120", "--no-control-socket"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/healthz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _trickle(port: int, token: str, stop: threading.Event, answers: list[bytes]) -> None:
    body = b"x" * 32 * 1024
    head = (
        "POST /api/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"
        f"token: {token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head)
            sent = 0
            while not stop.is_set() and sent < len(body):
                sock.sendall(body[sent : sent + 2])
                sent += 2
                stop.wait(0.5)
            answers.append(sock.recv(100))
    except OSError:
        answers.append(b"")


def test_trickling_upload_bodies_do_not_starve_other_requests(embedded_server: str) -> None:
    user = User.objects.create_user(username="slowpoke", password="correct horse battery 42")
    token = filehost_token_get_or_create(user=user)[1]
    port = int(embedded_server.rsplit(":", 1)[1])
    stop = threading.Event()
    answers: list[bytes] = []
    slow = [
        threading.Thread(target=_trickle, args=(port, token, stop, answers), daemon=True)
        for _ in range(20)  # far more than the 8 threads of the two workers
    ]
    for thread in slow:
        thread.start()
    try:
        time.sleep(8)  # every slow client is connected and refused or being cut off
        for _ in range(10):
            request = urllib.request.Request(
                f"{embedded_server}/api/v1/category", headers={"User-Agent": "probe"}
            )
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            assert time.monotonic() - started < 5
            time.sleep(0.3)
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=30)
