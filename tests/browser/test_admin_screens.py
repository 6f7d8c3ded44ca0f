"""Screenshots of the moderation screens: the image changelist with thumbnails, and the upload
search by exact file name (the DMCA question "who uploaded this file?")."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PillowImage

from accounts.models import User
from catalog.models import Image
from catalog.services import image_thumbnail_ensure
from catalog.tests.factories import make_category, make_image
from uploads.models import Upload
from uploads.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long passphrase 42"


@pytest.fixture
def superuser(settings: Any, tmp_path: Path) -> User:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    return User.objects.create_superuser(username="boss", password=PASSWORD)


def _thumbnails_made_beforehand() -> None:
    """Make the thumbnails now: the live server's threads would otherwise all write them at once
    into the test run's shared-cache in-memory SQLite, which answers "table is locked" at once
    (a file database waits for the lock instead)."""
    for image in Image.objects.all():
        image_thumbnail_ensure(image=image)


def admin_log_in(page: Any) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def test_admin_image_changelist_shows_thumbnails(page: Any, superuser: User, shoot: Any) -> None:
    maid = make_category(name="Maid")
    for index in range(6):
        make_image(categories=[maid], width=60 + index * 10, height=40, nsfw="sfw")
    make_image(nsfw="questionable", width=40, height=60)
    _thumbnails_made_beforehand()
    admin_log_in(page)
    page.goto("/admin/catalog/image/")
    assert page.locator("#result_list tbody tr").count() == 7
    thumbs = page.locator("#result_list tbody img")
    assert thumbs.count() == 7
    for index in range(7):
        thumbs.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#result_list tbody img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    shoot(page, "admin-images")


def test_admin_upload_search_by_exact_file_name_finds_the_owner(
    page: Any, superuser: User, shoot: Any
) -> None:
    names = []
    for username in ("alice", "bob"):
        owner = User.objects.create_user(username=username, password=PASSWORD)
        for index in range(2):
            data = f"{username} file {index}\n".encode()
            upload = upload_create(
                owner=owner, file=io.BytesIO(data), client_name="notes.txt", size=len(data)
            )
            names.append((upload.name, username))
    wanted, owner_name = names[2]
    admin_log_in(page)
    page.goto("/admin/uploads/upload/")
    assert page.locator("#result_list tbody tr").count() == 4
    page.fill("#searchbar", wanted)
    page.press("#searchbar", "Enter")
    page.wait_for_url(f"**/admin/uploads/upload/?q={wanted}")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert wanted in rows.first.inner_text() and owner_name in rows.first.inner_text()
    shoot(page, "admin-upload-search")

    # A prefix of a name is not a match: the search is exact, as seed 004's admin list is.
    page.goto(f"/admin/uploads/upload/?q={wanted[:4]}")
    assert page.locator("#result_list tbody tr").count() == 0
    assert Upload.objects.count() == 4


NO_OVERFLOW = """() => {
  const table = document.querySelector('#result_list');
  const box = document.querySelector('#changelist .results');
  const cut = [...table.querySelectorAll('td, th')].filter(c => c.scrollWidth > c.clientWidth + 1);
  // An id on more than one line has one client rect per line.
  const tall = [...table.querySelectorAll('td.field-short_id span')]
    .filter(s => s.getClientRects().length > 1);
  return {page: document.documentElement.scrollWidth, window: window.innerWidth,
          table: table.scrollWidth, box: box.clientWidth, cut: cut.map(c => c.className),
          tall: tall.length};
}"""


def test_admin_image_list_fits_1366_pixels_and_says_nekosite(page: Any, superuser: User) -> None:
    """Issue 22: "the header says nekosite ... no column overflow at 1366 px (the image list cuts
    the size column and wraps the UUID onto four lines)"."""
    categories = [make_category(name=f"Category number {i}") for i in range(3)]
    for index in range(5):
        make_image(categories=categories, width=4000 + index, height=3000, nsfw="questionable")
    _thumbnails_made_beforehand()
    page.set_viewport_size({"width": 1366, "height": 768})
    admin_log_in(page)
    assert page.inner_text("#site-name") == "nekosite administration"
    assert "nekosite administration" in page.title()
    page.goto("/admin/catalog/image/")
    found = page.evaluate(NO_OVERFLOW)
    assert found["page"] <= found["window"], found
    assert found["table"] <= found["box"], found
    assert found["cut"] == [] and found["tall"] == 0, found
    first = page.locator("#result_list tbody td.field-short_id span").first
    assert len(first.inner_text()) == 8 and len(first.get_attribute("title") or "") == 36
    page.goto("/admin/")
    assert "API applications" in page.inner_text("#content-main")


def test_admin_upload_list_shows_thumbnails_of_images(page: Any, superuser: User) -> None:
    owner = User.objects.create_user(username="alice", password=PASSWORD)
    buffer = io.BytesIO()
    PillowImage.new("RGB", (300, 200), "teal").save(buffer, format="PNG")
    data = buffer.getvalue()
    upload_create(owner=owner, file=io.BytesIO(data), client_name="cat.png", size=len(data))
    upload_create(owner=owner, file=io.BytesIO(b"notes\n"), client_name="a.txt", size=6)
    admin_log_in(page)
    page.goto("/admin/uploads/upload/")
    thumbs = page.locator("#result_list tbody img.admin-thumb")
    assert thumbs.count() == 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('#result_list tbody img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    assert page.locator("#result_list tbody tr").count() == 2
