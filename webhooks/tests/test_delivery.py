"""Webhook events and deliveries (issue #19, item 3), against a real HTTP receiver on 127.0.0.1.

The unit suite runs queued tasks at once (TASKS_IMMEDIATE): a delivery is attempted when the
transaction that recorded it commits (django_capture_on_commit_callbacks(execute=True)).
tests/test_webhook_worker.py does the same through real worker processes.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ApiApplication, User
from catalog import services as catalog_services
from catalog.models import Image
from catalog.tests.factories import make_image
from tests.webhook_receiver import Receiver, webhook_receiver
from uploads import services as upload_services
from webhooks import events, services, signing, targets
from webhooks.models import Delivery, Event, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> User:
    return User.objects.create_user("hookowner", "hooks@example.org", "a long password 123")


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def approved_app(owner: User) -> ApiApplication:
    application = account_services.application_request(
        user=owner, name="Bot", purpose="A bot that posts new images.", scopes=[]
    )
    staff = User.objects.create_user("staff", "staff@example.org", "a long password 123")
    account_services.application_approve(application=application, scopes=[], expires_at=None,
                                         by=staff)  # fmt: skip
    application.refresh_from_db()
    return application


def hook(owner: User, receiver: Receiver, *kinds: str, **extra: Any) -> tuple[Webhook, str]:
    return services.webhook_create(
        user=owner, url=receiver.url, event_types=kinds or [events.UPLOAD_CREATED], **extra
    )


def upload(owner: User, content: bytes = b"hello webhooks") -> Any:
    return upload_services.upload_create(
        owner=owner, file=io.BytesIO(content), client_name="note.txt", size=len(content)
    )


def test_upload_event_arrives_signed_with_id_type_and_timestamp(
    owner: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _, secret = hook(owner, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        created = upload(owner)
    (got,) = receiver.wait_for(1)
    body = got.json
    assert body["type"] == "upload.created"
    assert body["data"]["upload"]["name"] == created.name
    assert body["data"]["upload"]["size"] == created.size
    assert got.headers["X-Nekosite-Event"] == "upload.created"
    assert got.headers["X-Nekosite-Event-Id"] == body["id"]
    assert got.headers["Content-Type"] == "application/json"
    assert signing.verify(secret, got.headers["X-Nekosite-Timestamp"], got.body,
                          got.headers["X-Nekosite-Signature"], now=time.time())  # fmt: skip
    assert secret.startswith("whsec_")
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.response_code == 200 and delivery.attempts == 1
    assert delivery.latency_ms is not None


def test_signature_fails_for_another_secret_a_changed_body_or_an_old_timestamp(
    owner: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook, secret = hook(owner, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(webhook=webhook)
    (got,) = receiver.wait_for(1)
    stamp, sig = got.headers["X-Nekosite-Timestamp"], got.headers["X-Nekosite-Signature"]
    now = time.time()
    assert signing.verify(secret, stamp, got.body, sig, now=now)
    assert not signing.verify(secret + "x", stamp, got.body, sig, now=now)
    assert not signing.verify(secret, stamp, got.body + b" ", sig, now=now)
    assert not signing.verify(secret, stamp, got.body, sig, now=now + 3600)
    assert got.json["type"] == "ping"


def test_secret_is_never_stored_and_rolling_it_changes_the_signature(
    owner: User, receiver: Receiver
) -> None:
    webhook, secret = hook(owner, receiver)
    row = Webhook.objects.filter(pk=webhook.pk).values().get()
    assert secret not in {str(value) for value in row.values()}
    rolled = services.webhook_roll_secret(webhook=webhook)
    assert rolled != secret and rolled.startswith("whsec_")


def test_receiver_answering_500_twice_gets_a_third_attempt_after_growing_delays(
    owner: User, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.answers = [500, 500]
    hook(owner, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        upload(owner)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.response_code == 500
    first_delay = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 27 <= first_delay <= 33  # base, with 10 % jitter

    for _ in range(2):  # the retries huey scheduled, run now
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            services.deliver(delivery.pk)
        delivery.refresh_from_db()
        if delivery.status == Delivery.Status.PENDING:
            second_delay = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
            assert 54 <= second_delay <= 66  # doubled
    received = receiver.wait_for(3)
    assert len({r.headers["X-Nekosite-Event-Id"] for r in received}) == 1  # same event id
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 3
    assert Webhook.objects.get().failing_since is None  # a success ends the run of failures


def test_backoff_doubles_and_stops_growing_at_an_hour(settings: Any) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    delays = [services.backoff_seconds(n) for n in range(1, 12)]
    assert 27 <= delays[0] <= 33 and 54 <= delays[1] <= 66 and 108 <= delays[2] <= 132
    assert all(delay <= 3600 * 1.1 for delay in delays) and delays[-1] >= 3600 * 0.9


def test_a_delivery_not_due_or_held_by_a_live_lease_is_not_attempted(
    owner: User, receiver: Receiver
) -> None:
    webhook, _ = hook(owner, receiver)
    event = Event.objects.create(type=events.UPLOAD_CREATED, data={})
    delivery = Delivery.objects.create(
        webhook=webhook, event=event, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert services.deliver(delivery.pk) is None
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now(), leased_until=timezone.now() + timedelta(minutes=1)
    )
    assert services.deliver(delivery.pk) is None
    assert receiver.received == []


def test_sweep_enqueues_again_a_delivery_whose_worker_died(
    owner: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    """A worker killed mid-delivery leaves its lease to run out; the sweep hands the delivery
    to another worker and the receiver gets the same event id."""
    webhook, _ = hook(owner, receiver)
    event = Event.objects.create(type=events.UPLOAD_CREATED, data={"upload": {"name": "x"}})
    long_ago = timezone.now() - timedelta(minutes=5)
    delivery = Delivery.objects.create(
        webhook=webhook,
        event=event,
        attempts=1,
        next_attempt_at=long_ago,
        leased_until=timezone.now() - timedelta(seconds=1),  # the dead worker's lease
        created_at=long_ago,
    )
    assert services.sweep() == 1  # TASKS_IMMEDIATE: delivered at once
    (got,) = receiver.wait_for(1)
    assert got.headers["X-Nekosite-Event-Id"] == str(event.id)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    assert services.sweep() == 0


def test_a_webhook_failing_for_a_day_is_disabled_and_its_waiting_deliveries_skipped(
    owner: User, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.answers = [503, 503]
    webhook, _ = hook(owner, receiver)
    Webhook.objects.filter(pk=webhook.pk).update(
        failing_since=timezone.now() - timedelta(hours=settings.WEBHOOK_GIVE_UP_HOURS, minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(owner)
    webhook.refresh_from_db()
    assert not webhook.is_active and webhook.auto_disabled
    assert "24 hours" in webhook.disabled_reason and "503" in webhook.disabled_reason
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED
    with django_capture_on_commit_callbacks(execute=True):
        upload(owner, b"another file")
    assert Delivery.objects.count() == 1  # a disabled webhook gets nothing new
    services.webhook_enable(webhook=webhook)
    webhook.refresh_from_db()
    assert webhook.is_active and not webhook.disabled_reason and webhook.failing_since is None


def test_a_delivery_older_than_the_give_up_window_fails_for_good(
    owner: User, receiver: Receiver, settings: Any
) -> None:
    receiver.answers = [500]
    webhook, _ = hook(owner, receiver)
    old = timezone.now() - timedelta(hours=settings.WEBHOOK_GIVE_UP_HOURS + 1)
    event = Event.objects.create(type=events.UPLOAD_CREATED, data={}, created_at=old)
    delivery = Delivery.objects.create(webhook=webhook, event=event, next_attempt_at=old)
    services.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.error.startswith("HTTP 500")


def test_nothing_is_recorded_without_a_subscriber_and_a_rollback_sends_nothing(
    owner: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload(owner)
    assert Event.objects.count() == 0
    hook(owner, receiver, events.UPLOAD_DELETED)  # subscribed to another event
    with django_capture_on_commit_callbacks(execute=True):
        upload(owner, b"second")
    assert Event.objects.count() == 0

    hook(owner, receiver, events.UPLOAD_CREATED)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True) as hooks:
        from django.db import transaction

        with transaction.atomic():
            upload(owner, b"third")
            raise RuntimeError("the change is rolled back")
    assert hooks == [] and Event.objects.count() == 0 and receiver.received == []


def test_users_only_hear_about_their_own_files(
    owner: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook(owner, receiver, events.UPLOAD_CREATED, events.UPLOAD_DELETED)
    other = User.objects.create_user("other", "other@example.org", "a long password 123")
    with django_capture_on_commit_callbacks(execute=True):
        theirs = upload(other)
        upload_services.upload_delete(upload=theirs)
    assert Event.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        mine = upload(owner)
        upload_services.upload_delete(upload=mine)
    types = [r.json["type"] for r in receiver.wait_for(2)]
    assert sorted(types) == ["upload.created", "upload.deleted"]


def test_catalog_events_need_an_approved_application_and_reach_it(
    owner: User,
    receiver: Receiver,
    approved_app: ApiApplication,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with pytest.raises(ValidationError, match="approved API application"):
        hook(owner, receiver, events.IMAGE_CREATED)
    pending = account_services.application_request(
        user=owner, name="Pending bot", purpose="Not approved yet.", scopes=[]
    )
    with pytest.raises(ValidationError, match="approved API application"):
        hook(owner, receiver, events.IMAGE_CREATED, application=pending)
    hook(owner, receiver, events.IMAGE_CREATED, events.IMAGE_UPDATED, events.IMAGE_DELETED,
         application=approved_app)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image()
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.image_set_rating(images=Image.objects.filter(pk=image.pk), nsfw="nsfw")
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.image_delete(image=Image.objects.get(pk=image.pk))
    got = receiver.wait_for(3)
    assert [r.json["type"] for r in got] == ["image.created", "image.updated", "image.deleted"]
    assert {r.json["data"]["image"]["id"] for r in got} == {str(image.pk)}
    assert got[1].json["data"]["image"]["nsfw"] == "nsfw"


def test_an_application_owner_hears_of_the_approval(
    owner: User, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook(owner, receiver, events.APPLICATION_APPROVED)
    application = account_services.application_request(
        user=owner, name="Bot", purpose="A bot.", scopes=["image:list"]
    )
    staff = User.objects.create_user("staff", "staff@example.org", "a long password 123")
    with django_capture_on_commit_callbacks(execute=True):
        account_services.application_approve(
            application=application, scopes=["image:list"], expires_at=None, by=staff
        )
    (got,) = receiver.wait_for(1)
    assert got.json["data"]["application"] == {
        "id": application.pk,
        "name": "Bot",
        "status": "approved",
        "scopes": ["image:list"],
    }


def test_webhook_registration_checks_events_and_limits(owner: User, receiver: Receiver) -> None:
    with pytest.raises(ValidationError, match="at least one"):
        services.webhook_create(user=owner, url=receiver.url, event_types=[])
    with pytest.raises(ValidationError, match="Unknown events"):
        services.webhook_create(user=owner, url=receiver.url, event_types=["image.exploded"])
    for _ in range(services.MAX_WEBHOOKS_PER_USER):
        hook(owner, receiver)
    with pytest.raises(ValidationError, match="at most"):
        hook(owner, receiver)


# --- where a webhook may send -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(url: str, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError):
        services.check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.215.14/hook", "https://"),
        ("ftp://93.184.215.14/hook", "https://"),
        ("https://user:pw@93.184.215.14/hook", "user name"),
        ("https:///hook", "no host"),
        ("https://93.184.215.14/hook#part", "fragment"),
        ("https://[not-an-address/", "Not a valid URL"),
    ],
)
def test_badly_formed_webhook_urls_are_refused(url: str, message: str, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(targets.TargetRefused, match=message):
        targets.parse(url)


def test_public_https_urls_are_accepted_without_a_network(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    target = targets.parse("https://93.184.215.14:8443/hooks?x=1")
    assert (target.host, target.port, target.path) == ("93.184.215.14", 8443, "/hooks?x=1")
    assert targets.resolve(target) == "93.184.215.14"


def test_each_attempt_checks_the_address_again(
    owner: User, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Registered while allowed (or before a DNS change): the attempt itself refuses it."""
    webhook, _ = hook(owner, receiver)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(webhook=webhook)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.error.startswith("Refused:") and delivery.response_code is None
    assert receiver.received == []


def test_a_receiver_that_never_answers_is_cut_by_the_timeout(
    owner: User, receiver: Receiver, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.hold_first_seconds = 5
    webhook, _ = hook(owner, receiver)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(webhook=webhook)
    assert time.monotonic() - started < 4
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and "timed out" in delivery.error.lower()


def test_a_disabled_webhook_takes_no_test_event_and_no_retry(
    owner: User, receiver: Receiver
) -> None:
    webhook, _ = hook(owner, receiver)
    event = Event.objects.create(type=events.UPLOAD_CREATED, data={})
    delivery = Delivery.objects.create(webhook=webhook, event=event)
    services.webhook_disable(webhook=webhook)
    webhook.refresh_from_db()
    with pytest.raises(ValidationError, match="disabled"):
        services.send_test(webhook=webhook)
    with pytest.raises(ValidationError, match="disabled"):
        services.delivery_retry_now(delivery=delivery)
