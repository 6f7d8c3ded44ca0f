"""Seed 004 admin endpoints: signup, regkeygen, token/valid|get, list/uploads|users, delete/*."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from uploads.models import RegistrationKey, Upload
from uploads.tests.conftest import PASSWORD, storage_names, token_of
from uploads.tests.test_api_files import stored_name
from uploads.tests.test_api_token import UUID_SHAPE
from uploads.tests.test_api_user import assert_envelope

pytestmark = pytest.mark.django_db
ADMIN_KEY = "s3cr3t-admin-key"


@pytest.fixture
def admin_registration(settings: Any) -> None:
    settings.ADMIN_REGISTRATION = True
    settings.ADMIN_KEY = ADMIN_KEY


# --- /api/admin/signup ---------------------------------------------------------------------------
def test_admin_signup_creates_staff_account(client: Client, admin_registration: None) -> None:
    response = client.post(
        "/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY=ADMIN_KEY
    )
    # Seed 004: 'If the admin is created it will return "Success!"'
    assert response.content == b"Success!"
    assert User.objects.get(username="boss").is_staff


def test_admin_signup_wrong_key_is_403(client: Client, admin_registration: None) -> None:
    response = client.post(
        "/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY="guess"
    )
    assert assert_envelope(response, 403)["message"] == "The admin key is not valid."
    assert not User.objects.exists()


def test_admin_signup_when_admin_registration_is_off_is_403(client: Client, settings: Any) -> None:
    settings.ADMIN_REGISTRATION = False
    settings.ADMIN_KEY = ADMIN_KEY
    response = client.post(
        "/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY=ADMIN_KEY
    )
    assert_envelope(response, 403)
    assert not User.objects.exists()


def test_admin_signup_with_empty_server_key_is_always_refused(
    client: Client, settings: Any
) -> None:
    settings.ADMIN_REGISTRATION = True
    settings.ADMIN_KEY = ""
    response = client.post(
        "/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY=" "
    )
    assert_envelope(response, 403)


def test_admin_signup_missing_adminkey_is_400(client: Client, admin_registration: None) -> None:
    response = client.post("/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD)
    assert_envelope(response, 400)


def test_admin_signup_taken_username_is_409(
    client: Client, admin_registration: None, owner: User
) -> None:
    response = client.post(
        "/api/admin/signup", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY=ADMIN_KEY
    )
    assert_envelope(response, 409)


# --- /api/admin/regkeygen ------------------------------------------------------------------------
def test_regkeygen_returns_a_usable_uuid_key(
    client: Client, staff_token: str, settings: Any
) -> None:
    response = client.post("/api/admin/regkeygen", HTTP_TOKEN=staff_token)
    # Seed 004: {"regkey": "xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}
    key = response.json()["regkey"]
    assert UUID_SHAPE.match(key)
    assert RegistrationKey.objects.get().created_by.username == "admin1"
    settings.INVITE_ONLY = True
    signup = client.post(
        "/api/user/signup", HTTP_USERNAME="invited", HTTP_PASSWORD=PASSWORD, HTTP_REGKEY=key
    )
    assert signup.content == b"Success!"


def test_regkeygen_by_non_staff_is_403(client: Client, owner_token: str) -> None:
    assert_envelope(client.post("/api/admin/regkeygen", HTTP_TOKEN=owner_token), 403)
    assert not RegistrationKey.objects.exists()


def test_regkeygen_bad_token_is_401(client: Client) -> None:
    assert_envelope(client.post("/api/admin/regkeygen", HTTP_TOKEN="bad"), 401)


# --- /api/admin/token/* --------------------------------------------------------------------------
def test_admin_token_valid_for_staff(client: Client, staff_token: str) -> None:
    response = client.post("/api/admin/token/valid", HTTP_TOKEN=staff_token)
    assert response.content == b"This token is valid!"


def test_admin_token_valid_for_non_staff_is_403(client: Client, owner_token: str) -> None:
    assert_envelope(client.post("/api/admin/token/valid", HTTP_TOKEN=owner_token), 403)


def test_admin_token_valid_missing_token_is_400(client: Client) -> None:
    assert_envelope(client.post("/api/admin/token/valid"), 400)


def test_admin_token_get_returns_staff_token(client: Client, staff: User, staff_token: str) -> None:
    response = client.post("/api/admin/token/get", HTTP_USERNAME="admin1", HTTP_PASSWORD=PASSWORD)
    assert response.json() == {"token": staff_token}


def test_admin_token_get_for_non_staff_is_403(client: Client, owner: User) -> None:
    response = client.post("/api/admin/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    assert_envelope(response, 403)


def test_admin_token_get_wrong_password_is_401(client: Client, staff: User) -> None:
    response = client.post("/api/admin/token/get", HTTP_USERNAME="admin1", HTTP_PASSWORD="x")
    assert_envelope(response, 401)


# --- /api/admin/list/* ---------------------------------------------------------------------------
def test_admin_list_uploads_everything_with_blank_query(
    client: Client, staff_token: str, owner_token: str, other_user: User, upload_file: Any
) -> None:
    a = stored_name(upload_file(owner_token, b"1", "a.txt"))
    b = stored_name(upload_file(token_of(other_user), b"2", "b.js"))
    # Seed 004: 'If you want to list all files without a query set query to " "'
    response = client.post("/api/admin/list/uploads", HTTP_TOKEN=staff_token, HTTP_QUERY=" ")
    # Seed 004: [{file: "ksjOX5O.png", username: "user1"}, {file: "WzeAnNp.js", ...}]
    assert sorted(response.json(), key=lambda row: row["file"]) == sorted(
        [{"file": a, "username": "moptop"}, {"file": b, "username": "someone"}],
        key=lambda row: row["file"],
    )


def test_admin_list_uploads_exact_name_only(
    client: Client, staff_token: str, owner_token: str, upload_file: Any
) -> None:
    a = stored_name(upload_file(owner_token, b"1", "a.txt"))
    stored_name(upload_file(owner_token, b"2", "b.txt"))
    response = client.post("/api/admin/list/uploads", HTTP_TOKEN=staff_token, HTTP_QUERY=a)
    assert response.json() == [{"file": a, "username": "moptop"}]
    partial = client.post("/api/admin/list/uploads", HTTP_TOKEN=staff_token, HTTP_QUERY=a[:3])
    assert partial.json() == []


def test_admin_list_uploads_missing_query_is_400(client: Client, staff_token: str) -> None:
    assert_envelope(client.post("/api/admin/list/uploads", HTTP_TOKEN=staff_token), 400)


def test_admin_list_uploads_by_non_staff_is_403(client: Client, owner_token: str) -> None:
    response = client.post("/api/admin/list/uploads", HTTP_TOKEN=owner_token, HTTP_QUERY=" ")
    assert_envelope(response, 403)


def test_admin_list_users(client: Client, staff_token: str, owner: User, other_user: User) -> None:
    everyone = client.post("/api/admin/list/users", HTTP_TOKEN=staff_token, HTTP_QUERY=" ")
    # Seed 004: ["user1", "user2"]
    assert everyone.json() == ["admin1", "moptop", "someone"]
    exact = client.post("/api/admin/list/users", HTTP_TOKEN=staff_token, HTTP_QUERY="moptop")
    assert exact.json() == ["moptop"]
    assert (
        client.post("/api/admin/list/users", HTTP_TOKEN=staff_token, HTTP_QUERY="mop").json() == []
    )


def test_admin_list_users_by_non_staff_is_403(client: Client, owner_token: str) -> None:
    response = client.post("/api/admin/list/users", HTTP_TOKEN=owner_token, HTTP_QUERY=" ")
    assert_envelope(response, 403)


# --- /api/admin/delete/* -------------------------------------------------------------------------
def test_admin_delete_file_removes_any_users_file(
    client: Client, staff_token: str, owner_token: str, upload_file: Any
) -> None:
    name = stored_name(upload_file(owner_token, b"dmca", "a.txt"))
    response = client.post("/api/admin/delete/file", HTTP_TOKEN=staff_token, HTTP_FILE=name)
    assert response.content == f"{name} has been deleted!".encode()
    assert storage_names() == [] and not Upload.objects.exists()


def test_admin_delete_file_unknown_is_404(client: Client, staff_token: str) -> None:
    response = client.post("/api/admin/delete/file", HTTP_TOKEN=staff_token, HTTP_FILE="x.png")
    assert_envelope(response, 404)


def test_admin_delete_file_by_non_staff_is_403_and_keeps_file(
    client: Client, owner_token: str, other_user: User, upload_file: Any
) -> None:
    name = stored_name(upload_file(token_of(other_user), b"x", "a.txt"))
    response = client.post("/api/admin/delete/file", HTTP_TOKEN=owner_token, HTTP_FILE=name)
    assert_envelope(response, 403)
    assert storage_names() == [name]


def test_admin_delete_user_removes_user_and_all_files(
    client: Client, staff_token: str, owner_token: str, upload_file: Any
) -> None:
    for index in range(3):
        stored_name(upload_file(owner_token, b"x", f"{index}.txt"))
    response = client.post("/api/admin/delete/user", HTTP_TOKEN=staff_token, HTTP_USERNAME="moptop")
    # Seed 004: 'it should return "This user has been deleted"'
    assert response.content == b"This user has been deleted"
    assert not User.objects.filter(username="moptop").exists()
    assert storage_names() == [] and not Upload.objects.exists()


def test_admin_delete_user_unknown_is_404(client: Client, staff_token: str) -> None:
    response = client.post("/api/admin/delete/user", HTTP_TOKEN=staff_token, HTTP_USERNAME="ghost")
    assert_envelope(response, 404)


def test_admin_delete_user_by_non_staff_is_403(
    client: Client, owner_token: str, other_user: User
) -> None:
    response = client.post(
        "/api/admin/delete/user", HTTP_TOKEN=owner_token, HTTP_USERNAME="someone"
    )
    assert_envelope(response, 403)
    assert User.objects.filter(username="someone").exists()


def test_admin_delete_user_missing_username_is_400(client: Client, staff_token: str) -> None:
    assert_envelope(client.post("/api/admin/delete/user", HTTP_TOKEN=staff_token), 400)


def test_guessing_the_admin_key_is_throttled(
    client: Client, admin_registration: None, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    for index in range(3):
        client.post(
            "/api/admin/signup",
            HTTP_USERNAME=f"boss{index}",
            HTTP_PASSWORD=PASSWORD,
            HTTP_ADMINKEY="guess",
        )
    response = client.post(
        "/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY=ADMIN_KEY
    )
    assert_envelope(response, 429)
    assert not User.objects.exists()


@pytest.mark.parametrize("path", ["/api/admin/list/uploads", "/api/admin/list/users"])
@pytest.mark.parametrize("query", ["\x00", "moptop\x00", "\t", "a\x7fb"])
def test_admin_list_query_with_a_control_character_is_400(
    client: Client, staff_token: str, path: str, query: str
) -> None:
    # A NUL used to reach the database (500 on PostgreSQL, which cannot store one in text).
    response = client.post(path, HTTP_TOKEN=staff_token, HTTP_QUERY=query)
    assert_envelope(response, 400)
    assert response.json()["message"] == "The query header must not contain control characters."
