"""API applications (seed 000): "please make an app on our dashboard. After one of our admins
approves your app, you will see your token on top of the dashboard page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiApplication, Token, User

pytestmark = pytest.mark.django_db

# PRODUCT.md: "Catalog API tokens are 100 characters of [0-9a-zA-Z]".
TOKEN_RE = re.compile(r"\b[0-9a-zA-Z]{100}\b")


def _request(client: Client, **data: Any) -> ApiApplication:
    payload: dict[str, Any] = {
        "name": "Kaguya bot",
        "purpose": "Random images in my Discord server.",
    }
    payload.update(data)
    response = client.post("/dashboard/applications/new/", payload)
    assert response.status_code == 302
    return ApiApplication.objects.latest("created_at")


def _approve_in_admin(staff_client: Client, application: ApiApplication, **data: Any) -> Any:
    payload: dict[str, Any] = {
        "decision": "approve",
        "scopes": ["image:list"],
        "custom_expiry_seconds": "86400",
        "extra_scopes": "",
        "expires_at": "",
        "decision_note": "",
    }
    payload.update(data)
    return staff_client.post(f"/admin/accounts/apiapplication/{application.pk}/change/", payload)


def _shown_token(client: Client, application: ApiApplication) -> str:
    response = client.get(f"/dashboard/applications/{application.pk}/?reveal=1")
    assert response.status_code == 200
    found = TOKEN_RE.findall(response.content.decode())
    assert found, "the revealed token is on the page"
    return found[0]


def test_request_form_lists_registry_scopes(owner_client: Client) -> None:
    response = owner_client.get("/dashboard/applications/new/")
    assert response.status_code == 200
    assert b'value="image:list"' in response.content
    assert b"image:custom-expiry:86400" in response.content


def test_requesting_an_application_needs_login() -> None:
    response = Client().post("/dashboard/applications/new/", {"name": "x", "purpose": "y"})
    assert response.status_code == 302
    assert ApiApplication.objects.count() == 0


def test_request_creates_a_pending_application_without_token(
    owner: User, owner_client: Client
) -> None:
    application = _request(owner_client, scopes=["image:list"])
    assert application.user == owner
    assert application.status == ApiApplication.Status.PENDING
    assert application.requested_scopes == ["image:list"]
    page = owner_client.get(f"/dashboard/applications/{application.pk}/")
    assert b"Staff have not decided yet" in page.content
    assert not TOKEN_RE.search(page.content.decode())


def test_request_with_an_unknown_scope_is_refused(owner_client: Client) -> None:
    response = owner_client.post(
        "/dashboard/applications/new/",
        {"name": "x", "purpose": "y", "scopes": ["image:delete-everything"]},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert ApiApplication.objects.count() == 0


def test_request_without_a_name_is_refused(owner_client: Client) -> None:
    response = owner_client.post("/dashboard/applications/new/", {"name": "", "purpose": "y"})
    assert response.status_code == 200
    assert b"This field is required." in response.content


def test_full_flow_request_approve_reveal_regenerate_revoke(
    owner: User, owner_client: Client, staff: User, staff_client: Client
) -> None:
    application = _request(owner_client, scopes=["image:list"])

    response = _approve_in_admin(staff_client, application)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.APPROVED
    assert application.decided_by == staff and application.decided_at is not None
    assert application.granted_scopes == ["image:list", "image:custom-expiry:86400"]
    token = Token.objects.get(application=application)
    assert token.issued_by == staff and token.user == owner and token.kind == Token.Kind.API

    # Hidden until "reveal": the page masks it, ?reveal=1 shows it (no JavaScript needed).
    masked = owner_client.get(f"/dashboard/applications/{application.pk}/")
    assert b'type="password"' in masked.content
    assert "no-store" in masked["Cache-Control"] and "private" in masked["Cache-Control"]
    assert b"/static/js/token.js" in masked.content
    value = _shown_token(owner_client, application)
    assert services.token_authenticate(value=value, kind=Token.Kind.API) == token
    # Seed 000: "you will see your token on top of the dashboard page".
    home = owner_client.get("/dashboard/").content.decode()
    assert 'id="api-tokens"' in home
    assert f"/dashboard/applications/{application.pk}/?reveal=1" in home
    assert value not in home  # hidden until "reveal"

    # The "how to call the API" snippet carries SITE_URL and the Bearer header (seed 000).
    revealed = owner_client.get(f"/dashboard/applications/{application.pk}/?reveal=1")
    text = re.sub(r"<[^>]+>", "", revealed.content.decode())
    assert f'curl -H "Authorization: Bearer {value}"' in text
    assert "http://127.0.0.1:8000/api/v1/token" in text

    # Regenerate: the old token stops at once.
    response = owner_client.post(
        f"/dashboard/applications/{application.pk}/regenerate/", follow=True
    )
    assert response.redirect_chain == [(f"/dashboard/applications/{application.pk}/", 302)]
    assert "A new token was generated; the old one stops working within a second." in [
        str(m) for m in response.context["messages"]
    ]
    new_value = _shown_token(owner_client, application)
    assert new_value != value
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None
    assert services.token_authenticate(value=new_value, kind=Token.Kind.API) == token

    # Revoke.
    response = owner_client.post(f"/dashboard/applications/{application.pk}/revoke/")
    assert response.status_code == 302
    assert services.token_authenticate(value=new_value, kind=Token.Kind.API) is None
    page = owner_client.get(f"/dashboard/applications/{application.pk}/?reveal=1")
    assert b"was revoked" in page.content
    assert not TOKEN_RE.search(page.content.decode())


def test_regenerate_and_revoke_need_post(owner: User, owner_client: Client, staff: User) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    services.application_approve(application=application, scopes=[], expires_at=None, by=staff)
    for action in ("regenerate", "revoke"):
        url = f"/dashboard/applications/{application.pk}/{action}/"
        assert owner_client.get(url).status_code == 405


def test_another_user_cannot_see_or_touch_the_application(
    owner: User, other_client: Client, staff: User
) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    base = f"/dashboard/applications/{application.pk}/"
    assert other_client.get(base + "?reveal=1").status_code == 404
    assert other_client.post(base + "regenerate/").status_code == 404
    assert other_client.post(base + "revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_approve_with_the_admin_action_uses_requested_scopes(
    owner: User, owner_client: Client, staff_client: Client
) -> None:
    application = _request(owner_client, scopes=["image:list", "image:custom-expiry:86400"])
    response = staff_client.post(
        "/admin/accounts/apiapplication/",
        {"action": "approve_selected", "_selected_action": [application.pk]},
    )
    assert response.status_code == 302
    token = Token.objects.get(application=application)
    assert token.scopes == ["image:list", "image:custom-expiry:86400"]
    assert token.expires_at is None


def test_unknown_scope_is_refused_on_approval(
    owner: User, owner_client: Client, staff_client: Client
) -> None:
    application = _request(owner_client)
    response = _approve_in_admin(staff_client, application, extra_scopes="image:everything")
    assert response.status_code == 200
    assert b"Unknown scope(s): image:everything." in response.content
    response = _approve_in_admin(staff_client, application, scopes=["image:upload"])
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.PENDING
    assert not Token.objects.filter(application=application).exists()


def test_unknown_scope_is_refused_by_the_service(owner: User, staff: User) -> None:
    from django.core.exceptions import ValidationError

    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    with pytest.raises(ValidationError):
        services.application_approve(
            application=application, scopes=["root"], expires_at=None, by=staff
        )
    assert not Token.objects.exists()


def test_approval_with_an_expiry_in_the_past_is_refused(
    owner: User, owner_client: Client, staff_client: Client
) -> None:
    application = _request(owner_client)
    response = _approve_in_admin(staff_client, application, expires_at="2001-01-01 00:00")
    assert response.status_code == 200
    assert b"The expiry must be in the future." in response.content


def test_approval_with_an_expiry_sets_it_on_the_token(
    owner: User, owner_client: Client, staff_client: Client
) -> None:
    application = _request(owner_client)
    when = (timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    response = _approve_in_admin(
        staff_client, application, expires_at=when.strftime("%Y-%m-%d %H:%M")
    )
    assert response.status_code == 302
    assert Token.objects.get(application=application).expires_at == when


def test_reject_in_admin_leaves_no_token_and_tells_the_user(
    owner: User, owner_client: Client, staff: User, staff_client: Client
) -> None:
    application = _request(owner_client)
    response = _approve_in_admin(
        staff_client, application, decision="reject", decision_note="Not a bot project."
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.REJECTED
    assert application.decided_by == staff
    assert not Token.objects.filter(application=application).exists()
    page = owner_client.get(f"/dashboard/applications/{application.pk}/")
    assert b"Rejected" in page.content and b"Not a bot project." in page.content


def test_reject_after_approval_revokes_the_token(owner: User, staff: User) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    value = services.token_value(token=token)
    services.application_reject(application=application, by=staff)
    assert services.token_authenticate(value=value, kind=Token.Kind.API) is None


def test_approval_after_rejection_gives_a_fresh_working_token(owner: User, staff: User) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    old_value = services.token_value(token=token)
    services.application_reject(application=application, by=staff)
    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    new_value = services.token_value(token=token)
    assert new_value != old_value
    assert services.token_authenticate(value=old_value, kind=Token.Kind.API) is None
    assert services.token_authenticate(value=new_value, kind=Token.Kind.API) == token


def test_reapproval_updates_the_same_token(owner: User, staff: User) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    first = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    second = services.application_approve(
        application=application, scopes=["image:list"], expires_at=None, by=staff
    )
    assert first.pk == second.pk
    assert Token.objects.get(pk=first.pk).scopes == ["image:list"]


def test_reject_with_the_admin_action(owner: User, staff_client: Client) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    response = staff_client.post(
        "/admin/accounts/apiapplication/",
        {"action": "reject_selected", "_selected_action": [application.pk]},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.REJECTED


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/apiapplication/",
        "/admin/accounts/token/",
        "/admin/accounts/ratelimitblock/",
    ],
)
def test_non_staff_cannot_reach_admin_pages(owner_client: Client, path: str) -> None:
    response = owner_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_non_staff_cannot_approve_through_the_admin(
    owner: User, owner_client: Client, other_client: Client
) -> None:
    application = _request(owner_client)
    response = _approve_in_admin(other_client, application)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    application.refresh_from_db()
    assert application.status == ApiApplication.Status.PENDING


def test_admin_pages_render_for_staff(owner: User, staff: User, staff_client: Client) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    token = services.application_approve(
        application=application, scopes=["image:list"], expires_at=None, by=staff
    )
    value = services.token_value(token=token)
    for path in (
        "/admin/accounts/apiapplication/",
        f"/admin/accounts/apiapplication/{application.pk}/change/",
        "/admin/accounts/token/",
        f"/admin/accounts/token/{token.pk}/change/",
        "/admin/accounts/user/",
        "/admin/accounts/ratelimitblock/",
    ):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        # The token admin never shows the token or its look-up digest.
        assert value.encode() not in response.content
        assert token.digest.encode() not in response.content
        assert token.nonce.encode() not in response.content


def test_staff_set_a_rate_limit_override_in_the_token_admin(
    owner: User, staff: User, staff_client: Client
) -> None:
    application = services.application_request(user=owner, name="a", purpose="b", scopes=[])
    token = services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    digest = token.digest
    response = staff_client.post(
        f"/admin/accounts/token/{token.pk}/change/", {"rate_limit_override": "20"}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.rate_limit_override == 20
    assert token.digest == digest and token.revoked_at is None


def test_staff_disable_a_user_in_the_admin(owner: User, staff_client: Client) -> None:
    response = staff_client.post(
        "/admin/accounts/user/", {"action": "disable_users", "_selected_action": [owner.pk]}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.is_active is False
