"""The user admin as the file host sees it: deleting a user purges their stored files (seed 004:
"all files associated with the account are purged and all traces are deleted"), the user's
page shows their files and applications, and disabling a user stops their tokens."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.test import Client

from accounts import services as account_services
from accounts.models import ApiApplication, Token, User
from uploads.models import Upload
from uploads.services import upload_thumbnail_ensure
from uploads.tests.conftest import PASSWORD, make_user, png_bytes, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(username="root", password=PASSWORD)


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def owner_files(owner: User, owner_token: str, upload_file: Any) -> list[str]:
    names = [
        upload_file(owner_token, png_bytes(), "cat.png").json()["url"].rsplit("/", 1)[1],
        upload_file(owner_token, b"some words", "notes.txt").json()["url"].rsplit("/", 1)[1],
    ]
    # A dashboard thumbnail exists too; it must go with its upload.
    assert upload_thumbnail_ensure(upload=Upload.objects.get(name=names[0]))
    return names


@pytest.fixture
def other_file(other_user: User, upload_file: Any) -> str:
    token = account_services.filehost_token_get_or_create(user=other_user)[1]
    return upload_file(token, b"keep me", "keep.txt").json()["url"].rsplit("/", 1)[1]


def test_delete_page_lists_the_files_and_removes_them_from_storage(
    admin_client: Client,
    superuser: User,
    owner: User,
    owner_files: list[str],
    other_file: str,
    uploads_storage: Any,
) -> None:
    assert len(stored_files(uploads_storage)) == 4  # two files, a thumbnail, another user's file
    page = admin_client.get(f"/admin/accounts/user/{owner.pk}/delete/")
    assert page.status_code == 200
    assert all(name.encode() in page.content for name in owner_files)

    response = admin_client.post(f"/admin/accounts/user/{owner.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Upload.objects.filter(owner_id=owner.pk).exists()
    assert not Token.objects.filter(user_id=owner.pk).exists()
    # Only the other user's file is left: no file, no thumbnail of the deleted user.
    assert stored_files(uploads_storage) == [other_file]
    entry = LogEntry.objects.get(user=superuser)
    assert entry.action_flag == DELETION and entry.object_repr == "moptop"


def test_bulk_delete_asks_first_then_purges_every_selected_users_files(
    admin_client: Client,
    owner: User,
    owner_files: list[str],
    other_user: User,
    other_file: str,
    uploads_storage: Any,
) -> None:
    selected = {"action": "delete_selected", "_selected_action": [owner.pk, other_user.pk]}
    confirm = admin_client.post("/admin/accounts/user/", selected)
    assert confirm.status_code == 200 and b"Are you sure" in confirm.content
    assert all(name.encode() in confirm.content for name in [*owner_files, other_file])
    assert len(stored_files(uploads_storage)) == 4

    response = admin_client.post("/admin/accounts/user/", {**selected, "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "Successfully deleted 2 users." in response.content.decode()
    assert not User.objects.filter(pk__in=[owner.pk, other_user.pk]).exists()
    assert stored_files(uploads_storage) == []
    assert not Upload.objects.exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2


def test_the_only_bulk_delete_of_users_is_the_one_that_purges_files(
    admin_client: Client, owner: User
) -> None:
    page = admin_client.get("/admin/accounts/user/").content.decode()
    assert page.count('value="delete_selected"') == 1
    assert ">Delete with all files</option>" in page


def test_user_page_links_to_their_files_with_a_count(
    admin_client: Client, owner: User, owner_files: list[str], other_file: str
) -> None:
    page = admin_client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
    link = f"/admin/uploads/upload/?owner__id__exact={owner.pk}"
    assert f'<a href="{link}">2 file(s)' in page
    listing = admin_client.get(link).content.decode()
    assert all(name in listing for name in owner_files) and other_file not in listing
    # The changelist shows the same count per user.
    assert "2 file(s)" in admin_client.get("/admin/accounts/user/").content.decode()


def test_user_page_shows_their_applications_and_tokens(
    admin_client: Client, superuser: User, owner: User, owner_token: str
) -> None:
    application = account_services.application_request(
        user=owner, name="Kaguya bot", purpose="Discord images", scopes=["image:list"]
    )
    account_services.application_approve(
        application=application, scopes=["image:list"], expires_at=None, by=superuser
    )
    page = admin_client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
    assert "Kaguya bot" in page
    assert f"/admin/accounts/apiapplication/{application.pk}/change/" in page
    assert "File-host token" in page and "Catalog API token" in page
    # Shown, never the secret.
    assert owner_token not in page
    for token in Token.objects.filter(user=owner):
        assert token.digest not in page and token.nonce not in page


class _FormFields(HTMLParser):
    """The fields a browser would submit from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.setdefault(self._select, []).append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def test_saving_a_user_keeps_working_with_the_read_only_lists(
    admin_client: Client, superuser: User, owner: User, owner_files: list[str]
) -> None:
    account_services.application_request(user=owner, name="bot", purpose="p", scopes=[])
    url = f"/admin/accounts/user/{owner.pk}/change/"
    form = _FormFields()
    form.feed(admin_client.get(url).content.decode())
    data = {**form.data, "email": "moptop@example.org", "_save": "Save"}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    owner.refresh_from_db()
    assert owner.email == "moptop@example.org"
    assert ApiApplication.objects.filter(user=owner).count() == 1
    assert Upload.objects.filter(owner=owner).count() == 2
    assert LogEntry.objects.get(user=superuser).action_flag == CHANGE


def test_disabling_a_user_stops_both_their_tokens_and_is_logged(
    admin_client: Client, superuser: User, owner: User, owner_token: str
) -> None:
    application = account_services.application_request(
        user=owner, name="bot", purpose="p", scopes=[]
    )
    token = account_services.application_approve(
        application=application, scopes=[], expires_at=None, by=superuser
    )
    api_token = account_services.token_value(token=token)
    anonymous = Client()
    assert anonymous.post("/api/token/valid", HTTP_TOKEN=owner_token).status_code == 200
    bearer: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}
    assert anonymous.get("/api/v1/token", **bearer).status_code == 200

    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "disable_users", "_selected_action": [owner.pk, superuser.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "You cannot disable yourself." in text and "1 user(s) disabled." in text
    owner.refresh_from_db()
    superuser.refresh_from_db()
    assert owner.is_active is False and superuser.is_active is True
    assert anonymous.post("/api/token/valid", HTTP_TOKEN=owner_token).status_code == 401
    assert anonymous.get("/api/v1/token", **bearer).status_code == 401
    assert not Client().login(username="moptop", password=PASSWORD)
    entry = LogEntry.objects.get(user=superuser)
    assert entry.object_id == str(owner.pk) and entry.action_flag == CHANGE
    assert "Disabled" in entry.get_change_message()

    admin_client.post(
        "/admin/accounts/user/", {"action": "enable_users", "_selected_action": [owner.pk]}
    )
    assert anonymous.post("/api/token/valid", HTTP_TOKEN=owner_token).status_code == 200
    assert anonymous.get("/api/v1/token", **bearer).status_code == 200


def test_staff_without_delete_permission_on_uploads_cannot_delete_a_user_with_files(
    owner: User, owner_files: list[str], uploads_storage: Any
) -> None:
    moderator = make_user("halfmod", staff=True)
    moderator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "delete_user"])
    )
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/admin/accounts/user/{owner.pk}/delete/")
    assert b"would require deleting the following protected" in page.content or (
        b"your account doesn't have permission to delete" in page.content
    )
    response = client.post(f"/admin/accounts/user/{owner.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=owner.pk).exists()
    assert len(stored_files(uploads_storage)) == 3
