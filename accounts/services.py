"""Writes for accounts: users, tokens, API applications and rate-limit blocks.

Every caller (APIs, dashboards, admin) comes here.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts import scopes as scope_registry
from accounts import tokens
from accounts.models import ApiApplication, RateLimitBlock, Token, User
from nekosite.lib.readcache import ReadCache
from webhooks import events, payloads
from webhooks import services as webhooks

_token_cache = ReadCache("tokens")


@transaction.atomic
def token_issue(
    *,
    user: User,
    kind: str,
    scopes: Iterable[str] = (),
    application: ApiApplication | None = None,
    issued_by: User | None = None,
    expires_at: datetime | None = None,
) -> tuple[Token, str]:
    """Create a token and return it with its plain value (derived, never stored)."""
    nonce = tokens.new_nonce()
    value = tokens.derive(nonce, kind)
    token = Token.objects.create(
        user=user,
        kind=kind,
        application=application,
        nonce=nonce,
        digest=tokens.digest(value),
        scopes=list(scopes),
        issued_by=issued_by,
        expires_at=expires_at,
    )
    return token, value


def token_value(*, token: Token) -> str:
    """The plain token, derived again from its nonce (dashboard, seed 004 token/get)."""
    return tokens.derive(token.nonce, token.kind)


@transaction.atomic
def token_regenerate(*, token: Token) -> str:
    """New value for the same token row. The old value is refused at once by this worker and
    within READ_CACHE_MS by the others (nekosite/lib/readcache.py)."""
    token = Token.objects.select_for_update().get(pk=token.pk)
    token.nonce = tokens.new_nonce()
    value = tokens.derive(token.nonce, token.kind)
    token.digest = tokens.digest(value)
    token.created_at = timezone.now()
    token.save(update_fields=["nonce", "digest", "created_at"])
    return value


@transaction.atomic
def token_revoke(*, token: Token) -> None:
    token = Token.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_authenticate(*, value: str, kind: str) -> Token | None:
    """The active token of this kind with this value, or None. Constant-time comparison.

    The Token (with user, issuer and application) may be shared with other requests of this
    worker, so it is read-only (nekosite.lib.readcache.freeze); the services below that change
    a token fetch their own copy of the row.
    """
    if not value or len(value) > 200:
        return None
    wanted = tokens.digest(value)
    # Known tokens come from this worker's read cache (no query) until a token, user or
    # application changes; expiry and revocation are still checked on every call below.
    stamp = _token_cache.stamp()
    token = _token_cache.get((kind, wanted))
    if token is None:
        token = (
            Token.objects.select_related("user", "issued_by", "application")
            .filter(digest=wanted, kind=kind)
            .first()
        )
        if token is not None:
            token = _token_cache.put(stamp, (kind, wanted), token)
    if token is None or not hmac.compare_digest(token.digest, wanted):
        return None
    if not token.is_active() or not token.user.is_active:
        return None
    _note_use(token)
    return token


# Token.last_used_at (shown in the admin) is kept to within LAST_USED_RESOLUTION: each worker
# writes it at most once per token in that time, so requests do not pay a database write, and
# the version triggers skip that column, so the write empties no worker's token cache.
LAST_USED_RESOLUTION = timedelta(minutes=5)
_last_used_noted: dict[str, float] = {}  # token digest -> time.monotonic() of the last write


def _note_use(token: Token) -> None:
    now = time.monotonic()
    if now - _last_used_noted.get(token.digest, -math.inf) < LAST_USED_RESOLUTION.total_seconds():
        return
    if len(_last_used_noted) >= 10_000:
        _last_used_noted.clear()
    _last_used_noted[token.digest] = now
    # One UPDATE, at once outside a transaction; robust: a failed write (SQLite busy, say) is
    # logged and never fails the request that used the token.
    transaction.on_commit(functools.partial(_write_last_used, token.pk), robust=True)


def _write_last_used(token_pk: int) -> None:
    at = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - LAST_USED_RESOLUTION)
    Token.objects.filter(stale, pk=token_pk).update(last_used_at=at)


def filehost_token_get_or_create(*, user: User) -> tuple[Token, str]:
    """The user's one file-host token (seed 004), created on first use."""
    token = Token.objects.filter(user=user, kind=Token.Kind.FILEHOST).first()
    if token is not None:
        return token, token_value(token=token)
    try:
        return token_issue(user=user, kind=Token.Kind.FILEHOST)
    except IntegrityError:
        # Two first requests raced; the other one created it.
        token = Token.objects.get(user=user, kind=Token.Kind.FILEHOST)
        return token, token_value(token=token)


# --- API applications (seed 000: "After one of our admins approves your app, you will see your
# token on top of the dashboard page.") ---------------------------------------------------------


def _check_scopes(scopes: Iterable[str]) -> list[str]:
    """Only registry scopes can be asked for or granted; the order is kept, duplicates dropped."""
    wanted = list(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))
    unknown = scope_registry.unknown_scopes(wanted)
    if unknown:
        raise ValidationError(
            "Unknown scope(s): %(scopes)s.",
            code="unknown_scope",
            params={"scopes": ", ".join(unknown)},
        )
    return wanted


@transaction.atomic
def application_request(
    *, user: User, name: str, purpose: str, scopes: Iterable[str]
) -> ApiApplication:
    """A user asks for a catalog API token; staff decide in the admin."""
    return ApiApplication.objects.create(
        user=user,
        name=name.strip(),
        purpose=purpose.strip(),
        requested_scopes=_check_scopes(scopes),
    )


@transaction.atomic
def application_approve(
    *,
    application: ApiApplication,
    scopes: Iterable[str],
    expires_at: datetime | None,
    by: User,
    note: str = "",
) -> Token:
    """Approve (or re-approve with new scopes/expiry) and issue the application's token.

    Approving an already approved application updates its live token instead of minting a
    second one, so the developer's configured token keeps working.
    """
    granted = _check_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry must be in the future.", code="expired")
    application = ApiApplication.objects.select_for_update().get(pk=application.pk)
    now = timezone.now()
    application.status = ApiApplication.Status.APPROVED
    application.granted_scopes = granted
    application.token_expires_at = expires_at
    application.decided_by = by
    application.decided_at = now
    application.decision_note = note[:500]
    application.save(
        update_fields=[
            "status",
            "granted_scopes",
            "token_expires_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
    )
    webhooks.emit(
        events.APPLICATION_APPROVED, payloads.application(application), user=application.user
    )
    token = Token.objects.filter(application=application).first()
    if token is None:
        token, _ = token_issue(
            user=application.user,
            kind=Token.Kind.API,
            scopes=granted,
            application=application,
            issued_by=by,
            expires_at=expires_at,
        )
        return token
    token.scopes = granted
    token.expires_at = expires_at
    token.issued_by = by
    fields = ["scopes", "expires_at", "issued_by"]
    if token.revoked_at is not None:
        # Approved again after a rejection or revocation: a fresh value, never the old one.
        token.nonce = tokens.new_nonce()
        token.digest = tokens.digest(tokens.derive(token.nonce, token.kind))
        token.revoked_at = None
        token.created_at = now
        fields += ["nonce", "digest", "revoked_at", "created_at"]
    token.save(update_fields=fields)
    return token


@transaction.atomic
def application_reject(*, application: ApiApplication, by: User, note: str = "") -> None:
    """Reject; a token issued earlier for this application stops working."""
    application = ApiApplication.objects.select_for_update().get(pk=application.pk)
    application.status = ApiApplication.Status.REJECTED
    application.decided_by = by
    application.decided_at = timezone.now()
    application.decision_note = note[:500]
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    webhooks.emit(
        events.APPLICATION_REJECTED, payloads.application(application), user=application.user
    )
    token = Token.objects.filter(application=application).first()
    if token is not None:
        token_revoke(token=token)


@transaction.atomic
def user_disable(*, user: User) -> None:
    """Disabled users cannot log in and their tokens are refused (token_authenticate)."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])


@transaction.atomic
def user_enable(*, user: User) -> None:
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])


@transaction.atomic
def token_set_rate_limit(*, token: Token, per_second: int | None) -> None:
    """Staff raise or lower one token's limit (seed 003: "We may raise the limits for
    individual API clients on a case-by-case basis")."""
    token = Token.objects.select_for_update().get(pk=token.pk)
    token.rate_limit_override = per_second
    token.save(update_fields=["rate_limit_override"])


# --- Rate-limit blocks (seed 001: "If you exceed the rate limit 10 times in the same hour,
# you'll get blocked for an hour.") -----------------------------------------------------------


def ratelimit_block_cache_key(key: str) -> str:
    """Cache key of an active block; `key` is "token:<id>" or "ip:<address>", hashed anyway."""
    return "rl:block:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:40]


@transaction.atomic
def ratelimit_block_create(*, key: str, violations: int, seconds: int) -> RateLimitBlock:
    blocked_until = timezone.now() + timedelta(seconds=seconds)
    block = RateLimitBlock.objects.create(
        key=key[:200], violations=violations, blocked_until=blocked_until
    )
    # The hot path reads the cache, never the table. An integer (UNIX ms), which Django's
    # RedisCache stores as is, so the rate limiter's Lua script can compare it.
    until_ms = int(blocked_until.timestamp() * 1000)
    cache.set(ratelimit_block_cache_key(key), until_ms, timeout=seconds)
    return block


@transaction.atomic
def ratelimit_block_lift(*, block: RateLimitBlock, by: User | None) -> None:
    """Staff lift a block: the row keeps the history, the cache entry goes at once."""
    if block.lifted_at is None:
        block.lifted_at = timezone.now()
        block.lifted_by = by
        block.save(update_fields=["lifted_at", "lifted_by"])
    cache.delete(ratelimit_block_cache_key(block.key))
