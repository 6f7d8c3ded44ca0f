"""Fixtures for the catalog API tests: users and real tokens with scopes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiApplication, User
from accounts.services import token_issue, token_revoke


def bearer(value: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


def assert_error(response, status: int, message: str) -> None:
    """Seed 001: {"code": Integer, "message": String, "success": false}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": status, "message": message, "success": False}


def assert_success(response) -> Any:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("owner", "owner@example.com", "a long password 123")


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user("moderator", "mod@example.com", "pw pw pw 123", is_staff=True)


def _issue(user: User, scopes: list[str], **kwargs: Any) -> str:
    return token_issue(user=user, kind="api", scopes=scopes, **kwargs)[1]


@pytest.fixture
def list_token(owner: User) -> str:
    return _issue(owner, ["image:list"])


@pytest.fixture
def plain_token(owner: User) -> str:
    """A valid token without any scope."""
    return _issue(owner, [])


@pytest.fixture
def expiry_token(owner: User) -> str:
    """May list images and ask for links valid up to an hour."""
    return _issue(owner, ["image:list", "image:custom-expiry:3600"])


@pytest.fixture
def revoked_token(owner: User) -> str:
    token, value = token_issue(user=owner, kind="api", scopes=["image:list"])
    token_revoke(token=token)
    return value


@pytest.fixture
def expired_token(owner: User) -> str:
    return _issue(owner, ["image:list"], expires_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def application_token(owner: User, staff: User) -> str:
    application = ApiApplication.objects.create(
        user=owner,
        name="Neko bot",
        purpose="A Discord bot that posts cats.",
        status=ApiApplication.Status.APPROVED,
    )
    return _issue(
        owner,
        ["image:list", "image:custom-expiry:86400"],
        application=application,
        issued_by=staff,
        expires_at=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def api(client: Client) -> Client:
    return client
