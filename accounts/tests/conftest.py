"""Fixtures for the accounts tests: owner, other user, staff, and logged-in clients."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("alice", "alice@example.org", PASSWORD)


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user("mallory", "mallory@example.org", PASSWORD)


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_client(other_user: User) -> Client:
    client = Client()
    client.force_login(other_user)
    return client


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def _no_gallery(settings: Any) -> None:
    """LOGOUT_REDIRECT_URL names the gallery, which another branch provides."""
    settings.LOGOUT_REDIRECT_URL = "/accounts/login/"
