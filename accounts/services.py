"""Writes for accounts: users and tokens. Every caller (APIs, dashboards, admin) comes here."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiApplication, Token, User


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
    """New value for the same token row; the old value stops working at once."""
    token.nonce = tokens.new_nonce()
    value = tokens.derive(token.nonce, token.kind)
    token.digest = tokens.digest(value)
    token.created_at = timezone.now()
    token.save(update_fields=["nonce", "digest", "created_at"])
    return value


@transaction.atomic
def token_revoke(*, token: Token) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_authenticate(*, value: str, kind: str) -> Token | None:
    """The active token of this kind with this value, or None. Constant-time comparison."""
    if not value or len(value) > 200:
        return None
    wanted = tokens.digest(value)
    token = (
        Token.objects.select_related("user", "issued_by", "application")
        .filter(digest=wanted, kind=kind)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, wanted):
        return None
    if not token.is_active() or not token.user.is_active:
        return None
    return token


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
