from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User


@pytest.fixture
def staff_user(db: None) -> User:
    return User.objects.create_superuser("moderator", "mod@example.com", "correct horse battery")


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def plain_client(db: None) -> Client:
    user = User.objects.create_user("visitor", "visitor@example.com", "correct horse battery")
    client = Client()
    client.force_login(user)
    return client
