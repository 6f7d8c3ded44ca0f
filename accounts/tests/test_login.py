"""Log in, log out, password change (server-rendered, CSRF, messages, redirect after POST)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client

from accounts.models import User
from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _messages(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


def test_login_page_renders_a_form_with_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'href="/accounts/signup/"' in response.content


def test_login_without_csrf_token_is_refused(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_login_with_right_password_redirects_to_dashboard_with_a_message(owner: User) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[0] == ("/dashboard/", 302)
    assert response.context["user"] == owner
    assert "Welcome back, alice." in _messages(response)


def test_login_with_wrong_password_shows_the_form_again(owner: User) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_login_is_locked_after_too_many_failures_for_the_username(
    owner: User, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(3):
        attacker.post("/accounts/login/", {"username": "alice", "password": "guess"})
    # From another address, even the right password is refused while the username is locked.
    response = Client(REMOTE_ADDR="198.51.100.7").post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert b"Too many failed attempts. Please wait" in response.content
    assert b"seconds before trying again." in response.content


def test_login_is_locked_per_client_ip_across_usernames(owner: User, settings: Any) -> None:
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("bob", "carol", "dave"):
        attacker.post("/accounts/login/", {"username": name, "password": "guess"})
    response = attacker.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert b"Too many failed attempts" in response.content
    # Somebody else's address is not affected.
    ok = Client(REMOTE_ADDR="198.51.100.8").post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}
    )
    assert ok.status_code == 302


def test_successful_login_resets_the_username_counter(owner: User, settings: Any) -> None:
    settings.RATELIMIT_ENABLE = True  # django-ratelimit counts the attempts
    settings.RATELIMIT_AUTH_RATE = "3/m"
    client = Client(REMOTE_ADDR="198.51.100.10")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "typo"})
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )
    other = Client(REMOTE_ADDR="198.51.100.11")
    for _ in range(2):
        other.post("/accounts/login/", {"username": "alice", "password": "typo"})
    assert (
        other.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )


def test_disabled_user_cannot_log_in(owner: User) -> None:
    from accounts import services

    services.user_disable(user=owner)
    response = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_logout_requires_post(owner_client: Client) -> None:
    assert owner_client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in owner_client.session


@pytest.mark.usefixtures("_no_gallery")
def test_logout_by_post_logs_out_and_says_so(owner_client: Client) -> None:
    response = owner_client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "_auth_user_id" not in owner_client.session
    assert "You have been logged out." in _messages(response)


def test_password_change_needs_login() -> None:
    response = Client().get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_change_updates_the_argon2_hash_and_keeps_the_session(
    owner: User, owner_client: Client
) -> None:
    response = owner_client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much better passphrase 7",
            "new_password2": "a much better passphrase 7",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/dashboard/", 302)]
    assert "Your password has been changed." in _messages(response)
    owner.refresh_from_db()
    assert owner.check_password("a much better passphrase 7")
    assert identify_hasher(owner.password).algorithm == "argon2"
    assert owner_client.get("/dashboard/").status_code == 200


def test_password_change_with_wrong_old_password_is_refused(
    owner: User, owner_client: Client
) -> None:
    response = owner_client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20},
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_dashboard_home_needs_login_and_links_to_account_pages(owner_client: Client) -> None:
    assert Client().get("/dashboard/").status_code == 302
    response = owner_client.get("/dashboard/")
    assert response.status_code == 200
    for link in (b"/accounts/password/", b"/accounts/delete/", b"/dashboard/files/"):
        assert link in response.content
