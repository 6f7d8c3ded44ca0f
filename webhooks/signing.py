"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret.

Headers of every delivery (README, "Webhooks", has a receiver that checks them):
  X-Nekosite-Event-Id    the event id (the same on every retry: de-duplicate on it)
  X-Nekosite-Event       the event type
  X-Nekosite-Timestamp   UNIX seconds when this attempt was signed
  X-Nekosite-Signature   "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
The secret is derived from a nonce kept in the row (like API tokens, nothing usable is stored).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# A receiver should refuse a signature older than this (replayed requests).
TOLERANCE_SECONDS = 300


def new_nonce() -> str:
    return secrets.token_hex(32)


def secret_for(nonce: str) -> str:
    digest = hmac.new(
        settings.TOKEN_SECRET.encode(), f"webhook:{nonce}".encode(), hashlib.sha256
    ).hexdigest()
    return SECRET_PREFIX + digest


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str, *, now: float) -> bool:
    """What a receiver does (and the tests do): fresh timestamp, constant-time comparison."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header)
