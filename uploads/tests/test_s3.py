"""The S3 path through django-storages, against a real moto server process (no mock objects)."""

from __future__ import annotations

import hashlib
import io
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from tests.responses import streamed_body
from tests.servers import s3_client, s3_storage_options
from uploads.models import Upload
from uploads.tests.conftest import PASSWORD, png_bytes
from uploads.tests.test_api_files import stored_name

pytestmark = [pytest.mark.s3, pytest.mark.django_db]
BUCKET = "nekosite-uploads-test"


@pytest.fixture
def s3(moto_endpoint: str, settings: Any, uploads_storage: Any) -> Iterator[Any]:
    """A fresh bucket per test, and STORAGES["uploads"] pointing at it."""
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(moto_endpoint, BUCKET, "uploads"),
        },
    }
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def bucket_keys(client: Any) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_upload_lands_in_the_bucket_byte_identical(
    s3: Any, owner_token: str, upload_file: Any
) -> None:
    data = png_bytes((64, 64))
    name = stored_name(upload_file(owner_token, data, "cat.png"))
    assert bucket_keys(s3) == [f"uploads/{name}"]
    stored = s3.get_object(Bucket=BUCKET, Key=f"uploads/{name}")["Body"].read()
    assert stored == data


def test_django_mode_serves_from_s3_byte_identical(
    s3: Any, client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.FILE_SERVING = "django"
    data = bytes(range(256)) * 3000
    name = stored_name(upload_file(owner_token, data, "blob.bin"))
    response = client.get(f"/u/{name}")
    assert response.status_code == 200
    assert hashlib.sha256(streamed_body(response)).digest() == (hashlib.sha256(data).digest())
    ranged = client.get(f"/u/{name}", HTTP_RANGE="bytes=100-199")
    assert ranged.status_code == 206 and streamed_body(ranged) == data[100:200]


def test_s3_redirect_mode_gives_a_presigned_url_that_downloads_byte_identical(
    s3: Any, client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.FILE_SERVING = "s3-redirect"
    data = png_bytes((32, 32), "blue")
    name = stored_name(upload_file(owner_token, data, "blue.png"))
    response = client.get(f"/u/{name}")
    assert response.status_code == 302
    location = response["Location"]
    assert "X-Amz-Signature=" in location and urlsplit(location).hostname == "127.0.0.1"
    with urllib.request.urlopen(location, timeout=10) as presigned:
        assert presigned.read() == data
        assert presigned.headers["Content-Type"] == "image/png"


def test_delete_removes_the_object_from_the_bucket(
    s3: Any, client: Client, owner_token: str, upload_file: Any
) -> None:
    name = stored_name(upload_file(owner_token, b"bye", "a.txt"))
    client.post("/api/files/delete", HTTP_TOKEN=owner_token, HTTP_FILE=name)
    assert bucket_keys(s3) == [] and not Upload.objects.exists()


def test_user_delete_empties_the_bucket(
    s3: Any, client: Client, owner: User, owner_token: str, upload_file: Any
) -> None:
    for index in range(3):
        stored_name(upload_file(owner_token, b"x%d" % index, f"{index}.txt"))
    assert len(bucket_keys(s3)) == 3
    response = client.post("/api/user/delete", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    assert response.content == b"This user has been deleted"
    assert bucket_keys(s3) == []


def test_oversized_upload_leaves_nothing_in_the_bucket(
    s3: Any, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.MAX_UPLOAD_MB = 1
    response = upload_file(owner_token, b"a" * (1024 * 1024 + 10), "big.txt")
    assert response.status_code == 413
    assert bucket_keys(s3) == []


def test_storage_check_finds_and_fixes_orphans_in_the_bucket(
    s3: Any, owner_token: str, upload_file: Any
) -> None:
    good = stored_name(upload_file(owner_token, b"good", "good.txt"))
    s3.put_object(Bucket=BUCKET, Key="uploads/Orphan1.txt", Body=b"orphan")
    out = io.StringIO()
    call_command("storage_check", "--fix", "--min-age", "0", stdout=out)
    assert "orphan (stored, no row): Orphan1.txt" in out.getvalue()
    assert bucket_keys(s3) == [f"uploads/{good}"]


def test_thumbnail_is_kept_in_the_bucket_once_and_deleted_with_its_upload(
    s3: Any, client: Client, owner: User, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.FILE_SERVING = "django"
    name = stored_name(upload_file(owner_token, png_bytes((640, 480)), "cat.png"))
    client.force_login(owner)
    first = client.get(f"/dashboard/files/{name}/thumb.webp")
    assert first.status_code == 200
    body = streamed_body(first)
    assert bucket_keys(s3) == sorted([f"uploads/_thumbs/{name}.webp", f"uploads/{name}"])
    # Served from the kept object: the original's bytes are no longer needed.
    s3.delete_object(Bucket=BUCKET, Key=f"uploads/{name}")
    again = client.get(f"/dashboard/files/{name}/thumb.webp")
    assert streamed_body(again) == body
    client.post("/api/files/delete", HTTP_TOKEN=owner_token, HTTP_FILE=name)
    assert bucket_keys(s3) == []


def test_a_resumable_upload_goes_up_as_an_s3_multipart_upload_byte_identical(
    s3: Any, client: Client, owner_token: str
) -> None:
    """Issue #21: "on the S3 backend parts go up as an S3 multipart upload, never whole in
    memory". The part file stays on local disk; django-storages hands it to boto3's
    upload_fileobj, which sends files over 8 MB as a multipart upload, 8 MB parts read one at a
    time (an ETag ending in -<parts> is what S3 gives multipart objects)."""
    data = bytes(range(256)) * (9 * 4096 + 7)  # a little over 9 MB
    tus_headers: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_TOKEN": owner_token}
    created = client.post(
        "/api/files/tus/",
        HTTP_UPLOAD_LENGTH=str(len(data)),
        HTTP_UPLOAD_METADATA="filename YmxvYi5iaW4=",
        **tus_headers,
    )
    url = created["Location"].removeprefix("http://testserver")
    half = len(data) // 2
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        answer = client.generic(
            "PATCH",
            url,
            chunk,
            content_type="application/offset+octet-stream",
            HTTP_UPLOAD_OFFSET=str(offset),
            **tus_headers,
        )
        assert answer.status_code == 204, answer.content
    name = answer["File-Url"].rsplit("/", 1)[1]
    assert bucket_keys(s3) == [f"uploads/{name}"]
    stored = s3.get_object(Bucket=BUCKET, Key=f"uploads/{name}")
    assert stored["ETag"].strip('"').endswith("-2")
    assert hashlib.sha256(stored["Body"].read()).digest() == hashlib.sha256(data).digest()
