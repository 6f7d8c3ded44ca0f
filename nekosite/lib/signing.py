"""Signed, time-limited links: `<url>?expires=<unix seconds>&signature=<mac>`.

The MAC is HMAC-SHA256 (django.utils.crypto.salted_hmac, keyed by SECRET_KEY) over the file
name and the expiry time, so a link cannot be moved to another file or made to live longer.
Only the file name is signed, not the host or prefix, so a link survives a CDN or a change of
the public base URL. Every app server shares SECRET_KEY, so any of them can check any link.
"""

from __future__ import annotations

import base64
import enum
import math
import time

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "nekosite.lib.signing.link"
# Seconds since the epoch fit in 12 digits for the next 30,000 years; longer is tampering.
_MAX_EXPIRES_DIGITS = 12


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def signature(name: str, expires: int) -> str:
    mac = salted_hmac(_SALT, f"{name}\n{expires}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def expires_at(seconds: int, now: float | None = None) -> int:
    """The unix time a link asked to live `seconds` from now dies (rounded up)."""
    return math.ceil((time.time() if now is None else now) + seconds)


def signed_query(name: str, expires: int) -> str:
    """The query string (without "?") that makes the link to `name` valid until `expires`."""
    return f"expires={expires}&signature={signature(name, expires)}"


def verify(name: str, expires: str | None, sig: str | None, now: float | None = None) -> LinkState:
    """Check a link's `expires` and `signature` parameters for the file `name`."""
    if not expires or not sig or not expires.isascii() or not expires.isdigit():
        return LinkState.INVALID
    if len(expires) > _MAX_EXPIRES_DIGITS:
        return LinkState.INVALID
    if not constant_time_compare(signature(name, int(expires)), sig):
        return LinkState.INVALID
    if int(expires) <= (time.time() if now is None else now):
        return LinkState.EXPIRED
    return LinkState.VALID
