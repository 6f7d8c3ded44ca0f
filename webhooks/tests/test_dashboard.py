"""The webhook pages of the dashboard (issue #19): "the secret shown once", "a delivery log on
the dashboard (status, response code, latency, attempts)", "a 'send test event' button",
"automatically disabled after a day of failures, with the owner told on the dashboard"."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ApiApplication, User
from webhooks import events, services, signing
from webhooks.models import Delivery, Event, Webhook

pytestmark = pytest.mark.django_db

SECRET_RE = re.compile(r"whsec_[0-9a-f]{64}")
BASE = "/dashboard/webhooks/"


# --- a real receiver on 127.0.0.1 -------------------------------------------------------------
class Receiver:
    """A tiny HTTP server in a thread that records each POST and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


# --- people and rows --------------------------------------------------------------------------
@pytest.fixture
def owner(db: None) -> User:
    return User.objects.create_user("alice", password=None)


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user("mallory", password=None)


def logged_in(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner: User) -> Client:
    return logged_in(owner)


@pytest.fixture
def private_targets(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def make_webhook(user: User, url: str = "http://127.0.0.1:9/hook", **fields: Any) -> Webhook:
    """A webhook row as webhook_create makes it (without resolving the URL)."""
    fields.setdefault("events", [events.UPLOAD_CREATED])
    return Webhook.objects.create(user=user, url=url, secret_nonce=signing.new_nonce(), **fields)


def make_delivery(webhook: Webhook, **fields: Any) -> Delivery:
    event = Event.objects.create(type=events.UPLOAD_CREATED, data={"upload": {"name": "a.png"}})
    return Delivery.objects.create(webhook=webhook, event=event, **fields)


def auto_disable(webhook: Webhook) -> None:
    services.webhook_disable(
        webhook=webhook, reason="Disabled after 24 hours of failed deliveries (last: 500)."
    )


def approved_application(user: User) -> ApiApplication:
    staff = User.objects.create_superuser("root", password=None)
    application = account_services.application_request(
        user=user, name="catbot", purpose="Random cats.", scopes=[]
    )
    account_services.application_approve(
        application=application, scopes=[], expires_at=None, by=staff
    )
    return ApiApplication.objects.get(pk=application.pk)


def create(client: Client, url: str, event_types: list[str], **data: Any) -> Any:
    return client.post(BASE, {"url": url, "events": event_types, **data})


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- create, and the secret shown once ----------------------------------------------------------
def test_creating_a_webhook_shows_its_signing_secret_once(
    owner_client: Client, private_targets: None
) -> None:
    response = create(owner_client, "http://127.0.0.1:9/hook", [events.UPLOAD_CREATED])
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{webhook.pk}/"  # no secret in any URL

    first = owner_client.get(response["Location"])
    assert "no-store" in first["Cache-Control"]
    shown = SECRET_RE.findall(first.content.decode())
    assert shown == [signing.secret_for(webhook.secret_nonce)]
    assert "Copy it now: it is shown only this once." in first.content.decode()
    assert "X-Nekosite-Signature" in first.content.decode()  # how to verify

    assert not SECRET_RE.search(page(owner_client, response["Location"]))
    assert not SECRET_RE.search(page(owner_client, BASE))


def test_the_session_keeps_no_secret_only_which_webhook_to_show(
    owner_client: Client, private_targets: None
) -> None:
    create(owner_client, "http://127.0.0.1:9/hook", [events.UPLOAD_CREATED])
    assert not SECRET_RE.search(repr(dict(owner_client.session.items())))


def test_the_new_webhook_is_listed_with_its_events_and_status(
    owner_client: Client, private_targets: None
) -> None:
    create(owner_client, "http://127.0.0.1:9/hook", [events.UPLOAD_CREATED, events.UPLOAD_DELETED])
    listing = page(owner_client, BASE)
    assert "http://127.0.0.1:9/hook" in listing
    assert "<code>upload.created</code> <code>upload.deleted</code>" in listing
    assert "Active" in listing and "none yet" in listing


def test_the_form_offers_every_event_and_only_the_users_applications(
    owner: User, other_user: User, owner_client: Client
) -> None:
    account_services.application_request(user=owner, name="mine", purpose="p", scopes=[])
    account_services.application_request(user=other_user, name="theirs", purpose="p", scopes=[])
    form = page(owner_client, BASE)
    for name in events.TYPES:
        assert f'value="{name}"' in form
    assert 'value="ping"' not in form
    assert "mine (pending)" in form and "theirs" not in form


@pytest.mark.parametrize(
    ("allow_private", "url", "message"),
    [
        (False, "http://127.0.0.1:9/hook", "The URL must start with https://."),
        (False, "https://127.0.0.1/hook", "127.0.0.1 resolves to a loopback address (127.0.0.1)."),
        (False, "https://localhost/hook", "localhost resolves to a loopback address"),
        (True, "ftp://127.0.0.1/hook", "The URL must start with https://."),
        (True, "http://user:pw@127.0.0.1/hook", "must not contain a user name or password"),
        (True, "http:///hook", "The URL has no host name."),
    ],
)
def test_a_refused_url_is_explained_on_the_form(
    owner_client: Client, settings: Any, allow_private: bool, url: str, message: str
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allow_private
    response = create(owner_client, url, [events.UPLOAD_CREATED])
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Webhook.objects.exists()


def test_a_private_url_is_accepted_when_the_setting_allows_it(
    owner_client: Client, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert (
        create(owner_client, "http://127.0.0.1:9/hook", [events.UPLOAD_CREATED]).status_code == 302
    )
    assert Webhook.objects.get().url == "http://127.0.0.1:9/hook"


def test_no_event_chosen_is_a_form_error(owner_client: Client, private_targets: None) -> None:
    response = create(owner_client, "http://127.0.0.1:9/hook", [])
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not Webhook.objects.exists()


def test_catalog_events_need_an_approved_application(
    owner: User, owner_client: Client, private_targets: None
) -> None:
    message = "Catalog events (image.created) need a webhook of an approved API application."
    response = create(owner_client, "http://127.0.0.1:9/hook", [events.IMAGE_CREATED])
    assert message in response.content.decode()

    pending = account_services.application_request(user=owner, name="p", purpose="p", scopes=[])
    response = create(
        owner_client, "http://127.0.0.1:9/hook", [events.IMAGE_CREATED], application=pending.pk
    )
    assert message in response.content.decode()
    assert not Webhook.objects.exists()

    approved = approved_application(owner)
    response = create(
        owner_client, "http://127.0.0.1:9/hook", [events.IMAGE_CREATED], application=approved.pk
    )
    assert response.status_code == 302
    assert Webhook.objects.get().application == approved


def test_another_users_application_cannot_be_chosen(
    other_user: User, owner_client: Client, private_targets: None
) -> None:
    theirs = approved_application(other_user)
    response = create(
        owner_client, "http://127.0.0.1:9/hook", [events.IMAGE_CREATED], application=theirs.pk
    )
    assert "Select a valid choice." in response.content.decode()
    assert not Webhook.objects.exists()


# --- send test event and the delivery log --------------------------------------------------------
def test_send_test_event_delivers_a_signed_ping_and_the_log_shows_it(
    owner: User,
    owner_client: Client,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    webhook, secret = services.webhook_create(
        user=owner, url=receiver.url, event_types=[events.UPLOAD_CREATED]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{BASE}{webhook.pk}/test/")
    assert response.status_code == 302

    delivery = Delivery.objects.select_related("event").get(webhook=webhook)
    assert delivery.event.type == events.PING
    assert delivery.status == Delivery.Status.DELIVERED
    ((headers, body),) = receiver.requests
    assert headers["X-Nekosite-Event-Id"] == str(delivery.event.id)
    expected = hmac.new(
        secret.encode(), f"{headers['X-Nekosite-Timestamp']}.".encode() + body, hashlib.sha256
    )
    assert headers["X-Nekosite-Signature"] == "sha256=" + expected.hexdigest()

    detail = page(owner_client, response["Location"])
    assert "A test event (ping) was sent" in detail
    row = detail.split('id="delivery-log"', 1)[1]
    assert "<code>ping</code>" in row and str(delivery.event.id) in row
    assert "Delivered" in row
    assert '<td data-label="Response" class="num">200</td>' in row
    assert f"{delivery.latency_ms} ms" in row
    assert '<td data-label="Attempts" class="num">1</td>' in row
    assert "Retry now" not in row
    assert "Delivered" in page(owner_client, BASE)  # the list's "last delivery"


def test_the_log_shows_a_failed_delivery_with_its_error_and_next_attempt(
    owner: User, owner_client: Client
) -> None:
    webhook = make_webhook(owner)
    next_at = timezone.now() + timedelta(minutes=4)
    pending = make_delivery(
        webhook,
        attempts=3,
        response_code=500,
        latency_ms=123,
        error="HTTP 500 Internal Server Error",
        last_attempt_at=timezone.now(),
        next_attempt_at=next_at,
    )
    failed = make_delivery(webhook, status=Delivery.Status.FAILED, attempts=30, error="Refused: x")
    log = page(owner_client, f"{BASE}{webhook.pk}/").split('id="delivery-log"', 1)[1]
    assert "Pending" in log and "Failed (gave up)" in log
    assert '<td data-label="Response" class="num">500</td>' in log
    assert "123 ms" in log and '<td data-label="Attempts" class="num">3</td>' in log
    assert "HTTP 500 Internal Server Error" in log and "Refused: x" in log
    assert next_at.strftime("%Y-%m-%d %H:%M:%S") in log
    for delivery in (pending, failed):
        assert f"{BASE}{webhook.pk}/deliveries/{delivery.pk}/retry/" in log


def test_the_log_shows_the_latest_50_deliveries(owner: User, owner_client: Client) -> None:
    webhook = make_webhook(owner)
    for _ in range(52):
        make_delivery(webhook)
    log = page(owner_client, f"{BASE}{webhook.pk}/").split('id="delivery-log"', 1)[1]
    assert log.count('data-label="Event id"') == 50


def test_retry_now_delivers_a_failed_delivery_again(
    owner: User,
    owner_client: Client,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    webhook = make_webhook(owner, url=receiver.url)
    delivery = make_delivery(webhook, status=Delivery.Status.FAILED, attempts=5, error="timeout")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{BASE}{webhook.pk}/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 6
    assert len(receiver.requests) == 1
    assert "The delivery will be attempted again now." in page(owner_client, response["Location"])


def test_retry_now_is_refused_while_the_webhook_is_disabled(
    owner: User, owner_client: Client
) -> None:
    webhook = make_webhook(owner, is_active=False)
    delivery = make_delivery(webhook, status=Delivery.Status.FAILED)
    response = owner_client.post(f"{BASE}{webhook.pk}/deliveries/{delivery.pk}/retry/", follow=True)
    assert "enable it before retrying" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_send_test_event_is_refused_while_the_webhook_is_disabled(
    owner: User, owner_client: Client
) -> None:
    webhook = make_webhook(owner, is_active=False)
    response = owner_client.post(f"{BASE}{webhook.pk}/test/", follow=True)
    assert "enable it before sending a test event" in response.content.decode()
    assert not Delivery.objects.exists()


# --- disable, enable, roll, delete ---------------------------------------------------------------
def test_disable_then_enable(owner: User, owner_client: Client) -> None:
    webhook = make_webhook(owner)
    waiting = make_delivery(webhook)
    owner_client.post(f"{BASE}{webhook.pk}/disable/")
    webhook.refresh_from_db()
    waiting.refresh_from_db()
    assert not webhook.is_active and not webhook.auto_disabled
    assert waiting.status == Delivery.Status.SKIPPED
    detail = page(owner_client, f"{BASE}{webhook.pk}/")
    assert "Disabled" in detail and "disabled automatically" not in detail
    assert f"{BASE}{webhook.pk}/enable/" in detail and "Send test event" not in detail

    owner_client.post(f"{BASE}{webhook.pk}/enable/")
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.disabled_at is None


def test_rolling_the_secret_shows_the_new_one_once(owner: User, owner_client: Client) -> None:
    webhook = make_webhook(owner)
    old = signing.secret_for(webhook.secret_nonce)
    response = owner_client.post(f"{BASE}{webhook.pk}/roll-secret/")
    assert response["Location"] == f"{BASE}{webhook.pk}/"
    webhook.refresh_from_db()
    new = signing.secret_for(webhook.secret_nonce)
    assert new != old
    assert SECRET_RE.findall(page(owner_client, response["Location"])) == [new]
    assert not SECRET_RE.search(page(owner_client, response["Location"]))


def test_delete_asks_for_confirmation_first(owner: User, owner_client: Client) -> None:
    webhook = make_webhook(owner)
    make_delivery(webhook)
    confirm = page(owner_client, f"{BASE}{webhook.pk}/delete/")
    assert "Delete this webhook?" in confirm and 'method="post"' in confirm
    assert Webhook.objects.filter(pk=webhook.pk).exists()

    response = owner_client.post(f"{BASE}{webhook.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == BASE
    assert "was deleted" in response.content.decode()
    assert not Webhook.objects.exists() and not Delivery.objects.exists()


# --- told on the dashboard ------------------------------------------------------------------
def test_an_automatically_disabled_webhook_is_explained_on_its_page(
    owner: User, owner_client: Client
) -> None:
    webhook = make_webhook(owner)
    auto_disable(webhook)
    detail = page(owner_client, f"{BASE}{webhook.pk}/")
    assert "This webhook was disabled automatically." in detail
    assert "Disabled after 24 hours of failed deliveries (last: 500)." in detail
    assert "Enable again" in detail
    owner_client.post(f"{BASE}{webhook.pk}/enable/")
    assert "disabled automatically" not in page(owner_client, f"{BASE}{webhook.pk}/")


def test_the_dashboard_home_warns_about_automatically_disabled_webhooks(
    owner: User, other_user: User, owner_client: Client
) -> None:
    assert "disabled automatically" not in page(owner_client, "/dashboard/")
    manual = make_webhook(owner, url="http://127.0.0.1:9/manual")
    services.webhook_disable(webhook=manual, reason="")
    theirs = make_webhook(other_user, url="http://127.0.0.1:9/theirs")
    auto_disable(theirs)
    assert "disabled automatically" not in page(owner_client, "/dashboard/")

    webhook = make_webhook(owner)
    auto_disable(webhook)
    home = page(owner_client, "/dashboard/")
    assert "A webhook was disabled automatically" in home
    assert f'href="{BASE}{webhook.pk}/"' in home
    assert "Disabled after 24 hours of failed deliveries (last: 500)." in home
    assert "/manual" not in home and "/theirs" not in home


def test_the_dashboard_has_a_webhooks_tab(owner_client: Client) -> None:
    assert f'<a href="{BASE}" aria-current="page">Webhooks</a>' in page(owner_client, BASE)
    assert f'<a href="{BASE}">Webhooks</a>' in page(owner_client, "/dashboard/")


# --- who may do what -----------------------------------------------------------------------
def _pages(webhook: Webhook, delivery: Delivery) -> list[tuple[str, str]]:
    base = f"{BASE}{webhook.pk}/"
    return [
        ("get", base),
        ("get", base + "delete/"),
        ("post", base + "test/"),
        ("post", base + "disable/"),
        ("post", base + "enable/"),
        ("post", base + "roll-secret/"),
        ("post", base + "delete/"),
        ("post", f"{base}deliveries/{delivery.pk}/retry/"),
    ]


def test_another_user_gets_404_on_every_page_and_changes_nothing(
    owner: User, other_user: User
) -> None:
    webhook = make_webhook(owner)
    delivery = make_delivery(webhook, status=Delivery.Status.FAILED)
    before = Webhook.objects.values().get()
    mallory = logged_in(other_user)
    assert webhook.url not in page(mallory, BASE)
    for method, url in _pages(webhook, delivery):
        assert getattr(mallory, method)(url).status_code == 404, url
    assert Webhook.objects.values().get() == before
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and not Event.objects.filter(type="ping")


def test_a_delivery_of_another_webhook_is_404(owner: User, other_user: User) -> None:
    mine, theirs = make_webhook(owner), make_webhook(other_user)
    delivery = make_delivery(theirs, status=Delivery.Status.FAILED)
    response = logged_in(owner).post(f"{BASE}{mine.pk}/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 404


def test_changes_are_post_only(owner: User, owner_client: Client) -> None:
    webhook = make_webhook(owner)
    delivery = make_delivery(webhook, status=Delivery.Status.FAILED)
    before = Webhook.objects.values().get()
    for method, url in _pages(webhook, delivery):
        if method == "post" and not url.endswith("delete/"):
            assert owner_client.get(url).status_code == 405, url
    assert Webhook.objects.values().get() == before
    assert owner_client.put(f"{BASE}{webhook.pk}/").status_code == 405


def test_pages_need_a_logged_in_user(owner: User) -> None:
    webhook = make_webhook(owner)
    delivery = make_delivery(webhook)
    for method, url in [("get", BASE), *_pages(webhook, delivery)]:
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert Webhook.objects.get().is_active


def test_every_form_refuses_a_post_without_csrf_token(owner: User, private_targets: None) -> None:
    webhook = make_webhook(owner)
    delivery = make_delivery(webhook, status=Delivery.Status.FAILED)
    client = logged_in(owner, enforce_csrf_checks=True)
    assert b'name="csrfmiddlewaretoken"' in client.get(BASE).content
    posts = [url for method, url in _pages(webhook, delivery) if method == "post"]
    for url in [BASE, *posts]:
        data = {"url": "http://127.0.0.1:9/x", "events": [events.UPLOAD_CREATED]}
        assert client.post(url, data).status_code == 403, url
    assert Webhook.objects.count() == 1 and Webhook.objects.get().is_active
