"""Reads for accounts. Lookups are scoped to the owner: another user's rows are a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import ApiApplication, RateLimitBlock, Token, User


def application_list_for_user(*, user: User) -> QuerySet[ApiApplication]:
    return ApiApplication.objects.filter(user=user).select_related("token").order_by("-created_at")


def application_get_for_user(*, user: User, pk: int) -> ApiApplication:
    """The user's own application or Http404 (never fetched globally and compared later)."""
    return get_object_or_404(
        ApiApplication.objects.select_related("token", "decided_by"), user=user, pk=pk
    )


def application_token(*, application: ApiApplication) -> Token | None:
    """The application's token, or None before approval."""
    try:
        return application.token
    except Token.DoesNotExist:
        return None


def ratelimit_block_active(*, key: str) -> QuerySet[RateLimitBlock]:
    return RateLimitBlock.objects.filter(
        key=key, lifted_at__isnull=True, blocked_until__gt=timezone.now()
    )


def api_token_list_active(*, user: User) -> QuerySet[Token]:
    """The user's working catalog API tokens, with their applications (dashboard top card)."""
    now = timezone.now()
    return (
        Token.objects.filter(user=user, kind=Token.Kind.API, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("application")
        .order_by("-created_at")
    )
