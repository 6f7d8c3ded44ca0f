"""The media library of /dashboard/files/ (issue #21): search by name and type, sort by date,
size and name, date filters, list and grid views, bulk delete and bulk option changes, and
keyset pages that cost the same few queries at file 10 and file 10,000."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from uploads import selectors, services
from uploads.models import Upload
from uploads.tests.conftest import png_bytes, storage_names, stored

pytestmark = pytest.mark.django_db

FILES = "/dashboard/files/"
BULK = "/dashboard/files/bulk/"


def row(owner: User, name: str, *, content_type: str, size: int, age: timedelta) -> Upload:
    """A row only (no stored object), for listing tests."""
    return Upload.objects.create(
        owner=owner,
        name=name,
        original_name=name.lower(),
        size=size,
        content_type=content_type,
        sha256="0" * 64,
        created_at=timezone.now() - age,
    )


@pytest.fixture
def library(owner: User, other_user: User) -> dict[str, Upload]:
    rows = {
        "cat": row(owner, "Cat.png", content_type="image/png", size=300, age=timedelta(hours=1)),
        "clip": row(owner, "Clip.mp4", content_type="video/mp4", size=9000, age=timedelta(days=3)),
        "song": row(owner, "Song.ogg", content_type="audio/ogg", size=5000, age=timedelta(days=10)),
        "notes": row(
            owner, "Notes.txt", content_type="text/plain", size=10, age=timedelta(days=40)
        ),
        "zip": row(
            owner, "Bundle.zip", content_type="application/zip", size=700, age=timedelta(minutes=5)
        ),
    }
    row(other_user, "OtherCat.png", content_type="image/png", size=1, age=timedelta(0))
    return rows


def listed(client: Client, **params: str) -> list[str]:
    response = client.get(FILES, params)
    assert response.status_code == 200
    return [upload.name for upload in response.context["uploads"]]


# --- search, type, date, sort ---------------------------------------------------------------
def test_search_matches_the_original_or_stored_name_case_insensitively(
    logged_in: Client, library: dict[str, Upload]
) -> None:
    assert listed(logged_in, q="CAT") == ["Cat.png"]  # never another user's OtherCat.png
    assert listed(logged_in, q="notes.TXT") == ["Notes.txt"]
    library["clip"].original_name = "holiday video.mp4"
    library["clip"].save()
    assert listed(logged_in, q="holiday") == ["Clip.mp4"]  # the original name
    assert listed(logged_in, q="clip.mp") == ["Clip.mp4"]  # the stored name
    response = logged_in.get(FILES, {"q": "nothing-like-it"})
    assert b"No file matches this search." in response.content


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("image", ["Cat.png"]),
        ("video", ["Clip.mp4"]),
        ("audio", ["Song.ogg"]),
        ("text", ["Notes.txt"]),
        ("other", ["Bundle.zip"]),
        ("", ["Cat.png", "Bundle.zip", "Clip.mp4", "Song.ogg", "Notes.txt"]),
    ],
)
def test_type_filter(
    logged_in: Client, library: dict[str, Upload], kind: str, expected: list[str]
) -> None:
    assert sorted(listed(logged_in, type=kind)) == sorted(expected)


def test_date_filters_last_24_hours_7_days_30_days(
    logged_in: Client, library: dict[str, Upload]
) -> None:
    assert sorted(listed(logged_in, date="24h")) == ["Bundle.zip", "Cat.png"]
    assert sorted(listed(logged_in, date="7d")) == ["Bundle.zip", "Cat.png", "Clip.mp4"]
    assert len(listed(logged_in, date="30d")) == 4


def test_custom_date_range_includes_both_days(
    logged_in: Client, library: dict[str, Upload]
) -> None:
    day = timezone.localdate(library["song"].created_at)
    assert listed(logged_in, date="custom", since=str(day), until=str(day)) == ["Song.ogg"]
    # Dates alone are a custom range too (no JavaScript needed to pick "custom").
    assert listed(logged_in, since=str(day), until=str(day)) == ["Song.ogg"]
    assert "Notes.txt" not in listed(logged_in, since=str(day))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Bundle.zip", "Cat.png", "Clip.mp4", "Song.ogg", "Notes.txt"]),
        ("oldest", ["Notes.txt", "Song.ogg", "Clip.mp4", "Cat.png", "Bundle.zip"]),
        ("largest", ["Clip.mp4", "Song.ogg", "Bundle.zip", "Cat.png", "Notes.txt"]),
        ("smallest", ["Notes.txt", "Cat.png", "Bundle.zip", "Song.ogg", "Clip.mp4"]),
        ("name", ["Bundle.zip", "Cat.png", "Clip.mp4", "Notes.txt", "Song.ogg"]),
        ("name-desc", ["Song.ogg", "Notes.txt", "Clip.mp4", "Cat.png", "Bundle.zip"]),
    ],
)
def test_sorts(
    logged_in: Client, library: dict[str, Upload], sort: str, expected: list[str]
) -> None:
    assert listed(logged_in, sort=sort) == expected


def test_bad_query_values_are_ignored_not_errors(
    logged_in: Client, library: dict[str, Upload]
) -> None:
    for params in (
        {"sort": "drop table"},
        {"type": "../etc"},
        {"date": "yesterday"},
        {"since": "not-a-date"},
        {"after": "%%%"},
        {"before": "eyJ4Ijoy"},
        {"q": "a" * 10_000},
        {"view": "carousel"},
    ):
        assert logged_in.get(FILES, params).status_code == 200, params
    assert len(listed(logged_in, after="garbage")) == 5


def test_grid_view_is_remembered_in_a_cookie(logged_in: Client, library: dict[str, Upload]) -> None:
    grid = logged_in.get(FILES, {"view": "grid"})
    assert b'class="library-grid"' in grid.content and b"files-table" not in grid.content
    assert grid.cookies["library_view"].value == "grid"
    again = logged_in.get(FILES)
    assert again.context["library_view"] == "grid" and b'class="library-grid"' in again.content
    # Pictures show their stored thumbnail, other files an icon of their type.
    assert b"/dashboard/files/Cat.png/thumb.webp" in grid.content
    assert b"file-icon-video" in grid.content and b"file-icon-other" in grid.content
    listing = logged_in.get(FILES, {"view": "list"})
    assert b"files-table" in listing.content and listing.cookies["library_view"].value == "list"


def test_every_row_has_a_checkbox_of_the_bulk_form(
    logged_in: Client, library: dict[str, Upload]
) -> None:
    page = logged_in.get(FILES).content.decode()
    assert page.count('name="names"') == 5
    assert 'form="bulk-form"' in page and 'id="bulk-form"' in page


# --- keyset pages -----------------------------------------------------------------------------
def many_rows(owner: User, count: int) -> None:
    start = timezone.now() - timedelta(days=1)
    Upload.objects.bulk_create(
        [
            Upload(
                owner=owner,
                name=f"f{index:05d}.txt",
                original_name=f"file {index:05d}.txt",
                size=index % 977,
                content_type="text/plain",
                sha256="0" * 64,
                # Some rows share a timestamp: the id breaks the tie.
                created_at=start + timedelta(seconds=index // 3),
            )
            for index in range(count)
        ],
        batch_size=1000,
    )


@pytest.mark.parametrize("sort", ["newest", "oldest", "largest", "smallest", "name", "name-desc"])
def test_pages_walk_every_file_once_forward_and_back(owner: User, sort: str) -> None:
    many_rows(owner, 130)
    query = selectors.LibraryQuery(sort=sort)
    seen: list[str] = []
    pages = []
    cursor = ""
    while True:
        page = selectors.upload_library_page(user=owner, query=query, after=cursor, size=50)
        pages.append(page)
        seen += [upload.name for upload in page.uploads]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 130 == len(set(seen))
    assert [len(page.uploads) for page in pages] == [50, 50, 30]
    assert pages[0].previous_cursor is None
    # Back from the last page: the same rows as on the way forward.
    back = selectors.upload_library_page(
        user=owner, query=query, before=pages[2].previous_cursor or "", size=50
    )
    assert [u.name for u in back.uploads] == [u.name for u in pages[1].uploads]
    first = selectors.upload_library_page(
        user=owner, query=query, before=back.previous_cursor or "", size=50
    )
    assert [u.name for u in first.uploads] == [u.name for u in pages[0].uploads]
    assert first.previous_cursor is None and first.next_cursor is not None


def test_a_page_of_50_from_10000_files_costs_a_few_queries(
    logged_in: Client, owner: User, django_assert_max_num_queries: Any
) -> None:
    many_rows(owner, 10_000)
    logged_in.get(FILES)  # the session, token and such are made once
    with django_assert_max_num_queries(6):
        first = logged_in.get(FILES, {"sort": "largest"})
    assert len(first.context["uploads"]) == 50
    cursor = first.context["library"].next_cursor
    for _ in range(3):
        with django_assert_max_num_queries(6) as captured:
            page = logged_in.get(FILES, {"sort": "largest", "after": cursor})
        cursor = page.context["library"].next_cursor
    assert len(page.context["uploads"]) == 50
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    # A LIMIT of one page plus one; never a count of the files listed.
    assert "LIMIT 51" in sql and "OFFSET" not in sql
    listing = [
        q["sql"] for q in captured.captured_queries if '"uploads_upload"."size" <' in q["sql"]
    ]
    assert len(listing) == 1 and "COUNT" not in listing[0]


# --- bulk delete ------------------------------------------------------------------------------
def test_bulk_delete_asks_first_then_deletes_only_mine(
    logged_in: Client, owner: User, other_user: User
) -> None:
    mine = [stored(owner, f"{index}.txt") for index in range(3)]
    theirs = stored(other_user, "theirs.txt")
    names = [mine[0].name, mine[1].name, theirs.name, "NoSuchFile.txt"]

    asked = logged_in.post(BULK, {"action": "delete", "names": names, "next": FILES})
    assert asked.status_code == 200 and b"Delete 2 files?" in asked.content
    assert theirs.name.encode() not in asked.content
    assert Upload.objects.count() == 4  # nothing yet

    done = logged_in.post(
        BULK, {"action": "delete", "names": names, "confirm": "1", "next": FILES}, follow=True
    )
    assert "Deleted 2 file(s)." in [str(m) for m in done.context["messages"]]
    assert set(Upload.objects.values_list("name", flat=True)) == {mine[2].name, theirs.name}
    assert sorted(storage_names()) == sorted([mine[2].name, theirs.name])


def test_bulk_action_with_only_other_users_names_does_nothing(
    logged_in: Client, other_user: User
) -> None:
    theirs = stored(other_user, "theirs.txt")
    response = logged_in.post(
        BULK, {"action": "delete", "names": [theirs.name], "confirm": "1"}, follow=True
    )
    assert "Select at least one of your files first." in [
        str(m) for m in response.context["messages"]
    ]
    assert Upload.objects.filter(pk=theirs.pk).exists()


def test_bulk_returns_to_the_same_library_page_but_never_elsewhere(
    logged_in: Client, owner: User
) -> None:
    upload = stored(owner, "a.txt")
    back = "/dashboard/files/?q=a&sort=name"
    response = logged_in.post(
        BULK, {"action": "delete", "names": [upload.name], "confirm": "1", "next": back}
    )
    assert response["Location"] == back
    other = stored(owner, "b.txt")
    for target in ("https://evil.example/", "//evil.example/dashboard/files/", "/admin/"):
        response = logged_in.post(
            BULK,
            {
                "action": "options",
                "names": [other.name],
                "next": target,
                "confirm": "1",
                "expires": "keep",
                "views": "keep",
            },
        )
        assert response["Location"] == FILES


def test_bulk_needs_login_post_and_csrf(client: Client, owner: User) -> None:
    upload = stored(owner, "a.txt")
    assert client.post(BULK, {"action": "delete", "names": [upload.name]}).status_code == 302
    client.force_login(owner)
    assert client.get(BULK).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    response = strict.post(BULK, {"action": "delete", "names": [upload.name], "confirm": "1"})
    assert response.status_code == 403 and Upload.objects.filter(pk=upload.pk).exists()


# --- bulk options -----------------------------------------------------------------------------
def test_bulk_options_set_expiry_and_views_and_keep_the_rest(
    logged_in: Client, owner: User
) -> None:
    one = stored(owner, "one.txt", max_views=9, embed_title="Kept title")
    two = stored(owner, "two.txt")
    form = logged_in.post(BULK, {"action": "options", "names": [one.name, two.name]})
    assert b"Change the options of 2 files" in form.content
    response = logged_in.post(
        BULK,
        {
            "action": "options",
            "names": [one.name, two.name],
            "confirm": "1",
            "expires": "1d",
            "views": "limit",
            "max_views": "5",
        },
        follow=True,
    )
    assert "The options of 2 file(s) have been saved." in [
        str(m) for m in response.context["messages"]
    ]
    for upload in (one, two):
        upload.refresh_from_db()
        assert upload.max_views == 5
        assert upload.expires_at is not None
        left = upload.expires_at - timezone.now()
        assert timedelta(hours=23) < left <= timedelta(days=1)
    assert one.embed_title == "Kept title"

    logged_in.post(
        BULK,
        {
            "action": "options",
            "names": [one.name],
            "confirm": "1",
            "expires": "never",
            "views": "unlimited",
        },
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.expires_at is None and one.max_views is None
    assert two.max_views == 5  # not selected, not changed


def test_bulk_remove_password(logged_in: Client, owner: User) -> None:
    locked = stored(owner, "locked.txt", password="open sesame")
    logged_in.post(
        BULK,
        {
            "action": "options",
            "names": [locked.name],
            "confirm": "1",
            "expires": "keep",
            "views": "keep",
            "remove_password": "on",
        },
    )
    locked.refresh_from_db()
    assert not locked.has_password


def test_bulk_options_report_each_file_that_refuses_and_change_the_others(
    logged_in: Client, owner: User
) -> None:
    viewed = stored(owner, "viewed.txt", max_views=50)
    Upload.objects.filter(pk=viewed.pk).update(view_count=7)
    fresh = stored(owner, "fresh.txt")
    response = logged_in.post(
        BULK,
        {
            "action": "options",
            "names": [viewed.name, fresh.name],
            "confirm": "1",
            "expires": "keep",
            "views": "limit",
            "max_views": "3",
        },
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert "The options of 1 file(s) have been saved." in shown
    assert any(m.startswith(f"{viewed.name}: This file has been viewed 7 times") for m in shown)
    viewed.refresh_from_db()
    fresh.refresh_from_db()
    assert viewed.max_views == 50 and fresh.max_views == 3


def test_bulk_options_form_errors_come_back_and_change_nothing(
    logged_in: Client, owner: User
) -> None:
    upload = stored(owner, "a.txt")
    response = logged_in.post(
        BULK,
        {
            "action": "options",
            "names": [upload.name],
            "confirm": "1",
            "expires": "keep",
            "views": "limit",
            "max_views": "0",
        },
    )
    assert response.status_code == 200
    assert b"Maximum views must be a whole number" in response.content
    upload.refresh_from_db()
    assert upload.max_views is None


def test_bulk_options_ignore_other_users_files(
    logged_in: Client, owner: User, other_user: User
) -> None:
    mine = stored(owner, "mine.txt")
    theirs = stored(other_user, "theirs.txt", password="their secret")
    logged_in.post(
        BULK,
        {
            "action": "options",
            "names": [mine.name, theirs.name],
            "confirm": "1",
            "expires": "never",
            "views": "limit",
            "max_views": "4",
            "remove_password": "on",
        },
    )
    theirs.refresh_from_db()
    assert theirs.has_password and theirs.max_views is None
    mine.refresh_from_db()
    assert mine.max_views == 4


def test_deleting_from_the_library_leaves_no_thumbnail(logged_in: Client, owner: User) -> None:
    picture = stored(owner, "cat.png", png_bytes())
    logged_in.get(f"/dashboard/files/{picture.name}/thumb.webp")
    assert len(storage_names()) == 1  # _thumbs/ is a folder
    logged_in.post(BULK, {"action": "delete", "names": [picture.name], "confirm": "1"})
    assert not Upload.objects.exists()
    from django.core.files.storage import storages

    assert storages["uploads"].listdir(services.THUMBNAIL_DIR)[1] == []
