"""Load with integrity (issue 10): 64 clients for 60 s against gunicorn + PostgreSQL + Redis.

Clients mix catalog reads (with a catalog API token, plus a few anonymous ones), uploads,
downloads and deletes. Afterwards every upload that got a 200 must download byte-identical
(sha256), every delete must really have removed its file, the Upload rows in the database must be
exactly the uploads the clients were told succeeded (no lost row, no phantom row), storage_check
must find no orphan and no dangling row, and no response may be a 5xx (429s are expected and
counted). Prints a JSON summary.

    .venv/bin/python bench/load_integrity.py [--clients 64] [--seconds 60] [--ratelimit off]

Uses the PostgreSQL database nekosite_rel_load on 127.0.0.1:5432 (dropped and created) and
LOAD_REDIS_URL (default redis://127.0.0.1:6379/4, flushed).

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
from typing import Any
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

    def start(self, workers: int = 2, threads: int = 4, wait_healthy: bool = True) -> None:
        port = urlsplit(self.url).port
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "nekosite.wsgi:application", "-w", str(workers),
             "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--timeout", "60",
             "--no-control-socket", "--log-level", "warning"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status = request(self.url, "GET", "/healthz")[0]
                if status == 200 or (not wait_healthy and status):
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not start")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the arbiter)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

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
    assert parts.hostname is not None
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


def prepare_environment(
    database: str,
    *,
    var_dir: Path,
    port: int,
    pg_port: int = 5432,
    redis_url: str | None = None,
    demo_images: int = 30,
    **extra: str,
) -> dict[str, str]:
    """Fresh database, flushed Redis db, migrated and seeded; returns the server environment."""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/{database}",
        "REDIS_URL": redis_url or os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/4"),
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "load-test-secret-key-" + "x" * 40,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        **extra,
    }
    for name in ("PLAIN_STATICFILES", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    pg = ["-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres"]
    subprocess.run(["dropdb", *pg, "--if-exists", "--force", database], check=True)
    subprocess.run(["createdb", *pg, database], check=True)
    subprocess.run(
        ["redis-cli", "-u", env["REDIS_URL"], "flushdb"], check=True, capture_output=True
    )
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "seed_demo", "--images", str(demo_images)],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return env


@dataclass(frozen=True)
class Credentials:
    filehost: str  # the nekos.cafe `token` header
    api: str  # a catalog API Bearer token (as an approved application would get)


def create_users(env: dict[str, str], count: int) -> list[Credentials]:
    """Both tokens for `count` users, made in-process (signup is rate limited per IP)."""
    code = (
        "import json\n"
        "from accounts.models import Token, User\n"
        "from accounts.services import filehost_token_get_or_create, token_issue\n"
        "out = []\n"
        f"for i in range({count}):\n"
        "    user, _ = User.objects.get_or_create(username=f'load{i}')\n"
        "    api = token_issue(user=user, kind=Token.Kind.API, scopes=['image:list'])[1]\n"
        "    out.append([filehost_token_get_or_create(user=user)[1], api])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    pairs = json.loads(result.stdout.strip().splitlines()[-1])
    return [Credentials(filehost=filehost, api=api) for filehost, api in pairs]


@dataclass
class Ledger:
    """What the clients did, for the integrity check afterwards."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    timeline: list[tuple[float, str, int, float]] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # url -> sha256 of what was uploaded
    deleted: list[str] = field(default_factory=list)
    # Requests whose outcome the client cannot know (connection dropped, 5xx): the server may
    # or may not have committed them, so the row check accepts either for these names/URLs.
    uncertain_uploads: int = 0
    uncertain_deletes: set[str] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, op: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[f"{op}:{status}"] += 1
            self.latencies.append(seconds)
            self.timeline.append((time.monotonic(), op, status, seconds))


READ_PATHS = [
    "/api/v1/image/random?limit=5",
    "/api/v1/image?limit=5",
    "/api/v1/category",
    "/api/v1/stats",
    "/api/v1/artist?search=%25a%25",
    "/api/info",
]
DEFAULT_WEIGHTS = {"read": 4, "anon": 1, "upload": 3, "download": 2, "delete": 1}


def _name(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


def client_loop(
    base: str,
    creds: Credentials,
    deadline: float,
    ledger: Ledger,
    seed: int,
    weights: dict[str, int] = DEFAULT_WEIGHTS,
    max_kb: int = 256,
    backoff_cap: float = 1.0,
) -> None:
    rng = random.Random(seed)
    ops, op_weights = list(weights), list(weights.values())
    mine: list[tuple[str, str]] = []  # (url, sha256)
    while time.monotonic() < deadline:
        op = rng.choices(ops, weights=op_weights)[0]
        if op in {"download", "delete"} and not mine:
            op = "upload"
        started = time.monotonic()
        status = 0
        reply_headers: dict[str, str] = {}
        try:
            if op in {"read", "anon"}:
                # Bots read with their catalog API token; "anon" is a visitor without one.
                headers = {"Authorization": f"Bearer {creds.api}"} if op == "read" else {}
                # /api/v1/image needs the image:list scope, so only token holders list it.
                paths = READ_PATHS if op == "read" else READ_PATHS[:1] + READ_PATHS[2:]
                status, _, reply_headers = request(base, "GET", rng.choice(paths), headers=headers)
            elif op == "upload":
                content = os.urandom(rng.randint(1, max_kb) * 1024)
                body, ctype = multipart(f"f{rng.randint(0, 9999)}.bin", content)
                try:
                    status, reply, reply_headers = request(
                        base, "POST", "/api/files/upload",
                        headers={"token": creds.filehost, "Content-Type": ctype}, body=body,
                    )  # fmt: skip
                except OSError:
                    with ledger.lock:
                        ledger.uncertain_uploads += 1
                    raise
                if status == 200:
                    url = json.loads(reply)["url"]
                    digest = hashlib.sha256(content).hexdigest()
                    mine.append((url, digest))
                    with ledger.lock:
                        ledger.kept[url] = digest
                elif status >= 500:
                    with ledger.lock:
                        ledger.uncertain_uploads += 1
            elif op == "download":
                url, digest = rng.choice(mine)
                status, reply, _ = request(base, "GET", urlsplit(url).path)
                if status == 200 and hashlib.sha256(reply).hexdigest() != digest:
                    with ledger.lock:
                        ledger.mismatches.append(url)
            else:
                url, digest = mine.pop(rng.randrange(len(mine)))
                try:
                    status, _, reply_headers = request(
                        base, "POST", "/api/files/delete",
                        headers={"token": creds.filehost, "file": _name(url)},
                    )  # fmt: skip
                except OSError:
                    with ledger.lock:
                        ledger.kept.pop(url, None)
                        ledger.uncertain_deletes.add(url)
                    raise
                if status == 200:
                    with ledger.lock:
                        ledger.kept.pop(url, None)
                        ledger.deleted.append(url)
                elif status >= 500:
                    with ledger.lock:
                        ledger.kept.pop(url, None)
                        ledger.uncertain_deletes.add(url)
                else:
                    mine.append((url, digest))
        except OSError as exc:  # a dropped connection is a finding, not a crash of the script
            with ledger.lock:
                ledger.errors.append(f"{op}: {exc!r}")
            status = 0
        ledger.record(op, status, time.monotonic() - started)
        if status == 429 and backoff_cap > 0:
            # A well-behaved client waits as Retry-After says (capped, so a blocked client
            # keeps knocking once in a while and its 429s are still counted).
            time.sleep(min(backoff_cap, float(reply_headers.get("Retry-After", "1"))))


def run_load(
    base: str,
    credentials: list[Credentials],
    seconds: float,
    during: Callable[[float], None] | None = None,
    weights: dict[str, int] = DEFAULT_WEIGHTS,
    max_kb: int = 256,
    backoff_cap: float = 1.0,
) -> Ledger:
    ledger = Ledger()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=client_loop,
            args=(base, creds, deadline, ledger, i, weights, max_kb, backoff_cap),
            daemon=True,
        )
        for i, creds in enumerate(credentials)
    ]
    for thread in threads:
        thread.start()
    if during is not None:
        during(deadline)
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return ledger


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def upload_rows(env: dict[str, str]) -> set[str]:
    code = (
        "from uploads.models import Upload\n"
        "print('\\n'.join(Upload.objects.values_list('name', flat=True)))\n"
    )
    return set(manage(env, "shell", "-v", "0", "-c", code).split())


def storage_check(env: dict[str, str], *extra: str) -> dict[str, object]:
    """Runs manage.py storage_check and parses its last line."""
    output = manage(env, "storage_check", *extra)
    last = output.strip().splitlines()[-1]
    orphans, dangling = (int(word) for word in last.split() if word.isdigit())
    return {"orphans": orphans, "dangling": dangling, "output": output.strip().splitlines()}


def verify(
    base: str, ledger: Ledger, uploads_dir: Path | None, env: dict[str, str] | None = None
) -> dict[str, object]:
    """Every kept upload downloads byte-identical; every deleted one is gone (HTTP and disk);
    the rows are exactly the kept uploads (plus, at most, the uncertain ones)."""
    lost, corrupt, resurrected = [], [], []
    for url, digest in ledger.kept.items():
        status, body, _ = request(base, "GET", urlsplit(url).path)
        if status != 200:
            lost.append(url)
        elif hashlib.sha256(body).hexdigest() != digest:
            corrupt.append(url)
    for url in ledger.deleted:
        status, _, _ = request(base, "GET", urlsplit(url).path)
        on_disk = uploads_dir is not None and (uploads_dir / _name(url)).exists()
        if status != 404 or on_disk:
            resurrected.append(url)
    check: dict[str, object] = {
        "lost": lost,
        "corrupt": corrupt,
        "not_really_deleted": resurrected,
    }
    if env is not None:
        rows = upload_rows(env)
        kept = {_name(url) for url in ledger.kept}
        maybe = {_name(url) for url in ledger.uncertain_deletes}
        check["rows_missing"] = sorted(kept - rows)
        extra = rows - kept - maybe
        # An upload whose reply never arrived may have committed: at most that many extra rows.
        check["rows_unexplained"] = sorted(extra) if len(extra) > ledger.uncertain_uploads else []
        check["rows_from_uncertain_requests"] = len(extra) + len(rows & maybe)
        check["storage_check"] = storage_check(env)
    return check


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000, 1)


def summarize(ledger: Ledger, check: dict[str, object], seconds: float) -> dict[str, object]:
    by_status: Counter[str] = Counter()
    for key, count in ledger.statuses.items():
        by_status[key.split(":")[1]] += count
    five_xx = sum(count for status, count in by_status.items() if status.startswith("5"))
    per_op: dict[str, dict[str, float | None]] = {}
    for op in sorted({op for _, op, _, _ in ledger.timeline}):
        served = [s for _, o, status, s in ledger.timeline if o == op and status == 200]
        per_op[op] = {"p50_ms": _percentile(served, 0.5), "p99_ms": _percentile(served, 0.99)}
    summary: dict[str, object] = {
        "requests": len(ledger.latencies),
        "requests_per_second": round(len(ledger.latencies) / seconds, 1),
        "p50_ms": _percentile(ledger.latencies, 0.5),
        "p99_ms": _percentile(ledger.latencies, 0.99),
        "latency_of_200s_by_operation": per_op,
        "by_status": dict(sorted(by_status.items())),
        "by_operation": dict(sorted(ledger.statuses.items())),
        "five_xx": five_xx,
        "connection_errors": len(ledger.errors),
        "uploads_kept": len(ledger.kept),
        "deletes": len(ledger.deleted),
        "uncertain_uploads": ledger.uncertain_uploads,
        "uncertain_deletes": len(ledger.uncertain_deletes),
        "download_mismatches_during_load": len(ledger.mismatches),
    }
    for key, value in check.items():
        summary[key] = value if isinstance(value, (int, dict)) else len(value)  # type: ignore[arg-type]
    return summary


def integrity_ok(summary: dict[str, object]) -> bool:
    """No lost, corrupt, resurrected or unexplained file, and a clean storage_check."""
    keys = ("lost", "corrupt", "not_really_deleted", "rows_missing", "rows_unexplained")
    clean = summary.get("storage_check", {"orphans": 0, "dangling": 0})
    return (
        not any(summary.get(key) for key in keys)
        and not summary["download_mismatches_during_load"]
        and clean["orphans"] == 0  # type: ignore[index]
        and clean["dangling"] == 0  # type: ignore[index]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--ratelimit", choices=["on", "off"], default="on")
    parser.add_argument(
        "--backoff-cap",
        type=float,
        default=1.0,
        help="seconds a client waits at most after a 429 (Retry-After); 0 = hammer",
    )
    parser.add_argument("--json-out", type=Path, help="also write the summary here")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="nekosite-load-"))
    extra: dict[str, Any] = {"RATELIMIT_ENABLE": "true" if args.ratelimit == "on" else "false"}
    env = prepare_environment("nekosite_rel_load", var_dir=var_dir, port=args.port, **extra)
    server = Server(url=f"http://127.0.0.1:{args.port}", env=env, var_dir=var_dir)
    server.start()
    try:
        credentials = create_users(env, args.clients)
        ledger = run_load(server.url, credentials, args.seconds, backoff_cap=args.backoff_cap)
        check = verify(server.url, ledger, var_dir / "media" / "uploads", env)
        summary = summarize(ledger, check, args.seconds)
        summary["ratelimit"] = args.ratelimit
        summary["clients"] = args.clients
        summary["backoff_cap_s"] = args.backoff_cap
        summary["rate_limit_blocks"] = int(
            manage(
                env, "shell", "-v", "0", "-c",
                "from accounts.models import RateLimitBlock;"
                "print(RateLimitBlock.objects.count())",
            ).strip()
        )  # fmt: skip
    finally:
        server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
    ok = summary["five_xx"] == 0 and integrity_ok(summary)
    summary["integrity"] = "OK" if ok else "FAILED"
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2) + "\n")
    print("INTEGRITY:", summary["integrity"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
