"""Brute-force protection for everything that takes a password (forms and file-host API).

Every attempt is counted per username and per client IP by django-ratelimit, before the
password is checked: past RATELIMIT_AUTH_RATE (e.g. 10/m) further attempts are refused until
the window ends, even with the right password. Counting first, with the cache's atomic
add/incr, is what holds the limit when attempts arrive in parallel on several workers: a check
followed by a later "record the failure" lets every parallel attempt pass the check. The right
password starts a new round of the username's count (its key changes), so its owner is not
locked out by their own earlier typos.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts import ratelimit
from nekosite.lib.clientip import client_ip

MESSAGE = "Too many failed attempts. Please wait {seconds} seconds before trying again."


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(MESSAGE.format(seconds=retry_after))
        self.retry_after = retry_after
        self.message = str(self)


def _round_key(username: str) -> str:
    name = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    return f"bf:round:{name}"


def attempt(request: HttpRequest, username: str) -> None:
    """Count one password attempt for `username` and for this client's IP; raise
    TooManyAttempts when either is over RATELIMIT_AUTH_RATE."""
    round_key = _round_key(username)
    rate = settings.RATELIMIT_AUTH_RATE
    waits = []
    user = f"{round_key}:{cache.get(round_key, 0)}"
    for group, key in (("bf:user", user), ("bf:ip", client_ip(request))):
        found = ratelimit.usage(request, group=group, key=key, rate=rate)
        if found is not None and found["should_limit"]:
            waits.append(found["time_left"] + 1)
    if waits:
        raise TooManyAttempts(max(1, *waits))


def succeeded(username: str) -> None:
    """The right password: the username's attempts are counted afresh (the IP's are not)."""
    cache.set(_round_key(username), time.time_ns(), ratelimit.parse_rate(
        settings.RATELIMIT_AUTH_RATE)[1])  # fmt: skip
