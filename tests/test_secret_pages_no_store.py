"""Every answer that shows a secret (a token, a registration key) says Cache-Control: no-store.

Issue #17: /dashboard/files/ showed the file-host token three times without no-store, so a
browser kept it on disk and a shared cache could have kept it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts import services as account_services
from accounts.models import User
from uploads.services import moderators_group_ensure
from uploads.tests.conftest import PASSWORD, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashes(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _no_store(response: Any) -> None:
    assert response.status_code == 200, response.content[:300]
    assert "no-store" in response.get("Cache-Control", ""), response.get("Cache-Control")


def test_files_dashboard_showing_the_file_host_token_is_no_store(client: Client) -> None:
    user = User.objects.create_user("moptop", password=PASSWORD)
    client.force_login(user)
    response = client.get("/dashboard/files/")
    assert token_of(user) in response.content.decode()
    _no_store(response)


def test_sharex_config_with_the_token_is_no_store(client: Client) -> None:
    user = User.objects.create_user("moptop", password=PASSWORD)
    client.force_login(user)
    response = client.get("/dashboard/files/sharex.sxcu")
    assert token_of(user) in response.content.decode()
    _no_store(response)


def test_application_page_showing_the_api_token_is_no_store(client: Client) -> None:
    user = User.objects.create_user("dev", password=PASSWORD)
    staff = User.objects.create_superuser("root", password=PASSWORD)
    application = account_services.application_request(
        user=user, name="bot", purpose="a bot", scopes=[]
    )
    account_services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    client.force_login(user)
    response = client.get(f"/dashboard/applications/{application.pk}/?reveal=1")
    _no_store(response)


def test_admin_generated_registration_keys_page_is_no_store(client: Client) -> None:
    client.force_login(User.objects.create_superuser("root", password=PASSWORD))
    _no_store(client.post("/admin/uploads/registrationkey/generate/", {"count": "2"}))


@pytest.mark.parametrize("path", ["/api/token/get", "/api/admin/token/get"])
def test_api_answers_with_a_file_host_token_are_no_store(client: Client, path: str) -> None:
    User.objects.create_user("root", password=PASSWORD, is_staff=True)
    response = client.post(path, HTTP_USERNAME="root", HTTP_PASSWORD=PASSWORD)
    assert "token" in response.json()
    _no_store(response)


def test_api_regkeygen_answer_is_no_store(client: Client) -> None:
    moderator = User.objects.create_user("mod", password=PASSWORD, is_staff=True)
    moderator.groups.add(moderators_group_ensure())
    response = client.post("/api/admin/regkeygen", HTTP_TOKEN=token_of(moderator))
    assert "regkey" in response.json()
    _no_store(response)
