"""Uploads: throughput and worker memory of POST /api/files/upload, and how fast oversize
bodies are refused. Baseline: nginx on the same machine receiving the same body to disk.

Run: .venv/bin/python bench/uploads.py

Bodies are streamed from a generator over a raw socket (never built in memory). The gunicorn
workers' VmRSS is sampled every 50 ms from /proc.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.common import (
    OUT,
    Gunicorn,
    Nginx,
    app_env,
    emit,
    iter_chunks,
    log,
    pg_drop,
    pg_reset,
    prepare_app,
    ratio,
    redis_flush,
    rss_kb,
    table,
    target,
)

NAME = "uploads"
DB = "nekosite_bench_uploads"
MB = 1024 * 1024
SIZES = [100 * MB, 1024 * MB]
REPEAT = {100 * MB: 3, 1024 * MB: 1}  # median of 3 for the short upload
OVERSIZE = 300 * MB
LIMIT_MB = 100
CHUNK = 256 * 1024

NGINX_SINK = """
        client_max_body_size 2g;
        client_body_buffer_size 1m;
        # Read the whole body into a temp file (like the app), then answer 204.
        location = /sink {
            client_body_in_file_only clean;
            proxy_pass http://127.0.0.1:{port}/done;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Content-Type "";
        }
        location = /done { return 204; }
"""


@dataclass
class Sent:
    status: int | None
    body: bytes
    bytes_sent: int
    seconds: float
    note: str = ""


def multipart(size: int, boundary: str) -> tuple[bytes, bytes]:
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="uploadFile"; filename="bench.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


def post_stream(
    port: int,
    path: str,
    headers: dict[str, str],
    size: int,
    *,
    chunked: bool = False,
) -> Sent:
    """POST a multipart body of `size` file bytes; stop sending once the server answers."""
    boundary = "bench" + uuid.uuid4().hex
    head, tail = multipart(size, boundary)

    def body() -> Iterator[bytes]:
        yield head
        yield from iter_chunks(size, CHUNK)
        yield tail

    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "User-Agent: bench",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    lines.append(
        "Transfer-Encoding: chunked"
        if chunked
        else f"Content-Length: {len(head) + size + len(tail)}"
    )
    sock = socket.create_connection(("127.0.0.1", port), timeout=600)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent = 0
    note = ""
    started = time.monotonic()
    try:
        for piece in body():
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                note = "server answered before the body was complete"
                break
            data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            sock.sendall(data)
            sent += len(piece)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError) as exc:
        note = f"server closed the connection while we sent ({type(exc).__name__})"
    response = b""
    try:
        while chunk := sock.recv(65536):
            response += chunk
    except (ConnectionResetError, TimeoutError) as exc:
        note += f"; reading the answer: {type(exc).__name__}"
    seconds = time.monotonic() - started
    sock.close()
    status = None
    if response.startswith(b"HTTP/"):
        status = int(response.split(b" ", 2)[1])
    head_bytes, _, payload = response.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head_bytes.lower():
        payload = dechunk(payload)
    return Sent(status, payload[:300], sent, seconds, note.strip("; "))


def dechunk(data: bytes) -> bytes:
    """Decode an HTTP/1.1 chunked body (gunicorn answers that way without Content-Length)."""
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


class RssSampler:
    """Peak VmRSS per worker, sampled every 50 ms while a request runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.idle = {pid: rss_kb(pid) for pid in pids}
        self.peak = dict(self.idle)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_kb(pid))
            time.sleep(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def worst(self) -> tuple[int, int, float]:
        """(idle kB, peak kB, peak/idle) of the worker that grew most."""
        pid = max(self.pids, key=lambda p: self.peak[p] / max(self.idle[p], 1))
        return self.idle[pid], self.peak[pid], self.peak[pid] / max(self.idle[pid], 1)


def filehost_token(app: Gunicorn) -> str:
    import json
    import urllib.request

    # A new user per server start: signing up an existing name is a 409.
    suffix = uuid.uuid4().hex[:8]
    # (The password must pass Django's validators, similarity to the username included.)
    creds = {"username": f"bench{suffix}", "password": f"Zq7-{uuid.uuid4().hex}"}
    for path in ("/api/user/signup", "/api/token/get"):
        request = urllib.request.Request(
            app.url + path, data=b"", method="POST", headers={"User-Agent": "bench", **creds}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
    return json.loads(body)["token"]


def run() -> dict[str, Any]:
    notes: list[str] = []
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {}
    targets = []
    database = pg_reset(DB)
    redis_flush()
    tmp = OUT / "upload-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    base = app_env(database, FILE_UPLOAD_TEMP_DIR=str(tmp))
    prepare_app(base)

    with Nginx(NGINX_SINK) as nginx:
        for size in SIZES:
            runs = [post_stream(nginx.port, "/sink", {}, size) for _ in range(REPEAT[size])]
            sent = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]  # the median run
            mbps = size / MB / sent.seconds
            figures[f"nginx_{size // MB}"] = {
                "status": sent.status, "seconds": [r.seconds for r in runs], "mb_s": mbps,
                "bytes_sent": sent.bytes_sent,
            }  # fmt: skip
            log(f"nginx sink {size // MB} MB: {sent.status} in {sent.seconds:.2f} s")

    big_env = dict(base, MAX_UPLOAD_MB=str(max(SIZES) // MB + 10))
    try:
        with Gunicorn(big_env) as app:
            token = filehost_token(app)
            # Warm the upload code path so idle RSS includes its imports.
            post_stream(app.port, "/api/files/upload", {"token": token}, 1 * MB)
            for size in SIZES:
                with RssSampler(app.worker_pids()) as rss:
                    runs = [
                        post_stream(app.port, "/api/files/upload", {"token": token}, size)
                        for _ in range(REPEAT[size])
                    ]
                sent = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]  # the median run
                idle, peak, growth = rss.worst()
                mbps = size / MB / sent.seconds
                base_mbps = figures[f"nginx_{size // MB}"]["mb_s"]
                figures[f"app_{size // MB}"] = {
                    "status": sent.status, "seconds": [r.seconds for r in runs], "mb_s": mbps,
                    "idle_rss_kb": idle, "peak_rss_kb": peak,
                    "body": sent.body.decode(errors="replace"),
                }  # fmt: skip
                log(f"app {size // MB} MB: {sent.status} {sent.body[:80]!r} {sent.seconds:.2f} s")
                if sent.status != 200:
                    notes.append(f"upload {size // MB} MB answered {sent.status}: {sent.body!r}")
                rows.append(
                    [f"upload {size // MB} MB", sent.status, mbps, base_mbps,
                     ratio(mbps, base_mbps), idle // 1024, peak // 1024, round(growth, 2)]
                )  # fmt: skip
                label = f"worker peak/idle RSS, {size // MB} MB upload"
                targets.append(target(label, round(growth, 2), "<=", 1.3))
    except Exception as exc:  # noqa: BLE001 (the report must still come out)
        notes.append(f"upload through the app failed: {type(exc).__name__}: {exc}")

    small_env = dict(base, MAX_UPLOAD_MB=str(LIMIT_MB))
    refusal_rows: list[list[Any]] = []
    try:
        with Gunicorn(small_env) as app:
            token = filehost_token(app)
            cases = (
                # label, file bytes, chunked, most MB the client may send before the refusal
                ("honest Content-Length", OVERSIZE, False, 16.0),  # 16: kernel socket buffers
                ("chunked, no Content-Length", OVERSIZE, True, LIMIT_MB * 1.05),
                ("a legal size, chunked", 1 * MB, True, None),
            )
            for label, size, chunked, allowed_mb in cases:
                sent = post_stream(
                    app.port, "/api/files/upload", {"token": token}, size, chunked=chunked
                )
                answer = sent.body.decode(errors="replace")
                log(f"{label}: {sent.status} after {sent.bytes_sent} bytes; {sent.note}; {answer}")
                figures[f"refusal {label}"] = {
                    "status": sent.status, "bytes_sent": sent.bytes_sent, "note": sent.note,
                    "body": answer, "seconds": sent.seconds,
                }  # fmt: skip
                refusal_rows.append(
                    [f"{size // MB} MB, {label}", sent.status, round(sent.bytes_sent / MB, 1),
                     round(sent.seconds, 2), answer[:90].replace("|", "/") or "-"]
                )  # fmt: skip
                refused = sent.status is not None and 400 <= sent.status < 500
                if allowed_mb is not None:
                    wanted = "413" if not chunked else "4xx"
                    ok_status = sent.status == 413 if not chunked else refused
                    targets.append(
                        target(
                            f"{size // MB} MB, {label}: refused ({wanted}) after <= MB sent",
                            round(sent.bytes_sent / MB, 1) if ok_status else float("nan"),
                            "<=",
                            round(allowed_mb, 1),
                        )
                    )
                    if chunked and sent.status != 413:
                        notes.append(
                            f"oversize chunked upload answered {sent.status} {answer!r}, not 413"
                        )
                elif sent.status != 200:
                    notes.append(
                        f"a legal 1 MB upload sent chunked (no Content-Length) answered "
                        f"{sent.status} {answer!r}: gunicorn passes chunked bodies on without "
                        "CONTENT_LENGTH and Django's multipart parser reads such a body as empty "
                        "(behind nginx, which buffers the body and sets Content-Length, this "
                        "does not arise)"
                    )
    except Exception as exc:  # noqa: BLE001
        notes.append(f"oversize uploads failed: {type(exc).__name__}: {exc}")
    pg_drop(DB)
    for path in (OUT / "var" / "media" / "uploads").glob("*"):
        path.unlink(missing_ok=True)

    headers = [
        "upload", "status", "app MB/s", "nginx MB/s", "app/nginx", "idle RSS MB",
        "peak RSS MB", "peak/idle",
    ]  # fmt: skip
    text = table(headers, rows)
    text += "\n\n" + table(
        [f"body sent (MAX_UPLOAD_MB={LIMIT_MB})", "status", "MB sent", "seconds", "answer"],
        refusal_rows,
    )
    notes.append(
        "client sends over loopback to gunicorn directly (2 sync workers); MB/s is the median of "
        "3 uploads for 100 MB, one for 1 GB; peak RSS over all of them; 'MB sent' counts what "
        "the client handed to its socket (includes what sat in kernel buffers, up to a few MB)"
    )
    return {
        "name": NAME,
        "title": "Uploads (POST /api/files/upload vs nginx receiving the same body)",
        "table": text,
        "targets": targets,
        "notes": notes,
        "figures": figures,
    }


if __name__ == "__main__":
    emit(NAME, run())
