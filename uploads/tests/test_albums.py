"""Albums (issue #21): services, the owner's pages, "Add to album" from the library, and the
public page at /a/<slug>/ that "honours each file's options (password, expiry)"."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from tests.responses import streamed_body
from uploads import selectors, services
from uploads.errors import InvalidInput
from uploads.models import Album, AlbumItem, Upload
from uploads.tests.conftest import png_bytes, stored

pytestmark = pytest.mark.django_db

ALBUMS = "/dashboard/files/albums/"


def names_in(album: Album) -> list[str]:
    return [item.upload.name for item in selectors.album_items(album=album)]


def public_url(album: Album) -> str:
    return f"/a/{album.slug}/"


# --- services ---------------------------------------------------------------------------------
def test_album_create_has_an_unguessable_slug_and_is_private(owner: User) -> None:
    album = services.album_create(owner=owner, title="  Cats   of 2024 ", description=" x ")
    other = services.album_create(owner=owner, title="Dogs")
    assert album.title == "Cats of 2024" and album.description == "x"
    assert not album.is_public
    assert len(album.slug) == 12 and album.slug != other.slug


def test_album_create_refuses_an_empty_or_long_title(owner: User) -> None:
    with pytest.raises(InvalidInput):
        services.album_create(owner=owner, title="   ")
    with pytest.raises(InvalidInput):
        services.album_create(owner=owner, title="x" * 101)
    assert not Album.objects.exists()


def test_album_update_renames_and_shares(owner: User) -> None:
    album = services.album_create(owner=owner, title="Old")
    services.album_update(album=album, title="New", description="d", is_public=True)
    album.refresh_from_db()
    assert (album.title, album.description, album.is_public) == ("New", "d", True)


def test_album_add_keeps_order_skips_duplicates_and_other_users_files(
    owner: User, other_user: User
) -> None:
    album = services.album_create(owner=owner, title="A")
    a, b, c = (stored(owner, f"{n}.txt") for n in "abc")
    theirs = stored(other_user, "theirs.txt")
    assert services.album_add_uploads(album=album, uploads=[b, a]) == 2
    assert services.album_add_uploads(album=album, uploads=[a, theirs, c]) == 1
    assert names_in(album) == [b.name, a.name, c.name]


def test_album_remove_and_move(owner: User) -> None:
    album = services.album_create(owner=owner, title="A")
    a, b, c = (stored(owner, f"{n}.txt") for n in "abc")
    services.album_add_uploads(album=album, uploads=[a, b, c])
    assert services.album_move(album=album, upload=c, offset=-1)
    assert names_in(album) == [a.name, c.name, b.name]
    assert not services.album_move(album=album, upload=a, offset=-1)  # already first
    assert services.album_remove_uploads(album=album, uploads=[c]) == 1
    assert names_in(album) == [a.name, b.name]
    assert Upload.objects.filter(pk=c.pk).exists()  # the file stays


def test_album_delete_keeps_the_files(owner: User) -> None:
    album = services.album_create(owner=owner, title="A")
    upload = stored(owner, "a.txt")
    services.album_add_uploads(album=album, uploads=[upload])
    services.album_delete(album=album)
    assert not Album.objects.exists() and not AlbumItem.objects.exists()
    assert Upload.objects.filter(pk=upload.pk).exists()


def test_deleting_a_file_removes_it_from_every_album(owner: User) -> None:
    upload = stored(owner, "a.txt")
    albums = [services.album_create(owner=owner, title=t) for t in ("A", "B")]
    for album in albums:
        services.album_add_uploads(album=album, uploads=[upload])
    services.upload_delete(upload=upload)
    assert not AlbumItem.objects.exists()


def test_rotating_the_slug_ends_the_old_link(client: Client, owner: User) -> None:
    album = services.album_create(owner=owner, title="A", is_public=True)
    old = public_url(album)
    assert client.get(old).status_code == 200
    services.album_rotate_slug(album=album)
    assert client.get(old).status_code == 404
    assert client.get(public_url(album)).status_code == 200


# --- the owner's pages ------------------------------------------------------------------------
def test_albums_page_lists_mine_with_counts_and_creates_one(
    logged_in: Client, owner: User, other_user: User
) -> None:
    mine = services.album_create(owner=owner, title="Mine")
    services.album_add_uploads(album=mine, uploads=[stored(owner, "a.txt")])
    services.album_create(owner=other_user, title="Theirs")
    page = logged_in.get(ALBUMS)
    assert b"Mine" in page.content and b"Theirs" not in page.content
    assert b"1 file" in page.content
    created = logged_in.post(ALBUMS, {"title": "Holiday", "description": "", "is_public": "on"})
    album = Album.objects.get(title="Holiday")
    assert created["Location"] == f"{ALBUMS}{album.pk}/"
    assert album.owner == owner and album.is_public
    refused = logged_in.post(ALBUMS, {"title": ""})
    assert refused.status_code == 200 and Album.objects.filter(owner=owner).count() == 2


def test_album_page_shows_files_and_share_link_and_saves_details(
    logged_in: Client, owner: User, settings: Any
) -> None:
    album = services.album_create(owner=owner, title="A")
    upload = stored(owner, "a.txt")
    services.album_add_uploads(album=album, uploads=[upload])
    page = logged_in.get(f"{ALBUMS}{album.pk}/")
    assert upload.name.encode() in page.content
    assert b"Private: only you see it." in page.content
    assert album.slug.encode() not in page.content  # no link while private
    logged_in.post(f"{ALBUMS}{album.pk}/", {"title": "B", "description": "d", "is_public": "on"})
    page = logged_in.get(f"{ALBUMS}{album.pk}/")
    assert f"{settings.SITE_URL}/a/{album.slug}/".encode() in page.content
    assert "no-store" in page["Cache-Control"]  # the link is a capability, like a token


def test_album_pages_of_another_user_are_404(
    logged_in: Client, owner: User, other_user: User
) -> None:
    theirs = services.album_create(owner=other_user, title="Theirs", is_public=True)
    upload = stored(other_user, "t.txt")
    services.album_add_uploads(album=theirs, uploads=[upload])
    slug = theirs.slug
    base = f"{ALBUMS}{theirs.pk}/"
    assert logged_in.get(base).status_code == 404
    assert logged_in.post(base, {"title": "Mine now", "is_public": ""}).status_code == 404
    assert logged_in.post(f"{base}remove/", {"names": [upload.name]}).status_code == 404
    assert (
        logged_in.post(f"{base}move/", {"name": upload.name, "direction": "up"}).status_code == 404
    )
    assert logged_in.post(f"{base}rotate/").status_code == 404
    assert logged_in.get(f"{base}delete/").status_code == 404
    assert logged_in.post(f"{base}delete/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Theirs" and theirs.slug == slug and names_in(theirs) == [upload.name]


def test_album_pages_need_login(client: Client, owner: User) -> None:
    album = services.album_create(owner=owner, title="A")
    for url in (ALBUMS, f"{ALBUMS}{album.pk}/", f"{ALBUMS}{album.pk}/delete/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_remove_selected_files_from_the_album(logged_in: Client, owner: User) -> None:
    album = services.album_create(owner=owner, title="A")
    a, b = stored(owner, "a.txt"), stored(owner, "b.txt")
    services.album_add_uploads(album=album, uploads=[a, b])
    logged_in.post(f"{ALBUMS}{album.pk}/remove/", {"names": [a.name]})
    assert names_in(album) == [b.name]


def test_move_rotate_and_delete_from_the_album_page(logged_in: Client, owner: User) -> None:
    album = services.album_create(owner=owner, title="A", is_public=True)
    a, b = stored(owner, "a.txt"), stored(owner, "b.txt")
    services.album_add_uploads(album=album, uploads=[a, b])
    logged_in.post(f"{ALBUMS}{album.pk}/move/", {"name": b.name, "direction": "up"})
    assert names_in(album) == [b.name, a.name]
    old = album.slug
    logged_in.post(f"{ALBUMS}{album.pk}/rotate/")
    album.refresh_from_db()
    assert album.slug != old
    asked = logged_in.get(f"{ALBUMS}{album.pk}/delete/")
    assert b"Delete the album" in asked.content and Album.objects.exists()
    assert logged_in.post(f"{ALBUMS}{album.pk}/delete/")["Location"] == ALBUMS
    assert not Album.objects.exists() and Upload.objects.count() == 2


def test_add_to_album_from_the_library(logged_in: Client, owner: User, other_user: User) -> None:
    album = services.album_create(owner=owner, title="Existing")
    theirs_album = services.album_create(owner=other_user, title="Theirs")
    a, b = stored(owner, "a.txt"), stored(owner, "b.txt")
    theirs = stored(other_user, "t.txt")
    bulk = "/dashboard/files/bulk/"
    asked = logged_in.post(bulk, {"action": "album", "names": [a.name, theirs.name]})
    assert b"Existing" in asked.content and b"Theirs" not in asked.content
    done = logged_in.post(
        bulk,
        {"action": "album", "names": [a.name, theirs.name], "confirm": "1", "album": album.pk},
    )
    assert done["Location"] == f"{ALBUMS}{album.pk}/"
    assert names_in(album) == [a.name]
    # Another user's album cannot be chosen.
    refused = logged_in.post(
        bulk, {"action": "album", "names": [b.name], "confirm": "1", "album": theirs_album.pk}
    )
    assert refused.status_code == 200 and names_in(theirs_album) == []
    # A new album made on the way.
    logged_in.post(
        bulk, {"action": "album", "names": [b.name], "confirm": "1", "new_title": "Fresh"}
    )
    assert names_in(Album.objects.get(title="Fresh", owner=owner)) == [b.name]
    empty = logged_in.post(bulk, {"action": "album", "names": [b.name], "confirm": "1"})
    assert b"Choose an album, or give the new one a title." in empty.content


# --- the public page --------------------------------------------------------------------------
@pytest.fixture
def shared(owner: User) -> dict[str, Any]:
    """A shared album with one file of each kind the public page treats differently."""
    album = services.album_create(owner=owner, title="Shared cats", is_public=True)
    files = {
        "plain": stored(owner, "plain.png", png_bytes(color="blue")),
        "text": stored(owner, "notes.txt", b"notes"),
        "locked": stored(owner, "locked.png", png_bytes(), password="open sesame"),
        "counted": stored(owner, "counted.png", png_bytes(color="green"), max_views=2),
        "expired": stored(owner, "expired.txt", expires_in=timedelta(hours=1)),
        "used_up": stored(owner, "used.txt", max_views=1),
    }
    Upload.objects.filter(pk=files["expired"].pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    Upload.objects.filter(pk=files["used_up"].pk).update(view_count=1)
    services.album_add_uploads(album=album, uploads=list(files.values()))
    return {"album": album, **files}


def test_public_page_shows_available_files_with_thumbnails_and_links(
    client: Client, shared: dict[str, Any], settings: Any
) -> None:
    response = client.get(public_url(shared["album"]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert "Shared cats" in page
    for key in ("plain", "text", "counted"):
        assert f'href="{settings.UPLOAD_BASE_URL}{shared[key].name}"' in page
    assert f"/a/{shared['album'].slug}/{shared['plain'].name}.webp" in page
    assert "file-icon-text" in page


def test_public_page_leaves_out_expired_and_used_up_files(
    client: Client, shared: dict[str, Any]
) -> None:
    page = client.get(public_url(shared["album"])).content.decode()
    assert shared["expired"].name not in page and shared["used_up"].name not in page


def test_public_page_shows_a_password_protected_file_locked(
    client: Client, shared: dict[str, Any], settings: Any
) -> None:
    page = client.get(public_url(shared["album"])).content.decode()
    locked = shared["locked"].name
    assert f'href="{settings.UPLOAD_BASE_URL}{locked}"' in page  # the password page
    assert f"{locked}.webp" not in page and "Password-protected" in page
    assert "locked.png" not in page  # not even its original name
    thumb = client.get(f"/a/{shared['album'].slug}/{locked}.webp")
    assert thumb.status_code == 404


def test_public_page_takes_no_view_from_a_file_with_a_view_limit(
    client: Client, shared: dict[str, Any]
) -> None:
    counted, album = shared["counted"], shared["album"]
    page = client.get(public_url(album)).content.decode()
    # No <img> of the file itself: only stored thumbnails, separate objects.
    sources = re.findall(r'<img[^>]* src="([^"]+)"', page)
    assert f"/a/{album.slug}/{counted.name}.webp" in sources
    assert all(source.startswith(f"/a/{album.slug}/") for source in sources)
    thumb = client.get(f"/a/{album.slug}/{counted.name}.webp")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    assert streamed_body(thumb)
    counted.refresh_from_db()
    assert counted.view_count == 0


def test_public_thumbnail_only_for_files_of_that_shared_album(
    client: Client, shared: dict[str, Any], owner: User
) -> None:
    album = shared["album"]
    outside = stored(owner, "outside.png", png_bytes())
    assert client.get(f"/a/{album.slug}/{outside.name}.webp").status_code == 404
    assert client.get(f"/a/{album.slug}/{shared['expired'].name}.webp").status_code == 404
    assert client.get(f"/a/{album.slug}/{shared['text'].name}.webp").status_code == 404
    assert client.get(f"/a/{album.slug}/{shared['plain'].name}.webp").status_code == 200
    services.album_update(album=album, title=album.title, description="", is_public=False)
    assert client.get(f"/a/{album.slug}/{shared['plain'].name}.webp").status_code == 404


def test_private_and_unknown_albums_are_404(client: Client, owner: User) -> None:
    album = services.album_create(owner=owner, title="Private")
    assert client.get(public_url(album)).status_code == 404
    assert client.get("/a/not-a-real-slug/").status_code == 404
    services.album_update(album=album, title="Private", description="", is_public=True)
    assert client.get(public_url(album)).status_code == 200


def test_public_page_follows_changes_to_the_files_at_once(
    client: Client, shared: dict[str, Any]
) -> None:
    plain = shared["plain"]
    services.upload_update_options(upload=plain, expires_at=None, max_views=None, password="pw12")
    page = client.get(public_url(shared["album"])).content.decode()
    assert f"{plain.name}.webp" not in page  # now locked
    services.upload_delete(upload=plain)
    assert plain.name not in client.get(public_url(shared["album"])).content.decode()


def test_public_page_costs_the_same_queries_for_many_files(
    client: Client, owner: User, django_assert_max_num_queries: Any
) -> None:
    album = services.album_create(owner=owner, title="Big", is_public=True)
    uploads = [stored(owner, f"{i}.txt") for i in range(30)]
    services.album_add_uploads(album=album, uploads=uploads)
    with django_assert_max_num_queries(3):
        assert client.get(public_url(album)).status_code == 200


def test_album_admin_lists_owner_and_count(owner: User, settings: Any) -> None:
    staff = User.objects.create_superuser(username="root", password="x")
    album = services.album_create(owner=owner, title="Adm")
    services.album_add_uploads(album=album, uploads=[stored(owner, "a.txt")])
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/uploads/album/").content.decode()
    assert "Adm" in page and owner.username in page and 'class="field-file_count">1<' in page
    assert client.get("/admin/uploads/album/add/").status_code == 403
    assert album.slug not in client.get(f"/admin/uploads/album/{album.pk}/change/").content.decode()
