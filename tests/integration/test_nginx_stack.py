"""nginx in front of two gunicorn app servers, PostgreSQL and Redis, checked end to end."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image

from tests.integration.http import request, signup_and_token, upload
from tests.servers import s3_client


def _png_1px() -> bytes:
    # Made by Pillow: a well-formed PNG (the hex literal this replaced had a wrong IDAT length,
    # which the upload's metadata removal now refuses as a damaged image).
    buffer = io.BytesIO()
    Image.new("RGBA", (1, 1), (255, 0, 0, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG_1PX = _png_1px()


def test_catalog_api_healthz_and_static_files_through_nginx(stack_factory: Callable) -> None:
    stack = stack_factory()
    health = request("GET", f"{stack.url}/healthz").json()["data"]
    assert (health["database"], health["cache"], health["queue"]["status"]) == ("ok", "ok", "ok")
    index = request("GET", f"{stack.url}/api/v1/")
    assert index.status == 200 and index.json()["success"] is True
    css = request("GET", f"{stack.url}/static/css/site.css")
    assert css.status == 200 and b"--accent" in css.body
    # nginx served it itself: gunicorn would have added whitenoise's headers.
    assert css.headers.get("Server", "").startswith("nginx")


def test_upload_and_download_through_x_accel_redirect(stack_factory: Callable) -> None:
    stack = stack_factory()
    token = signup_and_token(stack.url, "nginxuser", "a-long-Passw0rd!")
    content = os.urandom(300_000)
    reply = upload(stack.url, token, "data.bin", content, "application/octet-stream")
    assert reply.status == 200, reply.body
    url = reply.json()["url"]
    assert url.startswith(f"{stack.url}/u/")
    download = request("GET", url)
    assert download.status == 200
    assert hashlib.sha256(download.body).digest() == hashlib.sha256(content).digest()
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Accel-Redirect" not in download.headers  # consumed by nginx

    page = upload(stack.url, token, "evil.html", b"<script>alert(1)</script>", "text/html")
    served = request("GET", page.json()["url"])
    assert served.status == 200
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["Content-Security-Policy"].startswith("sandbox")

    image = upload(stack.url, token, "dot.png", PNG_1PX, "image/png")
    shown = request("GET", image.json()["url"])
    assert shown.headers["Content-Type"] == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline")


def test_rate_limit_is_shared_by_both_app_servers(stack_factory: Callable) -> None:
    """Two app servers with two workers each count in one Redis (issue 5: limits hold across
    processes). Hour-long windows, so a wall-clock boundary cannot fall inside the test."""
    stack = stack_factory(RATELIMIT_ENABLE="true", RATELIMIT_ANON_RATE="6/h")
    replies = [request("GET", f"{stack.app_urls[i % 2]}/api/v1/stats") for i in range(12)]
    statuses = [reply.status for reply in replies]
    assert statuses.count(200) == 6, statuses
    assert statuses.count(429) == 6, statuses
    assert {reply.headers["X-RateLimit-Scope"] for reply in replies} == {"generic_get"}
    refused = replies[-1]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["message"] == "429: too many requests"


def test_oversize_upload_is_refused_by_nginx_before_the_app(stack_factory: Callable) -> None:
    stack = stack_factory(MAX_UPLOAD_MB="1")
    token = signup_and_token(stack.url, "bigfiles", "a-long-Passw0rd!")
    reply = upload(
        stack.url, token, "big.bin", b"\0" * (2 * 1024 * 1024), "application/octet-stream"
    )
    assert reply.status == 413


def test_postgres_backup_and_restore_round_trip(stack_factory: Callable, tmp_path: Path) -> None:
    """The README's backup recipe (pg_dump -Fc / pg_restore, tar of VAR_DIR/media), tried once."""
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump missing")
    stack = stack_factory()
    token = signup_and_token(stack.url, "backupuser", "a-long-Passw0rd!")
    content = b"backup me " * 1000
    url = upload(stack.url, token, "keep.txt", content, "text/plain").json()["url"]
    db = connection.settings_dict
    dump = tmp_path / "nekosite.dump"
    base = ["-h", db["HOST"] or "127.0.0.1", "-U", db["USER"] or "postgres"]
    subprocess.run(["pg_dump", *base, "-Fc", "-f", str(dump), db["NAME"]], check=True)
    media = Path(os.environ["VAR_DIR"]) / "media"
    archive = shutil.make_archive(str(tmp_path / "media"), "gztar", media)

    restored = f"{db['NAME']}_restored_{int(time.time())}"
    subprocess.run(["createdb", *base, restored], check=True)
    try:
        subprocess.run(["pg_restore", *base, "--no-owner", "-d", restored, str(dump)], check=True)
        count = subprocess.run(
            ["psql", *base, "-tAc", "SELECT count(*) FROM uploads_upload", restored],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        assert count == "1"
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", restored], check=False)
    target = tmp_path / "restored-media"
    shutil.unpack_archive(archive, target)
    name = url.rsplit("/", 1)[1]
    assert (target / "uploads" / name).read_bytes() == content


def test_s3_storage_with_presigned_redirects_through_nginx(
    stack_factory: Callable, moto_endpoint: str
) -> None:
    """The same stack on S3 (a real moto server): uploads land in the bucket and downloads
    are 302s to short-lived presigned URLs that keep the safe-serving type and disposition."""
    bucket = f"nekosite-it-{int(time.time() * 1000)}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    stack = stack_factory(
        STORAGE_BACKEND="s3",
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=moto_endpoint,
        S3_ACCESS_KEY="testing",
        S3_SECRET_KEY="testing",
        FILE_SERVING="s3-redirect",
    )
    token = signup_and_token(stack.url, "s3user", "a-long-Passw0rd!")
    content = os.urandom(200_000)
    url = upload(stack.url, token, "data.bin", content, "application/octet-stream").json()["url"]
    redirect = request("GET", url)
    assert redirect.status == 302
    presigned = redirect.headers["Location"]
    assert presigned.startswith(moto_endpoint) and "X-Amz-Signature=" in presigned
    fetched = request("GET", presigned)
    assert fetched.status == 200 and fetched.body == content

    page = upload(stack.url, token, "evil.html", b"<script>alert(1)</script>", "text/html")
    served = request("GET", request("GET", page.json()["url"]).headers["Location"])
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["Content-Type"] == "application/octet-stream"
    keys = s3_client(moto_endpoint).list_objects_v2(Bucket=bucket)["KeyCount"]
    assert keys == 2


def test_catalog_and_token_changes_reach_every_app_server_within_read_cache_ms(
    stack_factory: Callable,
) -> None:
    """Each worker keeps image rows and tokens in memory (nekosite/lib/readcache.py). A write
    from another process (here: this test, through the ORM) must reach every worker of both
    app servers once READ_CACHE_MS has passed, and a revoked token must stop working."""
    from accounts.models import User
    from accounts.services import token_issue, token_revoke
    from catalog.models import Image
    from catalog.tests.factories import make_image

    stack = stack_factory(READ_CACHE_MS="300")
    image = make_image(nsfw="sfw")
    owner = User.objects.create_user("cacheowner", "c@example.com", "a long password 123")
    token, value = token_issue(user=owner, kind="api", scopes=["image:list"])
    auth = {"Authorization": f"Bearer {value}"}

    def answers(path: str, headers: dict[str, str] | None = None) -> list:
        # Enough requests per server that both of its workers answer (and cache).
        return [request("GET", f"{url}{path}", headers=headers) for url in stack.app_urls * 8]

    detail = f"/api/v1/image/{image.id}"
    assert {reply.json()["data"]["nsfw"] for reply in answers(detail)} == {"sfw"}
    assert {reply.status for reply in answers("/api/v1/image?limit=1", auth)} == {200}

    Image.objects.filter(pk=image.pk).update(nsfw="nsfw")
    token_revoke(token=token)
    time.sleep(0.3 + 0.2)
    assert {reply.json()["data"]["nsfw"] for reply in answers(detail)} == {"nsfw"}
    assert {reply.status for reply in answers("/api/v1/image?limit=1", auth)} == {401}
