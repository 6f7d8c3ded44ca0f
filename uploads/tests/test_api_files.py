"""Seed 004 file endpoints: /api/files/list|upload|delete, with every way an upload can go wrong."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart

from accounts.models import User
from tests.responses import streamed_body
from uploads.models import Upload
from uploads.tests.conftest import named, png_bytes, storage_names, token_of
from uploads.tests.test_api_user import assert_envelope

pytestmark = pytest.mark.django_db
URL_RE = re.compile(r"^(?P<base>.+/)(?P<name>[A-Za-z0-9]{7})\.(?P<ext>[a-z0-9]{1,10})$")


def stored_name(response: Any) -> str:
    assert response.status_code == 200, response.content
    match = URL_RE.match(response.json()["url"])
    assert match, response.json()
    return f"{match['name']}.{match['ext']}"


# --- upload --------------------------------------------------------------------------------------
def test_upload_returns_url_under_upload_base_url(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    response = upload_file(owner_token, png_bytes(), "cat.png")
    # Seed 004: {"url": "https://i.nekos.cafe/xxxxxxx.png"}
    body = response.json()
    assert list(body) == ["url"]
    assert body["url"].startswith(settings.UPLOAD_BASE_URL)
    name = stored_name(response)
    assert name.endswith(".png") and storage_names() == [name]
    upload = Upload.objects.get(name=name)
    assert upload.content_type == "image/png" and upload.original_name == "cat.png"
    assert upload.sha256 == hashlib.sha256(png_bytes()).hexdigest()


def test_uploaded_file_downloads_byte_identical(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    data = bytes(range(256)) * 4000
    name = stored_name(upload_file(owner_token, data, "blob.bin"))
    response = client.get(f"/u/{name}")
    assert response.status_code == 200
    downloaded = streamed_body(response)
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(data).hexdigest()


def test_upload_names_are_random_and_distinct(owner_token: str, upload_file: Any) -> None:
    names = {stored_name(upload_file(owner_token, b"same", "a.txt")) for _ in range(5)}
    assert len(names) == 5


def test_upload_accepts_bearer_token(client: Client, owner_token: str) -> None:
    response = client.post(
        "/api/files/upload",
        {"uploadFile": named(b"hi", "a.txt")},
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert stored_name(response).endswith(".txt")


@pytest.mark.parametrize(
    ("client_name", "expected_ext"),
    [
        ("../../etc/passwd", "txt"),
        ("..\\..\\windows\\win.ini", "ini"),
        ("/etc/cron.d/evil.SH", "sh"),
        ("photo.JPEG", "jpeg"),
        ("archive.tar.gz", "gz"),
        ("noext", "txt"),
        (".bashrc", "txt"),
        ("weird.ex e", "txt"),
        ("long." + "x" * 11, "txt"),
        ("a" * 300 + ".txt", "txt"),
        ("nul\x00byte.txt", "txt"),
    ],
)
def test_odd_client_names_never_reach_the_stored_path(
    owner_token: str, upload_file: Any, uploads_storage: Path, client_name: str, expected_ext: str
) -> None:
    name = stored_name(upload_file(owner_token, b"plain text", client_name))
    assert name.endswith(f".{expected_ext}")
    # The only thing stored is the flat random name: no directories, nothing outside.
    assert storage_names() == [name]
    assert [p.name for p in uploads_storage.iterdir()] == [name]
    upload = Upload.objects.get(name=name)
    assert "/" not in upload.original_name and "\\" not in upload.original_name
    assert "\x00" not in upload.original_name and len(upload.original_name) <= 255


def test_extension_comes_from_sniffed_type_when_client_has_none(
    owner_token: str, upload_file: Any
) -> None:
    assert stored_name(upload_file(owner_token, png_bytes(), "screenshot")).endswith(".png")


def test_empty_file_is_400_and_nothing_stored(owner_token: str, upload_file: Any) -> None:
    body = assert_envelope(upload_file(owner_token, b"", "empty.txt"), 400)
    assert body["message"] == "The file is empty."
    assert storage_names() == [] and not Upload.objects.exists()


def test_missing_upload_field_is_400(client: Client, owner_token: str) -> None:
    response = client.post(
        "/api/files/upload", {"otherField": named(b"x", "a.txt")}, HTTP_TOKEN=owner_token
    )
    assert assert_envelope(response, 400)["message"] == "The uploadFile field is required."


def test_upload_that_is_not_multipart_is_415(client: Client, owner_token: str) -> None:
    response = client.post(
        "/api/files/upload", b"raw", content_type="application/octet-stream", HTTP_TOKEN=owner_token
    )
    assert_envelope(response, 415)


def test_upload_bad_token_is_401_and_nothing_stored(upload_file: Any, owner: User) -> None:
    assert_envelope(upload_file("bad-token", b"data", "a.txt"), 401)
    assert storage_names() == []


def test_upload_missing_token_is_400(client: Client) -> None:
    response = client.post("/api/files/upload", {"uploadFile": named(b"x", "a.txt")})
    assert_envelope(response, 400)


def test_oversized_content_length_is_refused_before_reading_body(
    client: Client, owner_token: str, settings: Any
) -> None:
    settings.MAX_UPLOAD_MB = 1
    body = encode_multipart("BoUnDaRy", {"uploadFile": named(b"tiny", "a.txt")})
    # The declared length is a lie far over the limit; the small payload cannot satisfy a
    # read of that size, so a 413 here proves the body was never read.
    response = client.generic(
        "POST",
        "/api/files/upload",
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        HTTP_TOKEN=owner_token,
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    envelope = assert_envelope(response, 413)
    assert envelope["message"] == "The file is larger than the 1 MB upload limit."
    assert storage_names() == []


def test_body_over_limit_is_stopped_while_streaming_and_leaves_nothing(
    owner_token: str, upload_file: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uploads import services

    settings.MAX_UPLOAD_MB = 1

    def never(**kwargs: Any) -> None:
        raise AssertionError("the handler should have stopped the upload")

    monkeypatch.setattr(services, "upload_create", never)
    # Just over the limit: the declared length passes the early check (multipart slack),
    # so the streaming handler must stop it and delete its temporary file.
    data = b"a" * (1024 * 1024 + 100)
    assert_envelope(upload_file(owner_token, data, "big.txt"), 413)
    assert storage_names() == [] and not Upload.objects.exists()
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []


def test_missing_content_length_uploads_nothing(client: Client, owner_token: str) -> None:
    body = encode_multipart("BoUnDaRy", {"uploadFile": named(b"x" * 5000, "a.txt")})
    response = client.generic(
        "POST",
        "/api/files/upload",
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        HTTP_TOKEN=owner_token,
        CONTENT_LENGTH="",
    )
    assert 400 <= response.status_code < 500
    assert storage_names() == [] and not Upload.objects.exists()


def test_file_at_exactly_the_limit_is_accepted(
    owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.MAX_UPLOAD_MB = 1
    stored_name(upload_file(owner_token, b"a" * (1024 * 1024), "exact.txt"))


def test_quota_by_files_is_413(owner_token: str, upload_file: Any, settings: Any) -> None:
    settings.UPLOAD_QUOTA_FILES = 1
    stored_name(upload_file(owner_token, b"one", "1.txt"))
    body = assert_envelope(upload_file(owner_token, b"two", "2.txt"), 413)
    assert "quota" in body["message"]
    assert len(storage_names()) == 1


def test_quota_by_bytes_is_413(owner_token: str, upload_file: Any, settings: Any) -> None:
    settings.UPLOAD_QUOTA_BYTES = 10
    stored_name(upload_file(owner_token, b"123456", "1.txt"))
    assert_envelope(upload_file(owner_token, b"123456", "2.txt"), 413)
    assert len(storage_names()) == 1


def test_quota_is_per_user(
    owner_token: str, other_user: User, upload_file: Any, settings: Any
) -> None:
    settings.UPLOAD_QUOTA_FILES = 1
    stored_name(upload_file(owner_token, b"one", "1.txt"))
    stored_name(upload_file(token_of(other_user), b"one", "1.txt"))


@pytest.mark.parametrize("client_name", ["run.exe", "RUN.EXE", "dir/x.exe"])
def test_blocked_extension_is_415(
    owner_token: str, upload_file: Any, settings: Any, client_name: str
) -> None:
    settings.BLOCKED_UPLOAD_EXTENSIONS = ["exe"]
    body = assert_envelope(upload_file(owner_token, b"MZ...", client_name), 415)
    assert body["message"] == "Files of type .exe are not accepted."
    assert storage_names() == []


def test_blocked_sniffed_extension_is_415(
    owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.BLOCKED_UPLOAD_EXTENSIONS = ["zip"]
    assert_envelope(upload_file(owner_token, b"PK\x03\x04rest", "noext"), 415)


def test_failed_row_insert_removes_the_stored_file(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import DatabaseError

    from uploads import services

    def boom(**kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(Upload.objects, "create", boom)
    with pytest.raises(DatabaseError):
        services.upload_create(owner=owner, file=io.BytesIO(b"abc"), client_name="a.txt", size=3)
    assert storage_names() == []


# --- list ----------------------------------------------------------------------------------------
def test_files_list_returns_only_own_file_names(
    client: Client, owner_token: str, other_user: User, upload_file: Any
) -> None:
    mine = {stored_name(upload_file(owner_token, b"1", "a.txt")) for _ in range(2)}
    stored_name(upload_file(token_of(other_user), b"2", "b.txt"))
    response = client.post("/api/files/list", HTTP_TOKEN=owner_token)
    # Seed 004: ["file1.png", "file2.png", "file3.png"]
    assert set(response.json()) == mine and len(response.json()) == 2


def test_files_list_bad_token_is_401(client: Client) -> None:
    assert_envelope(client.post("/api/files/list", HTTP_TOKEN="bad"), 401)


# --- delete --------------------------------------------------------------------------------------
def test_files_delete_removes_row_and_stored_file(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = stored_name(upload_file(owner_token, b"bye", "a.txt"))
    response = client.post("/api/files/delete", HTTP_TOKEN=owner_token, HTTP_FILE=name)
    # Seed 004: 'it will return "xxxxxxx.png has been deleted!"'
    assert response.content == f"{name} has been deleted!".encode()
    assert storage_names() == [] and not Upload.objects.exists()
    assert_envelope(client.get(f"/u/{name}"), 404)


def test_files_delete_of_another_users_file_is_404_and_keeps_it(
    client: Client, owner_token: str, other_user: User, upload_file: Any
) -> None:
    name = stored_name(upload_file(token_of(other_user), b"theirs", "a.txt"))
    response = client.post("/api/files/delete", HTTP_TOKEN=owner_token, HTTP_FILE=name)
    unknown = client.post("/api/files/delete", HTTP_TOKEN=owner_token, HTTP_FILE="zzzzzzz.txt")
    # Same answer as for an unknown name: existence is not revealed.
    assert assert_envelope(response, 404) == assert_envelope(unknown, 404)
    assert storage_names() == [name]


def test_files_delete_missing_file_header_is_400(client: Client, owner_token: str) -> None:
    body = assert_envelope(client.post("/api/files/delete", HTTP_TOKEN=owner_token), 400)
    assert body["message"] == "The file header is required."


def test_files_delete_bad_token_is_401(client: Client) -> None:
    assert_envelope(client.post("/api/files/delete", HTTP_TOKEN="bad", HTTP_FILE="a.txt"), 401)


def test_multipart_content_constant_is_what_the_client_sends() -> None:
    # Guard for the helpers above: Django's test client posts multipart by default.
    assert MULTIPART_CONTENT.startswith("multipart/form-data")


def test_limited_handler_deletes_its_temp_file_on_overflow(settings: Any) -> None:
    from uploads.errors import FileTooLarge
    from uploads.uploadhandlers import LimitedTemporaryFileUploadHandler

    settings.MAX_UPLOAD_MB = 1
    handler = LimitedTemporaryFileUploadHandler()
    handler.new_file("uploadFile", "a.bin", "application/octet-stream", None)
    temp_path = Path(handler.file.temporary_file_path())
    handler.receive_data_chunk(b"a" * (1024 * 1024), 0)
    assert temp_path.exists()
    with pytest.raises(FileTooLarge):
        handler.receive_data_chunk(b"a", 1024 * 1024)
    assert not temp_path.exists()


def test_malformed_multipart_is_400(client: Client, owner_token: str) -> None:
    response = client.generic(
        "POST",
        "/api/files/upload",
        b"--nope\r\ngarbage",
        content_type="multipart/form-data",
        HTTP_TOKEN=owner_token,
    )
    assert_envelope(response, 400)
    assert storage_names() == []


def test_svg_upload_is_not_previewed_as_an_image(owner_token: str, upload_file: Any) -> None:
    name = stored_name(upload_file(owner_token, b"<svg></svg>", "x.svg"))
    assert not Upload.objects.get(name=name).is_previewable_image


def test_chunked_upload_without_content_length_gets_411_not_a_misleading_400(
    client: Client, owner_token: str
) -> None:
    response = client.generic(
        "POST",
        "/api/files/upload",
        b"",
        content_type="multipart/form-data; boundary=x",
        HTTP_TOKEN=owner_token,
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json()["success"] is False
