"""Webhooks in the admin (issue #19): "a delivery log on the dashboard and in the admin (status,
response code, latency, attempts)". Staff send test events, disable and enable webhooks and
retry deliveries through the services; nobody edits a delivery by hand or sees a secret."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from accounts.models import User
from webhooks import events, signing
from webhooks.models import Delivery, Event, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", password=None)


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("alice", password=None)


def make_webhook(user: User, url: str = "https://hooks.example.org/in", **fields: Any) -> Webhook:
    fields.setdefault("events", [events.UPLOAD_CREATED, events.UPLOAD_DELETED])
    return Webhook.objects.create(user=user, url=url, secret_nonce=signing.new_nonce(), **fields)


def make_delivery(
    webhook: Webhook, event_type: str = events.UPLOAD_CREATED, **fields: Any
) -> Delivery:
    event = Event.objects.create(type=event_type, data={"upload": {"name": "kitten.png"}})
    return Delivery.objects.create(webhook=webhook, event=event, **fields)


def act(client: Client, model: str, action: str, objs: list[Any]) -> str:
    response = client.post(
        f"/admin/webhooks/{model}/",
        {"action": action, "_selected_action": [str(obj.pk) for obj in objs]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_webhook_list_shows_owner_url_events_and_state(admin_client: Client, owner: User) -> None:
    make_webhook(owner)
    listing = admin_client.get("/admin/webhooks/webhook/").content.decode()
    assert "https://hooks.example.org/in" in listing and "alice" in listing
    assert "upload.created, upload.deleted" in listing
    assert admin_client.get("/admin/webhooks/webhook/", {"q": "alice"}).status_code == 200
    auto = admin_client.get("/admin/webhooks/webhook/", {"auto_disabled": "yes"}).content
    assert b"hooks.example.org" not in auto


def test_the_webhook_page_never_shows_the_secret_or_its_nonce(
    admin_client: Client, owner: User
) -> None:
    webhook = make_webhook(owner)
    content = admin_client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()
    assert webhook.url in content
    assert webhook.secret_nonce not in content
    assert signing.secret_for(webhook.secret_nonce) not in content
    assert "secret_nonce" not in content and 'name="url"' not in content  # read-only
    assert f"/admin/webhooks/delivery/?webhook__id__exact={webhook.pk}" in content


def test_send_test_event_action_records_a_ping_for_active_webhooks_only(
    admin_client: Client, owner: User
) -> None:
    active, disabled = make_webhook(owner), make_webhook(owner, is_active=False)
    content = act(admin_client, "webhook", "send_test_event", [active, disabled])
    assert "Test event sent to 1 webhook(s); 1 disabled webhook(s) skipped." in content
    (delivery,) = Delivery.objects.select_related("event")
    assert delivery.webhook == active and delivery.event.type == events.PING
    assert LogEntry.objects.get().object_id == str(active.pk)


def test_disable_and_enable_actions(admin_client: Client, owner: User) -> None:
    webhook = make_webhook(owner)
    waiting = make_delivery(webhook)
    assert "1 webhook(s) disabled." in act(admin_client, "webhook", "disable_selected", [webhook])
    webhook.refresh_from_db()
    waiting.refresh_from_db()
    assert not webhook.is_active and not webhook.auto_disabled
    assert waiting.status == Delivery.Status.SKIPPED
    assert "1 webhook(s) enabled." in act(admin_client, "webhook", "enable_selected", [webhook])
    webhook.refresh_from_db()
    assert webhook.is_active


def test_delivery_log_lists_status_code_latency_and_attempts(
    admin_client: Client, owner: User
) -> None:
    delivery = make_delivery(
        make_webhook(owner), response_code=503, latency_ms=4321, attempts=7, error="HTTP 503"
    )
    listing = admin_client.get("/admin/webhooks/delivery/").content.decode()
    for text in ("upload.created", str(delivery.event_id), "hooks.example.org", "Pending"):
        assert text in listing, text
    assert ">503<" in listing and ">4321<" in listing and ">7<" in listing
    for query in ({"status": "delivered"}, {"type": events.PING}):
        filtered = admin_client.get("/admin/webhooks/delivery/", query).content.decode()
        assert str(delivery.event_id) not in filtered, query
    found = admin_client.get("/admin/webhooks/delivery/", {"type": events.UPLOAD_CREATED})
    assert str(delivery.event_id) in found.content.decode()


def test_a_delivery_cannot_be_edited_by_hand(admin_client: Client, owner: User) -> None:
    delivery = make_delivery(make_webhook(owner))
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="attempts"' not in page
    admin_client.post(
        f"/admin/webhooks/delivery/{delivery.pk}/change/", {"status": "delivered", "attempts": 0}
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert admin_client.get("/admin/webhooks/delivery/add/").status_code == 403


def test_retry_now_action_requeues_failed_deliveries_of_active_webhooks(
    admin_client: Client, owner: User
) -> None:
    webhook = make_webhook(owner)
    failed = make_delivery(webhook, status=Delivery.Status.FAILED, attempts=30)
    done = make_delivery(webhook, status=Delivery.Status.DELIVERED, response_code=200)
    asleep = make_delivery(make_webhook(owner, is_active=False), status=Delivery.Status.FAILED)
    content = act(admin_client, "delivery", "retry_now", [failed, done, asleep])
    assert "1 delivery(ies) will be attempted again now; 2 skipped" in content
    statuses = {d.pk: d.status for d in Delivery.objects.all()}
    assert statuses == {failed.pk: "pending", done.pk: "delivered", asleep.pk: "failed"}


def test_event_page_shows_its_data_and_deliveries(admin_client: Client, owner: User) -> None:
    delivery = make_delivery(make_webhook(owner), response_code=200)
    event = delivery.event
    assert str(event.pk) in admin_client.get("/admin/webhooks/event/").content.decode()
    content = admin_client.get(f"/admin/webhooks/event/{event.pk}/change/").content.decode()
    assert "kitten.png" in content and "hooks.example.org" in content
    assert 'name="type"' not in content
    assert admin_client.get("/admin/webhooks/event/add/").status_code == 403
