"""Bad-input corpus across both APIs and the dashboards (issue 10).

Every case must get a clear 4xx in the {"code","message","success":false} envelope and leave no
file and no row behind — never a 500, never a half-written upload.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image as PILImage

from accounts.models import Token, User
from accounts.services import filehost_token_get_or_create, token_issue
from catalog.models import Artist, Category, Character, Image
from uploads.models import RegistrationKey, Upload

pytestmark = pytest.mark.django_db

UA: dict[str, Any] = {"HTTP_USER_AGENT": "bad-input-tests/1.0"}
NOT_A_UUID = [
    "abc",
    "123",
    "..%2F..%2Fetc%2Fpasswd",
    "00000000-0000-0000-0000-00000000000g",
    "%27%20OR%201%3D1--",
    "%00",
    "x" * 300,
    "%E2%98%83",
]
BAD_LIMITS = ["0", "26", "-1", "abc", "1.5", "", "1e3", "99999999999999999999", "%00", "%EF%BC%92"]
BAD_OFFSETS = ["-1", "abc", "1.5", "", "-99999999999999999999", "%00"]
BAD_EXPIRIES = ["30", "0", "-5", "abc", "", "1e9", "30.5", "%00"]
BAD_SEARCHES = [
    "a" * 51,
    "a" * 10_000,
    "(",
    ")",
    "[",
    "a{2,1}",
    "*a",
    "+",
    "\\",
    "(a|",
    "[z-a]",
    "a{99999}",
    "((((((((((a))))))))))" * 3,
]


@pytest.fixture
def state_snapshot() -> Iterator[None]:
    """Assert that a case leaves no new row and no new stored file behind."""
    models = (User, Token, Upload, RegistrationKey, Image, Artist, Category, Character)
    before_rows = {model: model.objects.count() for model in models}
    media = Path(settings.MEDIA_ROOT)
    before_files = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    yield
    after_rows = {model: model.objects.count() for model in models}
    assert after_rows == before_rows
    after_files = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    assert after_files == before_files


def assert_envelope_4xx(response: Any) -> None:
    status = response.status_code
    assert 400 <= status < 500, (status, getattr(response, "content", b"")[:300])
    body = response.json()
    assert body["success"] is False
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]


@pytest.fixture
def api_token() -> str:
    user = User.objects.create_user("corpus-api", password="x-Long-passw0rd")
    return token_issue(user=user, kind="api", scopes=["image:list", "image:custom-expiry:3600"])[1]


@pytest.fixture
def filehost_token() -> str:
    user = User.objects.create_user("corpus-files", password="x-Long-passw0rd")
    return filehost_token_get_or_create(user=user)[1]


# --- Catalog API (seed 002) -------------------------------------------------------------------
@pytest.mark.parametrize("limit", BAD_LIMITS)
@pytest.mark.parametrize(
    "path", ["/api/v1/image/random", "/api/v1/artist", "/api/v1/character", "/api/v1/category"]
)
def test_catalog_rejects_bad_limit(
    client: Client, path: str, limit: str, state_snapshot: None
) -> None:
    assert_envelope_4xx(client.get(f"{path}?limit={limit}", **UA))


@pytest.mark.parametrize("limit", BAD_LIMITS)
def test_image_list_rejects_bad_limit(
    client: Client, api_token: str, limit: str, state_snapshot: None
) -> None:
    response = client.get(
        f"/api/v1/image?limit={limit}", HTTP_AUTHORIZATION=f"Bearer {api_token}", **UA
    )
    assert_envelope_4xx(response)


@pytest.mark.parametrize("offset", BAD_OFFSETS)
@pytest.mark.parametrize("path", ["/api/v1/artist", "/api/v1/character", "/api/v1/category"])
def test_catalog_rejects_bad_offset(
    client: Client, path: str, offset: str, state_snapshot: None
) -> None:
    assert_envelope_4xx(client.get(f"{path}?offset={offset}", **UA))


@pytest.mark.parametrize("expiry", BAD_EXPIRIES)
def test_random_rejects_bad_expiry(
    client: Client, api_token: str, expiry: str, state_snapshot: None
) -> None:
    response = client.get(
        f"/api/v1/image/random?expiry={expiry}", HTTP_AUTHORIZATION=f"Bearer {api_token}", **UA
    )
    assert_envelope_4xx(response)


@pytest.mark.parametrize("value", NOT_A_UUID)
@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/image/{}",
        "/api/v1/artist/{}",
        "/api/v1/artist/{}/images",
        "/api/v1/character/{}",
        "/api/v1/category/{}",
    ],
)
def test_catalog_rejects_non_uuid_ids(
    client: Client, template: str, value: str, state_snapshot: None
) -> None:
    assert_envelope_4xx(client.get(template.format(value), **UA))


@pytest.mark.parametrize("search", BAD_SEARCHES)
@pytest.mark.parametrize("path", ["/api/v1/artist", "/api/v1/character", "/api/v1/category"])
def test_catalog_rejects_bad_search(
    client: Client, path: str, search: str, state_snapshot: None
) -> None:
    response = client.get(path, {"search": search}, **UA)
    assert_envelope_4xx(response)


@pytest.mark.parametrize("categories", ["does-not-exist", "a" * 500, "%00", "Catgirl,\x00"])
def test_random_rejects_unknown_categories(
    client: Client, categories: str, state_snapshot: None
) -> None:
    assert_envelope_4xx(client.get("/api/v1/image/random", {"categories": categories}, **UA))


@pytest.mark.parametrize("bomb", ["(%+)+____________!", "(a*)*b", "((a+)+)+$", "(%|%%)+!"])
@pytest.mark.parametrize("path", ["/api/v1/artist", "/api/v1/character", "/api/v1/category"])
def test_regex_bombs_answer_at_once_with_no_match(client: Client, path: str, bomb: str) -> None:
    """Seed 001's operators are translated to RE2 (linear time): no catastrophic backtracking."""
    from catalog.tests.factories import make_artist, make_category, make_character

    name = "a" * 45
    make_artist(name=name), make_character(name=name), make_category(name=name)
    response = client.get(path, {"search": bomb}, **UA)
    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    "authorization",
    ["Bearer ", "Bearer x", "Bearer " + "a" * 100, "Bearer " + "a" * 10_000, "Basic Zm9vOmJhcg=="],
)
def test_catalog_rejects_bad_tokens(
    client: Client, authorization: str, state_snapshot: None
) -> None:
    response = client.get("/api/v1/image/random", HTTP_AUTHORIZATION=authorization, **UA)
    assert_envelope_4xx(response)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/image/random", "/api/v1/category"])
def test_catalog_refuses_writes(
    client: Client, method: str, path: str, state_snapshot: None
) -> None:
    response = getattr(client, method)(path, data=b"{}", content_type="application/json", **UA)
    assert_envelope_4xx(response)


# --- File-host API (seed 004) -----------------------------------------------------------------
HEADERLESS = [
    "/api/user/info",
    "/api/user/signup",
    "/api/user/delete",
    "/api/user/passreset",
    "/api/token/get",
    "/api/token/regen",
    "/api/token/valid",
    "/api/files/list",
    "/api/files/upload",
    "/api/files/delete",
    "/api/admin/signup",
    "/api/admin/regkeygen",
    "/api/admin/token/valid",
    "/api/admin/token/get",
    "/api/admin/list/uploads",
    "/api/admin/list/users",
    "/api/admin/delete/file",
    "/api/admin/delete/user",
]


@pytest.mark.parametrize("path", HEADERLESS)
def test_filehost_endpoints_without_headers_answer_4xx(
    client: Client, path: str, state_snapshot: None
) -> None:
    assert_envelope_4xx(client.post(path, **UA))


@pytest.mark.parametrize(
    "username",
    [
        "",
        " ",
        "a" * 300,
        "bad\x00name",
        "../../etc/passwd",
        "<script>",
        "name with spaces",
        "☃" * 200,
    ],
)
def test_signup_rejects_bad_usernames(client: Client, username: str, state_snapshot: None) -> None:
    response = client.post(
        "/api/user/signup", HTTP_USERNAME=username, HTTP_PASSWORD="x-Long-passw0rd", **UA
    )
    assert_envelope_4xx(response)


@pytest.mark.parametrize("password", ["", "short", "password", "12345678", "a\x00" * 10])
def test_signup_rejects_bad_passwords(client: Client, password: str, state_snapshot: None) -> None:
    response = client.post(
        "/api/user/signup", HTTP_USERNAME="newuser", HTTP_PASSWORD=password, **UA
    )
    assert_envelope_4xx(response)


def _png(size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "token", ["", "nope", "00000000-0000-0000-0000-000000000000", "x" * 5000, "tok\x00en"]
)
def test_upload_rejects_bad_tokens(client: Client, token: str, state_snapshot: None) -> None:
    upload = io.BytesIO(b"hello")
    upload.name = "hello.txt"
    response = client.post("/api/files/upload", {"uploadFile": upload}, HTTP_TOKEN=token, **UA)
    assert_envelope_4xx(response)


def test_upload_rejects_zero_byte_files(
    client: Client, filehost_token: str, state_snapshot: None
) -> None:
    upload = io.BytesIO(b"")
    upload.name = "empty.txt"
    response = client.post(
        "/api/files/upload", {"uploadFile": upload}, HTTP_TOKEN=filehost_token, **UA
    )
    assert_envelope_4xx(response)


@pytest.mark.parametrize(
    "field,body",
    [
        ("wrongField", b"hello"),
        (None, None),
    ],
)
def test_upload_rejects_missing_file_field(
    client: Client, filehost_token: str, field: str | None, body: bytes | None, state_snapshot: None
) -> None:
    data = {}
    if field:
        upload = io.BytesIO(body or b"")
        upload.name = "x.txt"
        data[field] = upload
    response = client.post("/api/files/upload", data, HTTP_TOKEN=filehost_token, **UA)
    assert_envelope_4xx(response)


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("application/json", b'{"uploadFile": "x"}'),
        ("text/plain", b"just text"),
        ("multipart/form-data", b"--x\r\n"),  # no boundary
        ("multipart/form-data; boundary=zzz", b"--zzz\r\nContent-Disposition: form-data; name="),
        ("multipart/form-data; boundary=zzz", b"garbage without any boundary"),
        ("application/x-www-form-urlencoded", b"uploadFile=abc"),
    ],
)
def test_upload_rejects_malformed_bodies(
    client: Client, filehost_token: str, content_type: str, body: bytes, state_snapshot: None
) -> None:
    response = client.generic(
        "POST",
        "/api/files/upload",
        body,
        content_type=content_type,
        HTTP_TOKEN=filehost_token,
        **UA,
    )
    assert_envelope_4xx(response)


def test_oversize_upload_is_refused_and_leaves_nothing(
    client: Client, filehost_token: str, settings: Any, state_snapshot: None
) -> None:
    settings.MAX_UPLOAD_MB = 1
    upload = io.BytesIO(os.urandom(1024 * 1024 + 10))
    upload.name = "big.bin"
    response = client.post(
        "/api/files/upload", {"uploadFile": upload}, HTTP_TOKEN=filehost_token, **UA
    )
    assert response.status_code == 413
    assert_envelope_4xx(response)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "CON",
        "nul.txt",
        "a" * 300 + ".png",
        "x\x00.png",
        "..",
        ".htaccess",
    ],
)
def test_odd_upload_names_are_stored_under_a_safe_random_name(
    client: Client, filehost_token: str, name: str
) -> None:
    upload = io.BytesIO(b"some bytes")
    upload.name = name
    response = client.post(
        "/api/files/upload", {"uploadFile": upload}, HTTP_TOKEN=filehost_token, **UA
    )
    if response.status_code == 200:
        stored = response.json()["url"].rsplit("/", 1)[1]
        assert "/" not in stored and ".." not in stored and "\x00" not in stored
        assert len(stored) <= 18
        root = Path(settings.MEDIA_ROOT)
        assert all(root in p.resolve().parents for p in root.rglob("*"))
    else:
        assert_envelope_4xx(response)


@pytest.mark.parametrize(
    "name,content",
    [
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("poly.gif", b"GIF89a/*<script>alert(1)</script>*/=1;"),
        ("code.js", b"alert(document.cookie)"),
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("x.xml", b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml"/>'),
    ],
)
def test_executable_uploads_are_never_served_inline(
    client: Client, filehost_token: str, name: str, content: bytes
) -> None:
    upload = io.BytesIO(content)
    upload.name = name
    response = client.post(
        "/api/files/upload", {"uploadFile": upload}, HTTP_TOKEN=filehost_token, **UA
    )
    assert response.status_code == 200
    path = response.json()["url"].split("://", 1)[-1].split("/", 1)[1]
    served = client.get("/" + path, **UA)
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"].startswith("sandbox")
    assert not served["Content-Type"].startswith(("text/html", "image/svg", "application/xml"))


# --- Dashboards -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=-1",
        "?page=99999999999999999999",
        "?rating=unknown",
        "?category=%00",
        "?artist=not-a-uuid",
        "?q=" + "a" * 10_000,
        "?q=(%25%2B)%2B____!",
    ],
)
def test_gallery_survives_bad_query_strings(client: Client, query: str) -> None:
    response = client.get("/" + query)
    assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize(
    "data",
    [
        {"username": "", "password": ""},
        {"username": "a" * 1000, "password": "x"},
        {"username": "nobody\x00", "password": "x"},
    ],
)
def test_login_form_rejects_bad_input_without_error(client: Client, data: dict[str, str]) -> None:
    response = client.post("/accounts/login/", data)
    assert response.status_code in (200, 400)
    assert not response.wsgi_request.user.is_authenticated


def test_pillow_bomb_is_refused_by_the_image_metadata_reader() -> None:
    from nekosite.lib import imagemeta

    buffer = io.BytesIO()
    PILImage.new("1", (20_000, 20_000)).save(buffer, "PNG")
    buffer.seek(0)
    with pytest.raises(imagemeta.ImageRejected):
        imagemeta.read_image_meta(buffer)
