"""Brute-force protection for everything that takes a password (login form, file-host API).

Failed attempts are counted per username and per client IP in the shared cache; past
RATELIMIT_AUTH_RATE (e.g. 10/m) further attempts are refused until the window ends.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.ratelimit import parse_rate
from nekosite.lib.clientip import client_ip

MESSAGE = "Too many failed attempts. Please wait {seconds} seconds before trying again."


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(MESSAGE.format(seconds=retry_after))
        self.retry_after = retry_after
        self.message = str(self)


def _keys(request: HttpRequest, username: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
    return [f"bf:user:{name}", f"bf:ip:{client_ip(request)}"]


def check(request: HttpRequest, username: str) -> None:
    """Raise TooManyAttempts when this username or this IP failed too often recently."""
    limit, window = parse_rate(settings.RATELIMIT_AUTH_RATE)
    values = cache.get_many(_keys(request, username))
    for started, failures in values.values():
        if failures >= limit:
            raise TooManyAttempts(max(1, int(started + window - time.time())))


def record_failure(request: HttpRequest, username: str) -> None:
    _, window = parse_rate(settings.RATELIMIT_AUTH_RATE)
    now = time.time()
    for key in _keys(request, username):
        started, failures = cache.get(key) or (now, 0)
        if now - started > window:
            started, failures = now, 0
        cache.set(key, (started, failures + 1), timeout=window)


def reset(request: HttpRequest, username: str) -> None:
    """A successful login clears the username's counter (not the IP's)."""
    cache.delete(_keys(request, username)[0])
