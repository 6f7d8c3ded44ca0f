"""Staff two-factor (issue 22, item 4): "TOTP with backup codes; QR code drawn server-side, no
external service: required for /admin/ when ADMIN_2FA=true, enrolment pages, recovery
documented"."""

from __future__ import annotations

import io
import time
from base64 import b32encode
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import User


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the authenticator app shows (steps_ahead=1: the next window, which the device
    still accepts, so a test need not wait 30 seconds to log in twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    device = twofactor.totp_device_start(user=user)
    codes = twofactor.totp_device_confirm(device=device, code=code_for(device))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


@pytest.fixture
def required(settings: Any) -> None:
    settings.ADMIN_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code in a test does not delay the next one
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_admin_2fa_off_admits_staff_on_their_password(settings: Any, staff_client: Client) -> None:
    settings.ADMIN_2FA = False
    assert staff_client.get("/admin/").status_code == 200


def test_admin_2fa_on_sends_staff_without_a_device_to_enrolment(
    required: None, staff_client: Client
) -> None:
    response = staff_client.get("/admin/", follow=True)
    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/accounts/2fa/verify/?next=%2Fadmin%2F", 302),
        ("/accounts/2fa/setup/?next=%2Fadmin%2F", 302),
    ]
    assert response.status_code == 200


def test_enrolment_shows_an_inline_svg_qr_code_and_the_secret_and_is_not_cached(
    required: None, staff: User, staff_client: Client
) -> None:
    page = staff_client.get("/accounts/2fa/setup/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert '<div class="qr-code"' in html and "<svg" in html and "<img" not in html
    assert b32encode(device.bin_key).decode() in html
    assert "no-store" in page["Cache-Control"]
    # The same device on reload, so an already scanned code stays valid.
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_enrolment_confirms_with_the_first_code_and_shows_ten_backup_codes_once(
    required: None, staff: User, staff_client: Client
) -> None:
    staff_client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=staff)
    wrong = staff_client.post("/accounts/2fa/setup/", {"code": "000000", "next": "/admin/"})
    assert b"That code is not valid." in wrong.content
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    page = staff_client.post("/accounts/2fa/setup/", {"code": code_for(device), "next": "/admin/"})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    codes = page.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in page.content.decode() for code in codes)
    # Only digests are stored.
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert not stored & {c.replace("-", "") for c in codes}
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    # The enrolling session entered a code: the admin opens.
    assert staff_client.get("/admin/").status_code == 200
    # The page is not shown again.
    assert staff_client.get("/accounts/2fa/setup/")["Location"] == "/accounts/2fa/"


def test_every_two_factor_form_needs_a_csrf_token(required: None, staff: User) -> None:
    device, _ = enrol(staff)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    for url in ("/accounts/2fa/verify/", "/accounts/2fa/remove/", "/accounts/2fa/backup-codes/"):
        assert client.post(url, {"code": code_for(device, 1)}).status_code == 403, url
    other = User.objects.create_user("newstaff", password="x", is_staff=True)
    client.force_login(other)
    assert client.post("/accounts/2fa/setup/", {"code": "123456"}).status_code == 403


def test_a_fresh_login_asks_for_a_code_before_the_admin(required: None, staff: User) -> None:
    device, _ = enrol(staff)
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1] == ("/accounts/2fa/verify/?next=%2Fadmin%2F", 302)
    assert "no-store" in response["Cache-Control"]
    assert client.get("/admin/accounts/user/").status_code == 302
    response = client.post(
        "/accounts/2fa/verify/", {"code": code_for(device, 1), "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused(required: None, staff: User) -> None:
    enrol(staff)
    client = Client()
    client.force_login(staff)
    response = client.post("/accounts/2fa/verify/", {"code": "123456", "next": "/admin/"})
    assert response.status_code == 200 and b"That code is not valid." in response.content
    assert client.get("/admin/").status_code == 302


def test_a_backup_code_works_once(required: None, staff: User) -> None:
    _, codes = enrol(staff)
    first = Client()
    first.force_login(staff)
    response = first.post("/accounts/2fa/verify/", {"code": codes[3].upper(), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert first.get("/admin/").status_code == 200
    assert twofactor.backup_codes_left(user=staff) == 9
    second = Client()
    second.force_login(staff)
    again = second.post("/accounts/2fa/verify/", {"code": codes[3], "next": "/admin/"})
    assert b"That code is not valid." in again.content
    assert second.get("/admin/").status_code == 302


def test_next_never_leaves_the_site(required: None, staff: User) -> None:
    device, _ = enrol(staff)
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/accounts/2fa/verify/", {"code": code_for(device, 1), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


def test_code_entry_has_the_brute_force_guard(required: None, staff: User, settings: Any) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_AUTH_RATE = "3/m"
    device, _ = enrol(staff)
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(staff)
    for _ in range(3):
        client.post("/accounts/2fa/verify/", {"code": "000000"})
    # Even the right code is refused while locked, and the code is not spent.
    response = client.post("/accounts/2fa/verify/", {"code": code_for(device, 1)})
    assert response.status_code == 200
    assert b"Too many failed attempts. Please wait" in response.content
    assert client.get("/admin/").status_code == 302


def test_new_backup_codes_replace_the_old_ones_and_need_a_verified_session(
    required: None, staff: User
) -> None:
    device, old = enrol(staff)
    client = Client()
    client.force_login(staff)
    refused = client.post("/accounts/2fa/backup-codes/")
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/2fa/verify/")
    assert twofactor.backup_codes_left(user=staff) == 10
    client.post("/accounts/2fa/verify/", {"code": code_for(device, 1)})
    page = client.post("/accounts/2fa/backup-codes/")
    new = page.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert "no-store" in page["Cache-Control"]
    assert twofactor.code_verify(user=staff, code=old[0]) is None
    assert twofactor.code_verify(user=staff, code=new[0]) is not None


def test_removing_two_factor_needs_a_current_code(required: None, staff: User) -> None:
    device, _ = enrol(staff)
    client = Client()
    client.force_login(staff)
    home = client.get("/accounts/2fa/")
    assert home.status_code == 200 and b"Backup codes left" in home.content
    refused = client.post("/accounts/2fa/remove/", {"code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=staff).exists()
    response = client.post("/accounts/2fa/remove/", {"code": code_for(device, 1)})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/setup/"
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert client.get("/admin/").status_code == 302


def test_two_factor_pages_are_for_staff_only(owner_client: Client) -> None:
    for url in ("/accounts/2fa/", "/accounts/2fa/setup/", "/accounts/2fa/verify/"):
        assert owner_client.get(url).status_code == 403, url
    assert Client().get("/accounts/2fa/setup/")["Location"].startswith("/accounts/login/")


def test_reset_2fa_command_removes_the_devices(staff: User) -> None:
    enrol(staff)
    out = io.StringIO()
    call_command("reset_2fa", "root", stdout=out)
    assert "Two-factor removed for root" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticToken.objects.filter(device__user=staff).exists()
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("reset_2fa", "nobody")


def test_a_superuser_removes_a_lost_device_in_the_admin(
    required: None, staff: User, settings: Any
) -> None:
    settings.ADMIN_2FA = False
    lost = User.objects.create_user("moderator", password="x", is_staff=True)
    device, _ = enrol(lost)
    client = Client()
    client.force_login(staff)
    url = f"/admin/otp_totp/totpdevice/{device.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=lost).exists()
    assert not StaticDevice.objects.filter(user=lost).exists()
    assert LogEntry.objects.filter(object_id=str(device.pk)).exists()
    # The secret is never on an admin page.
    other, _ = enrol(User.objects.create_user("mod2", password="x", is_staff=True))
    page = client.get(f"/admin/otp_totp/totpdevice/{other.pk}/change/").content.decode()
    assert other.key not in page


def test_the_admin_says_nekosite(staff_client: Client) -> None:
    html = staff_client.get("/admin/").content.decode()
    assert "nekosite administration" in html and "Django administration" not in html
