"""The server users run, for tests: `make run` itself, in a process group of its own.

`make run` installs (already done by `make test`), migrates, loads the demo catalog, collects
static files and starts gunicorn with deploy/gunicorn.conf.py — the same command, config and
middleware a user gets. Only the environment differs: a free port, and a VAR_DIR (SQLite file,
media, uploads, secret key) under the test's tmp dir. The settings the test suite relaxes for
itself (tests/env.py) are taken out again, so the server runs with the shipped defaults.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
# Set by tests/env.py or CI for the test process itself; `make run` never sees them.
TEST_ONLY_VARIABLES = (
    "VAR_DIR",
    "PLAIN_STATICFILES",
    "RATELIMIT_ENABLE",
    "REQUIRE_USER_AGENT",
    "TASKS_IMMEDIATE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_URL",
    "REDIS_URL",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
)
ADMIN_USERNAME = "boss"
ADMIN_PASSWORD = "the admin's long passphrase 7"


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Poll `url` until it answers; fail with the server's log if the process died first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up:\n{log.read_text()[-4000:]}") from None
            time.sleep(0.2)


@dataclass
class RealServer:
    """A running site: its base URL, where uploads are served, and how to run manage.py on it."""

    url: str
    upload_url: str
    env: dict[str, str]
    log: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """Run a management command against this server's database; returns its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def create_superuser(self) -> None:
        self.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            ADMIN_USERNAME,
            "--email",
            "boss@example.org",
            extra_env={"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
        )

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Kill each process group (make and its gunicorn master and workers)."""
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def clean_environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    env.update(extra)
    return env


def start_make_run(var_dir: Path, **extra_env: str) -> RealServer:
    """`make run` on a free port with its own VAR_DIR; returns once /healthz answers."""
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    env = clean_environment(HOST="127.0.0.1", PORT=str(port), VAR_DIR=str(var_dir), **extra_env)
    log = var_dir / "make-run.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = RealServer(url=url, upload_url=f"{url}/u/", env=env, log=log, processes=[process])
    try:
        wait_until_up(f"{url}/healthz", process, log, timeout=180)
    except BaseException:
        server.stop()
        raise
    return server
