"""Server-rendered pages: signup, delete account, /dashboard/files/, ShareX config."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image as PILImage

from accounts.models import User
from tests.responses import streamed_body
from uploads.models import RegistrationKey, Upload
from uploads.services import regkey_generate
from uploads.tests.conftest import PASSWORD, named, png_bytes, storage_names, token_of

pytestmark = pytest.mark.django_db


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- signup --------------------------------------------------------------------------------------
def test_signup_page_renders_without_regkey_field_when_open(client: Client) -> None:
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="regkey"' not in response.content


def test_signup_page_asks_for_regkey_when_invite_only(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    assert b'name="regkey"' in client.get("/accounts/signup/").content


def test_signup_creates_account_logs_in_and_redirects_to_dashboard(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = User.objects.get(username="newbie")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_mismatched_passwords_shows_error(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200 and b"do not match" in response.content
    assert not User.objects.exists()


def test_signup_weak_password_shows_validator_message(client: Client) -> None:
    response = client.post(
        "/accounts/signup/", {"username": "newbie", "password1": "123", "password2": "123"}
    )
    assert b"too short" in response.content and not User.objects.exists()


def test_signup_invite_only_uses_the_key(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    (key,) = regkey_generate(created_by=None)
    response = client.post(
        "/accounts/signup/",
        {"username": "invited", "password1": PASSWORD, "password2": PASSWORD, "regkey": key},
    )
    assert response.status_code == 302
    assert RegistrationKey.objects.get().used_by_username == "invited"


def test_signup_invite_only_bad_key_shows_error(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    response = client.post(
        "/accounts/signup/",
        {"username": "invited", "password1": PASSWORD, "password2": PASSWORD, "regkey": "nope"},
    )
    assert response.status_code == 200 and b"registration key" in response.content
    assert not User.objects.exists()


# --- delete account ------------------------------------------------------------------------------
def test_delete_account_page_renders(logged_in: Client) -> None:
    response = logged_in.get("/accounts/delete/")
    assert response.status_code == 200 and b"every file you uploaded" in response.content


def test_delete_account_needs_the_password(logged_in: Client, owner: User) -> None:
    response = logged_in.post("/accounts/delete/", {"password": "wrong", "confirm": "on"})
    assert response.status_code == 200 and b"not correct" in response.content
    assert User.objects.filter(pk=owner.pk).exists()


def test_delete_account_removes_user_and_files(
    logged_in: Client, owner_token: str, upload_file: Any
) -> None:
    upload_file(owner_token, b"x", "a.txt")
    upload_file(owner_token, png_bytes(), "b.png")
    response = logged_in.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(username="moptop").exists()
    assert storage_names() == [] and not Upload.objects.exists()


def test_delete_account_requires_login(client: Client, settings: Any) -> None:
    settings.LOGIN_URL = "/accounts/login/"
    response = client.get("/accounts/delete/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- files dashboard -----------------------------------------------------------------------------
def test_files_page_requires_login(client: Client, settings: Any) -> None:
    settings.LOGIN_URL = "/accounts/login/"
    assert client.get("/dashboard/files/").status_code == 302


def test_files_page_lists_only_my_files_with_preview(
    logged_in: Client, owner_token: str, other_user: User, upload_file: Any
) -> None:
    mine = upload_file(owner_token, png_bytes(), "cat.png").json()["url"].rsplit("/", 1)[1]
    theirs = upload_file(token_of(other_user), b"x", "t.txt").json()["url"].rsplit("/", 1)[1]
    response = logged_in.get("/dashboard/files/")
    assert response.status_code == 200
    page = response.content.decode()
    assert mine in page and theirs not in page
    assert 'loading="lazy"' in page
    assert owner_token in page  # the token reveal and the upload script's header


def test_form_upload_without_javascript_stores_every_file(logged_in: Client) -> None:
    response = logged_in.post(
        "/dashboard/files/",
        {"files": [named(b"one", "1.txt"), named(png_bytes(), "2.png")]},
        follow=True,
    )
    assert response.status_code == 200
    assert Upload.objects.count() == 2 and len(storage_names()) == 2
    assert sum("uploaded as" in message for message in messages_of(response)) == 2


def test_form_upload_reports_each_refused_file(logged_in: Client, settings: Any) -> None:
    settings.BLOCKED_UPLOAD_EXTENSIONS = ["exe"]
    response = logged_in.post(
        "/dashboard/files/",
        {"files": [named(b"MZ", "evil.exe"), named(b"", "empty.txt"), named(b"ok", "ok.txt")]},
        follow=True,
    )
    texts = messages_of(response)
    assert "evil.exe: Files of type .exe are not accepted." in texts
    assert "empty.txt: The file is empty." in texts
    assert Upload.objects.count() == 1


def test_form_upload_over_the_limit_is_refused(logged_in: Client, settings: Any) -> None:
    settings.MAX_UPLOAD_MB = 1
    response = logged_in.post(
        "/dashboard/files/", {"files": [named(b"a" * (1024 * 1024 + 5), "big.txt")]}, follow=True
    )
    assert any("upload limit" in text for text in messages_of(response))
    assert storage_names() == []


def test_form_upload_needs_csrf(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/dashboard/files/", {"files": [named(b"x", "a.txt")]})
    assert response.status_code == 403 and not Upload.objects.exists()


def test_dashboard_delete_removes_my_file(
    logged_in: Client, owner_token: str, upload_file: Any
) -> None:
    name = upload_file(owner_token, b"x", "a.txt").json()["url"].rsplit("/", 1)[1]
    response = logged_in.post(f"/dashboard/files/{name}/delete/")
    assert response.status_code == 302 and storage_names() == []


def test_dashboard_delete_of_another_users_file_keeps_it(
    logged_in: Client, other_user: User, upload_file: Any
) -> None:
    name = upload_file(token_of(other_user), b"x", "a.txt").json()["url"].rsplit("/", 1)[1]
    logged_in.post(f"/dashboard/files/{name}/delete/")
    assert storage_names() == [name]


def test_dashboard_delete_needs_post(logged_in: Client, owner_token: str, upload_file: Any) -> None:
    name = upload_file(owner_token, b"x", "a.txt").json()["url"].rsplit("/", 1)[1]
    assert logged_in.get(f"/dashboard/files/{name}/delete/").status_code == 405


def test_token_regenerate_from_dashboard(
    logged_in: Client, client: Client, owner_token: str
) -> None:
    assert logged_in.post("/dashboard/files/token/regenerate/").status_code == 302
    assert client.post("/api/token/valid", HTTP_TOKEN=owner_token).status_code == 401


# --- ShareX --------------------------------------------------------------------------------------
def test_sharex_config_describes_the_upload_endpoint(
    logged_in: Client, owner_token: str, settings: Any
) -> None:
    response = logged_in.get("/dashboard/files/sharex.sxcu")
    assert response["Content-Disposition"] == 'attachment; filename="nekosite.sxcu"'
    config = json.loads(response.content)
    assert config["RequestMethod"] == "POST"
    assert config["RequestURL"] == f"{settings.SITE_URL}/api/files/upload"
    assert config["Headers"] == {"token": owner_token}
    assert config["Body"] == "MultipartFormData" and config["FileFormName"] == "uploadFile"
    assert config["URL"] == "{json:url}"


def test_posting_exactly_as_the_sxcu_describes_works(logged_in: Client, settings: Any) -> None:
    config = json.loads(logged_in.get("/dashboard/files/sharex.sxcu").content)
    path = config["RequestURL"].removeprefix(settings.SITE_URL)
    headers = {f"HTTP_{name.upper()}": value for name, value in config["Headers"].items()}
    api = Client()
    response = api.post(
        path, {config["FileFormName"]: named(png_bytes(), "screenshot.png")}, **headers
    )
    assert response.status_code == 200
    # ShareX reads {json:url}: the "url" key of the JSON answer.
    url = response.json()["url"]
    assert url.startswith(settings.UPLOAD_BASE_URL) and url.endswith(".png")


def test_form_upload_with_csrf_token_works_and_limit_applies_before_csrf_parsing(
    owner: User, settings: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/dashboard/files/")
    token = client.cookies["csrftoken"].value
    ok = client.post(
        "/dashboard/files/", {"files": [named(b"fine", "a.txt")], "csrfmiddlewaretoken": token}
    )
    assert ok.status_code == 302 and Upload.objects.count() == 1
    settings.MAX_UPLOAD_MB = 1
    big = client.post(
        "/dashboard/files/",
        {"files": [named(b"a" * (1024 * 1024 + 5), "big.txt")], "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert any("upload limit" in text for text in messages_of(big))
    assert Upload.objects.count() == 1 and len(storage_names()) == 1
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []


def test_files_page_paginates(logged_in: Client, owner: User) -> None:
    from uploads.services import upload_create

    for index in range(51):
        upload_create(owner=owner, file=named(b"x", f"{index}.txt"), client_name="x.txt", size=1)
    first = logged_in.get("/dashboard/files/")
    assert len(first.context["uploads"]) == 50
    # The media library pages by position (keyset), not by page number.
    after = first.context["library"].next_cursor
    second = logged_in.get("/dashboard/files/", {"after": after})
    assert len(second.context["uploads"]) == 1 and b'rel="prev"' in second.content
    assert logged_in.get("/dashboard/files/?page=2").status_code == 200


def test_delete_account_logs_out(logged_in: Client) -> None:
    logged_in.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert "_auth_user_id" not in logged_in.session


# --- thumbnails ----------------------------------------------------------------------------------
def test_image_uploads_get_a_server_made_webp_thumbnail_once(
    logged_in: Client, owner_token: str, upload_file: Any, uploads_storage: Path
) -> None:
    name = upload_file(owner_token, png_bytes((800, 600)), "big.png").json()["url"].rsplit("/")[-1]
    page = logged_in.get("/dashboard/files/").content.decode()
    assert f"/dashboard/files/{name}/thumb.webp" in page
    first = logged_in.get(f"/dashboard/files/{name}/thumb.webp")
    assert first.status_code == 200 and first["Content-Type"] == "image/webp"
    body = streamed_body(first)
    with PILImage.open(io.BytesIO(body)) as thumb:
        assert max(thumb.size) <= 480
    again = logged_in.get(f"/dashboard/files/{name}/thumb.webp")
    assert streamed_body(again) == body
    assert (uploads_storage / "_thumbs" / f"{name}.webp").exists()


def test_thumbnail_of_another_users_upload_is_404(
    client: Client, other_user: User, owner_token: str, upload_file: Any
) -> None:
    name = upload_file(owner_token, png_bytes(), "cat.png").json()["url"].rsplit("/")[-1]
    client.force_login(other_user)
    assert client.get(f"/dashboard/files/{name}/thumb.webp").status_code == 404


def test_non_images_have_no_thumbnail(
    logged_in: Client, owner_token: str, upload_file: Any
) -> None:
    name = upload_file(owner_token, b"plain text", "a.txt").json()["url"].rsplit("/")[-1]
    assert logged_in.get(f"/dashboard/files/{name}/thumb.webp").status_code == 404


def test_deleting_an_upload_removes_its_thumbnail_and_storage_check_stays_clean(
    logged_in: Client, owner_token: str, upload_file: Any, uploads_storage: Path
) -> None:
    from uploads.services import storage_reconcile

    name = upload_file(owner_token, png_bytes(), "cat.png").json()["url"].rsplit("/")[-1]
    logged_in.get(f"/dashboard/files/{name}/thumb.webp")
    report = storage_reconcile(fix=False)
    assert report.orphans == [] and report.dangling == []
    response = logged_in.post(
        "/api/files/delete", HTTP_TOKEN=owner_token, HTTP_FILE=name, HTTP_USER_AGENT="t"
    )
    assert response.status_code == 200
    assert not (uploads_storage / "_thumbs" / f"{name}.webp").exists()
    assert not (uploads_storage / name).exists()


# --- issue #21: the uploader updates the header without a reload ------------------------------
def test_usage_json_counts_only_my_files_as_the_page_header_says(
    logged_in: Client, owner_token: str, other_user: User, upload_file: Any
) -> None:
    """Issue #21: "new files in the list at once with counts and storage used updated"."""
    upload_file(owner_token, b"x" * 2048, "a.txt")
    upload_file(owner_token, b"y", "b.txt")
    upload_file(token_of(other_user), b"z" * 10, "theirs.txt")
    response = logged_in.get("/dashboard/files/usage.json")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data = response.json()
    assert (data["files"], data["bytes"]) == (2, 2049)
    assert data["summary"].startswith("2 files, 2.0\xa0KB used.")
    page = logged_in.get("/dashboard/files/").content.decode()
    assert data["summary"] in page


def test_usage_json_needs_a_login(client: Client) -> None:
    response = client.get("/dashboard/files/usage.json")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
