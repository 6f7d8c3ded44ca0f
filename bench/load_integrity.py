"""Load with integrity (issue 10): 64 clients for 60 s against gunicorn + PostgreSQL + Redis.

Clients mix catalog reads, uploads, downloads and deletes. Afterwards every upload that got a
200 must download byte-identical (sha256), every delete must really have removed its file, and
no response may be a 5xx (429s are expected and counted). Prints a JSON summary.

    .venv/bin/python bench/load_integrity.py [--clients 64] [--seconds 60]

Optional faults while the load runs (issue 12) come from bench/faults.py, which drives this
module's `run_load` with a callback.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
USER_AGENT = "nekosite-load/1.0"


@dataclass
class Server:
    url: str
    env: dict[str, str]
    var_dir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, workers: int = 2) -> None:
        port = urlsplit(self.url).port
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "nekosite.wsgi:application", "-w", str(workers),
             "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60",
             "--no-control-socket", "--log-level", "warning"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(self.url, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def request(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> tuple[int, bytes, dict[str, str]]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="uploadFile"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def prepare_environment(database: str, *, var_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7"),
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "load-test-secret-key-" + "x" * 40,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        **extra,
    }
    for name in ("PLAIN_STATICFILES", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database], check=True
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    subprocess.run(
        ["redis-cli", "-u", env["REDIS_URL"], "flushdb"], check=True, capture_output=True
    )
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo", "--images", "30"], cwd=ROOT, env=env, check=True)
    return env


def create_users(env: dict[str, str], count: int) -> list[str]:
    """File-host tokens for `count` users, made in-process (signup is rate limited per IP)."""
    code = (
        "import json\n"
        "from accounts.models import User\n"
        "from accounts.services import filehost_token_get_or_create\n"
        "out = []\n"
        f"for i in range({count}):\n"
        "    user, _ = User.objects.get_or_create(username=f'load{i}')\n"
        "    out.append(filehost_token_get_or_create(user=user)[1])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Ledger:
    """What the clients did, for the integrity check afterwards."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # url -> sha256 of what was uploaded
    deleted: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, op: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[f"{op}:{status}"] += 1
            self.latencies.append(seconds)


def client_loop(base: str, token: str, deadline: float, ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    mine: list[tuple[str, str]] = []  # (url, sha256)
    while time.monotonic() < deadline:
        op = rng.choices(["read", "upload", "download", "delete"], weights=[4, 3, 2, 1])[0]
        started = time.monotonic()
        try:
            if op == "read":
                path = rng.choice(
                    ["/api/v1/image/random?limit=5", "/api/v1/category", "/api/v1/stats",
                     "/api/v1/artist?search=%25a%25", "/api/info"]
                )  # fmt: skip
                status, _, _ = request(base, "GET", path)
            elif op == "upload" or not mine:
                op = "upload"
                content = os.urandom(rng.randint(1, 256) * 1024)
                body, ctype = multipart(f"f{rng.randint(0, 9999)}.bin", content)
                status, reply, _ = request(
                    base, "POST", "/api/files/upload",
                    headers={"token": token, "Content-Type": ctype}, body=body,
                )  # fmt: skip
                if status == 200:
                    url = json.loads(reply)["url"]
                    digest = hashlib.sha256(content).hexdigest()
                    mine.append((url, digest))
                    with ledger.lock:
                        ledger.kept[url] = digest
            elif op == "download":
                url, digest = rng.choice(mine)
                status, reply, _ = request(base, "GET", urlsplit(url).path)
                if status == 200 and hashlib.sha256(reply).hexdigest() != digest:
                    with ledger.lock:
                        ledger.mismatches.append(url)
            else:
                url, digest = mine.pop(rng.randrange(len(mine)))
                name = urlsplit(url).path.rsplit("/", 1)[1]
                status, _, _ = request(
                    base, "POST", "/api/files/delete", headers={"token": token, "file": name}
                )
                if status == 200:
                    with ledger.lock:
                        ledger.kept.pop(url, None)
                        ledger.deleted.append(url)
                else:
                    mine.append((url, digest))
        except OSError as exc:  # a dropped connection is a finding, not a crash of the script
            with ledger.lock:
                ledger.errors.append(f"{op}: {exc!r}")
            status = 0
        ledger.record(op, status, time.monotonic() - started)


def run_load(
    base: str,
    tokens: list[str],
    seconds: float,
    during: Callable[[float], None] | None = None,
) -> Ledger:
    ledger = Ledger()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(base, token, deadline, ledger, i), daemon=True)
        for i, token in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    if during is not None:
        during(deadline)
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return ledger


def verify(base: str, ledger: Ledger, uploads_dir: Path | None) -> dict[str, object]:
    """Every kept upload downloads byte-identical; every deleted one is gone (HTTP and disk)."""
    lost, corrupt, resurrected = [], [], []
    for url, digest in ledger.kept.items():
        status, body, _ = request(base, "GET", urlsplit(url).path)
        if status != 200:
            lost.append(url)
        elif hashlib.sha256(body).hexdigest() != digest:
            corrupt.append(url)
    for url in ledger.deleted:
        name = urlsplit(url).path.rsplit("/", 1)[1]
        status, _, _ = request(base, "GET", urlsplit(url).path)
        on_disk = uploads_dir is not None and (uploads_dir / name).exists()
        if status != 404 or on_disk:
            resurrected.append(url)
    return {"lost": lost, "corrupt": corrupt, "not_really_deleted": resurrected}


def summarize(ledger: Ledger, check: dict[str, object], seconds: float) -> dict[str, object]:
    latencies = sorted(ledger.latencies)
    by_status = Counter()
    for key, count in ledger.statuses.items():
        by_status[key.split(":")[1]] += count
    five_xx = sum(count for status, count in by_status.items() if status.startswith("5"))
    return {
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
        "by_status": dict(sorted(by_status.items())),
        "by_operation": dict(sorted(ledger.statuses.items())),
        "five_xx": five_xx,
        "connection_errors": len(ledger.errors),
        "uploads_kept": len(ledger.kept),
        "deletes": len(ledger.deleted),
        "download_mismatches_during_load": len(ledger.mismatches),
        **{key: len(value) for key, value in check.items()},  # type: ignore[arg-type]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="nekosite-load-"))
    env = prepare_environment("nekosite_load", var_dir=var_dir, port=args.port)
    server = Server(url=f"http://127.0.0.1:{args.port}", env=env, var_dir=var_dir)
    server.start()
    try:
        tokens = create_users(env, args.clients)
        ledger = run_load(server.url, tokens, args.seconds)
        check = verify(server.url, ledger, var_dir / "media" / "uploads")
        summary = summarize(ledger, check, args.seconds)
    finally:
        server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
    print(json.dumps(summary, indent=2))
    ok = summary["five_xx"] == 0 and not any(summary[k] for k in check)
    print("INTEGRITY:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
