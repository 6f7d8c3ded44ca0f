"""The file-host admin API demands the same Django permissions as the matching admin action.

Issue #17: a staff account without permissions (what every ADMIN_KEY sign-up was) deleted a
superuser, minted registration keys and listed every user and upload through /api/admin/*.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.models import Token, User
from uploads.models import RegistrationKey, Upload
from uploads.tests.conftest import PASSWORD, make_user, storage_names, token_of
from uploads.tests.test_api_files import stored_name
from uploads.tests.test_api_user import assert_envelope

pytestmark = pytest.mark.django_db

# endpoint -> (path, headers, permissions the Django admin wants for the same action)
ENDPOINTS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "regkeygen": ("/api/admin/regkeygen", {}, ("uploads.add_registrationkey",)),
    "list-users": ("/api/admin/list/users", {"HTTP_QUERY": " "}, ("accounts.view_user",)),
    "list-uploads": ("/api/admin/list/uploads", {"HTTP_QUERY": " "}, ("uploads.view_upload",)),
    "delete-file": ("/api/admin/delete/file", {"HTTP_FILE": "<file>"}, ("uploads.delete_upload",)),
    "delete-user": (
        "/api/admin/delete/user",
        {"HTTP_USERNAME": "victim"},
        (
            "accounts.delete_user",
            "uploads.delete_upload",
            "accounts.delete_token",
            "accounts.delete_apiapplication",
        ),
    ),
}
CASES = [
    (endpoint, missing)
    for endpoint, (_, _, perms) in ENDPOINTS.items()
    for missing in (None, *perms)
]


def _grant(user: User, perms: tuple[str, ...]) -> None:
    for name in perms:
        app, codename = name.split(".", 1)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )


def _state() -> tuple[int, list[str], list[str], list[str]]:
    return (
        RegistrationKey.objects.count(),
        sorted(User.objects.values_list("username", flat=True)),
        sorted(Upload.objects.values_list("name", flat=True)),
        storage_names(),
    )


@pytest.mark.parametrize(("endpoint", "missing"), CASES)
def test_admin_endpoint_needs_each_permission_of_the_matching_admin_action(
    client: Client, upload_file: Any, endpoint: str, missing: str | None
) -> None:
    path, headers, perms = ENDPOINTS[endpoint]
    victim = make_user("victim")
    name = stored_name(upload_file(token_of(victim), b"dmca", "a.txt"))
    moderator = make_user("halfmod", staff=True)
    _grant(moderator, tuple(p for p in perms if p != missing))
    headers = {key: value.replace("<file>", name) for key, value in headers.items()}
    before = _state()

    response = client.post(path, HTTP_TOKEN=token_of(moderator), **headers)

    if missing is None:
        assert response.status_code == 200, response.content
    else:
        body = assert_envelope(response, 403)
        assert body["message"] == "This admin does not have the permission to do this."
        assert _state() == before  # nothing minted, deleted or listed


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_admin_endpoint_refuses_staff_without_permissions(
    client: Client, endpoint: str, upload_file: Any
) -> None:
    path, headers, _ = ENDPOINTS[endpoint]
    victim = make_user("victim")
    name = stored_name(upload_file(token_of(victim), b"dmca", "a.txt"))
    bare_staff = make_user("bare", staff=True)
    headers = {key: value.replace("<file>", name) for key, value in headers.items()}
    before = _state()
    response = client.post(path, HTTP_TOKEN=token_of(bare_staff), **headers)
    assert_envelope(response, 403)
    assert _state() == before


def test_non_superuser_cannot_delete_a_superuser_through_the_api(client: Client) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    moderator = make_user("halfmod", staff=True)
    _grant(moderator, ENDPOINTS["delete-user"][2])
    response = client.post(
        "/api/admin/delete/user", HTTP_TOKEN=token_of(moderator), HTTP_USERNAME="root"
    )
    assert assert_envelope(response, 403)["message"] == "Only a superuser can delete a superuser."
    assert User.objects.filter(pk=root.pk).exists()


def test_superuser_can_delete_a_superuser_through_the_api(client: Client) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    User.objects.create_superuser("root2", password=PASSWORD)
    response = client.post(
        "/api/admin/delete/user", HTTP_TOKEN=token_of(root), HTTP_USERNAME="root2"
    )
    assert response.content == b"This user has been deleted"


def test_admin_signup_joins_the_moderators_group_and_is_never_superuser(
    client: Client, settings: Any
) -> None:
    settings.ADMIN_REGISTRATION = True
    settings.ADMIN_KEY = "k"
    for username in ("boss", "boss2"):  # the second sign-up finds the group made by the first
        response = client.post(
            "/api/admin/signup", HTTP_USERNAME=username, HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY="k"
        )
        assert response.content == b"Success!"
    boss = User.objects.get(username="boss")
    assert boss.is_staff and not boss.is_superuser
    group = Group.objects.get(name="File-host moderators")
    assert list(boss.groups.all()) == [group]
    assert list(User.objects.get(username="boss2").groups.all()) == [group]
    granted = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }
    assert granted == {p for _, _, perms in ENDPOINTS.values() for p in perms}


def test_moderator_from_admin_signup_can_use_every_admin_endpoint(
    client: Client, settings: Any, upload_file: Any
) -> None:
    settings.ADMIN_REGISTRATION = True
    settings.ADMIN_KEY = "k"
    client.post(
        "/api/admin/signup", HTTP_USERNAME="boss", HTTP_PASSWORD=PASSWORD, HTTP_ADMINKEY="k"
    )
    token = token_of(User.objects.get(username="boss"))
    victim = make_user("victim")
    name = stored_name(upload_file(token_of(victim), b"dmca", "a.txt"))
    for endpoint in ENDPOINTS:
        path, headers, _ = ENDPOINTS[endpoint]
        headers = {key: value.replace("<file>", name) for key, value in headers.items()}
        response = client.post(path, HTTP_TOKEN=token, **headers)
        assert response.status_code == 200, (endpoint, response.content)
    assert not User.objects.filter(username="victim").exists()
    assert not Token.objects.filter(user__username="victim").exists()
