"""Webhooks: registering endpoints, recording events, and delivering them (issue #19).

- `emit` runs inside the transaction of the change it reports: it writes one Event and one
  Delivery per subscribed webhook and enqueues the deliveries once the transaction commits, so
  the web process never waits on a receiver and a rolled-back change sends nothing.
- `deliver` (a queued task) claims the delivery with a lease, POSTs the signed JSON, and
  records the answer. A failure is retried with exponential backoff (WEBHOOK_RETRY_BASE_SECONDS,
  doubling, at most an hour apart) until WEBHOOK_GIVE_UP_HOURS after the event; a webhook that
  has failed for that long is disabled and its owner sees why on the dashboard.
- At least once: a worker killed mid-delivery leaves the lease to run out; `sweep` (every
  minute, and when a worker starts) enqueues such deliveries again. Receivers de-duplicate on
  the event id, which every attempt carries.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import ApiApplication, User
from webhooks import events, signing, targets
from webhooks.models import Delivery, Event, Webhook

logger = logging.getLogger(__name__)

MAX_WEBHOOKS_PER_USER = 10
MAX_BACKOFF_SECONDS = 3600
RESPONSE_READ_LIMIT = 64 * 1024
USER_AGENT = "nekosite-webhooks/1.0"
SWEEP_BATCH = 1000


# --- registering ---------------------------------------------------------------------------


def _check_events(names: Iterable[str], application: ApiApplication | None) -> list[str]:
    chosen = list(dict.fromkeys(names))
    if not chosen:
        raise ValidationError("Choose at least one event.")
    unknown = [name for name in chosen if name not in events.TYPES]
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(unknown)}.")
    catalog = [name for name in chosen if events.is_catalog(name)]
    if catalog and (application is None or application.status != ApiApplication.Status.APPROVED):
        raise ValidationError(
            f"Catalog events ({', '.join(catalog)}) need a webhook of an approved API application."
        )
    return chosen


def check_url(url: str) -> str:
    """The URL, stripped, once its form and its addresses are acceptable (ValidationError)."""
    try:
        targets.resolve(targets.parse(url))
    except targets.TargetRefused as exc:
        raise ValidationError(str(exc)) from exc
    return url.strip()


@transaction.atomic
def webhook_create(
    *, user: User, url: str, event_types: Iterable[str], application: ApiApplication | None = None
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (shown once; only its nonce is kept)."""
    if application is not None and application.user_id != user.pk:
        raise ValidationError("That application is not yours.")
    chosen = _check_events(event_types, application)
    url = check_url(url)
    if Webhook.objects.filter(user=user).count() >= MAX_WEBHOOKS_PER_USER:
        raise ValidationError(f"You can have at most {MAX_WEBHOOKS_PER_USER} webhooks.")
    webhook = Webhook.objects.create(
        user=user,
        application=application,
        url=url,
        events=chosen,
        secret_nonce=signing.new_nonce(),
    )
    return webhook, signing.secret_for(webhook.secret_nonce)


@transaction.atomic
def webhook_roll_secret(*, webhook: Webhook) -> str:
    webhook.secret_nonce = signing.new_nonce()
    webhook.save(update_fields=["secret_nonce"])
    return signing.secret_for(webhook.secret_nonce)


@transaction.atomic
def webhook_enable(*, webhook: Webhook) -> None:
    webhook.is_active = True
    webhook.failing_since = None
    webhook.disabled_at = None
    webhook.disabled_reason = ""
    webhook.save(update_fields=["is_active", "failing_since", "disabled_at", "disabled_reason"])


@transaction.atomic
def webhook_disable(*, webhook: Webhook, reason: str = "") -> None:
    """Stop sending; deliveries still waiting are marked skipped. `reason` is shown to the
    owner (set when the site disabled it, empty when the owner or staff did)."""
    Webhook.objects.filter(pk=webhook.pk).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason[:200]
    )
    Delivery.objects.filter(webhook=webhook, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED, leased_until=None
    )


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


# --- events -------------------------------------------------------------------------------


def _enqueue(delivery_ids: list[int]) -> None:
    from webhooks import tasks

    for delivery_id in delivery_ids:
        tasks.deliver(delivery_id)


def _subscribed(event_type: str, user: User | None) -> list[Webhook]:
    if events.is_catalog(event_type):
        candidates = Webhook.objects.filter(
            is_active=True, application__status=ApiApplication.Status.APPROVED
        )
    elif user is not None:
        candidates = Webhook.objects.filter(is_active=True, user=user)
    else:
        return []
    return [webhook for webhook in candidates if event_type in webhook.events]


def _record_event(event_type: str, data: dict[str, Any], webhooks: list[Webhook]) -> Event:
    event = Event.objects.create(
        type=event_type, data=json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    )
    deliveries = Delivery.objects.bulk_create(
        [Delivery(webhook=webhook, event=event) for webhook in webhooks]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return event


def emit(event_type: str, data: dict[str, Any], *, user: User | None = None) -> Event | None:
    """Record `event_type` for every webhook subscribed to it (catalog events: webhooks of
    approved applications; the others: `user`'s webhooks). Call it inside the transaction of
    the change; nothing is written when nobody subscribed."""
    if event_type not in events.TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    webhooks = _subscribed(event_type, user)
    if not webhooks:
        return None
    with transaction.atomic():
        return _record_event(event_type, data, webhooks)


def emit_each(event_type: str, datas: list[dict[str, Any]]) -> int:
    """`emit` for many subjects of one catalog event (bulk actions): one Event each, the
    subscribed webhooks looked up once. Returns how many events were recorded."""
    webhooks = _subscribed(event_type, None) if datas else []
    if not webhooks:
        return 0
    with transaction.atomic():
        for data in datas:
            _record_event(event_type, data, webhooks)
    return len(datas)


@transaction.atomic
def send_test(*, webhook: Webhook) -> Event:
    """A `ping` event to this webhook only ("Send test event")."""
    if not webhook.is_active:
        raise ValidationError("This webhook is disabled; enable it first.")
    return _record_event(
        events.PING,
        {"webhook": {"id": webhook.pk, "url": webhook.url}, "message": "Test event from nekosite."},
        [webhook],
    )


def payload(event: Event) -> bytes:
    body = {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":")).encode()


# --- delivering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    code: int | None
    latency_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def lease_seconds() -> int:
    """How long a worker holds a delivery: longer than any attempt can take."""
    return 2 * settings.WEBHOOK_TIMEOUT_SECONDS + 5


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt `attempts + 1`: base, 2x base, 4x base ... at most an hour, with
    10 % jitter so that many failed deliveries do not all come back at once."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(0, attempts - 1), MAX_BACKOFF_SECONDS)
    return delay * random.uniform(0.9, 1.1)


def _post(webhook: Webhook, event: Event) -> Attempt:
    body = payload(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Nekosite-Event": event.type,
        "X-Nekosite-Event-Id": str(event.id),
        "X-Nekosite-Timestamp": str(timestamp),
        "X-Nekosite-Signature": signing.signature(
            signing.secret_for(webhook.secret_nonce), timestamp, body
        ),
    }
    started = time.monotonic()
    try:
        target = targets.parse(webhook.url)
        address = targets.resolve(target)
    except targets.TargetRefused as exc:
        return Attempt(None, 0, f"Refused: {exc}")
    connection = targets.connection(target, address, settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        code: int | None = response.status
        error = "" if 200 <= response.status < 300 else f"HTTP {response.status} {response.reason}"
    except (OSError, http.client.HTTPException) as exc:
        code, error = None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        connection.close()
    return Attempt(code, int((time.monotonic() - started) * 1000), error[:300])


def _claim(delivery_id: int) -> Delivery | None:
    """Take the delivery for one attempt, or None when it is not due, done, or held by a
    live lease of another worker."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id,
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            webhook__is_active=True,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(
            leased_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("webhook", "event").get(pk=delivery_id)


def deliver(delivery_id: int) -> Delivery | None:
    """One attempt at a delivery (the `webhooks.tasks.deliver` task)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    attempt = _post(delivery.webhook, delivery.event)
    return _record(delivery, attempt)


@transaction.atomic
def _record(delivery: Delivery, attempt: Attempt) -> Delivery:
    now = timezone.now()
    give_up = timedelta(hours=settings.WEBHOOK_GIVE_UP_HOURS)
    delivery.response_code = attempt.code
    delivery.latency_ms = attempt.latency_ms
    delivery.error = attempt.error
    delivery.leased_until = None
    webhook = delivery.webhook
    if attempt.ok:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = now
        Webhook.objects.filter(pk=webhook.pk).update(failing_since=None)
    else:
        Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=True).update(failing_since=now)
        webhook.refresh_from_db(fields=["failing_since", "is_active"])
        if webhook.is_active and webhook.failing_since and now - webhook.failing_since >= give_up:
            hours = settings.WEBHOOK_GIVE_UP_HOURS
            webhook_disable(
                webhook=webhook,
                reason=f"Disabled after {hours} hours of failed deliveries "
                f"(last: {attempt.error or attempt.code}).",
            )
            logger.warning("webhook %s disabled after %s hours of failures", webhook.pk, hours)
            delivery.status = Delivery.Status.SKIPPED
        elif now - delivery.event.created_at >= give_up:
            delivery.status = Delivery.Status.FAILED
        else:
            delay = backoff_seconds(delivery.attempts)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            delivery_id = delivery.pk
            transaction.on_commit(lambda: _schedule(delivery_id, delay))
    fields = ["status", "response_code", "latency_ms", "error", "leased_until"]
    delivery.save(update_fields=[*fields, "next_attempt_at", "delivered_at"])
    return delivery


def _schedule(delivery_id: int, delay: float) -> None:
    from webhooks import tasks

    tasks.deliver.schedule(args=(delivery_id,), delay=delay)


def sweep() -> int:
    """Enqueue every pending delivery that should have been attempted a lease ago and is not
    held: its task was lost (a worker killed mid-delivery, a queue outage at enqueue time).
    Returns how many were enqueued."""
    now = timezone.now()
    overdue = now - timedelta(seconds=lease_seconds())
    ids = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            webhook__is_active=True,
            next_attempt_at__lte=overdue,
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    _enqueue(ids)
    if ids:
        logger.info("webhooks: %s overdue deliveries enqueued again", len(ids))
    return len(ids)


@transaction.atomic
def delivery_retry_now(*, delivery: Delivery) -> None:
    """Staff or the owner: attempt a pending or failed delivery again now."""
    if not Webhook.objects.filter(pk=delivery.webhook_id, is_active=True).exists():
        raise ValidationError("This webhook is disabled; enable it first.")
    Delivery.objects.filter(pk=delivery.pk).exclude(status=Delivery.Status.DELIVERED).update(
        status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), leased_until=None
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: _enqueue([delivery_id]))
