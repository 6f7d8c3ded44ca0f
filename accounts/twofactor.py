"""Staff two-factor: an authenticator app (TOTP) plus ten single-use backup codes.

django-otp keeps both devices and decides, per session, whether a code was entered
(`request.user.is_verified()`). Backup codes live in otp_static's StaticToken, but its token
column holds a digest of each code, never the code: StaticToken stores its value in clear, and a
copy of the database must not be a way in. A code carries 80 random bits, so an unsalted SHA-256
cannot be reversed by guessing, and no key is involved that a SECRET_KEY rotation would break.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are typed from paper
_GROUPS, _GROUP_LENGTH = 4, 4  # 16 characters of 31 symbols: 79 bits


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def backup_code_digest(code: str) -> str:
    """What is stored for a backup code (StaticToken.token holds at most 16 characters)."""
    digest = hashlib.sha256(_normalised(code).encode("utf-8", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]  # 96 bits


def _new_backup_code() -> str:
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )


# --- reads --------------------------------------------------------------------------------------
def totp_device_get(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def backup_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- writes -------------------------------------------------------------------------------------
@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The not yet confirmed device the enrolment page shows; the same one on every reload, so
    the QR code a user already scanned stays valid."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm enrolment with the app's first code; returns fresh backup codes, or None when
    the code is wrong."""
    if device.confirmed or not device.verify_token(_normalised(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return backup_codes_generate(user=device.user)


@transaction.atomic
def backup_codes_generate(*, user: User) -> list[str]:
    """Replace the user's backup codes with ten new ones; the codes are returned to be shown
    once, only their digests are kept."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_digest(code)) for code in codes
    )
    return codes


def code_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts `code`: the authenticator, else a backup code, which is used up.

    Both keep django-otp's per-device throttle (a wrong code makes the next try wait, doubling).
    A backup code is consumed by one DELETE, so two requests racing with it cannot both pass.
    """
    code = _normalised(code)
    totp = totp_device_get(user=user)
    if totp is not None and code.isdigit() and totp.verify_token(code):
        return totp
    if code.isdigit():
        return None
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            continue
        deleted, _ = StaticToken.objects.filter(
            device=device, token=backup_code_digest(code)
        ).delete()
        if deleted:
            device.throttle_reset(commit=False)
            device.set_last_used_timestamp(commit=False)
            device.save()
            return device
        device.throttle_increment()
    return None


@transaction.atomic
def twofactor_remove(*, user: User) -> int:
    """Forget the user's authenticator and backup codes (they enrol again); returns how many
    devices went."""
    totp, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return int(totp > 0) + int(static > 0)
