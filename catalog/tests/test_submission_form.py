"""/dashboard/submissions/new/: the browser's way to submit an image (issue #22)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import override_settings

from accounts.models import User
from catalog.models import Image, ModerationStatus
from catalog.tests.factories import image_bytes, ingest_image, make_category

pytestmark = pytest.mark.django_db
URL = "/dashboard/submissions/new/"


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("drawer", "d@example.com", "a long password 123")


@pytest.fixture
def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def picture(data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile("drawing.png", data or image_bytes(), content_type="image/png")


def test_the_form_needs_a_logged_in_user(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_submitting_creates_a_pending_image_and_lists_it(logged_in: Client, user: User) -> None:
    catgirl = make_category(name="catgirl")
    response = logged_in.post(
        URL,
        {
            "file": picture(),
            "nsfw": "questionable",
            "categories": [str(catgirl.pk)],
            "source_name": "sketchbook",
            "source_url": "https://example.com/1",
            "original": "false",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/dashboard/submissions/"
    image = Image.objects.get(submitted_by=user)
    assert image.status == ModerationStatus.PENDING_REVIEW
    assert (image.nsfw, image.source_name, image.original) == ("questionable", "sketchbook", False)
    assert list(image.categories.values_list("name", flat=True)) == ["catgirl"]
    assert "Pending review" in response.content.decode()


def test_original_left_unknown_is_null(logged_in: Client, user: User) -> None:
    logged_in.post(URL, {"file": picture(), "nsfw": "sfw", "original": ""})
    assert Image.objects.get(submitted_by=user).original is None


def test_a_file_that_is_not_an_image_is_refused_next_to_the_field(logged_in: Client) -> None:
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = logged_in.post(URL, {"file": bad, "nsfw": "sfw"})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Image.objects.exists()


def test_a_picture_already_in_the_catalog_is_refused(logged_in: Client) -> None:
    data = image_bytes()
    ingest_image(data=data)
    response = logged_in.post(URL, {"file": picture(data), "nsfw": "sfw"})
    assert response.context["form"].errors["file"] == ["This image is in the catalog already."]
    assert Image.objects.count() == 1


@override_settings(SUBMISSIONS_MAX_PENDING=1)
def test_too_many_pending_submissions_is_a_form_error(logged_in: Client) -> None:
    logged_in.post(URL, {"file": picture(), "nsfw": "sfw"})
    response = logged_in.post(URL, {"file": picture(), "nsfw": "sfw"})
    assert "1 submissions waiting for review" in str(response.context["form"].non_field_errors())
    assert Image.objects.count() == 1


@override_settings(MAX_UPLOAD_MB=1)
def test_a_file_over_the_upload_limit_is_refused_before_it_is_stored(logged_in: Client) -> None:
    big = picture(image_bytes() + b"\0" * (2 * 1024 * 1024))
    response = logged_in.post(URL, {"file": big, "nsfw": "sfw"}, follow=True)
    assert "larger than the 1 MB upload limit" in response.content.decode()
    assert not Image.objects.exists()


def test_the_form_checks_csrf(user: User) -> None:
    client: Any = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(URL, {"file": picture(), "nsfw": "sfw"}).status_code == 403
    assert not Image.objects.exists()
