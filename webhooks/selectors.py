"""Reads of webhooks. Lookups are scoped to the owner: another user's webhook is a 404."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from accounts.models import ApiApplication, User
from webhooks import signing
from webhooks.models import Delivery, Webhook

DELIVERY_LOG_SIZE = 50


def webhook_list_for_user(*, user: User) -> QuerySet[Webhook]:
    """The user's webhooks, each with the status and time of its latest delivery."""
    latest = Delivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Webhook.objects.filter(user=user)
        .select_related("application")
        .annotate(
            last_delivery_status=Subquery(latest.values("status")[:1]),
            last_delivery_at=Subquery(latest.values("created_at")[:1]),
        )
    )


def webhook_get_for_user(*, user: User, pk: int) -> Webhook:
    """The user's own webhook or Http404 (never fetched globally and compared later)."""
    return get_object_or_404(Webhook.objects.select_related("application"), user=user, pk=pk)


def webhook_list_auto_disabled(*, user: User) -> QuerySet[Webhook]:
    """The user's webhooks that the site disabled after a day of failures (dashboard notice)."""
    return Webhook.objects.filter(user=user, is_active=False).exclude(disabled_reason="")


def webhook_signing_secret(*, webhook: Webhook) -> str:
    """The current signing secret (derived from the nonce; shown once after create or roll)."""
    return signing.secret_for(webhook.secret_nonce)


def delivery_log(*, webhook: Webhook) -> QuerySet[Delivery]:
    """The latest deliveries of one webhook, newest first, with their events."""
    return Delivery.objects.filter(webhook=webhook).select_related("event")[:DELIVERY_LOG_SIZE]


def delivery_get_for_user(*, user: User, webhook_pk: int, pk: int) -> Delivery:
    return get_object_or_404(
        Delivery.objects.select_related("webhook", "event"),
        webhook__user=user,
        webhook__pk=webhook_pk,
        pk=pk,
    )


def application_choices_for_user(*, user: User) -> QuerySet[ApiApplication]:
    """The applications a webhook may be registered for (the user's own, any status: the
    service explains why a pending one cannot receive catalog events)."""
    return ApiApplication.objects.filter(user=user).order_by("name", "pk")
