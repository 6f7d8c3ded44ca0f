"""Live fault injection (issue 12): break one part of the stack while clients run, mend it, and
check what the clients saw and that nothing was lost.

    .venv/bin/python bench/faults.py --fault db|redis|storage|s3|disk|slow [--json-out F]

Every fault uses private, throwaway servers so shared ones are never touched:
- db: a private PostgreSQL cluster (initdb in /tmp/nekosite-rel-pg, port 5499) stopped for
  ~12 s mid-load, then started again (gunicorn is not restarted);
- redis: a private redis-server on port 6399, shut down for ~12 s, then started again;
- storage: the local uploads folder replaced by a regular file for ~12 s (every write fails
  with ENOTDIR, as a vanished mount would), then put back;
- s3: STORAGE_BACKEND=s3 against a moto server behind a small TCP relay on port 8793; the
  relay refuses connections for ~12 s (moto keeps its data, like a real S3 outage);
- disk: FILE_UPLOAD_TEMP_DIR on a 2 MB tmpfs while clients upload 1-5 MB files;
- slow: 50 connections trickle an upload body at a few bytes/s into the embedded default
  (gunicorn -w 2 --threads 4, as `make run`) while a probe measures normal requests.

Each run prints requests and statuses before / during / after the fault, p50/p99 latency,
/healthz over time, and the integrity check of bench/load_integrity.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_integrity import (
    Credentials,
    Ledger,
    Server,
    create_users,
    integrity_ok,
    multipart,
    prepare_environment,
    request,
    run_load,
    summarize,
    verify,
)

APP_PORT = 8790
MOTO_PORT = 8792
RELAY_PORT = 8793
PG_PORT = 5499
PG_DIR = Path("/tmp/nekosite-rel-pg")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_PORT = 6399
FAULT_AT = 10.0
FAULT_FOR = 12.0
SECONDS = 40.0


# --- private servers ----------------------------------------------------------------------------
def _as_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-c", command], check=True, capture_output=True)


def pg_start() -> None:
    if not (PG_DIR / "PG_VERSION").exists():
        PG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.chown(PG_DIR, "postgres", "postgres")
        _as_postgres(f"{PG_BIN}/initdb -D {PG_DIR} -U postgres --auth=trust")
    _as_postgres(f"{PG_BIN}/pg_ctl -D {PG_DIR} -o '-p {PG_PORT} -k /tmp' -l {PG_DIR}/log -w start")


def pg_stop() -> None:
    _as_postgres(f"{PG_BIN}/pg_ctl -D {PG_DIR} -m fast -w stop")


def redis_start() -> None:
    subprocess.run(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "yes"],
        check=True, capture_output=True,
    )  # fmt: skip
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True
                          ).stdout.strip() == b"PONG":  # fmt: skip
            return
        time.sleep(0.1)
    raise RuntimeError("private redis did not start")


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"], capture_output=True)


class Relay:
    """A TCP relay to moto that can refuse connections (listening socket closed) on demand."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        self.listen_port, self.target_port = listen_port, target_port
        self.listener: socket.socket | None = None
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.listen_port))
        listener.listen(128)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Close the listener and cut every open connection: the endpoint is gone."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        with self.lock:
            for conn in self.conns:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self.conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# --- observation --------------------------------------------------------------------------------
class HealthPoller:
    """GET /healthz twice a second; keeps (t, status, data) for the report."""

    def __init__(self, base: str) -> None:
        self.samples: list[tuple[float, Any, Any]]
        self.base, self.samples = base, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                status, body, _ = request(self.base, "GET", "/healthz", timeout=15)
                data = json.loads(body).get("data")
            except (OSError, ValueError):
                status, data = 0, None
            self.samples.append((t, status, data))
            self.stop.wait(0.5)

    def __enter__(self) -> HealthPoller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=20)


def _pct(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000, 1)


def phases(
    ledger: Ledger, start: float, fault_on: float, fault_off: float, recover_grace: float = 2.0
) -> dict[str, Any]:
    """Statuses and latency of requests that *started* before, during and after the fault."""
    buckets: dict[str, list[tuple[str, int, float]]] = {"before": [], "during": [], "after": []}
    for ended, op, status, seconds in ledger.timeline:
        began = ended - seconds
        if began < fault_on:
            name = "before"
        elif began < fault_off + recover_grace:
            name = "during"
        else:
            name = "after"
        buckets[name].append((op, status, seconds))
    out: dict[str, Any] = {}
    for name, rows in buckets.items():
        statuses = Counter(str(status) for _, status, _ in rows)
        out[name] = {
            "requests": len(rows),
            "by_status": dict(sorted(statuses.items())),
            "by_operation": dict(sorted(Counter(f"{op}:{st}" for op, st, _ in rows).items())),
            "p50_ms": _pct([s for _, _, s in rows], 0.5),
            "p99_ms": _pct([s for _, _, s in rows], 0.99),
            "max_ms": round(max((s for _, _, s in rows), default=0) * 1000, 1),
        }
    out["window_s"] = {
        "fault_on": round(fault_on - start, 1),
        "fault_off": round(fault_off - start, 1),
    }
    return out


def health_timeline(samples: list[tuple[float, int, Any]], start: float) -> list[str]:
    """Compressed: one entry per change of answer."""
    out, last = [], None
    for t, status, data in samples:
        key = (status, json.dumps(data, sort_keys=True))
        if key != last:
            out.append(f"{t - start:5.1f}s {status} {json.dumps(data, sort_keys=True)}")
            last = key
    return out


def during_fault(
    break_it: Callable[[], None], mend_it: Callable[[], None], marks: dict[str, float]
) -> Callable[[float], None]:
    def during(deadline: float) -> None:
        start = deadline - SECONDS
        time.sleep(max(0.0, start + FAULT_AT - time.monotonic()))
        marks["on"] = time.monotonic()
        break_it()
        time.sleep(FAULT_FOR)
        mend_it()
        marks["off"] = time.monotonic()

    return during


@contextmanager
def app(
    database: str,
    *,
    pg_port: int = 5432,
    redis_url: str | None = None,
    workers: int = 2,
    threads: int = 4,
    **extra: str,
) -> Iterator[tuple[Server, dict[str, str], Path]]:
    var_dir = Path(tempfile.mkdtemp(prefix="nekosite-fault-"))
    env = prepare_environment(
        database, var_dir=var_dir, port=APP_PORT, pg_port=pg_port, redis_url=redis_url,
        demo_images=10, **extra,
    )  # fmt: skip
    server = Server(url=f"http://127.0.0.1:{APP_PORT}", env=env, var_dir=var_dir)
    server.start(workers=workers, threads=threads)
    try:
        yield server, env, var_dir
    finally:
        server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


def load_with_fault(
    server: Server,
    env: dict[str, str],
    var_dir: Path,
    break_it: Callable[[], None],
    mend_it: Callable[[], None],
    *,
    clients: int = 32,
    weights: dict[str, int] | None = None,
    max_kb: int = 256,
    backoff_cap: float = 1.0,
) -> dict[str, Any]:
    credentials = create_users(env, clients)
    marks: dict[str, float] = {}
    start = time.monotonic()
    with HealthPoller(server.url) as health:
        ledger = run_load(
            server.url, credentials, SECONDS, during=during_fault(break_it, mend_it, marks),
            weights=weights or {"read": 4, "anon": 1, "upload": 3, "download": 2, "delete": 1},
            max_kb=max_kb, backoff_cap=backoff_cap,
        )  # fmt: skip
    check = verify(server.url, ledger, var_dir / "media" / "uploads", env)
    summary = summarize(ledger, check, SECONDS)
    return {
        "phases": phases(ledger, start, marks["on"], marks["off"]),
        "healthz": health_timeline(health.samples, start),
        "totals": {
            k: summary[k] for k in ("requests", "by_status", "five_xx", "connection_errors")
        },
        "integrity": {
            k: summary[k]
            for k in (
                "uploads_kept",
                "deletes",
                "lost",
                "corrupt",
                "not_really_deleted",
                "rows_missing",
                "rows_unexplained",
                "storage_check",
                "download_mismatches_during_load",
            )
        },
        "integrity_ok": integrity_ok(summary),
    }


# --- the faults ---------------------------------------------------------------------------------
def fault_db() -> dict[str, Any]:
    pg_start()
    try:
        with app("nekosite_rel_faults", pg_port=PG_PORT,
                 RATELIMIT_ENABLE="false") as (server, env, var_dir):  # fmt: skip
            result = load_with_fault(server, env, var_dir, pg_stop, pg_start)
    finally:
        with suppress(subprocess.CalledProcessError):
            pg_stop()
    return result


def fault_redis() -> dict[str, Any]:
    redis_start()
    try:
        url = f"redis://127.0.0.1:{REDIS_PORT}/0"
        # Seed-default rate limits on: 429s while Redis is up, none while it is down.
        with app("nekosite_rel_faults", redis_url=url) as (server, env, var_dir):
            return load_with_fault(server, env, var_dir, redis_stop, redis_start)
    finally:
        redis_stop()


def fault_storage() -> dict[str, Any]:
    with app("nekosite_rel_faults", RATELIMIT_ENABLE="false") as (server, env, var_dir):
        uploads = var_dir / "media" / "uploads"
        aside = var_dir / "media" / "uploads.aside"

        def break_it() -> None:
            uploads.rename(aside)
            uploads.write_text("the storage is gone")  # writes below it: ENOTDIR

        def mend_it() -> None:
            uploads.unlink()
            aside.rename(uploads)

        return load_with_fault(server, env, var_dir, break_it, mend_it)


def fault_s3() -> dict[str, Any]:
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p",
         str(MOTO_PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    relay = Relay(RELAY_PORT, MOTO_PORT)
    try:
        time.sleep(2)
        relay.up()
        import boto3

        boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{RELAY_PORT}", aws_access_key_id="x",
            aws_secret_access_key="x", region_name="us-east-1",  # noqa: S106 - moto
        ).create_bucket(Bucket="nekosite-faults")  # fmt: skip
        s3: dict[str, Any] = {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": "nekosite-faults",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{RELAY_PORT}",
            "S3_ACCESS_KEY": "x",
            "S3_SECRET_KEY": "x",
            "RATELIMIT_ENABLE": "false",
        }
        with app("nekosite_rel_faults", **s3) as (server, env, var_dir):
            return load_with_fault(server, env, var_dir, relay.down, relay.up)
    finally:
        relay.down()
        moto.terminate()
        moto.wait(timeout=10)


def fault_disk() -> dict[str, Any]:
    mount_point = Path(tempfile.mkdtemp(prefix="nekosite-smallfs-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], check=True)
    try:
        with app("nekosite_rel_faults", RATELIMIT_ENABLE="false",
                 FILE_UPLOAD_TEMP_DIR=str(mount_point)) as (server, env, var_dir):  # fmt: skip
            # No break/mend: the disk is small all along; uploads are 1 KB to 5 MB.
            result = load_with_fault(
                server, env, var_dir, lambda: None, lambda: None, clients=16,
                weights={"upload": 4, "download": 2, "delete": 1, "read": 2}, max_kb=5120,
            )  # fmt: skip
            result["temp_files_left"] = sorted(p.name for p in mount_point.iterdir())
            result["tmpfs_used_bytes"] = shutil.disk_usage(mount_point).used
            return result
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def _trickle(base: str, token: str, stop: threading.Event, stats: Counter[str]) -> None:
    """One slow client: a 64 KB upload body sent at ~4 bytes/s."""
    body, ctype = multipart("slow.bin", os.urandom(64 * 1024))
    head = (
        f"POST /api/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"
        f"token: {token}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", APP_PORT), timeout=120) as sock:
            sock.sendall(head)
            stats["connected"] += 1
            sent = 0
            while not stop.is_set() and sent < len(body):
                sock.sendall(body[sent : sent + 2])
                sent += 2
                stop.wait(0.5)
            sock.settimeout(5)
            reply = sock.recv(200).decode(errors="replace")
            stats[f"answer:{reply.split(' ')[1] if reply.startswith('HTTP/') else 'none'}"] += 1
    except OSError as exc:
        stats[f"error:{type(exc).__name__}"] += 1


def fault_slow(workers: int = 2, threads: int = 4, slow_clients: int = 50) -> dict[str, Any]:
    with app("nekosite_rel_faults", workers=workers, threads=threads,
             RATELIMIT_ENABLE="false") as (server, env, _):  # fmt: skip
        tokens: list[Credentials] = create_users(env, 1)
        probe: list[tuple[float, int, float]] = []
        stop = threading.Event()
        stats: Counter[str] = Counter()
        start = time.monotonic()

        def probing() -> None:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    status = request(server.url, "GET", "/api/v1/category", timeout=10)[0]
                except OSError:
                    status = 0
                probe.append((began - start, status, time.monotonic() - began))
                stop.wait(0.25)

        prober = threading.Thread(target=probing, daemon=True)
        prober.start()
        time.sleep(FAULT_AT)
        slow = [
            threading.Thread(
                target=_trickle, args=(server.url, tokens[0].filehost, stop, stats), daemon=True
            )
            for _ in range(slow_clients)
        ]
        for thread in slow:
            thread.start()
        time.sleep(SECONDS - FAULT_AT)
        stop.set()
        for thread in [prober, *slow]:
            thread.join(timeout=30)

    def window(lo: float, hi: float) -> dict[str, Any]:
        rows = [(s, d) for t, s, d in probe if lo <= t < hi]
        return {
            "probes": len(rows),
            "ok": sum(1 for s, _ in rows if s == 200),
            "failed_or_timed_out": sum(1 for s, _ in rows if s != 200),
            "p50_ms": _pct([d for _, d in rows], 0.5),
            "max_ms": round(max((d for _, d in rows), default=0) * 1000, 1),
        }

    buckets: dict[str, tuple[int, int]] = {}
    for t, status, _ in probe:
        key = f"{int(t // 5) * 5:02d}-{int(t // 5) * 5 + 5:02d}s"
        ok, total = buckets.get(key, (0, 0))
        buckets[key] = (ok + (status == 200), total + 1)
    return {
        "server": f"gunicorn -w {workers} --threads {threads}",
        "probe_ok_of_total_per_5s": {k: f"{ok}/{total}" for k, (ok, total) in buckets.items()},
        "slow_clients": slow_clients,
        "probe_before": window(0, FAULT_AT),
        "probe_during": window(FAULT_AT + 2, SECONDS),
        "slow_client_outcomes": dict(stats),
    }


FAULTS: dict[str, Callable[[], dict[str, Any]]] = {
    "db": fault_db,
    "redis": fault_redis,
    "storage": fault_storage,
    "s3": fault_s3,
    "disk": fault_disk,
    "slow": fault_slow,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fault", choices=sorted(FAULTS), required=True)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    result = {"fault": args.fault, **FAULTS[args.fault]()}
    print(json.dumps(result, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")
    # 503/507 are the documented answers to an outage; a 500 or a lost file is a failure.
    statuses = result.get("totals", {}).get("by_status", {})
    ok = result.get("integrity_ok", True) and not statuses.get("500")
    print("RESULT:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
