"""Real servers for integration tests: gunicorn app servers behind nginx, on loopback.

These run against PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); without them they skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.deploynginx import deploy_nginx_conf
from tests.realserver import RealServer, clean_environment, wait_until_up
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def require_postgres_and_redis() -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("integration tests need DATABASE_URL (PostgreSQL) and REDIS_URL")


@dataclass
class Stack:
    """Two gunicorn app servers and nginx in front of them."""

    url: str
    app_urls: list[str]
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


NGINX_CONF = """
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream nekosite_app {{ {upstreams} keepalive 8; }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size {max_mb}m;
        location /static/ {{ alias {var}/static/; }}
        location /_protected/ {{
            internal;
            alias {var}/media/;
            add_header X-Content-Type-Options nosniff always;
            add_header Content-Security-Policy $upstream_http_content_security_policy always;
            add_header Cross-Origin-Resource-Policy $upstream_http_cross_origin_resource_policy;
        }}
        location / {{
            proxy_pass http://nekosite_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@pytest.fixture
def stack_factory(
    tmp_path: Path, require_postgres_and_redis: None, transactional_db: None
) -> Iterator[Callable[..., Stack]]:
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is missing: apt-get install -y nginx")
    stacks: list[Stack] = []

    def _start(**extra_env: str) -> Stack:
        var = Path(os.environ["VAR_DIR"])
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "FILE_SERVING": "x-accel",
            "TRUSTED_PROXIES": "127.0.0.1",
            **extra_env,
        }
        env.pop("PLAIN_STATICFILES", None)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True, timeout=120,
        )  # fmt: skip
        ports = [free_port(), free_port()]
        nginx_port = free_port()
        env["SITE_URL"] = f"http://127.0.0.1:{nginx_port}"
        stack = Stack(
            url=env["SITE_URL"],
            app_urls=[f"http://127.0.0.1:{p}" for p in ports],
            env=env,
        )
        stacks.append(stack)
        for port in ports:
            stack.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "nekosite.wsgi:application",
                        "-w",
                        "2",
                        "-b",
                        f"127.0.0.1:{port}",
                        "--timeout",
                        "60",
                        "--no-control-socket",
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
        prefix = tmp_path / f"nginx-{nginx_port}"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                prefix=prefix,
                port=nginx_port,
                var=var,
                max_mb=env.get("MAX_UPLOAD_MB", "100"),
                upstreams=" ".join(f"server 127.0.0.1:{p};" for p in ports),
            )
        )
        stack.processes.append(
            subprocess.Popen(["nginx", "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"])
        )
        for url in [*stack.app_urls, stack.url]:
            wait_for(f"{url}/healthz")
        return stack

    yield _start
    for stack in stacks:
        stack.stop()


# --- The deploy/ stack as shipped, for the browser journeys -------------------------------------
WORKER_UNIT = ROOT / "deploy" / "systemd" / "nekosite-worker@.service"
UNIT_PYTHON = "/srv/nekosite/.venv/bin/python"


def worker_command(unit: Path = WORKER_UNIT) -> list[str]:
    """The ExecStart of the deploy/ worker unit, with this interpreter for the unit's venv."""
    lines = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1, f"{unit.name} needs exactly one ExecStart"
    command = shlex.split(lines[0].removeprefix("ExecStart="))
    assert command[0] == UNIT_PYTHON, command
    return [sys.executable, *command[1:]]


def _wait_for_worker(url: str, worker: subprocess.Popen[bytes], log: Path) -> None:
    """Until /healthz shows the worker's heartbeat (it records one as it starts)."""
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
            queue = json.load(response)["data"]["queue"]
        if queue.get("worker_seen_s") is not None:
            return
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the task worker did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def _postgres_database(name: str) -> str:
    """A fresh database beside the test database; returns its URL."""
    import psycopg

    base = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    admin = base._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def deploy_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """nginx with deploy/nginx/nekosite.conf, two app servers started as the systemd unit starts
    them (gunicorn -c deploy/gunicorn.conf.py, GUNICORN_BIND), PostgreSQL and Redis, files
    through X-Accel-Redirect, uploads on their own origin. A database of its own, migrated and
    with static files collected as the README's deployment steps say."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        pytest.skip("the deploy stack needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx is missing: apt-get install -y nginx")
    tmp = tmp_path_factory.mktemp("deploy")
    var = tmp / "var"
    (var / "media").mkdir(parents=True)
    port, app_ports = free_port(), [free_port(), free_port()]
    env = clean_environment(
        DATABASE_URL=_postgres_database("nekosite_journeys"),
        REDIS_URL=os.environ["REDIS_URL"],
        CACHE_KEY_PREFIX=f"journeys-{port}",
        # Its own queue on the shared Redis: no other test's worker takes its tasks.
        TASK_QUEUE_NAME=f"journeys-{port}",
        VAR_DIR=str(var),
        SITE_URL=f"http://127.0.0.1:{port}",
        UPLOAD_URL=f"http://localhost:{port}/",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        FILE_SERVING="x-accel",
        TRUSTED_PROXIES="127.0.0.1",
        # Every journey comes from 127.0.0.1 (see tests/browser_fixtures.embedded_site).
        RATELIMIT_ANON_RATE="50/s",
        RATELIMIT_AUTH_RATE="200/m",
        # The webhook journey's receiver is on 127.0.0.1 (refused by default); retries fast.
        WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        WEBHOOK_TIMEOUT_SECONDS="2",
        WEBHOOK_RETRY_BASE_SECONDS="1",
    )
    log = tmp / "servers.log"
    server = RealServer(
        url=env["SITE_URL"], upload_url=env["UPLOAD_URL"], env=env, log=log, processes=[]
    )
    server.manage("migrate", "--noinput")
    server.manage("seed_demo")  # the demo catalog `make run` loads (the gallery journey uses it)
    server.manage("collectstatic", "--noinput", "-v0")
    server.create_superuser()
    prefix = tmp / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(deploy_nginx_conf(port=port, app_ports=app_ports, var=var, prefix=prefix))
    with log.open("wb") as handle:
        for app_port in app_ports:
            server.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        "deploy/gunicorn.conf.py",
                        "nekosite.wsgi:application",
                    ],
                    cwd=ROOT,
                    env={**env, "GUNICORN_BIND": f"127.0.0.1:{app_port}"},
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        # One task worker, started as deploy/systemd/nekosite-worker@.service starts it.
        worker = subprocess.Popen(
            worker_command(),
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server.processes.append(worker)
        server.processes.append(
            subprocess.Popen(
                ["nginx", "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        for app_port in app_ports:
            wait_until_up(f"http://127.0.0.1:{app_port}/healthz", server.processes[0], log, 60)
        wait_until_up(f"{server.url}/healthz", server.processes[-1], log, 30)
        _wait_for_worker(server.url, worker, log)
        yield server
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)  # the unit's KillSignal: huey's graceful stop
            with contextlib.suppress(subprocess.TimeoutExpired):  # server.stop() kills it
                worker.wait(timeout=30)
        server.stop()
