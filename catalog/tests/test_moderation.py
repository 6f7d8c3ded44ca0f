"""Moderation: submissions are invisible until approved; decisions, their log, events, admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from catalog import selectors, services
from catalog.models import Image, ModerationStatus, phash_columns
from catalog.tests.api.conftest import _issue, bearer
from catalog.tests.factories import make_artist, make_category, make_image
from webhooks import events
from webhooks.models import Event, Webhook
from webhooks.signing import new_nonce

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitter() -> User:
    return User.objects.create_user("submitter", "s@example.com", "a long password 123")


@pytest.fixture
def moderator() -> User:
    return User.objects.create_superuser("mod", "m@example.com", "a long password 123")


def _submission(submitter: User, **fields: Any) -> Image:
    return make_image(status=ModerationStatus.PENDING_REVIEW, submitted_by=submitter, **fields)


def _webhook(user: User, *types: str) -> Webhook:
    return Webhook.objects.create(
        user=user, url="https://hooks.example.org/in", events=list(types), secret_nonce=new_nonce()
    )


# --- services ----------------------------------------------------------------------------------


def test_approve_publishes_logs_and_tells_the_submitter(submitter: User, moderator: User) -> None:
    _webhook(submitter, events.SUBMISSION_APPROVED, events.SUBMISSION_REJECTED)
    image = _submission(submitter)
    assert not Event.objects.exists()  # a submission is not announced as image.created
    decided = services.submission_approve(images=[image], reviewer=moderator)
    assert [row.pk for row in decided] == [image.pk]
    image.refresh_from_db()
    assert image.status == ModerationStatus.APPROVED and image.reviewed_by == moderator
    assert image.reviewed_at is not None
    entry = LogEntry.objects.get()
    assert entry.object_id == str(image.pk) and entry.content_type.model == "submission"
    assert entry.get_change_message() == "Approved the submission."
    event = Event.objects.get(type=events.SUBMISSION_APPROVED)
    assert event.data["image"]["id"] == str(image.pk) and event.data["reason"] is None
    # Deciding again does nothing: the first decision stands.
    assert services.submission_approve(images=[image], reviewer=moderator) == []
    assert LogEntry.objects.count() == 1


def test_reject_needs_a_reason_and_sends_it(submitter: User, moderator: User) -> None:
    _webhook(submitter, events.SUBMISSION_REJECTED)
    image = _submission(submitter)
    with pytest.raises(ValidationError):
        services.submission_reject(images=[image], reviewer=moderator, reason="  ")
    services.submission_reject(images=[image], reviewer=moderator, reason="Not anime art.")
    image.refresh_from_db()
    assert image.status == ModerationStatus.REJECTED
    assert image.rejection_reason == "Not anime art."
    event = Event.objects.get(type=events.SUBMISSION_REJECTED)
    assert event.data == {
        "image": {"id": str(image.pk), "status": "rejected"},
        "reason": "Not anime art.",
    }
    assert "Not anime art." in LogEntry.objects.get().get_change_message()


def test_ingest_with_a_submitter_makes_a_pending_submission(submitter: User) -> None:
    from catalog.tests.factories import ingest_image

    assert ingest_image(submitted_by=submitter).status == ModerationStatus.PENDING_REVIEW
    assert ingest_image().status == ModerationStatus.APPROVED


# --- invisible until approved -----------------------------------------------------------------


@pytest.fixture
def token(submitter: User) -> dict[str, Any]:
    return bearer(_issue(submitter, ["image:list"]))


def _count(client: Client, url: str, headers: dict[str, Any]) -> int:
    from nekosite.lib import readcache

    readcache.clear_all()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **headers).status_code == 200
    return len(queries)


def test_pending_and_rejected_submissions_are_invisible_to_the_api(
    client: Client, submitter: User, moderator: User, token: dict[str, Any]
) -> None:
    artist, category = make_artist(), make_category(name="maid")
    public = make_image(artist=artist, categories=[category])
    urls = [
        "/api/v1/image?limit=10",
        "/api/v1/image/random?limit=10",
        "/api/v1/image/random?limit=10&categories=maid",
        f"/api/v1/artist/{artist.pk}/images?limit=10",
    ]
    before = {url: _count(client, url, token) for url in urls}
    pending = _submission(submitter, artist=artist, categories=[category])
    rejected = _submission(submitter, artist=artist, categories=[category])
    services.submission_reject(images=[rejected], reviewer=moderator, reason="no")
    for url in urls:
        for _ in range(20):  # random draws: never a submission
            ids = {row["id"] for row in client.get(url, **token).json()["data"]}
            assert ids == {str(public.pk)}, url
        assert _count(client, url, token) == before[url], url  # same queries as before
    for hidden in (pending, rejected):
        assert client.get(f"/api/v1/image/{hidden.pk}").status_code == 404
        assert client.get(f"/assets/{hidden.pk}.png").status_code == 404
    assert selectors.artist_get(artist_id=artist.pk)["images_count"] == 1
    assert selectors.catalog_stats()["images"]["count"] == 1

    services.submission_approve(images=[pending], reviewer=moderator)
    ids = {row["id"] for row in client.get(urls[0], **token).json()["data"]}
    assert ids == {str(public.pk), str(pending.pk)}
    assert client.get(f"/api/v1/image/{pending.pk}").status_code == 200


def test_submissions_are_invisible_in_the_gallery(
    client: Client, submitter: User, moderator: User
) -> None:
    public, pending = make_image(), _submission(submitter)
    page = client.get("/").content.decode()
    assert str(public.pk) in page and str(pending.pk) not in page
    assert client.get(f"/image/{pending.pk}/").status_code == 404
    assert client.get(f"/thumbs/{pending.pk}.webp").status_code == 404
    staff = Client()
    staff.force_login(moderator)
    thumb = staff.get(f"/thumbs/{pending.pk}.webp")
    assert thumb.status_code == 200 and thumb["Cache-Control"] == "private, no-store"


# --- admin and dashboard ---------------------------------------------------------------------


def test_queue_shows_the_nearest_image_and_its_distance(
    client: Client, submitter: User, moderator: User
) -> None:
    existing = make_image()
    Image.objects.filter(pk=existing.pk).update(**phash_columns(0xF0F0))
    pending = _submission(submitter)
    Image.objects.filter(pk=pending.pk).update(**phash_columns(0xF0F1))
    _submission(submitter)  # no hash: no match
    client.force_login(moderator)
    page = client.get("/admin/catalog/submission/").content.decode()
    assert str(pending.pk) in page and f"/admin/catalog/image/{existing.pk}/change/" in page
    assert "1 / 64" in page
    assert str(existing.pk) not in page.split("result_list")[1].split(str(pending.pk))[0]
    change = client.get(f"/admin/catalog/submission/{pending.pk}/change/").content.decode()
    assert "distance 1 of 64 bits" in change


def test_reject_asks_for_a_reason_first(client: Client, submitter: User, moderator: User) -> None:
    pending = [_submission(submitter), _submission(submitter)]
    client.force_login(moderator)
    data = {"action": "reject", "_selected_action": [str(image.pk) for image in pending]}
    form = client.post("/admin/catalog/submission/", data)
    assert form.status_code == 200 and b'name="reason"' in form.content
    assert Image.objects.filter(status=ModerationStatus.PENDING_REVIEW).count() == 2
    done = client.post(
        "/admin/catalog/submission/", {**data, "apply": "Reject", "reason": "Blurry."}, follow=True
    )
    assert b"Rejected 2 submission(s)." in done.content
    assert set(Image.objects.values_list("rejection_reason", flat=True)) == {"Blurry."}
    assert LogEntry.objects.count() == 2


def test_the_submitter_sees_decisions_on_the_dashboard(
    client: Client, submitter: User, moderator: User
) -> None:
    rejected, pending = _submission(submitter), _submission(submitter)
    services.submission_reject(images=[rejected], reviewer=moderator, reason="Watermarked.")
    other = User.objects.create_user("other", "o@example.com", "a long password 123")
    _submission(other)
    client.force_login(submitter)
    page = client.get("/dashboard/submissions/").content.decode()
    assert "Watermarked." in page and "Pending review" in page and "Rejected" in page
    assert str(pending.pk) in page
    assert page.count("<tr>") == 3  # header and the user's two, not the other user's


def test_catalog_webhooks_hear_of_a_submission_only_once_approved(
    submitter: User, moderator: User
) -> None:
    from accounts.models import ApiApplication

    application = ApiApplication.objects.create(
        user=moderator, name="bot", purpose="p", status="approved"
    )
    Webhook.objects.create(
        user=moderator,
        application=application,
        url="https://hooks.example.org/catalog",
        events=[events.IMAGE_CREATED, events.IMAGE_UPDATED],
        secret_nonce=new_nonce(),
    )
    image = _submission(submitter)
    services.image_update_metadata(image=image, nsfw="sfw")
    assert not Event.objects.exists()
    services.submission_approve(images=[image], reviewer=moderator)
    assert list(Event.objects.values_list("type", flat=True)) == [events.IMAGE_CREATED]
