"""Issue #20 on the dashboard: upload options in the no-JavaScript form, the files table, and the
options page (/dashboard/files/<name>/options/).

Issue #20: "The dashboard shows each file's expiry, views and options; the owner can change them
later." The browser journeys on the real server are in tests/browser/test_journeys.py.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import User
from uploads import access
from uploads.models import Upload
from uploads.services import upload_create
from uploads.storage import upload_storage
from uploads.templatetags.file_options import time_left
from uploads.tests.conftest import named, png_bytes, storage_names
from uploads.tests.test_upload_options import GPS_IFD, gps_jpeg

pytestmark = pytest.mark.django_db

FILES = "/dashboard/files/"


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def form_upload(client: Client, data: bytes = b"hello", name: str = "a.txt", **fields: Any) -> Any:
    return client.post(FILES, {"files": [named(data, name)], **fields}, follow=True)


def make_upload(owner: User, **changes: Any) -> Upload:
    upload = upload_create(owner=owner, file=io.BytesIO(b"some text"), client_name="a.txt", size=9)
    if changes:
        Upload.objects.filter(pk=upload.pk).update(**changes)
        upload.refresh_from_db()
    return upload


def options_url(upload: Upload) -> str:
    return f"{FILES}{upload.name}/options/"


def close_to(value: datetime | None, expected: datetime) -> bool:
    return value is not None and abs((value - expected).total_seconds()) < 10


# --- the no-JavaScript upload form ------------------------------------------------------------
def test_form_upload_without_options_gets_the_seed_behaviour(logged_in: Client) -> None:
    form_upload(logged_in)
    upload = Upload.objects.get()
    assert upload.expires_at is None and upload.max_views is None
    assert not upload.has_password and not upload.keep_metadata
    assert (upload.embed_title, upload.embed_color, upload.embed_description) == ("", "", "")


@pytest.mark.parametrize(
    ("choice", "length"),
    [("10m", timedelta(minutes=10)), ("1h", timedelta(hours=1)), ("30d", timedelta(days=30))],
)
def test_form_upload_with_an_expiry_deletes_after_that_long(
    logged_in: Client, choice: str, length: timedelta
) -> None:
    response = form_upload(logged_in, expires=choice)
    assert any("uploaded as" in text for text in messages_of(response))
    assert close_to(Upload.objects.get().expires_at, timezone.now() + length)


def test_form_upload_with_max_views(logged_in: Client) -> None:
    form_upload(logged_in, max_views="2")
    assert Upload.objects.get().max_views == 2


def test_form_upload_with_a_password_stores_only_its_hash(logged_in: Client) -> None:
    form_upload(logged_in, file_password="open sesame")
    upload = Upload.objects.get()
    assert upload.has_password and "open sesame" not in upload.password_hash
    assert access.password_matches(upload, "open sesame")


def test_form_upload_removes_gps_unless_keep_metadata_is_checked(logged_in: Client) -> None:
    """Issue #20: "EXIF/GPS stripped by default ... an option keeps metadata"."""
    form_upload(logged_in, gps_jpeg(), "stripped.jpg")
    form_upload(logged_in, gps_jpeg(), "kept.jpg", keep_metadata="on")
    stripped = Upload.objects.get(original_name="stripped.jpg")
    kept = Upload.objects.get(original_name="kept.jpg")
    assert not stripped.keep_metadata and kept.keep_metadata
    with upload_storage().open(stripped.name) as handle:
        assert GPS_IFD not in Image.open(handle).getexif()
    with upload_storage().open(kept.name) as handle:
        assert GPS_IFD in Image.open(handle).getexif()


def test_form_upload_with_embed_settings(logged_in: Client) -> None:
    form_upload(
        logged_in,
        embed_title="  Neko   of the day ",
        use_embed_color="on",
        embed_color="#FF66AA",
        embed_description="A cat\nin a hat",
    )
    upload = Upload.objects.get()
    assert upload.embed_title == "Neko of the day"
    assert upload.embed_color == "#ff66aa"
    assert upload.embed_description == "A cat in a hat"


def test_form_upload_ignores_the_colour_unless_asked_for(logged_in: Client) -> None:
    """A colour input always sends a value; only the checkbox says the embed is coloured."""
    form_upload(logged_in, embed_color="#000000")
    assert Upload.objects.get().embed_color == ""


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"expires": "5y"}, "Select a valid choice."),
        ({"max_views": "0"}, "Maximum views must be a whole number from 1 to 1,000,000."),
        ({"max_views": "many"}, "Maximum views must be a whole number from 1 to 1,000,000."),
        ({"file_password": "abc"}, "The password must be 4 to 128 characters long."),
        ({"use_embed_color": "on", "embed_color": "pink"}, "must be a colour like #ff66aa."),
        ({"embed_title": "x" * 101}, "at most 100 characters"),
    ],
)
def test_form_upload_with_a_bad_option_shows_the_error_and_stores_nothing(
    logged_in: Client, fields: dict[str, str], error: str
) -> None:
    response = logged_in.post(FILES, {"files": [named(b"x", "a.txt")], **fields})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "Nothing was uploaded: correct the options below." in messages_of(response)
    assert not Upload.objects.exists() and storage_names() == []


# --- the files table --------------------------------------------------------------------------
def test_files_table_shows_expiry_views_and_markers(logged_in: Client, owner: User) -> None:
    expires = timezone.now() + timedelta(hours=3)
    make_upload(
        owner,
        expires_at=expires,
        max_views=10,
        view_count=3,
        password_hash="md5$x$y",
        keep_metadata=True,
        embed_title="Neko",
        embed_color="#ff66aa",
    )
    page = logged_in.get(FILES).content.decode()
    assert ">in 3 hours</time>" in page
    assert f'datetime="{expires.isoformat()}"' in page
    assert expires.strftime("%Y-%m-%d %H:%M:%S") in page  # the exact time in the title
    assert "3 / 10" in page
    assert '<span class="visually-hidden">Password-protected</span>' in page
    assert "metadata kept" in page
    assert 'style="background: #ff66aa"' in page and ": Neko</span>" in page
    assert "Options<span" in page


def test_files_table_shows_plain_views_and_no_markers_for_a_plain_file(
    logged_in: Client, owner: User
) -> None:
    make_upload(owner, view_count=7)
    page = logged_in.get(FILES).content.decode()
    assert '<span class="file-views">7</span>' in page
    assert 'class="muted">never</span>' in page
    assert "file-markers" not in page


def test_files_table_says_when_a_file_is_expired_or_used_up(logged_in: Client, owner: User) -> None:
    make_upload(owner, expires_at=timezone.now() - timedelta(minutes=1), max_views=2, view_count=2)
    page = logged_in.get(FILES).content.decode()
    assert ">expired</time>" in page and "(used up)" in page


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(seconds=30), "in less than a minute"),
        (timedelta(minutes=10) - timedelta(seconds=2), "in 10 minutes"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(minutes=59, seconds=50), "in 1 hour"),
        (timedelta(hours=3, minutes=10), "in 3 hours"),
        (timedelta(hours=23, minutes=50), "in 1 day"),
        (timedelta(days=30), "in 30 days"),
        (timedelta(seconds=-1), "expired"),
    ],
)
def test_time_left_rounds_to_the_nearest_unit(left: timedelta, text: str) -> None:
    now = timezone.now()
    assert time_left(now + left, now) == text


# --- the options page -------------------------------------------------------------------------
def test_options_page_shows_the_file_and_its_current_options(
    logged_in: Client, owner: User
) -> None:
    upload = make_upload(owner, max_views=5, embed_title="Neko")
    response = logged_in.get(options_url(upload))
    assert response.status_code == 200
    page = response.content.decode()
    assert upload.name in page and 'name="csrfmiddlewaretoken"' in page
    assert 'value="5"' in page and 'value="Neko"' in page
    assert "metadata was removed at upload and cannot be restored" in page
    assert 'name="remove_password"' not in page  # nothing to remove


def test_options_page_of_another_users_file_is_404(logged_in: Client, other_user: User) -> None:
    theirs = make_upload(other_user)
    assert logged_in.get(options_url(theirs)).status_code == 404
    assert logged_in.post(options_url(theirs), {"expires": "never"}).status_code == 404
    assert logged_in.get(f"{FILES}nosuchfile.png/options/").status_code == 404


def test_options_page_needs_login(client: Client, owner: User) -> None:
    assert client.get(options_url(make_upload(owner))).status_code == 302


def test_options_change_needs_csrf(owner: User) -> None:
    upload = make_upload(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(options_url(upload), {"expires": "1h"}).status_code == 403
    upload.refresh_from_db()
    assert upload.expires_at is None


def test_options_set_an_expiry_from_now_then_remove_it(logged_in: Client, owner: User) -> None:
    upload = make_upload(owner)
    response = logged_in.post(options_url(upload), {"expires": "1d"}, follow=True)
    assert f"The options of {upload.name} have been saved." in messages_of(response)
    upload.refresh_from_db()
    assert close_to(upload.expires_at, timezone.now() + timedelta(days=1))

    logged_in.post(options_url(upload), {"expires": "keep"})
    upload.refresh_from_db()
    assert close_to(upload.expires_at, timezone.now() + timedelta(days=1))

    logged_in.post(options_url(upload), {"expires": "never"})
    upload.refresh_from_db()
    assert upload.expires_at is None


def test_options_refuse_to_keep_an_expiry_in_the_past(logged_in: Client, owner: User) -> None:
    past = timezone.now() - timedelta(minutes=5)
    upload = make_upload(owner, expires_at=past)
    response = logged_in.post(options_url(upload), {"expires": "keep", "embed_title": "New"})
    assert response.status_code == 200
    assert "The expiry must be in the future." in response.content.decode()
    upload.refresh_from_db()
    assert upload.expires_at == past and upload.embed_title == ""

    # A new duration from now brings it back.
    logged_in.post(options_url(upload), {"expires": "10m"})
    upload.refresh_from_db()
    assert upload.is_available()


def test_options_set_and_remove_max_views(logged_in: Client, owner: User) -> None:
    upload = make_upload(owner, view_count=3)
    logged_in.post(options_url(upload), {"expires": "keep", "max_views": "10"})
    upload.refresh_from_db()
    assert upload.max_views == 10
    logged_in.post(options_url(upload), {"expires": "keep", "max_views": ""})
    upload.refresh_from_db()
    assert upload.max_views is None


def test_options_refuse_max_views_not_above_the_views_so_far(
    logged_in: Client, owner: User
) -> None:
    upload = make_upload(owner, view_count=3, max_views=10)
    response = logged_in.post(options_url(upload), {"expires": "keep", "max_views": "3"})
    assert "This file has been viewed 3 times" in response.content.decode()
    upload.refresh_from_db()
    assert upload.max_views == 10


@pytest.mark.parametrize(
    ("max_views", "error"),
    [("0", "Maximum views must be a whole number"), ("1.5", "Maximum views must be a whole")],
)
def test_options_refuse_a_malformed_max_views(
    logged_in: Client, owner: User, max_views: str, error: str
) -> None:
    upload = make_upload(owner)
    response = logged_in.post(options_url(upload), {"expires": "keep", "max_views": max_views})
    assert error in response.content.decode()
    upload.refresh_from_db()
    assert upload.max_views is None


def test_options_set_change_and_remove_the_password(logged_in: Client, owner: User) -> None:
    upload = make_upload(owner)
    logged_in.post(options_url(upload), {"expires": "keep", "new_password": "first one"})
    upload.refresh_from_db()
    assert access.password_matches(upload, "first one")
    assert 'name="remove_password"' in logged_in.get(options_url(upload)).content.decode()

    # Leaving it empty keeps it.
    logged_in.post(options_url(upload), {"expires": "keep", "embed_title": "t"})
    upload.refresh_from_db()
    assert access.password_matches(upload, "first one")

    logged_in.post(options_url(upload), {"expires": "keep", "new_password": "second one"})
    upload.refresh_from_db()
    assert access.password_matches(upload, "second one")
    assert not access.password_matches(upload, "first one")

    logged_in.post(options_url(upload), {"expires": "keep", "remove_password": "on"})
    upload.refresh_from_db()
    assert not upload.has_password


def test_options_refuse_a_short_password_or_setting_and_removing_at_once(
    logged_in: Client, owner: User
) -> None:
    upload = make_upload(owner)
    page = logged_in.post(options_url(upload), {"expires": "keep", "new_password": "abc"})
    assert "The password must be 4 to 128 characters long." in page.content.decode()
    logged_in.post(options_url(upload), {"expires": "keep", "new_password": "first one"})
    both = {"expires": "keep", "new_password": "other one", "remove_password": "on"}
    page = logged_in.post(options_url(upload), both)
    assert "Either set a new password or remove it, not both." in page.content.decode()
    upload.refresh_from_db()
    assert access.password_matches(upload, "first one")


def test_options_change_and_clear_the_embed(logged_in: Client, owner: User) -> None:
    upload = make_upload(owner)
    logged_in.post(
        options_url(upload),
        {
            "expires": "keep",
            "embed_title": "Neko",
            "use_embed_color": "on",
            "embed_color": "#112233",
            "embed_description": "Purr",
        },
    )
    upload.refresh_from_db()
    assert (upload.embed_title, upload.embed_color, upload.embed_description) == (
        "Neko",
        "#112233",
        "Purr",
    )
    page = logged_in.get(options_url(upload)).content.decode()
    assert (
        'value="#112233"' in page
        and 'name="use_embed_color" id="id_use_embed_color" checked' in page
    )

    logged_in.post(options_url(upload), {"expires": "keep", "embed_color": "#112233"})
    upload.refresh_from_db()
    assert (upload.embed_title, upload.embed_color, upload.embed_description) == ("", "", "")


def test_options_show_kept_metadata_read_only(logged_in: Client, owner: User) -> None:
    upload = make_upload(owner, keep_metadata=True)
    page = logged_in.get(options_url(upload)).content.decode()
    assert "kept at upload" in page and 'name="keep_metadata"' not in page
    logged_in.post(options_url(upload), {"expires": "keep", "keep_metadata": ""})
    upload.refresh_from_db()
    assert upload.keep_metadata


def test_options_page_get_changes_nothing(logged_in: Client, owner: User) -> None:
    upload = make_upload(owner, max_views=4)
    logged_in.get(options_url(upload), {"max_views": "9", "expires": "never"})
    upload.refresh_from_db()
    assert upload.max_views == 4


def test_png_upload_through_the_form_is_listed_with_its_options(logged_in: Client) -> None:
    form_upload(logged_in, png_bytes(), "cat.png", max_views="5", expires="1w")
    page = logged_in.get(FILES).content.decode()
    assert "0 / 5" in page and ">in 7 days</time>" in page
