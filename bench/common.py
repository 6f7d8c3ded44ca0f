"""Shared harness for the benchmarks: real gunicorn, real nginx, real PostgreSQL/Redis, wrk.

Every benchmark measures its target and its baseline in the same run, with the same wrk
settings, and reports the ratio; absolute numbers from different runs are never compared.
Everything binds 127.0.0.1 and every process started here is stopped by its context manager.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"  # git-ignored scratch space (VAR_DIR, nginx prefixes, JSON results)
PYTHON = str(ROOT / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable

PG_HOST = "127.0.0.1"
PG_USER = "postgres"
REDIS_URL = "redis://127.0.0.1:6379/8"
DB_PREFIX = "nekosite_bench_"

# One wrk setting for every target and its baseline (issue 9).
WRK_THREADS = 2
WRK_CONNECTIONS = 32
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
WRK_WARMUP_SECONDS = 1
# Runs per URL, interleaved: three, so that the median is a real middle run, not the mean of two.
WRK_REPS = 3
WRK_DESC = (
    f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} --latency; targets and baselines measured "
    f"interleaved, {WRK_REPS} runs of {max(1, WRK_SECONDS // WRK_REPS)} s each (after a "
    f"{WRK_WARMUP_SECONDS} s warm-up), median kept"
)
USER_AGENT = "bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL / Redis ------------------------------------------------------------------------


def database_url(name: str) -> str:
    assert name.startswith(DB_PREFIX), "benchmarks only ever touch nekosite_bench_* databases"
    return f"postgres://{PG_USER}@{PG_HOST}:5432/{name}"


def pg_reset(name: str) -> str:
    """Drop and create the bench database; returns its DATABASE_URL."""
    assert name.startswith(DB_PREFIX)
    common = ["-h", PG_HOST, "-U", PG_USER]
    subprocess.run(["dropdb", *common, "--if-exists", "--force", name], check=True, timeout=60)
    subprocess.run(["createdb", *common, name], check=True, timeout=60)
    return database_url(name)


def pg_drop(name: str) -> None:
    assert name.startswith(DB_PREFIX)
    subprocess.run(
        ["dropdb", "-h", PG_HOST, "-U", PG_USER, "--if-exists", "--force", name],
        check=False,
        timeout=60,
    )


def psql(name: str, sql: str, *, timeout: float = 600) -> str:
    """Run SQL through psql (stops at the first error) and return its output."""
    assert name.startswith(DB_PREFIX)
    done = subprocess.run(
        ["psql", "-h", PG_HOST, "-U", PG_USER, "-d", name, "-v", "ON_ERROR_STOP=1", "-qAtX"],
        input=sql,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip()


def redis_flush() -> None:
    """Empty Redis db 8 (ours) so rate-limit counters and cached bodies never leak between runs."""
    subprocess.run(["redis-cli", "-n", "8", "flushdb"], check=True, capture_output=True)


# --- the app -----------------------------------------------------------------------------------


def var_dir() -> Path:
    path = OUT / "var"
    (path / "media").mkdir(parents=True, exist_ok=True)
    return path


def app_env(database: str | None, **extra: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, PostgreSQL, Redis, no rate limits unless asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    for key in ("PLAIN_STATICFILES", "DATABASE_URL", "REDIS_URL", "PRODUCTION"):
        env.pop(key, None)
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1",
            "ROOT_URLCONF": "bench.urls",
            "RATELIMIT_ENABLE": "false",
            "VAR_DIR": str(var_dir()),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database:
        env["DATABASE_URL"] = database
        env["REDIS_URL"] = REDIS_URL
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare_app(env: dict[str, str]) -> None:
    """migrate (and collectstatic once: whitenoise's manifest storage needs it)."""
    manage(env, "migrate", "--noinput", "-v0")
    if not (Path(env["VAR_DIR"]) / "static" / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v0")


def shell(env: dict[str, str], code: str) -> str:
    """`manage.py shell -c` and return the last printed line."""
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def api_token(env: dict[str, str], scopes: list[str], username: str = "bench") -> str:
    """A catalog API token (100 chars) through the real service, printed by manage.py shell."""
    code = (
        "from accounts.models import User\n"
        "from accounts.services import token_issue\n"
        f"user, _ = User.objects.get_or_create(username={username!r})\n"
        f"_, value = token_issue(user=user, kind='api', scopes={scopes!r})\n"
        "print(value)\n"
    )
    return shell(env, code)


def query_counts(env: dict[str, str], requests: list[tuple[str, dict[str, str]]]) -> list[Any]:
    """[status, SQL queries of the first request, of the same request repeated] per GET,
    in-process through Django's test client. The first one fills the worker's read cache
    (nekosite/lib/readcache.py); the repeat is what a busy server mostly does."""
    code = (
        "import json\n"
        "from django.db import connection\n"
        "from django.test import Client\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "client = Client()\n"
        "out = []\n"
        f"for path, headers in {requests!r}:\n"
        "    counts = []\n"
        "    for _ in range(2):\n"
        "        with CaptureQueriesContext(connection) as ctx:\n"
        "            response = client.get(path, headers={'User-Agent': 'bench', **headers})\n"
        "        counts.append(len(ctx.captured_queries))\n"
        "    out.append([response.status_code, *counts])\n"
        "print(json.dumps(out))\n"
    )
    return json.loads(shell(dict(env, ALLOWED_HOSTS="127.0.0.1,testserver"), code))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(_request(url), timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _request(url: str, headers: dict[str, str] | None = None) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(_request(url, headers), timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    status, body = get(url, headers)
    if status != 200:
        raise RuntimeError(f"GET {url} -> {status}: {body[:300]!r}")
    return json.loads(body)


@dataclass
class Gunicorn:
    """gunicorn with 2 sync workers (minus nginx unless asked); with `production_config`,
    deploy/gunicorn.conf.py as `make run` and systemd start it (2 workers x 4 threads)."""

    env: dict[str, str]
    workers: int = 2
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    production_config: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        log_path = OUT / f"gunicorn-{self.port}.log"
        self._log = log_path.open("wb")
        if self.production_config:
            command = ["-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
            env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                   "GUNICORN_WORKERS": str(self.workers)}  # fmt: skip
        else:
            command = ["-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                       "--timeout", "300", "--no-control-socket"]  # fmt: skip
            env = self.env
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", *command, "--log-level", "warning",
             "nekosite.wsgi:application"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_http(f"{self.url}/healthz")
        # Let every worker import the app before measuring (the first hit only warms one).
        deadline = time.monotonic() + 20
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.2)
        return self

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        self.proc = None

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command may hold spaces and parentheses: the fields follow the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


NGINX_MAIN = """
user root;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        {server}
    }}
}}
"""


@dataclass
class Nginx:
    """Our own nginx (temp prefix, foreground) with the given server-block body."""

    server: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def prefix(self) -> Path:
        return OUT / f"nginx-{self.port}"

    def start(self) -> Nginx:
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        body = self.server.replace("{port}", str(self.port)).replace("{prefix}", str(self.prefix))
        conf.write_text(NGINX_MAIN.format(prefix=self.prefix, port=self.port, server=body))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(self.prefix), "-g", "daemon off;"]
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- wrk ---------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """req/s, p50/p99/max (ms) and error counts from `wrk --latency` output."""
    result: dict[str, Any] = {"non_2xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif parts[:1] == ["Latency"] and len(parts) >= 4:
            result["max"] = _ms(parts[3])
        elif len(parts) == 2 and parts[0] in {"50%", "75%", "90%", "99%"}:
            result["p" + parts[0].rstrip("%")] = _ms(parts[1])
        elif "requests in" in line:
            result["requests"] = int(parts[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            result["non_2xx"] = int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            result["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
        elif line.startswith("Transfer/sec:"):
            value = re.fullmatch(r"([\d.]+)([KMGT]?B)", parts[1])
            if value:
                scale = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
                result["bytes_per_s"] = float(value.group(1)) * scale[value.group(2)]
    if "rps" not in result or "p50" not in result:
        raise RuntimeError(f"could not parse wrk output:\n{output}")
    if result.get("requests", 0) == 0:
        # Nothing completed within the run: wrk prints zeros, which are not latencies.
        for key in ("p50", "p75", "p90", "p99"):
            result[key] = float("nan")
    return result


def wrk(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    seconds: int = WRK_SECONDS,
    connections: int = WRK_CONNECTIONS,
    threads: int = WRK_THREADS,
    warmup: bool = True,
    timeout_s: int = 30,
    script: list[str] | None = None,
) -> dict[str, Any]:
    """One wrk run (after a short warm-up with the same settings). `script`: a wrk Lua script
    and its arguments, for requests that vary (the URL then gives the server only)."""
    args = ["wrk", "--latency", "-t", str(threads), "-c", str(connections)]
    args += ["--timeout", f"{timeout_s}s", "-H", f"User-Agent: {USER_AGENT}"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    script_args: list[str] = []
    if script:
        args += ["-s", script[0]]
        script_args = ["--", *script[1:]]
    if warmup:
        subprocess.run(
            [*args, "-d", f"{WRK_WARMUP_SECONDS}s", url, *script_args],
            capture_output=True,
            timeout=WRK_WARMUP_SECONDS + 60,
        )
        drain(url)
    done = subprocess.run(
        [*args, "-d", f"{seconds}s", url, *script_args],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    waited = drain(url)
    if waited > 2:
        log(f"{url}: {waited:.1f} s until the requests wrk left queued were served")
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    result = parse_wrk(done.stdout)
    result["url"] = url.split("127.0.0.1", 1)[-1]
    if result["non_2xx"] or result["socket_errors"]:
        log(f"WARNING {url}: {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors")
    return result


def drain(url: str, timeout: float = 600) -> float:
    """Wait until the server behind `url` has worked off what wrk left queued.

    When wrk stops, the requests still waiting in gunicorn's listen queue are served anyway
    (a sync worker only notices the client left when it writes). Without this, a slow
    endpoint's leftovers would land in the next measurement. /healthz queues behind them, so
    its answer means the queue is empty. Returns the seconds waited.
    """
    origin = url.split("/", 3)
    health = "/".join(origin[:3]) + "/healthz"
    started = time.monotonic()
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(_request(health), timeout=timeout),
    ):
        pass
    return time.monotonic() - started


def wrk_interleaved(
    runs: dict[str, tuple[str, dict[str, str]]],
    *,
    scripts: dict[str, list[str]] | None = None,
    reps: int = WRK_REPS,
    seconds: int | None = None,
    connections: int = WRK_CONNECTIONS,
    timeout_s: int = 30,
) -> dict[str, dict[str, Any]]:
    """Measure several URLs in turn (A B C A B C ...) and keep each one's median run.

    The machine is shared: a burst of outside load lands on every URL of a round instead of on
    one of them, so ratios between the URLs stay meaningful. Per URL: `reps` runs of `seconds`
    (default WRK_SECONDS / reps, so the total matches one plain run), each after a warm-up.
    `scripts` gives some of the keys a wrk Lua script (see `wrk`).
    """
    seconds = seconds or max(1, WRK_SECONDS // reps)
    collected: dict[str, list[dict[str, Any]]] = {key: [] for key in runs}
    for _ in range(reps):
        for key, (url, headers) in runs.items():
            collected[key].append(
                wrk(
                    url,
                    headers,
                    seconds=seconds,
                    connections=connections,
                    timeout_s=timeout_s,
                    script=(scripts or {}).get(key),
                )
            )
    merged = {}
    for key, results in collected.items():
        middle = sorted(results, key=lambda r: r["rps"])[(len(results) - 1) // 2]
        merged[key] = {
            **middle,
            "rps": _median([r["rps"] for r in results]),
            "p50": _median([r["p50"] for r in results]),
            "p99": _median([r["p99"] for r in results]),
            "non_2xx": sum(r["non_2xx"] for r in results),
            "socket_errors": sum(r["socket_errors"] for r in results),
            "runs": [{k: r[k] for k in ("rps", "p50", "p99")} for r in results],
        }
    return merged


def _median(values: list[float]) -> float:
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# --- reporting ---------------------------------------------------------------------------------


def ratio(value: float, base: float) -> float:
    return round(value / base, 3) if base else float("nan")


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table (readable on a terminal as well)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in cells:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def target(name: str, value: float, op: str, goal: float) -> dict[str, Any]:
    met = value >= goal if op == ">=" else value <= goal
    if isinstance(value, float) and math.isnan(value):
        met = False
    return {"target": name, "value": value, "goal": f"{op} {goal}", "met": met}


def targets_table(targets: list[dict[str, Any]]) -> str:
    rows = [[t["target"], t["value"], t["goal"], t["met"]] for t in targets]
    return table(["target", "measured", "goal", "met"], rows)


def save(name: str, result: dict[str, Any]) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    return result


def emit(name: str, result: dict[str, Any]) -> None:
    """Print a benchmark's tables (stdout) and keep its JSON for the aggregator."""
    save(name, result)
    print(f"\n## {result['title']}\n")
    print(result["table"])
    if result.get("targets"):
        print()
        print(targets_table(result["targets"]))
    for note in result.get("notes", []):
        print(f"- {note}")
    print()


# --- environment description -------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions = subprocess.run(
        [PYTHON, "-c", "import django, rest_framework, PIL; "
         "print(django.get_version(), rest_framework.VERSION, PIL.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    pg = subprocess.run(
        ["psql", "-h", PG_HOST, "-U", PG_USER, "-d", "postgres", "-qAtX",
         "-c", "SHOW server_version"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    gunicorn = subprocess.run(
        [PYTHON, "-m", "gunicorn", "--version"], capture_output=True, text=True
    ).stdout.strip()
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()
    gunicorn = gunicorn.replace("(version ", "").rstrip(")")
    wrk_version = re.search(r"wrk [^\s]*?([\d.]+)", wrk_v[0]) if wrk_v else None
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "ram_gb": f"{mem_kb / 1024 / 1024:.1f}",
        "python": platform.python_version(),
        "django": versions[0],
        "drf": versions[1],
        "pillow": versions[2],
        "postgresql": pg,
        "gunicorn": gunicorn,
        "nginx": nginx.replace("nginx version: ", "").replace("/", " "),
        "wrk": f"wrk {wrk_version.group(1)}" if wrk_version else "wrk",
    }


def iter_chunks(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """`total` bytes of incompressible data, produced chunk by chunk (never whole in memory)."""
    block = os.urandom(chunk)
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield block[:size]
        sent += size


def load_average() -> str:
    """1-minute load average: other work on the machine skews absolute numbers (not ratios)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"
