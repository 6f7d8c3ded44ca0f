"""Seed 004 basic and user endpoints: /api/info, /api/user/info|signup|delete|passreset."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Token, User
from uploads.models import RegistrationKey, Upload
from uploads.services import regkey_generate
from uploads.tests.conftest import PASSWORD, png_bytes, storage_names

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another long passphrase 99"


def assert_envelope(response: Any, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == status and body["success"] is False and body["message"]
    return body


# --- /api/info -----------------------------------------------------------------------------------
def test_info_reports_instance_settings_in_seed_shape(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    settings.ADMIN_REGISTRATION = False
    settings.MAX_UPLOAD_MB = 100
    response = client.get("/api/info")
    assert response.status_code == 200
    # Seed 004: {"inviteonly": true, "adminreg": false, "totalfiles": 63,
    #            "uploadURL": "https://i.nekos.cafe/", "maxuploadsize": "100"}
    assert response.json() == {
        "inviteonly": True,
        "adminreg": False,
        "totalfiles": 0,
        "uploadURL": settings.UPLOAD_BASE_URL,
        "maxuploadsize": "100",
    }


def test_info_counts_all_files(client: Client, owner_token: str, upload_file: Any) -> None:
    upload_file(owner_token, b"hello", "a.txt")
    upload_file(owner_token, png_bytes(), "b.png")
    assert client.get("/api/info").json()["totalfiles"] == 2


# --- /api/user/info ------------------------------------------------------------------------------
def test_user_info_returns_username_and_filecount(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    upload_file(owner_token, b"hello", "a.txt")
    response = client.post("/api/user/info", HTTP_TOKEN=owner_token)
    # Seed 004: {"username": "Moptop", "filecount": 36}
    assert response.json() == {"username": "moptop", "filecount": 1}


def test_user_info_accepts_bearer_authorization(client: Client, owner_token: str) -> None:
    response = client.post("/api/user/info", HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    assert response.json()["username"] == "moptop"


def test_user_info_without_token_is_400(client: Client) -> None:
    assert_envelope(client.post("/api/user/info"), 400)


def test_user_info_with_bad_token_is_401(client: Client, owner: User) -> None:
    body = assert_envelope(
        client.post("/api/user/info", HTTP_TOKEN="00000000-0000-4000-8000-000000000000"), 401
    )
    assert body["message"] == "This token is not valid."


def test_user_info_rejects_catalog_api_token(client: Client, owner: User) -> None:
    from accounts.services import token_issue

    _, value = token_issue(user=owner, kind=Token.Kind.API)
    assert_envelope(client.post("/api/user/info", HTTP_TOKEN=value), 401)


# --- /api/user/signup ----------------------------------------------------------------------------
def test_signup_answers_plain_text_success(client: Client) -> None:
    response = client.post("/api/user/signup", HTTP_USERNAME="newbie", HTTP_PASSWORD=PASSWORD)
    # Seed 004: 'It returns a message which says "Success!"'
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Success!"
    user = User.objects.get(username="newbie")
    assert user.check_password(PASSWORD) and not user.is_staff


def test_signup_token_is_then_returned_by_token_get(client: Client) -> None:
    client.post("/api/user/signup", HTTP_USERNAME="newbie", HTTP_PASSWORD=PASSWORD)
    # Seed 004: "The token is returned at the /api/token/get endpoint."
    response = client.post("/api/token/get", HTTP_USERNAME="newbie", HTTP_PASSWORD=PASSWORD)
    token = response.json()["token"]
    assert client.post("/api/token/valid", HTTP_TOKEN=token).content == b"This token is valid!"


@pytest.mark.parametrize("missing", ["username", "password"])
def test_signup_missing_header_is_400(client: Client, missing: str) -> None:
    headers: dict[str, Any] = {"HTTP_USERNAME": "newbie", "HTTP_PASSWORD": PASSWORD}
    del headers[f"HTTP_{missing.upper()}"]
    body = assert_envelope(client.post("/api/user/signup", **headers), 400)
    assert body["message"] == f"The {missing} header is required."


def test_signup_taken_username_is_409(client: Client, owner: User) -> None:
    response = client.post("/api/user/signup", HTTP_USERNAME="MOPTOP", HTTP_PASSWORD=PASSWORD)
    assert assert_envelope(response, 409)["message"] == "This username is already taken."


def test_signup_weak_password_is_400_with_validator_message(client: Client) -> None:
    response = client.post("/api/user/signup", HTTP_USERNAME="newbie", HTTP_PASSWORD="123")
    assert "too short" in assert_envelope(response, 400)["message"]
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("username", ["bad name", "x" * 151, "a/b", "<script>"])
def test_signup_invalid_username_is_400(client: Client, username: str) -> None:
    response = client.post("/api/user/signup", HTTP_USERNAME=username, HTTP_PASSWORD=PASSWORD)
    assert_envelope(response, 400)
    assert User.objects.count() == 0


def test_invite_only_signup_with_valid_key_uses_it_once(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    (key,) = regkey_generate(created_by=None)
    response = client.post(
        "/api/user/signup", HTTP_USERNAME="invited", HTTP_PASSWORD=PASSWORD, HTTP_REGKEY=key
    )
    assert response.content == b"Success!"
    row = RegistrationKey.objects.get()
    assert row.used_by.username == "invited" and row.used_by_username == "invited"
    assert row.used_at is not None
    # Single use: the same key cannot create a second account.
    again = client.post(
        "/api/user/signup", HTTP_USERNAME="second", HTTP_PASSWORD=PASSWORD, HTTP_REGKEY=key
    )
    assert_envelope(again, 403)
    assert not User.objects.filter(username="second").exists()


def test_invite_only_signup_without_key_is_refused(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    response = client.post("/api/user/signup", HTTP_USERNAME="invited", HTTP_PASSWORD=PASSWORD)
    assert_envelope(response, 403)
    assert not User.objects.exists()


def test_invite_only_signup_with_unknown_key_is_refused(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    response = client.post(
        "/api/user/signup",
        HTTP_USERNAME="invited",
        HTTP_PASSWORD=PASSWORD,
        HTTP_REGKEY="11111111-2222-4333-8444-555555555555",
    )
    assert_envelope(response, 403)
    assert not User.objects.exists()


def test_invite_only_refused_password_does_not_burn_the_key(client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    (key,) = regkey_generate(created_by=None)
    response = client.post(
        "/api/user/signup", HTTP_USERNAME="invited", HTTP_PASSWORD="1", HTTP_REGKEY=key
    )
    assert_envelope(response, 400)
    assert RegistrationKey.objects.get().is_usable


def test_regkeys_are_stored_hashed(db: None) -> None:
    (key,) = regkey_generate(created_by=None)
    row = RegistrationKey.objects.get()
    assert key not in (row.digest, row.hint) and row.hint == key[:8]


# --- /api/user/delete ----------------------------------------------------------------------------
def test_user_delete_purges_files_and_account(
    client: Client, owner: User, owner_token: str, upload_file: Any
) -> None:
    upload_file(owner_token, b"one", "1.txt")
    upload_file(owner_token, png_bytes(), "2.png")
    assert len(storage_names()) == 2
    response = client.post("/api/user/delete", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    # Seed 004: 'The response should be "This user has been deleted"'
    assert response.content == b"This user has been deleted"
    assert not User.objects.filter(username="moptop").exists()
    assert Upload.objects.count() == 0 and not Token.objects.exists()
    # "all files associated with the account are purged and all traces are deleted"
    assert storage_names() == []


def test_user_delete_keeps_other_users_files(
    client: Client, owner: User, other_user: User, upload_file: Any
) -> None:
    from uploads.tests.conftest import token_of

    upload_file(token_of(other_user), b"keep me", "k.txt")
    client.post("/api/user/delete", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    assert Upload.objects.filter(owner=other_user).count() == 1 and len(storage_names()) == 1


def test_user_delete_wrong_password_is_401_and_deletes_nothing(client: Client, owner: User) -> None:
    response = client.post("/api/user/delete", HTTP_USERNAME="moptop", HTTP_PASSWORD="nope")
    assert_envelope(response, 401)
    assert User.objects.filter(username="moptop").exists()


def test_user_delete_ignores_token_and_needs_password(client: Client, owner_token: str) -> None:
    # Seed 004: "Token is not used due to security issues."
    response = client.post("/api/user/delete", HTTP_TOKEN=owner_token, HTTP_USERNAME="moptop")
    assert_envelope(response, 400)


def test_repeated_wrong_passwords_are_locked_out_with_retry_after(
    client: Client, owner: User, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    for _ in range(3):
        client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD="wrong")
    response = client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    body = assert_envelope(response, 429)
    assert int(response["Retry-After"]) > 0 and body["retry_after"] > 0


# --- /api/user/passreset -------------------------------------------------------------------------
def test_passreset_changes_password_but_not_token(
    client: Client, owner: User, owner_token: str
) -> None:
    response = client.post(
        "/api/user/passreset",
        HTTP_USERNAME="moptop",
        HTTP_PASSWORD=PASSWORD,
        HTTP_NEWPASSWORD=NEW_PASSWORD,
    )
    # Seed 004: 'The endpoint will respond with "The password has been reset!"'
    assert response.content == b"The password has been reset!"
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    # "This will not regenerate the token"
    assert client.post("/api/token/valid", HTTP_TOKEN=owner_token).status_code == 200


def test_passreset_wrong_password_is_401(client: Client, owner: User) -> None:
    response = client.post(
        "/api/user/passreset",
        HTTP_USERNAME="moptop",
        HTTP_PASSWORD="wrong",
        HTTP_NEWPASSWORD=NEW_PASSWORD,
    )
    assert_envelope(response, 401)


def test_passreset_missing_newpassword_is_400(client: Client, owner: User) -> None:
    response = client.post("/api/user/passreset", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    assert assert_envelope(response, 400)["message"] == "The newpassword header is required."


def test_passreset_weak_new_password_is_400(client: Client, owner: User) -> None:
    response = client.post(
        "/api/user/passreset",
        HTTP_USERNAME="moptop",
        HTTP_PASSWORD=PASSWORD,
        HTTP_NEWPASSWORD="password",
    )
    assert_envelope(response, 400)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_non_ascii_password_in_header_works_like_in_the_login_form(client: Client) -> None:
    password = "pässwörd-ねこ-long-enough"
    raw = password.encode("utf-8").decode("latin-1")  # what WSGI hands over for UTF-8 bytes
    response = client.post("/api/user/signup", HTTP_USERNAME="ünicode", HTTP_PASSWORD=raw)
    assert response.content == b"Success!"
    assert User.objects.get(username="ünicode").check_password(password)
