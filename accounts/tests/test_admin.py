"""Deciding API applications in the admin (seed 000: "After one of our admins approves your app,
you will see your token on top of the dashboard page."). The decision, who made it and when are
recorded, the approver is the token's issuedBy (seed 002 GET /token), and it is all in the
admin history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiApplication, Token, User
from accounts.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"\b[0-9a-zA-Z]{100}\b")


def _decide(client: Client, application: ApiApplication, **data: Any) -> Any:
    payload: dict[str, Any] = {
        "decision": "approve",
        "scopes": ["image:list"],
        "custom_expiry_seconds": "",
        "extra_scopes": "",
        "expires_at": "",
        "decision_note": "",
    }
    payload.update(data)
    return client.post(f"/admin/accounts/apiapplication/{application.pk}/change/", payload)


def test_admin_approval_makes_the_approver_the_tokens_issuer_on_get_token(
    owner: User, owner_client: Client, staff: User, staff_client: Client
) -> None:
    owner_client.post(
        "/dashboard/applications/new/",
        {"name": "Kaguya bot", "purpose": "Discord images", "scopes": ["image:list"]},
    )
    application = ApiApplication.objects.get(user=owner)
    page = staff_client.get(f"/admin/accounts/apiapplication/{application.pk}/change/")
    # The scopes to choose from come from the registry.
    assert b'value="image:list"' in page.content and b"image:custom-expiry:" in page.content

    expires = (timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    before = timezone.now()
    response = _decide(
        staff_client,
        application,
        custom_expiry_seconds="86400",
        expires_at=expires.strftime("%Y-%m-%d %H:%M"),
        decision_note="welcome",
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.APPROVED
    assert application.decided_by == staff and application.decided_at >= before
    assert application.decision_note == "welcome"
    assert application.granted_scopes == ["image:list", "image:custom-expiry:86400"]

    shown = owner_client.get(f"/dashboard/applications/{application.pk}/?reveal=1")
    value = TOKEN_RE.findall(shown.content.decode())[0]
    answer = Client().get("/api/v1/token", HTTP_AUTHORIZATION=f"Bearer {value}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    assert body["data"]["owner"] == "alice"
    assert body["data"]["issuedBy"] == "root"
    assert body["data"]["purpose"] == "Discord images"
    assert body["data"]["scopes"] == ["image:list", "image:custom-expiry:86400"]
    assert datetime.strptime(body["data"]["expires"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC
    ) == expires.astimezone(UTC)

    entry = LogEntry.objects.get(user=staff, object_id=str(application.pk))
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == (
        "Approved with scopes: image:list, image:custom-expiry:86400; "
        f"token expires: {expires.isoformat()}."
    )


def test_rejection_is_recorded_with_who_and_when(
    owner: User, staff: User, staff_client: Client
) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    response = _decide(staff_client, application, decision="reject", decision_note="no purpose")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.REJECTED
    assert application.decided_by == staff and application.decided_at is not None
    assert not Token.objects.filter(application=application).exists()
    entry = LogEntry.objects.get(user=staff)
    assert entry.get_change_message() == "Rejected."


def test_unknown_scopes_are_refused_in_the_admin(owner: User, staff_client: Client) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    response = _decide(staff_client, application, extra_scopes="image:delete-everything")
    assert response.status_code == 200 and b"Unknown scope(s)" in response.content
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.PENDING
    assert not LogEntry.objects.exists()


def test_bulk_approve_records_the_approver_as_issuer(
    owner: User, staff: User, staff_client: Client
) -> None:
    application = services.application_request(
        user=owner, name="a", purpose="b", scopes=["image:list"]
    )
    staff_client.post(
        "/admin/accounts/apiapplication/",
        {"action": "approve_selected", "_selected_action": [application.pk]},
    )
    token = Token.objects.get(application=application)
    assert token.issued_by == staff and token.scopes == ["image:list"]
    value = services.token_value(token=token)
    body = Client().get("/api/v1/token", HTTP_AUTHORIZATION=f"Bearer {value}").json()
    assert body["data"]["issuedBy"] == "root" and body["data"]["expires"] is None
    entry = LogEntry.objects.get(user=staff)
    assert entry.get_change_message() == "Approved with scopes: image:list; token expires: never."


def _view_only_staff() -> Client:
    user = User.objects.create_user("viewer", password=PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_apiapplication", "view_token"])
    )
    client = Client()
    client.force_login(user)
    return client


def test_view_only_staff_cannot_decide_or_change_token_limits(owner: User, staff: User) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    viewer = _view_only_staff()
    page = viewer.get(f"/admin/accounts/apiapplication/{application.pk}/change/")
    assert page.status_code == 200 and b'name="decision"' not in page.content
    assert _decide(viewer, application).status_code == 403
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.PENDING

    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    response = viewer.post(
        f"/admin/accounts/token/{token.pk}/change/", {"rate_limit_override": "100"}
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.rate_limit_override is None
    assert not LogEntry.objects.exists()


def test_rate_limit_override_change_is_in_the_history(
    owner: User, staff: User, staff_client: Client
) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    staff_client.post(f"/admin/accounts/token/{token.pk}/change/", {"rate_limit_override": "20"})
    entry = LogEntry.objects.get(user=staff, object_id=str(token.pk))
    assert entry.action_flag == CHANGE
    assert "Rate limit override" in entry.get_change_message()


def _user_moderator() -> tuple[User, Client]:
    user = User.objects.create_user("usermod", password=PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user", "delete_user"])
    )
    client = Client()
    client.force_login(user)
    return user, client


def test_a_moderator_cannot_grant_privileges_or_touch_superusers(owner: User, staff: User) -> None:
    moderator, client = _user_moderator()
    page = client.get(f"/admin/accounts/user/{owner.pk}/change/").content.decode()
    assert 'name="is_active"' in page
    for field in ("is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    own = client.get(f"/admin/accounts/user/{moderator.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in own and 'name="user_permissions"' not in own

    # A superuser's account is read-only to them: no edit, password change, delete or disable.
    assert client.get(f"/admin/accounts/user/{staff.pk}/change/").status_code == 200
    assert client.post(f"/admin/accounts/user/{staff.pk}/change/", {}).status_code == 403
    assert client.get(f"/admin/accounts/user/{staff.pk}/password/").status_code == 403
    assert client.post(f"/admin/accounts/user/{staff.pk}/delete/", {"post": "yes"}).status_code == (
        403
    )
    response = client.post(
        "/admin/accounts/user/",
        {"action": "disable_users", "_selected_action": [staff.pk, owner.pk]},
        follow=True,
    )
    assert "Only a superuser can act on superusers: root." in response.content.decode()
    staff.refresh_from_db()
    owner.refresh_from_db()
    assert staff.is_active is True and owner.is_active is False
    response = client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [staff.pk], "post": "yes"},
        follow=True,
    )
    assert User.objects.filter(pk=staff.pk).exists()
