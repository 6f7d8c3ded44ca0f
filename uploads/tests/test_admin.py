"""Uploads admin: pages for staff only, take-downs through the service, registration keys."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from uploads.models import RegistrationKey, Upload
from uploads.services import regkey_generate
from uploads.tests.conftest import PASSWORD, png_bytes, storage_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root", password=PASSWORD)


@pytest.fixture
def admin_client(client: Client, superuser: User) -> Client:
    client.force_login(superuser)
    return client


@pytest.fixture
def uploaded(owner_token: str, upload_file: Any) -> list[str]:
    return [
        upload_file(owner_token, png_bytes(), "cat.png").json()["url"].rsplit("/", 1)[1],
        upload_file(owner_token, b"words", "a.txt").json()["url"].rsplit("/", 1)[1],
    ]


def test_upload_changelist_renders_for_staff(admin_client: Client, uploaded: list[str]) -> None:
    response = admin_client.get("/admin/uploads/upload/")
    assert response.status_code == 200
    for name in uploaded:
        assert name.encode() in response.content


def test_upload_changelist_search_is_exact(admin_client: Client, uploaded: list[str]) -> None:
    response = admin_client.get("/admin/uploads/upload/", {"q": uploaded[0]})
    assert uploaded[0].encode() in response.content and uploaded[1].encode() not in response.content
    by_owner = admin_client.get("/admin/uploads/upload/", {"q": "moptop"})
    assert all(name.encode() in by_owner.content for name in uploaded)


def test_upload_change_page_shows_image_preview(admin_client: Client, uploaded: list[str]) -> None:
    upload = Upload.objects.get(name=uploaded[0])
    response = admin_client.get(f"/admin/uploads/upload/{upload.pk}/change/")
    assert response.status_code == 200 and b"<img src=" in response.content


def test_upload_changelist_shows_a_thumbnail_of_image_uploads_only(
    admin_client: Client, uploaded: list[str]
) -> None:
    """Issue 22: "thumbnails in the upload and image lists"."""
    image = Upload.objects.get(name=uploaded[0])
    page = admin_client.get("/admin/uploads/upload/").content.decode()
    url = f"/admin/uploads/upload/{image.pk}/thumbnail.webp"
    assert page.count('class="admin-thumb"') == 1 and f'src="{url}"' in page
    thumbnail = admin_client.get(url)
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/webp"
    text = Upload.objects.get(name=uploaded[1])
    assert admin_client.get(f"/admin/uploads/upload/{text.pk}/thumbnail.webp").status_code == 404


def test_upload_thumbnail_in_the_admin_needs_view_permission(
    client: Client, owner: User, uploaded: list[str]
) -> None:
    url = f"/admin/uploads/upload/{Upload.objects.get(name=uploaded[0]).pk}/thumbnail.webp"
    client.force_login(owner)  # the file's owner, but not staff
    assert client.get(url)["Location"].startswith("/admin/login/")
    owner.is_staff = True
    owner.save()
    assert client.get(url).status_code == 403


def test_upload_admin_refused_for_non_staff(client: Client, owner: User, settings: Any) -> None:
    client.force_login(owner)
    response = client.get("/admin/uploads/upload/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_default_bulk_delete_is_replaced(admin_client: Client, uploaded: list[str]) -> None:
    response = admin_client.get("/admin/uploads/upload/")
    assert b'value="delete_selected"' not in response.content
    assert b'value="delete_with_files"' in response.content


def test_bulk_delete_action_removes_stored_files(admin_client: Client, uploaded: list[str]) -> None:
    ids = list(Upload.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/uploads/upload/",
        {"action": "delete_with_files", "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )
    assert response.status_code == 200
    assert not Upload.objects.exists() and storage_names() == []


def test_single_delete_from_change_page_removes_stored_file(
    admin_client: Client, uploaded: list[str]
) -> None:
    upload = Upload.objects.get(name=uploaded[0])
    admin_client.post(f"/admin/uploads/upload/{upload.pk}/delete/", {"post": "yes"})
    assert storage_names() == [uploaded[1]]


def test_regkey_generate_shows_plain_keys_once(admin_client: Client) -> None:
    page = admin_client.get("/admin/uploads/registrationkey/generate/")
    assert page.status_code == 200
    response = admin_client.post("/admin/uploads/registrationkey/generate/", {"count": "3"})
    # Rendered into this answer only: no redirect, so no copy in a cookie or the session.
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    text = response.content.decode()
    keys = set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))
    assert len(keys) == 3 and RegistrationKey.objects.count() == 3
    assert {k[:8] for k in keys} == set(RegistrationKey.objects.values_list("hint", flat=True))
    # Not shown again: the list only has hints.
    listing = admin_client.get("/admin/uploads/registrationkey/").content.decode()
    assert all(key not in listing for key in keys)


def test_regkey_list_shows_who_used_a_key(
    admin_client: Client, client: Client, settings: Any
) -> None:
    settings.INVITE_ONLY = True
    (key,) = regkey_generate(created_by=None)
    Client().post(
        "/api/user/signup", HTTP_USERNAME="invited", HTTP_PASSWORD=PASSWORD, HTTP_REGKEY=key
    )
    listing = admin_client.get("/admin/uploads/registrationkey/")
    assert b"invited" in listing.content and b"used" in listing.content


def test_regkey_revoke_action_only_revokes_unused(admin_client: Client, settings: Any) -> None:
    settings.INVITE_ONLY = True
    used, unused = regkey_generate(created_by=None, count=2)
    Client().post(
        "/api/user/signup", HTTP_USERNAME="invited", HTTP_PASSWORD=PASSWORD, HTTP_REGKEY=used
    )
    ids = [str(pk) for pk in RegistrationKey.objects.values_list("pk", flat=True)]
    admin_client.post(
        "/admin/uploads/registrationkey/", {"action": "revoke", "_selected_action": ids}
    )
    assert RegistrationKey.objects.filter(revoked_at__isnull=False).count() == 1
    response = Client().post(
        "/api/user/signup", HTTP_USERNAME="late", HTTP_PASSWORD=PASSWORD, HTTP_REGKEY=unused
    )
    assert response.status_code == 403


def test_regkey_generate_refused_for_non_staff(client: Client, owner: User) -> None:
    client.force_login(owner)
    response = client.get("/admin/uploads/registrationkey/generate/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
