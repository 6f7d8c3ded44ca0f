"""Resumable uploads (issue #21): a 1 GB tus upload through gunicorn with the production config
(deploy/gunicorn.conf.py: 2 workers x 4 threads), interrupted twice by closing the connection in
the middle of a PATCH body and resumed from the offset the server reports; the stored file's
sha256 must be the sent file's, and the workers' peak RSS stay within 1.3x of idle.

Run: .venv/bin/python bench/tus.py   (PostgreSQL and Redis on this machine, like make bench)

The body is produced piece by piece from a fixed random block (never whole in memory), so any
offset can be sent again after an interruption. Worker VmRSS is sampled every 50 ms from /proc.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hashlib
import os
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from bench.common import (
    OUT,
    Gunicorn,
    app_env,
    emit,
    log,
    pg_drop,
    pg_reset,
    prepare_app,
    redis_flush,
    table,
    target,
    var_dir,
)
from bench.uploads import RssSampler, filehost_token

NAME = "tus"
DB = "nekosite_bench_tus"
MB = 1024 * 1024
SIZE = 1024 * MB
# Interrupt the PATCH after this share of the whole file has been sent (twice), then resume.
CUTS = (0.35, 0.7)
# Not a multiple of any power of two: a resume at a wrong offset changes the hash.
BLOCK = os.urandom(MB + 7)
PIECE = 256 * 1024
HEADERS = {"User-Agent": "bench", "Tus-Resumable": "1.0.0"}


def data(start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of the file: BLOCK repeated."""
    position = start
    while position < end:
        inside = position % len(BLOCK)
        size = min(PIECE, end - position, len(BLOCK) - inside)
        yield BLOCK[inside : inside + size]
        position += size


def expected_sha256() -> str:
    digest = hashlib.sha256()
    for piece in data(0, SIZE):
        digest.update(piece)
    return digest.hexdigest()


def request(
    url: str, method: str, headers: dict[str, str], body_from: int = 0, body_to: int = 0,
    cut_after: int | None = None,
) -> tuple[int | None, dict[str, str]]:  # fmt: skip
    """One HTTP/1.1 request over a raw socket. With `cut_after`, the connection is closed once
    that many body bytes were sent (no answer is read)."""
    parts = urlsplit(url)
    length = body_to - body_from
    lines = [f"{method} {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if method in ("PATCH", "POST"):
        lines.append(f"Content-Length: {length}")
    sock = socket.create_connection((parts.hostname, parts.port), timeout=900)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sent = 0
        for piece in data(body_from, body_to):
            if cut_after is not None and sent + len(piece) > cut_after:
                sock.sendall(piece[: cut_after - sent])
                # Linger 0: close() resets the connection, as a dropped network would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return None, {}  # closed (reset) in the middle of the body
            sock.sendall(piece)
            sent += len(piece)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    finally:
        sock.close()
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    found = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return status, found


def offset_of(url: str, token: str) -> int:
    status, found = request(url, "HEAD", {**HEADERS, "token": token})
    assert status == 200, status
    return int(found["upload-offset"])


def patch_from_server_offset(
    url: str, token: str, cut_at: int | None = None
) -> tuple[int, int | None, dict[str, str]]:
    """PATCH from where the server stands; retried while the interrupted PATCH still holds
    the upload (409) or its body slot (503). Returns (offset resumed from, status, headers)."""
    for _ in range(100):
        offset = offset_of(url, token)
        headers = {**HEADERS, "token": token, "Upload-Offset": str(offset),
                   "Content-Type": "application/offset+octet-stream"}  # fmt: skip
        cut = None if cut_at is None else cut_at - offset
        status, found = request(url, "PATCH", headers, offset, SIZE, cut_after=cut)
        if status in (409, 503):
            time.sleep(0.5)
            continue
        return offset, status, found
    raise RuntimeError("the upload stayed busy")


def run() -> dict[str, Any]:
    notes: list[str] = []
    figures: dict[str, Any] = {}
    targets = []
    rows: list[list[Any]] = []
    database = pg_reset(DB)
    redis_flush()
    tmp = OUT / "upload-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = app_env(database, FILE_UPLOAD_TEMP_DIR=str(tmp), MAX_UPLOAD_MB=str(SIZE // MB + 10))
    prepare_app(env)
    log("hashing the 1 GB file to send")
    wanted = expected_sha256()
    try:
        with Gunicorn(env, production_config=True) as app:
            token = filehost_token(app)
            auth = {**HEADERS, "token": token}
            # Warm the tus code path in both workers so idle RSS includes its imports.
            for _ in range(4):
                status, found = request(f"{app.url}/api/files/tus/", "POST",
                                        {**auth, "Upload-Length": str(MB)})  # fmt: skip
                small = found["location"]
                request(small, "PATCH", {**auth, "Upload-Offset": "0",
                        "Content-Type": "application/offset+octet-stream"}, 0, MB)  # fmt: skip
            time.sleep(1)
            status, found = request(
                f"{app.url}/api/files/tus/", "POST", {**auth, "Upload-Length": str(SIZE)}
            )
            assert status == 201, status
            url = found["location"]
            started = time.monotonic()
            with RssSampler(app.worker_pids()) as rss:
                resumed_from = []
                for share in CUTS:
                    offset, _, _ = patch_from_server_offset(url, token, cut_at=int(SIZE * share))
                    resumed_from.append(offset)
                    time.sleep(1)
                offset, status, found = patch_from_server_offset(url, token)
                resumed_from.append(offset)
            seconds = time.monotonic() - started
            idle, peak, growth = rss.worst()
            file_url = found.get("file-url", "")
            log(f"finished: {status} {file_url} in {seconds:.1f} s; resumed from {resumed_from}")
            stored = var_dir() / "media" / "uploads" / file_url.rsplit("/", 1)[-1]
            digest = hashlib.sha256()
            with stored.open("rb") as handle:
                while chunk := handle.read(4 * MB):
                    digest.update(chunk)
            identical = digest.hexdigest() == wanted
            figures = {
                "status": status, "file_url": file_url, "seconds": seconds,
                "resumed_from": resumed_from, "idle_rss_kb": idle, "peak_rss_kb": peak,
                "growth": growth, "sha256_sent": wanted, "sha256_stored": digest.hexdigest(),
            }  # fmt: skip
            rows.append(
                ["1 GB tus upload, 2 interruptions", status,
                 " / ".join(f"{o / MB:.0f}" for o in resumed_from), round(seconds, 1),
                 round(SIZE / MB / seconds), idle // 1024, peak // 1024, round(growth, 2),
                 "yes" if identical else "NO"]
            )  # fmt: skip
            targets.append(target("worker peak/idle RSS, 1 GB tus upload", round(growth, 2),
                                  "<=", 1.3))  # fmt: skip
            targets.append(target("stored file byte-identical (sha256)", int(identical), ">=", 1))
            stored.unlink(missing_ok=True)
    except Exception as exc:  # noqa: BLE001 (the report must still come out)
        notes.append(f"the tus upload failed: {type(exc).__name__}: {exc}")
    pg_drop(DB)
    headers = ["upload", "status", "resumed from (MB)", "seconds", "MB/s", "idle RSS MB",
               "peak RSS MB", "peak/idle", "sha256 equal"]  # fmt: skip
    notes.append(
        "gunicorn with deploy/gunicorn.conf.py (2 workers x 4 threads), PostgreSQL, Redis, "
        "local storage; the client closes the connection after 35% and 70% of the file were "
        "sent, asks HEAD for Upload-Offset and sends the rest from there (a 409/503 while the "
        "cut PATCH is still finishing is retried); seconds include the three PATCHes, the pauses "
        "between them (1 s each) and storing the file (sha256 over 1 GB, then a rename)"
    )
    return {
        "name": NAME,
        "title": "Resumable uploads (1 GB over tus, interrupted twice)",
        "table": table(headers, rows),
        "targets": targets,
        "notes": notes,
        "figures": figures,
    }


if __name__ == "__main__":
    emit(NAME, run())
