"""Security properties across the whole site, enumerated so a new endpoint or form is covered
by default: ownership between users, staff-only file-host admin API, CSRF on every dashboard
form, Secure/HttpOnly cookies in production, brute-force resistance of every endpoint that
takes a password. (Per-endpoint tests live beside each app; this file checks the lists.)
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from accounts import services as account_services
from accounts.models import ApiApplication, Token, User
from accounts.services import filehost_token_get_or_create
from uploads.models import Upload

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple 42"


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _fast_hashes_and_private_storage(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    (tmp_path / "tmp").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")


@pytest.fixture
def alice() -> User:
    return User.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def bob() -> User:
    return User.objects.create_user(username="bob", password=PASSWORD)


@pytest.fixture
def staff() -> User:
    return User.objects.create_user(username="root", password=PASSWORD, is_staff=True)


def token_of(user: User) -> str:
    return filehost_token_get_or_create(user=user)[1]


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "cat.png"
    return buffer


def upload_as(user: User) -> str:
    response = Client().post("/api/files/upload", {"uploadFile": png()}, HTTP_TOKEN=token_of(user))
    assert response.status_code == 200, response.content
    return response.json()["url"].rsplit("/", 1)[1]


def logged_in(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


# --- ownership ----------------------------------------------------------------------------------
def test_a_user_cannot_list_read_or_delete_another_users_files(alice: User, bob: User) -> None:
    """Seed 004 gives every user their own files; another user's file looks like none at all."""
    bobs = upload_as(bob)
    api = Client()
    alice_token = token_of(alice)

    assert api.post("/api/files/list", HTTP_TOKEN=alice_token).json() == []
    assert api.post("/api/user/info", HTTP_TOKEN=alice_token).json() == {
        "username": "alice",
        "filecount": 0,
    }
    response = api.post("/api/files/delete", HTTP_TOKEN=alice_token, HTTP_FILE=bobs)
    assert response.status_code == 404
    assert response.json()["message"] == "This file does not exist."

    dashboard = logged_in(alice)
    assert bobs not in dashboard.get("/dashboard/files/").content.decode()
    assert dashboard.get(f"/dashboard/files/{bobs}/thumb.webp").status_code == 404
    dashboard.post(f"/dashboard/files/{bobs}/delete/")
    assert Upload.objects.filter(name=bobs, owner=bob).exists()


def test_a_user_cannot_see_or_change_another_users_application(
    alice: User, bob: User, staff: User
) -> None:
    application = account_services.application_request(
        user=bob, name="bot", purpose="testing", scopes=[]
    )
    token = account_services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    dashboard = logged_in(alice)
    assert "bot" not in dashboard.get("/dashboard/applications/").content.decode()
    base = f"/dashboard/applications/{application.pk}/"
    assert dashboard.get(base).status_code == 404
    assert dashboard.get(base + "?reveal=1").status_code == 404
    assert dashboard.post(base + "regenerate/").status_code == 404
    assert dashboard.post(base + "revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiApplication.objects.get(pk=application.pk).user == bob


# --- staff-only file-host admin API -------------------------------------------------------------
def _admin_api_paths() -> list[str]:
    """Every /api/admin/ route, read from the URL map so a new one is covered automatically."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/admin/"):
                found.append("/" + route.rstrip("$").lstrip("^"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


# Where the seed authenticates with username/password (+ adminkey) instead of a token.
CREDENTIAL_ADMIN_PATHS = {"/api/admin/signup", "/api/admin/token/get"}


def test_the_admin_api_list_is_what_seed_004_names() -> None:
    paths = {path.rstrip("/") for path in _admin_api_paths()}
    assert paths >= {
        "/api/admin/signup",
        "/api/admin/regkeygen",
        "/api/admin/token/valid",
        "/api/admin/token/get",
        "/api/admin/list/uploads",
        "/api/admin/list/users",
        "/api/admin/delete/file",
        "/api/admin/delete/user",
    }


@pytest.mark.parametrize(
    "path", [p for p in _admin_api_paths() if p.rstrip("/") not in CREDENTIAL_ADMIN_PATHS]
)
def test_a_non_staff_token_gets_403_on_every_admin_endpoint(
    path: str, alice: User, bob: User
) -> None:
    bobs = upload_as(bob)
    response = Client().post(
        path,
        HTTP_TOKEN=token_of(alice),
        HTTP_QUERY=" ",
        HTTP_FILE=bobs,
        HTTP_USERNAME="bob",
    )
    assert response.status_code == 403, response.content
    assert response.json()["success"] is False
    # Nothing happened on the way to the refusal.
    assert User.objects.filter(username="bob").exists()
    assert Upload.objects.filter(name=bobs).exists()


def test_a_non_staff_user_cannot_get_an_admin_token(alice: User) -> None:
    response = Client().post("/api/admin/token/get", HTTP_USERNAME="alice", HTTP_PASSWORD=PASSWORD)
    assert response.status_code == 403


def test_a_catalog_api_token_is_no_file_host_admin_token(staff: User) -> None:
    _, value = account_services.token_issue(user=staff, kind=Token.Kind.API)
    response = Client().post("/api/admin/list/users", HTTP_TOKEN=value, HTTP_QUERY=" ")
    assert response.status_code == 401


# --- CSRF on every dashboard form -----------------------------------------------------------------
def _form_posts(alice: User, staff: User) -> list[tuple[str, dict[str, Any]]]:
    application = account_services.application_request(
        user=alice, name="bot", purpose="testing", scopes=[]
    )
    account_services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    name = upload_as(alice)
    app = f"/dashboard/applications/{application.pk}/"
    return [
        ("/accounts/login/", {"username": "alice", "password": PASSWORD}),
        ("/accounts/logout/", {}),
        (
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "another long passphrase 7",
                "new_password2": "another long passphrase 7",
            },
        ),
        (
            "/accounts/signup/",
            {"username": "eve", "password1": PASSWORD, "password2": PASSWORD},
        ),
        ("/accounts/delete/", {"password": PASSWORD, "confirm": "on"}),
        ("/dashboard/applications/new/", {"name": "x", "purpose": "y"}),
        (app + "regenerate/", {}),
        (app + "revoke/", {}),
        ("/dashboard/files/", {"files": png()}),
        (f"/dashboard/files/{name}/delete/", {}),
        ("/dashboard/files/token/regenerate/", {}),
        ("/admin/login/", {"username": "root", "password": PASSWORD}),
    ]


def test_every_dashboard_form_refuses_a_post_without_csrf_token(alice: User, staff: User) -> None:
    forms = _form_posts(alice, staff)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    tokens_before = list(Token.objects.order_by("pk").values_list("pk", "digest", "revoked_at"))
    for url, data in forms:
        response = client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
    # None of the refused posts changed anything.
    assert User.objects.filter(username="alice").exists()
    assert not User.objects.filter(username="eve").exists()
    assert User.objects.get(username="alice").check_password(PASSWORD)
    assert Upload.objects.filter(owner__username="alice").count() == 1
    assert ApiApplication.objects.count() == 1
    assert (
        list(Token.objects.order_by("pk").values_list("pk", "digest", "revoked_at"))
        == tokens_before
    )
    assert "_auth_user_id" in client.session  # the logout post did not log out


def test_the_dashboard_pages_hand_out_a_csrf_token(alice: User) -> None:
    client = logged_in(alice, enforce_csrf_checks=True)
    for url in ("/dashboard/", "/dashboard/files/", "/accounts/password/", "/accounts/delete/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'name="csrfmiddlewaretoken"' in response.content, url


# --- cookies in production ------------------------------------------------------------------------
COOKIE_SCRIPT = r"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from accounts.models import User
User.objects.create_user(username="alice", password="correct horse battery staple 42")
client = Client(HTTP_X_FORWARDED_PROTO="https")
page = client.get("/accounts/login/", secure=True)
token = page.cookies["csrftoken"]
response = client.post(
    "/accounts/login/",
    {"username": "alice", "password": "correct horse battery staple 42",
     "csrfmiddlewaretoken": token.value},
    secure=True,
)
for name in ("csrftoken", "sessionid"):
    cookie = (page.cookies.get(name) or response.cookies.get(name))
    print("COOKIE", name, bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"])
print("STATUS", page.status_code, response.status_code)
"""


def test_session_and_csrf_cookies_are_secure_and_httponly_in_production(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="nekosite.settings",
        PRODUCTION="true",
        SECRET_KEY="k3Yq9-" + "x7Rt2pLm4Vz8" * 6,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        PLAIN_STATICFILES="true",
        LOG_LEVEL="CRITICAL",
    )
    result = subprocess.run(
        [sys.executable, "-c", COOKIE_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if words and words[0] == "COOKIE":
            lines[words[1]] = words[2:]
        elif words and words[0] == "STATUS":
            lines["STATUS"] = words[1:]
    assert lines.get("STATUS") == ["200", "302"], result.stdout + result.stderr[-2000:]
    assert lines["csrftoken"] == ["True", "True", "Lax"]
    assert lines["sessionid"] == ["True", "True", "Lax"]


# --- brute force on every endpoint that takes a password ------------------------------------------
Attempt = Callable[[Client, str], Any]


def _api(path: str, **headers: Any) -> Attempt:
    def attempt(client: Client, password: str) -> Any:
        return client.post(path, HTTP_USERNAME="alice", HTTP_PASSWORD=password, **headers)

    return attempt


API_PASSWORD_ENDPOINTS = {
    "/api/token/get": _api("/api/token/get"),
    "/api/user/delete": _api("/api/user/delete"),
    "/api/user/passreset": _api("/api/user/passreset", HTTP_NEWPASSWORD="a new passphrase 99"),
    "/api/admin/token/get": _api("/api/admin/token/get"),
}


@pytest.mark.parametrize("path", sorted(API_PASSWORD_ENDPOINTS))
def test_api_password_endpoints_lock_out_after_repeated_failures(
    path: str, alice: User, staff: User, settings: Any
) -> None:
    """After RATELIMIT_AUTH_RATE failures even the right password waits (429, Retry-After)."""
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    if path.startswith("/api/admin/"):
        alice.is_staff = True
        alice.save()
    attempt = API_PASSWORD_ENDPOINTS[path]
    attacker = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(3):
        assert attempt(attacker, "wrong guess").status_code == 401
    response = attempt(Client(REMOTE_ADDR="198.51.100.20"), PASSWORD)
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    assert User.objects.get(username="alice").check_password(PASSWORD)  # nothing changed


def test_account_deletion_form_locks_out_after_repeated_failures(
    alice: User, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    client = logged_in(alice)
    for _ in range(3):
        client.post("/accounts/delete/", {"password": "wrong guess", "confirm": "on"})
    response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert b"Too many failed attempts" in response.content
    assert User.objects.filter(username="alice").exists()


def test_password_change_form_locks_out_after_repeated_wrong_old_passwords(
    alice: User, settings: Any
) -> None:
    """A stolen session must not become an oracle for the account's password."""
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    client = logged_in(alice)
    new = "another long passphrase 7"
    for _ in range(3):
        client.post(
            "/accounts/password/",
            {"old_password": "wrong guess", "new_password1": new, "new_password2": new},
        )
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert b"Too many failed attempts" in response.content
    assert User.objects.get(username="alice").check_password(PASSWORD)
