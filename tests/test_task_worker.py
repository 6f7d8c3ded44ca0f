"""Issue #19 with real worker processes (`manage.py run_huey`), not huey's immediate mode.

Each test has its own VAR_DIR, so its own SQLite database and SQLite queue file; with
DATABASE_URL (PostgreSQL) and REDIS_URL set, as in CI's second run, its own PostgreSQL database
(copied from a migrated template) and its own queue name on that Redis. Workers and producers
run with tests/worker_settings.py: the site's settings plus the test-only tasks of
tests/taskapp, which log what they did to a file. Producers stand in for the web server: they
enqueue, then die (kill -9) before any worker runs.

The tests marked `server` run `make run` itself (tests/realserver.py).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.realserver import ROOT, clean_environment, start_make_run

TIMEOUT = 30  # seconds any expected effect may take


def _postgres_admin_url() -> str:
    return urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()


def _postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect(_postgres_admin_url(), autocommit=True) as conn:
        conn.execute(statement)


def _use_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


@dataclass
class Installation:
    """One test's installation: environment, log of the test tasks, processes started."""

    env: dict[str, str]
    var: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def task_log(self) -> Path:
        return Path(self.env["TASK_TEST_LOG"])

    def events(self, event: str, tag: str) -> list[float]:
        """Times of `event` lines for `tag` in the task log."""
        if not self.task_log.exists():
            return []
        times = []
        for line in self.task_log.read_text().splitlines():
            parts = line.split()
            if parts[:2] == [event, tag]:
                times.append(float(parts[2]))
        return times

    def worker(self, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        log = (self.var / "worker.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", *args],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def producer(self, code: str) -> subprocess.Popen[str]:
        """A process that runs `code` (Django set up), prints READY and then waits to be
        killed, as a web server that enqueued something and then died would."""
        script = (
            f"{textwrap.dedent(code)}\nprint('READY', flush=True)\nimport time\ntime.sleep(600)"
        )
        process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.processes.append(process)  # type: ignore[arg-type]
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "READY":
                return process
        raise AssertionError(f"producer failed: {process.wait()}")

    def python(self, code: str) -> Any:
        """Run `code` in a fresh process (Django set up); returns the JSON it prints last."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", textwrap.dedent(code)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    def worker_log(self) -> str:
        path = self.var / "worker.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                kill9(process)


def kill9(process: subprocess.Popen[Any]) -> None:
    """kill -9 of the process and everything it started (no clean-up of any kind)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen[Any]) -> None:
    """huey's graceful stop (SIGINT), as the systemd unit and gunicorn's config send it."""
    process.send_signal(signal.SIGINT)
    process.wait(timeout=TIMEOUT)


def wait_until(
    check: Callable[[], Any], install: Installation, what: str, timeout: float = TIMEOUT
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{install.worker_log()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A migrated VAR_DIR (SQLite) or PostgreSQL template database, made once per module."""
    template = tmp_path_factory.mktemp("worker-template")
    extra = {"VAR_DIR": str(template), "DJANGO_SETTINGS_MODULE": "tests.worker_settings"}
    template_db = f"nekosite_tw_{uuid.uuid4().hex[:8]}"
    if _use_postgres():
        _postgres(f'CREATE DATABASE "{template_db}"')
        base = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        extra["DATABASE_URL"] = base._replace(path=f"/{template_db}").geturl()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=clean_environment(**extra),
        check=True,
        timeout=300,
    )
    yield {"var": str(template), "database": template_db}
    if _use_postgres():
        _postgres(f'DROP DATABASE IF EXISTS "{template_db}" WITH (FORCE)')


@pytest.fixture
def install(migrated: dict[str, str], tmp_path: Path) -> Iterator[Installation]:
    var = tmp_path / "var"
    shutil.copytree(migrated["var"], var)
    name = f"tw-{uuid.uuid4().hex[:10]}"
    env = clean_environment(
        VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="tests.worker_settings",
        TASK_TEST_LOG=str(tmp_path / "tasks.log"),
        TASK_WORKERS="2",
        TASK_QUEUE_NAME=name,
        CACHE_KEY_PREFIX=name,
        PYTHONUNBUFFERED="1",
    )
    database = name.replace("-", "_")
    if _use_postgres():
        _postgres(f'CREATE DATABASE "{database}" TEMPLATE "{migrated["database"]}"')
        base = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = base._replace(path=f"/{database}").geturl()
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    install = Installation(env=env, var=var)
    try:
        yield install
    finally:
        install.stop_all()
        if os.environ.get("REDIS_URL"):
            import redis

            client = redis.Redis.from_url(os.environ["REDIS_URL"])
            for key in client.scan_iter(f"huey.*.{name}*"):
                client.delete(key)
        if _use_postgres():
            _postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# --- a queued task survives its producer and the worker ----------------------------------------


def test_a_task_enqueued_while_no_worker_runs_is_done_once_one_starts(
    install: Installation,
) -> None:
    """Enqueued by a process that is then killed (kill -9, like a crashed web server), with no
    worker running: the task waits in the queue (SQLite file or Redis) for the worker."""
    producer = install.producer("from tests.taskapp.tasks import record; record('first')")
    kill9(producer)
    time.sleep(1)
    assert install.events("done", "first") == []
    worker = install.worker()
    wait_until(lambda: install.events("done", "first"), install, "the first task")

    # Worker stopped, another task enqueued (and its producer killed), worker started again.
    stop(worker)
    producer = install.producer("from tests.taskapp.tasks import record; record('second')")
    kill9(producer)
    time.sleep(1)
    assert install.events("done", "second") == []
    install.worker()
    wait_until(lambda: install.events("done", "second"), install, "the second task")
    assert len(install.events("done", "first")) == 1  # done once, not again after the restart


def test_a_task_queued_by_the_web_server_survives_its_restart_and_the_worker_does_it(
    install: Installation,
) -> None:
    """An image uploaded to the real app server (gunicorn, deploy/gunicorn.conf.py, no worker
    beside it): the server is killed before any worker runs, and the thumbnail task the upload
    enqueued is still done when a worker starts later."""
    from tests.integration.http import signup_and_token, upload
    from tests.realserver import wait_until_up
    from tests.servers import free_port

    port = free_port()
    env = {
        **install.env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "TASK_WORKER_IN_GUNICORN": "false",
        "RATELIMIT_ENABLE": "false",
        "PLAIN_STATICFILES": "true",
    }
    log = install.var / "gunicorn.log"
    with log.open("wb") as handle:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
             "nekosite.wsgi:application"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    install.processes.append(gunicorn)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/healthz", gunicorn, log, 60)
    token = signup_and_token(url, "webuser", "a long enough password 19")
    reply = upload(url, token, "cat.png", _png(), "image/png")
    assert reply.status == 200, reply.body
    name = reply.json()["url"].rsplit("/", 1)[-1]
    kill9(gunicorn)
    thumbnail = install.var / "media" / "uploads" / "_thumbs" / f"{name}.webp"
    assert not thumbnail.exists()
    install.worker()
    wait_until(thumbnail.exists, install, "the thumbnail")
    assert (
        install.python(
            f"import json; from uploads.models import Upload; "
            f"print(json.dumps(Upload.objects.get(name='{name}').thumbnail_pending))"
        )
        is False
    )


# --- retries, schedules ----------------------------------------------------------------------


def test_a_failing_task_is_retried_with_growing_delays(install: Installation) -> None:
    """tests/taskapp's flaky task fails three times (retries=3, retry_delay=1, retry_backoff=2,
    as the site's tasks use retries=5, retry_delay=10, retry_backoff=2)."""
    install.worker()
    install.python("from tests.taskapp.tasks import flaky; flaky('f', 3)")
    wait_until(lambda: install.events("done", "f"), install, "the fourth attempt")
    attempts = install.events("attempt", "f")
    assert len(attempts) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    # 1 s, 2 s, 4 s (the scheduler looks once a second, so each may be up to a second late).
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9 and gaps[2] >= 3.9, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps


def test_a_periodic_task_runs_on_its_schedule(install: Installation) -> None:
    """tests/taskapp's tick runs when the second is a multiple of 3 (huey's scheduler made to
    look every second instead of every minute, in this worker only)."""
    install.worker(TASK_TEST_FAST_SCHEDULER="1")
    ticks = wait_until(
        lambda: (t := install.events("tick", "periodic")) and len(t) >= 3 and t, install, "3 ticks"
    )
    # Every 3 s, not at every look of the scheduler (each second); a tick may run up to a
    # second late (the worker polls its queue) and a look may slip by a second.
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks[:3])]
    assert all(1.9 < gap < 7 for gap in gaps), gaps


# --- work lost with a killed worker is done later by the sweeps ---------------------------------


def _png(size: tuple[int, int] = (300, 200), color: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def test_thumbnail_and_colour_jobs_killed_mid_task_are_done_later_by_the_sweeps(
    install: Installation, tmp_path: Path
) -> None:
    """huey takes a task off the queue when a worker starts it: kill -9 then loses it. The rows
    stay pending, and the sweeps (TASK_SWEEP_AFTER_SECONDS, 1 s here) enqueue them again."""
    image = tmp_path / "import"
    image.mkdir()
    (image / "big.png").write_bytes(_png())
    install.env["TASK_SWEEP_AFTER_SECONDS"] = "1"
    stalled = ["upload_thumbnail", "image_process"]
    worker = install.worker(TASK_TEST_STALL=",".join(stalled))
    producer = install.producer(
        f"""
        import io
        from django.core.management import call_command
        from accounts.models import User
        from uploads.services import upload_create
        owner = User.objects.create_user("owner", password="a long enough password 19")
        data = {_png(color=(10, 120, 200))!r}
        upload_create(owner=owner, file=io.BytesIO(data), client_name="cat.png", size=len(data))
        call_command("import_images", {str(image)!r})
        """
    )
    kill9(producer)
    wait_until(
        lambda: all(install.events("started", name) for name in stalled),
        install,
        "both tasks to start",
    )
    kill9(worker)  # mid-task: both messages are gone with it
    state = """
        import json
        from catalog.models import Image
        from nekosite import queue
        from uploads.models import Upload
        print(json.dumps({
            "upload_pending": Upload.objects.get().thumbnail_pending,
            "image": list(Image.objects.values_list("pending", "color").get()),
            "queued": sorted({task.name for task in queue.HUEY.pending()} - {"heartbeat"}),
        }))
    """
    assert install.python(state) == {"upload_pending": True, "image": [True, None], "queued": []}

    install.worker()
    time.sleep(1.5)  # older than TASK_SWEEP_AFTER_SECONDS
    install.python(
        "from uploads.tasks import upload_thumbnails_sweep; upload_thumbnails_sweep()\n"
        "from catalog.tasks import images_pending_sweep; images_pending_sweep()"
    )
    done = {"upload_pending": False, "image": [False, "#c81e28"], "queued": []}
    wait_until(lambda: install.python(state) == done, install, "the sweeps' tasks")
    thumbs = install.var / "media" / "uploads" / "_thumbs"
    assert len(list(thumbs.glob("*.webp"))) == 1


# --- make run starts the worker and stops it -----------------------------------------------------


def _processes_with(var_dir: Path, needle: str) -> list[int]:
    """Pids of processes whose command line has `needle` and whose VAR_DIR is `var_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in cmdline and f"VAR_DIR={var_dir}".encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.mark.server
def test_make_run_starts_a_worker_that_makes_thumbnails_and_stopping_it_leaves_none(
    tmp_path: Path,
) -> None:
    from tests.integration.http import request, signup_and_token, upload

    var = tmp_path / "var"
    server = start_make_run(var)
    try:
        wait_until(
            lambda: (
                request("GET", f"{server.url}/healthz").json()["data"]["queue"]["worker_seen_s"]
                is not None
            ),
            Installation(env={}, var=var),
            "the worker's heartbeat",
        )
        workers = _processes_with(var, "run_huey")
        assert len(workers) == 1
        token = signup_and_token(server.url, "runner", "a long enough password 19")
        reply = upload(server.url, token, "cat.png", _png(), "image/png")
        assert reply.status == 200, reply.body
        name = reply.json()["url"].rsplit("/", 1)[-1]
        thumbnail = var / "media" / "uploads" / "_thumbs" / f"{name}.webp"
        wait_until(thumbnail.exists, Installation(env={}, var=var), "the thumbnail")

        # Stopped as a user stops it: SIGTERM to gunicorn's master alone (not the group).
        masters = [
            pid
            for pid in _processes_with(var, "gunicorn")
            if re.search(r"\bgunicorn\b.*-c deploy/gunicorn.conf.py", _cmdline(pid))
            and _ppid(pid) not in _processes_with(var, "gunicorn")
        ]
        assert len(masters) == 1, masters
        os.kill(masters[0], signal.SIGTERM)
        server.processes[0].wait(timeout=60)
        wait_until(
            lambda: not _processes_with(var, "run_huey"), Installation(env={}, var=var), "no worker"
        )
    finally:
        server.stop()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])
