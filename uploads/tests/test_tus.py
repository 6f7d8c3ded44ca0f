"""Issue #21: "tus 1.0 resumable uploads (core plus the creation, termination, checksum and
expiration extensions) at a documented path, authenticated by the file-host token" and "the
finished file goes through the same pipeline as /api/files/upload".

Django's test client against /api/files/tus/; the real clients (tuspy, tus-js-client) against
the real server are in tests/test_tus_clients.py.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts import ratelimit
from nekosite.lib.slowbody import view_accepts_files
from uploads import tasks, tus
from uploads.api.tus import TusCreateView, TusUploadView
from uploads.models import TusUpload, Upload
from uploads.tests.conftest import make_user, png_bytes, token_of
from uploads.tests.test_upload_options import GPS_IFD, body_of, gps_jpeg

pytestmark = pytest.mark.django_db
ENDPOINT = "/api/files/tus/"
TUS: dict[str, Any] = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    return ",".join(
        f"{key.replace('_', '-')} {base64.b64encode(value.encode()).decode()}"
        for key, value in values.items()
    )


def create(client: Client, token: str, length: int, **meta: str) -> Any:
    extra: dict[str, Any] = {"HTTP_UPLOAD_METADATA": metadata(**meta)} if meta else {}
    return client.post(ENDPOINT, HTTP_TOKEN=token, HTTP_UPLOAD_LENGTH=str(length), **TUS, **extra)


def location(client: Client, token: str, length: int, **meta: str) -> str:
    response = create(client, token, length, **meta)
    assert response.status_code == 201, response.content
    return str(response["Location"]).removeprefix(settings.SITE_URL)


def patch(client: Client, url: str, token: str, offset: int, data: bytes, **extra: Any) -> Any:
    return client.generic(
        "PATCH",
        url,
        data,
        content_type=extra.pop("content_type", OCTETS),
        HTTP_TOKEN=token,
        HTTP_UPLOAD_OFFSET=str(offset),
        **{**TUS, **extra},
    )


def upload_whole(client: Client, token: str, data: bytes, **meta: str) -> Any:
    url = location(client, token, len(data), **meta)
    return patch(client, url, token, 0, data)


def served(client: Client, response: Any) -> bytes:
    name = response["File-Url"].rsplit("/", 1)[-1]
    got = client.get(f"/u/{name}")
    assert got.status_code == 200
    return body_of(got)


def upload_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


# --- discovery and version --------------------------------------------------------------------
def test_options_advertises_version_extensions_max_size_and_checksums(
    client: Client, settings: Any
) -> None:
    settings.MAX_UPLOAD_MB = 7
    for url in (ENDPOINT, f"{ENDPOINT}00000000-0000-0000-0000-000000000000"):
        response = client.options(url)  # tus: OPTIONS needs no Tus-Resumable, nor a token
        assert response.status_code == 204
        assert response["Tus-Resumable"] == "1.0.0"
        assert response["Tus-Version"] == "1.0.0"
        assert response["Tus-Extension"] == "creation,termination,checksum,expiration"
        assert response["Tus-Max-Size"] == str(7 * 1024 * 1024)
        assert response["Tus-Checksum-Algorithm"] == "sha1,md5,sha256"


@pytest.mark.parametrize("version", [None, "0.2.2", "2.0.0"])
def test_a_request_without_a_supported_version_is_412_with_tus_version(
    client: Client, owner_token: str, version: str | None
) -> None:
    extra: dict[str, Any] = {"HTTP_TUS_RESUMABLE": version} if version else {}
    response = client.post(ENDPOINT, HTTP_TOKEN=owner_token, HTTP_UPLOAD_LENGTH="5", **extra)
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0" and response["Tus-Resumable"] == "1.0.0"
    assert response.json()["success"] is False and not TusUpload.objects.exists()


# --- creation -----------------------------------------------------------------------------------
def test_creation_answers_201_with_location_expiry_and_an_empty_part_file(
    client: Client, owner_token: str, owner: Any
) -> None:
    before = timezone.now()
    response = create(client, owner_token, 11, filename="cat.txt", filetype="text/plain")
    assert response.status_code == 201 and response["Tus-Resumable"] == "1.0.0"
    url = response["Location"]
    assert url.startswith(f"{settings.SITE_URL}/api/files/tus/")  # the public origin
    upload = TusUpload.objects.get(pk=upload_id(url))
    assert (upload.owner, upload.length, upload.offset) == (owner, 11, 0)
    assert upload.metadata == {"filename": "cat.txt", "filetype": "text/plain"}
    expires = parsedate_to_datetime(response["Upload-Expires"])
    assert expires >= before.replace(microsecond=0) + timedelta(hours=23)
    assert tus.part_path(upload.id).read_bytes() == b""


def test_creation_needs_the_file_host_token(client: Client, owner_token: str) -> None:
    missing = client.post(ENDPOINT, HTTP_UPLOAD_LENGTH="5", **TUS)
    wrong = client.post(ENDPOINT, HTTP_TOKEN="nope", HTTP_UPLOAD_LENGTH="5", **TUS)
    bearer = client.post(
        ENDPOINT, HTTP_AUTHORIZATION=f"Bearer {owner_token}", HTTP_UPLOAD_LENGTH="5", **TUS
    )
    assert (missing.status_code, wrong.status_code, bearer.status_code) == (400, 401, 201)
    assert wrong.json() == {"code": 401, "message": "This token is not valid.", "success": False}
    assert wrong["Tus-Resumable"] == "1.0.0"


def test_creation_over_max_upload_mb_is_413_and_keeps_nothing(
    client: Client, owner_token: str, settings: Any
) -> None:
    settings.MAX_UPLOAD_MB = 1
    response = create(client, owner_token, 1024 * 1024 + 1)
    assert response.status_code == 413 and response.json()["code"] == 413
    assert response["Tus-Max-Size"] == str(1024 * 1024)
    assert not TusUpload.objects.exists()
    assert create(client, owner_token, 1024 * 1024).status_code == 201


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "The Upload-Length header is required"),
        ({"HTTP_UPLOAD_LENGTH": "-3"}, "The Upload-Length header is required"),
        ({"HTTP_UPLOAD_LENGTH": "0"}, "The file is empty."),
        ({"HTTP_UPLOAD_DEFER_LENGTH": "1"}, "Upload-Defer-Length is not supported"),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "filename !!"}, "not base64"),
        ({"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": "a b c"}, "comma-separated"),
        (
            {"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": metadata(expires="soon")},
            "expires must be a duration",
        ),
        (
            {"HTTP_UPLOAD_LENGTH": "5", "HTTP_UPLOAD_METADATA": metadata(max_views="0")},
            "max-views must be a whole number",
        ),
    ],
)
def test_a_bad_creation_request_is_a_400_envelope_and_creates_nothing(
    client: Client, owner_token: str, headers: dict[str, Any], message: str
) -> None:
    response = client.post(ENDPOINT, HTTP_TOKEN=owner_token, **TUS, **headers)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not TusUpload.objects.exists() and not list(tus.part_dir().glob("*"))


def test_metadata_keys_without_a_value_are_accepted() -> None:
    assert tus.parse_metadata("is_confidential, filename Y2F0LnBuZw==") == {
        "is_confidential": "",
        "filename": "cat.png",
    }


# --- HEAD ---------------------------------------------------------------------------------------
def test_head_reports_offset_length_expiry_metadata_and_is_never_cached(
    client: Client, owner_token: str
) -> None:
    url = location(client, owner_token, 10, filename="a.bin", file_password="open sesame")
    assert patch(client, url, owner_token, 0, b"12345").status_code == 204
    response = client.head(url, HTTP_TOKEN=owner_token, **TUS)
    assert response.status_code == 200
    assert (response["Upload-Offset"], response["Upload-Length"]) == ("5", "10")
    assert response["Cache-Control"] == "no-store"
    assert response["Tus-Resumable"] == "1.0.0"
    assert parsedate_to_datetime(response["Upload-Expires"]) > timezone.now()
    # The password is kept only as a hash: never echoed.
    assert response["Upload-Metadata"] == metadata(filename="a.bin")


# --- PATCH --------------------------------------------------------------------------------------
def test_the_last_patch_stores_the_file_through_the_upload_pipeline(
    client: Client, owner_token: str, owner: Any, settings: Any
) -> None:
    data = png_bytes((40, 30))
    url = location(client, owner_token, len(data), filename="kitty.png", filetype="image/png")
    half = len(data) // 2
    first = patch(client, url, owner_token, 0, data[:half])
    assert first.status_code == 204 and first["Upload-Offset"] == str(half)
    assert "File-Url" not in first and "Upload-Expires" in first
    last = patch(client, url, owner_token, half, data[half:])
    assert last.status_code == 204 and last["Upload-Offset"] == str(len(data))
    assert last["Tus-Resumable"] == "1.0.0"
    assert last["File-Url"].startswith(settings.UPLOAD_BASE_URL)
    upload = Upload.objects.get()
    # Named, sniffed and hashed as POST /api/files/upload does.
    assert upload.name.endswith(".png") and len(upload.name) == len("abcdefg.png")
    assert (upload.owner, upload.original_name, upload.content_type) == (
        owner,
        "kitty.png",
        "image/png",
    )
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert served(client, last) == data
    assert not TusUpload.objects.exists() and not list(tus.part_dir().glob("*"))
    # The upload is finished: its URL is gone.
    assert client.head(url, HTTP_TOKEN=owner_token, **TUS).status_code == 404


def test_a_patch_at_the_wrong_offset_is_409_and_changes_nothing(
    client: Client, owner_token: str
) -> None:
    url = location(client, owner_token, 10)
    patch(client, url, owner_token, 0, b"abc")
    response = patch(client, url, owner_token, 2, b"defg")
    assert response.status_code == 409 and response.json()["offset"] == 3
    assert TusUpload.objects.get().offset == 3
    assert tus.part_path(TusUpload.objects.get().id).read_bytes() == b"abc"


def test_a_patch_with_another_content_type_is_415(client: Client, owner_token: str) -> None:
    url = location(client, owner_token, 10)
    response = patch(client, url, owner_token, 0, b"abc", content_type="application/json")
    assert response.status_code == 415 and response["Tus-Resumable"] == "1.0.0"
    assert TusUpload.objects.get().offset == 0


def test_a_patch_without_upload_offset_is_400(client: Client, owner_token: str) -> None:
    url = location(client, owner_token, 10)
    response = client.generic(
        "PATCH", url, b"abc", content_type=OCTETS, HTTP_TOKEN=owner_token, **TUS
    )
    assert response.status_code == 400 and "Upload-Offset" in response.json()["message"]


def test_a_patch_past_the_upload_length_is_413_and_keeps_nothing(
    client: Client, owner_token: str
) -> None:
    url = location(client, owner_token, 4)
    response = patch(client, url, owner_token, 0, b"abcdef")
    assert response.status_code == 413 and TusUpload.objects.get().offset == 0


def test_a_second_writer_on_the_same_upload_is_409(client: Client, owner_token: str) -> None:
    """Concurrent PATCHes to one upload must not interleave: the first holds the part file's
    lock (here: the test holds it, as a PATCH in another worker would)."""
    url = location(client, owner_token, 10)
    upload = TusUpload.objects.get()
    with tus.part_path(upload.id).open("r+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        response = patch(client, url, owner_token, 0, b"abc")
    assert response.status_code == 409 and "Another request" in response.json()["message"]
    assert patch(client, url, owner_token, 0, b"abc").status_code == 204


def test_an_interrupted_body_keeps_what_arrived_so_the_client_resumes_there(
    owner: Any,
) -> None:
    upload = tus.tus_upload_create(owner=owner, length=10, metadata={})
    body = io.BytesIO(b"abcd")  # the client promised 8 bytes and went away after 4
    appended = tus.tus_upload_append(upload=upload, offset=0, read=body.read, content_length=8)
    assert appended.upload.offset == 4 and appended.stored is None
    assert TusUpload.objects.get().offset == 4
    assert tus.part_path(upload.id).read_bytes() == b"abcd"


def test_bytes_past_the_recorded_offset_are_dropped_before_appending(owner: Any) -> None:
    """A worker killed between writing and recording the offset left extra bytes."""
    upload = tus.tus_upload_create(owner=owner, length=6, metadata={"filename": "x.txt"})
    tus.part_path(upload.id).write_bytes(b"junk!")
    appended = tus.tus_upload_append(
        upload=upload, offset=0, read=io.BytesIO(b"hello!").read, content_length=6
    )
    assert appended.stored is not None
    assert appended.stored.sha256 == hashlib.sha256(b"hello!").hexdigest()


# --- checksum -----------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha256"])
def test_a_chunk_with_a_matching_checksum_is_kept(
    client: Client, owner_token: str, algorithm: str
) -> None:
    url = location(client, owner_token, 10)
    digest = base64.b64encode(hashlib.new(algorithm, b"abcde").digest()).decode()
    response = patch(
        client, url, owner_token, 0, b"abcde", HTTP_UPLOAD_CHECKSUM=f"{algorithm} {digest}"
    )
    assert response.status_code == 204 and response["Upload-Offset"] == "5"


def test_a_checksum_mismatch_is_460_and_the_chunk_is_discarded(
    client: Client, owner_token: str
) -> None:
    url = location(client, owner_token, 10)
    patch(client, url, owner_token, 0, b"abc")
    wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    response = patch(client, url, owner_token, 3, b"defg", HTTP_UPLOAD_CHECKSUM=f"sha256 {wrong}")
    assert response.status_code == 460 and response.reason_phrase == "Checksum Mismatch"
    assert response.json()["code"] == 460 and response["Tus-Resumable"] == "1.0.0"
    upload = TusUpload.objects.get()
    assert upload.offset == 3 and tus.part_path(upload.id).read_bytes() == b"abc"


def test_an_interrupted_chunk_with_a_checksum_is_discarded(owner: Any) -> None:
    upload = tus.tus_upload_create(owner=owner, length=10, metadata={})
    digest = hashlib.sha256(b"abcdefgh").digest()
    appended = tus.tus_upload_append(
        upload=upload,
        offset=0,
        read=io.BytesIO(b"abcd").read,
        content_length=8,
        checksum=tus.Checksum("sha256", digest),
    )
    assert appended.upload.offset == 0 and tus.part_path(upload.id).read_bytes() == b""


def test_an_unknown_checksum_algorithm_is_400(client: Client, owner_token: str) -> None:
    url = location(client, owner_token, 10)
    response = patch(client, url, owner_token, 0, b"abc", HTTP_UPLOAD_CHECKSUM="crc32 AAAA")
    assert response.status_code == 400 and "sha1, md5, sha256" in response.json()["message"]


# --- ownership and termination ------------------------------------------------------------------
def test_another_users_upload_is_404_for_every_method(
    client: Client, owner_token: str, other_user: Any
) -> None:
    url = location(client, owner_token, 10)
    other = token_of(other_user)
    assert client.head(url, HTTP_TOKEN=other, **TUS).status_code == 404
    assert patch(client, url, other, 0, b"abc").status_code == 404
    assert client.delete(url, HTTP_TOKEN=other, **TUS).status_code == 404
    assert TusUpload.objects.get().offset == 0
    unknown = f"{ENDPOINT}00000000-0000-0000-0000-000000000000"
    response = client.head(unknown, HTTP_TOKEN=owner_token, **TUS)
    assert response.status_code == 404 and response["Tus-Resumable"] == "1.0.0"


def test_delete_terminates_the_upload_and_its_data(client: Client, owner_token: str) -> None:
    url = location(client, owner_token, 10)
    patch(client, url, owner_token, 0, b"abc")
    response = client.delete(url, HTTP_TOKEN=owner_token, **TUS)
    assert response.status_code == 204 and response["Tus-Resumable"] == "1.0.0"
    assert not TusUpload.objects.exists() and not list(tus.part_dir().glob("*"))
    assert client.head(url, HTTP_TOKEN=owner_token, **TUS).status_code == 404
    assert patch(client, url, owner_token, 3, b"def").status_code == 404


# --- expiration ---------------------------------------------------------------------------------
def test_an_expired_upload_is_404_and_the_periodic_task_purges_it_with_its_data(
    client: Client, owner_token: str, owner: Any
) -> None:
    url = location(client, owner_token, 10)
    patch(client, url, owner_token, 0, b"abc")
    kept = tus.tus_upload_create(owner=owner, length=5, metadata={})
    expired = TusUpload.objects.get(pk=upload_id(url))
    TusUpload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    assert client.head(url, HTTP_TOKEN=owner_token, **TUS).status_code == 404
    assert patch(client, url, owner_token, 3, b"def").status_code == 404
    tasks.tus_uploads_purge.call_local()
    assert list(TusUpload.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [p.name for p in tus.part_dir().glob("*")] == [f"{kept.pk}.part"]


def test_each_patch_moves_the_expiry_forward(client: Client, owner_token: str) -> None:
    url = location(client, owner_token, 10)
    TusUpload.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    response = patch(client, url, owner_token, 0, b"abc")
    assert parsedate_to_datetime(response["Upload-Expires"]) > timezone.now() + timedelta(hours=23)


def test_part_files_without_a_row_are_purged_once_old(owner: Any) -> None:
    import os
    import time

    tus.part_dir().mkdir(parents=True, exist_ok=True)
    old = tus.part_dir() / "0a3c7d0e-8d52-4d5a-a3f8-6a56c2d7c0de.part"
    young = tus.part_dir() / "1a3c7d0e-8d52-4d5a-a3f8-6a56c2d7c0de.part"
    old.write_bytes(b"x")
    young.write_bytes(b"y")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    tus.tus_uploads_purge_expired()
    assert not old.exists() and young.exists()


# --- the same pipeline as /api/files/upload -----------------------------------------------------
def test_upload_options_travel_as_metadata_keys(client: Client, owner_token: str) -> None:
    response = upload_whole(
        client,
        owner_token,
        b"hello tus",
        filename="note.txt",
        expires="2h",
        max_views="3",
        file_password="open sesame",
        embed_title="A note",
        embed_color="FF66AA",
        embed_description="Sent   resumably",
    )
    assert response.status_code == 204, response.content
    upload = Upload.objects.get()
    assert upload.expires_at is not None
    assert timedelta(hours=1, minutes=59) < upload.expires_at - timezone.now() <= timedelta(hours=2)
    assert upload.max_views == 3 and upload.has_password
    assert (upload.embed_title, upload.embed_color, upload.embed_description) == (
        "A note",
        "#ff66aa",
        "Sent resumably",
    )
    from django.contrib.auth.hashers import check_password

    assert check_password("open sesame", upload.password_hash)


def test_a_jpeg_loses_its_gps_by_default(client: Client, owner_token: str) -> None:
    original = gps_jpeg()
    response = upload_whole(client, owner_token, original, filename="phone.jpg")
    stored = served(client, response)
    assert stored != original
    with Image.open(io.BytesIO(stored)) as image:
        assert GPS_IFD not in image.getexif()
    upload = Upload.objects.get()
    assert upload.size == len(stored) and upload.sha256 == hashlib.sha256(stored).hexdigest()


def test_a_jpeg_with_keep_metadata_is_served_byte_identical(
    client: Client, owner_token: str
) -> None:
    original = gps_jpeg()
    response = upload_whole(
        client, owner_token, original, filename="phone.jpg", keep_metadata="true"
    )
    assert served(client, response) == original


def test_a_file_the_pipeline_refuses_ends_the_upload(
    client: Client, owner_token: str, settings: Any
) -> None:
    settings.BLOCKED_UPLOAD_EXTENSIONS = ["exe"]
    url = location(client, owner_token, 5, filename="evil.exe")
    response = patch(client, url, owner_token, 0, b"MZ...")
    assert response.status_code == 415 and response["Tus-Resumable"] == "1.0.0"
    assert not Upload.objects.exists() and not TusUpload.objects.exists()
    assert not list(tus.part_dir().glob("*"))


def test_the_quota_counts_for_resumable_uploads(
    client: Client, owner_token: str, settings: Any, upload_file: Any
) -> None:
    settings.UPLOAD_QUOTA_FILES = 1
    assert upload_file(owner_token, b"first", "a.txt").status_code == 200
    response = upload_whole(client, owner_token, b"second", filename="b.txt")
    assert response.status_code == 413 and "quota" in response.json()["message"]


# --- limits and guards --------------------------------------------------------------------------
def test_creation_counts_as_an_upload_and_patches_as_generic_requests() -> None:
    assert ratelimit.view_limits(TusCreateView.as_view()).scope == ratelimit.UPLOAD
    assert ratelimit.view_limits(TusUploadView.as_view()).scope == ratelimit.GENERIC


def test_patch_bodies_may_be_larger_than_form_bodies() -> None:
    assert view_accepts_files(f"{ENDPOINT}00000000-0000-0000-0000-000000000000")
    assert not view_accepts_files(ENDPOINT)


def test_tus_is_left_out_of_the_openapi_schema(client: Client) -> None:
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert not [path for path in schema["paths"] if "/tus" in path]


def test_uploads_are_counted_per_user(client: Client, owner_token: str) -> None:
    """Two users' uploads in progress do not see each other (selector scoped to the owner)."""
    second = make_user("second")
    location(client, owner_token, 5)
    location(client, token_of(second), 5)
    assert TusUpload.objects.filter(owner=second).count() == 1
