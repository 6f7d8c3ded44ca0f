"""Fault handling (issue 12): what clients see when a part of the stack fails, and that nothing
is left half-done. Every fault is real: closed ports, a listening socket that never answers,
a storage folder under a regular file, a full tmpfs, a stopped moto server, a cancelled
PostgreSQL statement. The live versions under load are in bench/faults.py.

Documented behaviour (bench/RELIABILITY.md):
- database down: 503 in the envelope with Retry-After, within DB_CONNECT_TIMEOUT;
- Redis down: rate limits and brute-force counters fail open, the cache is bypassed,
  /healthz says {"cache": "error"} with 503, nothing answers 500;
- storage full or unusable: 507 on upload, 503 on read/delete, no row, no temporary file;
- a kill between storing a file and committing its row leaves an orphan that
  `storage_check --fix` removes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client

from accounts.models import User
from accounts.services import filehost_token_get_or_create
from nekosite.lib import cache as resilient_cache
from nekosite.lib.errors import DEFAULT_MESSAGES, STORAGE_UNAVAILABLE
from uploads.models import Upload

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple 42"
INSUFFICIENT = DEFAULT_MESSAGES[507]


# --- helpers ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upload(client: Client, token: str, data: bytes, name: str = "file.bin") -> Any:
    handle = io.BytesIO(data)
    handle.name = name
    return client.post("/api/files/upload", {"uploadFile": handle}, HTTP_TOKEN=token)


def assert_envelope(response: Any, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == status and body["success"] is False
    if message is not None:
        assert body["message"] == message


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def local_uploads(settings: Any, location: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }


@pytest.fixture
def owner(db: None, settings: Any) -> User:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_user(username="moptop", password=PASSWORD)


@pytest.fixture
def token(owner: User) -> str:
    return filehost_token_get_or_create(user=owner)[1]


@pytest.fixture
def temp_dir(settings: Any, tmp_path: Path) -> Path:
    """Where upload bodies stream; checked empty after every refused upload."""
    path = tmp_path / "upload-tmp"
    path.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(path)
    return path


@pytest.fixture
def json_client() -> Client:
    # Exceptions become responses, as under gunicorn: a 500 must be seen, not raised.
    return Client(raise_request_exception=False)


# --- the crash window: storage_check ------------------------------------------------------------
@pytest.mark.django_db
def test_storage_check_reports_and_repairs_both_halves_of_the_crash_window(
    settings: Any, tmp_path: Path, token: str, temp_dir: Path, json_client: Client
) -> None:
    """upload_create stores the file, then commits the row; upload_delete deletes the row, then
    the file, then commits. A kill -9 between the two steps leaves, respectively, a stored file
    without a row (orphan) and a row without its file (dangling). storage_check reports both;
    --fix removes the orphan file and the dangling row; the good upload is untouched."""
    location = tmp_path / "uploads"
    local_uploads(settings, location)
    kept = upload(json_client, token, b"kept", "kept.txt").json()["url"].rsplit("/", 1)[1]
    doomed = upload(json_client, token, b"doomed", "d.txt").json()["url"].rsplit("/", 1)[1]
    storage = storages["uploads"]
    # Killed after storage.save() returned, before the INSERT committed:
    storage.save("Crash01.bin", ContentFile(b"stored, never recorded"))
    # Killed after storage.delete() ran, before the DELETE committed (the row rolls back):
    storage.delete(doomed)

    out = io.StringIO()
    call_command("storage_check", stdout=out)
    report = out.getvalue()
    assert "orphan (stored, no row): Crash01.bin" in report
    assert f"dangling (row, not stored): {doomed}" in report
    assert "1 orphan(s) and 1 dangling row(s) found." in report
    assert Upload.objects.count() == 2  # reporting changes nothing

    call_command("storage_check", "--fix", "--min-age", "0", stdout=io.StringIO())
    out = io.StringIO()
    call_command("storage_check", stdout=out)
    assert "0 orphan(s) and 0 dangling row(s) found." in out.getvalue()
    assert files_under(location) == [kept]
    assert list(Upload.objects.values_list("name", flat=True)) == [kept]
    assert json_client.get(f"/u/{kept}").status_code == 200
    assert_envelope(json_client.get(f"/u/{doomed}"), 404)


# --- storage failing ----------------------------------------------------------------------------
@pytest.fixture
def broken_local_storage(settings: Any, tmp_path: Path) -> Path:
    """A storage folder that cannot exist: its parent is a regular file (ENOTDIR on every
    write), which fails the same way for root as for anybody, unlike chmod."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    location = blocker / "uploads"
    local_uploads(settings, location)
    return location


@pytest.mark.django_db
def test_upload_to_an_unusable_storage_folder_is_507_without_row_or_temp_file(
    broken_local_storage: Path, token: str, temp_dir: Path, json_client: Client
) -> None:
    response = upload(json_client, token, b"x" * 200_000, "cat.bin")
    assert_envelope(response, 507, INSUFFICIENT)
    assert response["Retry-After"]
    assert Upload.objects.count() == 0
    assert files_under(temp_dir) == []


@pytest.mark.django_db
def test_reading_or_deleting_when_local_storage_fails_is_503_and_keeps_the_row(
    settings: Any, tmp_path: Path, token: str, temp_dir: Path, json_client: Client
) -> None:
    location = tmp_path / "uploads"
    local_uploads(settings, location)
    name = upload(json_client, token, b"precious", "p.txt").json()["url"].rsplit("/", 1)[1]
    # The disk goes away under the app: its folder is replaced by a regular file.
    shutil.rmtree(location)
    location.write_text("")

    assert_envelope(json_client.get(f"/u/{name}"), 503, STORAGE_UNAVAILABLE)
    response = json_client.post("/api/files/delete", HTTP_TOKEN=token, HTTP_FILE=name)
    assert_envelope(response, 503, STORAGE_UNAVAILABLE)
    assert Upload.objects.filter(name=name).exists()  # the row deletion rolled back
    # Writing into it is a 507, and leaves no row and no temporary file behind.
    assert_envelope(upload(json_client, token, b"new", "n.txt"), 507, INSUFFICIENT)
    assert list(Upload.objects.values_list("name", flat=True)) == [name]
    assert files_under(temp_dir) == []


@pytest.mark.django_db
def test_dashboard_upload_to_an_unusable_storage_shows_the_message(
    broken_local_storage: Path, owner: User, temp_dir: Path
) -> None:
    client = Client()
    client.force_login(owner)
    handle = io.BytesIO(b"hello")
    handle.name = "hello.txt"
    response = client.post("/dashboard/files/", {"files": handle}, follow=True)
    assert response.status_code == 200
    assert INSUFFICIENT in response.content.decode()
    assert Upload.objects.count() == 0


# --- disk full while the body streams ------------------------------------------------------------
@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs (needs root and mount permission; skipped otherwise)."""
    mount_point = tmp_path / "smallfs"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.django_db
def test_disk_full_while_upload_streams_is_507_and_leaves_no_temp_file(
    settings: Any, tmp_path: Path, small_tmpfs: Path, token: str, json_client: Client
) -> None:
    local_uploads(settings, tmp_path / "uploads")
    settings.FILE_UPLOAD_TEMP_DIR = str(small_tmpfs)
    response = upload(json_client, token, os.urandom(5 * 1024 * 1024), "big.bin")
    assert_envelope(response, 507, INSUFFICIENT)
    assert files_under(small_tmpfs) == []
    assert Upload.objects.count() == 0
    # The server keeps serving: a small upload through the same temp dir works.
    assert upload(json_client, token, b"small", "small.txt").status_code == 200


@pytest.mark.django_db
def test_storage_disk_full_is_507_and_removes_the_partial_file(
    settings: Any, small_tmpfs: Path, token: str, temp_dir: Path, json_client: Client
) -> None:
    local_uploads(settings, small_tmpfs / "uploads")
    response = upload(json_client, token, os.urandom(3 * 1024 * 1024), "big.bin")
    assert_envelope(response, 507, INSUFFICIENT)
    assert files_under(small_tmpfs) == []
    assert files_under(temp_dir) == []
    assert Upload.objects.count() == 0
    assert upload(json_client, token, b"small", "small.txt").status_code == 200


# --- S3 endpoint down ---------------------------------------------------------------------------
BUCKET = "nekosite-faults"


class Moto:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.running = False

    def start(self) -> None:
        self.server.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.server.stop()
            self.running = False


@pytest.fixture
def moto(settings: Any) -> Iterator[Moto]:
    server = Moto()
    server.start()
    boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    from botocore.config import Config

    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": server.endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "signature_version": "s3v4",
                "location": "uploads",
                "file_overwrite": False,
                "default_acl": None,
                # As in settings._s3_client_config, with a short read timeout for the test.
                "client_config": Config(
                    connect_timeout=2, read_timeout=2, retries={"max_attempts": 2}
                ),
            },
        },
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.s3
@pytest.mark.django_db
def test_s3_down_upload_is_503_without_row_and_reads_follow_the_serving_mode(
    moto: Moto, settings: Any, token: str, temp_dir: Path, json_client: Client
) -> None:
    settings.FILE_SERVING = "django"
    name = upload(json_client, token, b"in the bucket", "b.txt").json()["url"].rsplit("/", 1)[1]
    moto.stop()

    started = time.monotonic()
    response = upload(json_client, token, b"after the outage", "c.txt")
    assert time.monotonic() - started < 15  # refused connections are not retried for long
    assert_envelope(response, 503, STORAGE_UNAVAILABLE)
    assert list(Upload.objects.values_list("name", flat=True)) == [name]
    assert files_under(temp_dir) == []

    # Streamed by Django: the object cannot be fetched, a 503 in the envelope.
    assert_envelope(json_client.get(f"/u/{name}"), 503, STORAGE_UNAVAILABLE)
    # Presigned redirect: signing needs no network, the client is sent to S3 as usual.
    settings.FILE_SERVING = "s3-redirect"
    redirect = json_client.get(f"/u/{name}")
    assert redirect.status_code == 302 and redirect["Location"].startswith(moto.endpoint)
    # Deleting needs the bucket: 503, and the row stays so the delete can be retried.
    response = json_client.post("/api/files/delete", HTTP_TOKEN=token, HTTP_FILE=name)
    assert_envelope(response, 503, STORAGE_UNAVAILABLE)
    assert Upload.objects.filter(name=name).exists()


@pytest.mark.s3
@pytest.mark.django_db
def test_s3_endpoint_that_never_answers_times_out_into_a_503(
    moto: Moto, settings: Any, token: str, temp_dir: Path, json_client: Client
) -> None:
    """A hung endpoint (accepts, never answers) is cut by the client's read timeout."""
    moto.stop()
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", moto.port))
        hung.listen(64)  # the kernel accepts connections; nobody ever answers
        started = time.monotonic()
        response = upload(json_client, token, b"into the void", "v.txt")
        elapsed = time.monotonic() - started
    assert_envelope(response, 503, STORAGE_UNAVAILABLE)
    assert elapsed < 30
    assert Upload.objects.count() == 0


# --- Redis down ---------------------------------------------------------------------------------
def redis_settings(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "nekosite.lib.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> int:
    """The cache points at a closed port: every connection is refused."""
    port = free_port()
    settings.CACHES = redis_settings(port)
    settings.RATELIMIT_ENABLE = True
    # Retry Redis quickly in tests (production waits RETRY_SECONDS between attempts).
    monkeypatch.setattr(resilient_cache, "RETRY_SECONDS", 0.2)
    return port


@pytest.mark.django_db
def test_redis_down_healthz_says_cache_error_with_503(redis_down: int, json_client: Client) -> None:
    response = json_client.get("/healthz")
    assert response.status_code == 503
    data = response.json()["data"]
    assert (data["database"], data["cache"]) == ("ok", "error")


@pytest.mark.django_db
def test_redis_down_nothing_answers_500_and_rate_limits_fail_open(
    redis_down: int, owner: User, token: str, temp_dir: Path, settings: Any, tmp_path: Path
) -> None:
    local_uploads(settings, tmp_path / "uploads")
    client = Client(raise_request_exception=False)
    # Far beyond the 1/s anonymous limit: refusing would need the shared counter.
    for _ in range(15):
        assert client.get("/api/v1/stats").status_code == 200  # cache bypassed
        assert client.get("/api/v1/image/random").status_code == 200
    assert client.get("/api/info").status_code == 200
    assert client.get("/").status_code == 200
    assert upload(client, token, b"still works", "s.txt").status_code == 200
    # Brute-force counters live in the cache too: a wrong password is a plain 401, not a 500.
    response = client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD="wrong")
    assert_envelope(response, 401)
    response = client.post("/accounts/login/", {"username": "moptop", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_service_recovers_by_itself_when_redis_comes_back(
    redis_down: int, json_client: Client
) -> None:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    assert json_client.get("/healthz").status_code == 503
    process = subprocess.Popen(
        [server, "--port", str(redis_down), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while json_client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, "the cache never came back"
            time.sleep(0.1)
        caches["default"].set("probe", "back", 10)
        assert caches["default"].get("probe") == "back"
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- database down ------------------------------------------------------------------------------
DB_DOWN_SCRIPT = r"""
import json, sys, time
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
results = {}
for method, path, headers in [
    ("get", "/healthz", {}),
    ("get", "/api/v1/stats", {}),
    ("get", "/api/v1/image/random", {}),
    ("get", "/api/info", {}),
    ("post", "/api/files/list", {"HTTP_TOKEN": "0b9c7a52-6c0e-4a55-9d4e-0d3f2b9c1e7a"}),
    ("get", "/u/abcdefg.png", {}),
    ("get", "/", {}),
]:
    started = time.monotonic()
    response = getattr(client, method)(path, **headers)
    results[path] = {
        "status": response.status_code,
        "type": response.get("Content-Type", ""),
        "body": response.content.decode(errors="replace")[:300],
        "retry_after": response.get("Retry-After"),
        "seconds": time.monotonic() - started,
    }
print("RESULT " + json.dumps(results))
"""


def run_with_database(url: str, tmp_path: Path, **extra: str) -> dict[str, dict[str, Any]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="nekosite.settings",
        DATABASE_URL=url,
        VAR_DIR=str(tmp_path / "var"),
        PLAIN_STATICFILES="true",
        ALLOWED_HOSTS="testserver",
        REQUIRE_USER_AGENT="false",
        # The rate-limit check runs first and looks tokens up in the database.
        RATELIMIT_ENABLE="true",
        RATELIMIT_ANON_RATE="100/s",
        LOG_LEVEL="CRITICAL",
        **extra,
    )
    result = subprocess.run(
        [sys.executable, "-c", DB_DOWN_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def assert_database_outage_answers(results: dict[str, dict[str, Any]], limit: float) -> None:
    health = results.pop("/healthz")
    assert health["status"] == 503
    assert json.loads(health["body"])["data"]["database"] == "error"
    page = results.pop("/")
    assert page["status"] == 503 and page["retry_after"] == "5"  # a short text, not a 500 page
    for path, answer in results.items():
        assert answer["status"] == 503, (path, answer)
        assert answer["type"].startswith("application/json"), (path, answer)
        assert json.loads(answer["body"]) == {
            "code": 503,
            "message": DEFAULT_MESSAGES[503],
            "success": False,
        }
        assert answer["retry_after"] == "5"
    for path, answer in [("/healthz", health), ("/", page), *results.items()]:
        assert answer["seconds"] < limit, (path, answer["seconds"])


def test_database_refusing_connections_is_a_quick_503_in_the_envelope(tmp_path: Path) -> None:
    port = free_port()  # nothing listens: connection refused
    results = run_with_database(f"postgres://postgres@127.0.0.1:{port}/nekosite", tmp_path)
    assert_database_outage_answers(results, limit=2)


def test_database_that_never_answers_is_cut_by_db_connect_timeout(tmp_path: Path) -> None:
    """A host that accepts TCP but never speaks (a hung server, a dropped route) costs each
    request DB_CONNECT_TIMEOUT seconds, then 503 — never an endless hang."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(256)
        port = hung.getsockname()[1]
        results = run_with_database(
            f"postgres://postgres@127.0.0.1:{port}/nekosite", tmp_path, DB_CONNECT_TIMEOUT="1"
        )
    assert_database_outage_answers(results, limit=4)


# --- timeouts -----------------------------------------------------------------------------------
@pytest.fixture
def postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")


def test_statement_timeout_from_settings_is_set_on_every_connection(
    postgres: None, settings: Any
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        shown = cursor.fetchone()[0]
    expected_ms = settings.DB_STATEMENT_TIMEOUT_MS
    assert shown in {f"{expected_ms}ms", f"{expected_ms // 1000}s"}


def test_a_statement_over_the_timeout_is_cancelled_fast(postgres: None) -> None:
    started = time.monotonic()
    with pytest.raises(OperationalError, match="statement timeout"), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 300")
        cursor.execute("SELECT pg_sleep(10)")
    assert time.monotonic() - started < 5


def test_a_request_stuck_past_the_statement_timeout_is_a_503_in_the_envelope(
    postgres: None, json_client: Client
) -> None:
    """A query stuck behind a lock held by another connection is cancelled by
    statement_timeout; the client gets the outage 503 and retries later, not a 500."""
    import psycopg

    from catalog.models import Artist

    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
    )
    try:
        other.execute(f"LOCK TABLE {Artist._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            # Lowered for this test's transaction only (rolled back with it).
            cursor.execute("SET LOCAL statement_timeout = 300")
        started = time.monotonic()
        response = json_client.get("/api/v1/artist")
        assert time.monotonic() - started < 5
        assert_envelope(response, 503, DEFAULT_MESSAGES[503])
    finally:
        other.rollback()
        other.close()


def test_s3_client_has_connect_and_read_timeouts_and_bounded_retries() -> None:
    from nekosite.settings import _s3_client_config

    config = _s3_client_config()
    assert config.connect_timeout <= 10 and config.read_timeout <= 60
    assert config.retries["max_attempts"] <= 3


def test_gunicorn_commands_set_a_worker_timeout() -> None:
    """A stuck request is killed by gunicorn's timeout; DB_STATEMENT_TIMEOUT_MS (15 s) and the
    S3 read timeout (30 s) stay below it so they fire first and answer 503."""
    makefile = (ROOT / "Makefile").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py" in makefile  # one config for make run too
    conf: dict[str, Any] = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), conf)  # noqa: S102 - our own file
    assert conf["timeout"] * 1000 > 15000  # above the default DB_STATEMENT_TIMEOUT_MS


# --- slow clients -------------------------------------------------------------------------------
def test_a_body_slower_than_the_minimum_rate_is_cut_off_as_408(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real socket whose peer sends 3 bytes and then trickles nothing: the watchdog shuts the
    read side at the deadline, the blocked read returns and SlowBody (408) is raised."""
    from nekosite.lib import slowbody

    monkeypatch.setattr(slowbody, "GRACE_SECONDS", 0.5)
    monkeypatch.setattr(slowbody, "MIN_BYTES_PER_SECOND", 1000)
    server, peer = socket.socketpair()
    with server, peer:
        guarded = slowbody.DeadlineStream(server.makefile("rb"), server)
        peer.sendall(b"abc")
        started = time.monotonic()
        with pytest.raises(slowbody.SlowBody) as refused:
            guarded.read(1000)  # allowed: 0.5 s grace + 1000 B / 1000 B/s
        assert 1.0 <= time.monotonic() - started < 5
        assert refused.value.status == 408


def test_a_body_at_a_normal_rate_passes_the_slow_body_guard() -> None:
    from nekosite.lib import slowbody

    server, peer = socket.socketpair()
    with server, peer:
        guarded = slowbody.DeadlineStream(server.makefile("rb"), server)
        payload = os.urandom(200_000)
        sender = threading.Thread(target=peer.sendall, args=(payload,))
        sender.start()
        received = b""
        while len(received) < len(payload):
            received += guarded.read(len(payload) - len(received))
        sender.join()
        assert received == payload


def test_the_slow_body_guard_is_inactive_outside_gunicorn(
    owner: User, token: str, temp_dir: Path, settings: Any, tmp_path: Path, json_client: Client
) -> None:
    """runserver and the test client expose no gunicorn.socket: uploads work unchanged."""
    local_uploads(settings, tmp_path / "uploads")
    assert upload(json_client, token, b"hello", "h.txt").status_code == 200
