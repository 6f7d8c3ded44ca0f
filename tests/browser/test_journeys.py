"""Issue 7: what a visitor, an uploader and a developer do, in a real headless Chromium.

Each test saves desktop and phone screenshots with `shoot` (under $SCREENSHOT_DIR when set).
The `page` fixture fails the test if any request leaves the live server (no CDN).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PillowImage
from playwright.sync_api import Error as PlaywrightError

from accounts.models import ApiApplication, User
from catalog.models import Image
from catalog.services import image_thumbnail_ensure
from catalog.tests.factories import make_category, make_image
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long passphrase 42"


@pytest.fixture(autouse=True)
def _urls_on_the_live_server(live_server: Any, settings: Any, tmp_path: Path) -> None:
    """Absolute links (upload URLs, API examples) must point at the test server."""
    settings.SITE_URL = live_server.url
    settings.UPLOAD_BASE_URL = f"{live_server.url}/u/"
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    # Argon2 is deliberately slow; these tests are about the pages, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _thumbnails_made_beforehand() -> None:
    """Make the thumbnails now: the live server's threads would otherwise all write them at once
    into the test run's shared-cache in-memory SQLite, which answers "table is locked" at once
    (a file database waits for the lock instead)."""
    for image in Image.objects.all():
        image_thumbnail_ensure(image=image)


def png(path: Path, size: tuple[int, int], color: str) -> Path:
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")


def test_sign_up_log_in_upload_two_files_copy_a_link_and_delete_one(
    page: Any, live_server: Any, shoot: Any, tmp_path: Path
) -> None:
    # Sign up: the account is created and the visitor lands on the dashboard, logged in.
    page.goto("/accounts/signup/")
    shoot(page, "journey-01-signup")
    page.fill("#id_username", "moptop")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert "Welcome, moptop! Your account is ready." in page.inner_text(".messages")

    # Log out (a POST from the navigation), then log in again through the form.
    page.click("button.nav-logout")
    page.wait_for_load_state()
    assert page.locator("a[href='/accounts/login/']").first.is_visible()
    log_in(page, "moptop")
    shoot(page, "journey-02-dashboard")

    # Upload two files at once: one progress bar per file, both reach 100 %.
    page.click("nav[aria-label=Dashboard] >> text=My files")
    page.wait_for_url("**/dashboard/files/")
    cat = png(tmp_path / "cat.png", (120, 80), "orange")
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: tuna\n")
    page.set_input_files("#id_files", [str(cat), str(notes)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-progress li.success >> nth=1")
    rows = page.locator("#upload-progress li")
    assert rows.count() == 2
    assert page.eval_on_selector_all(
        "#upload-progress progress", "bars => bars.map(bar => bar.value)"
    ) == [100, 100]
    assert page.locator("#upload-progress li.error").count() == 0
    shoot(page, "journey-03-uploaded")
    owner = User.objects.get(username="moptop")
    names = set(Upload.objects.filter(owner=owner).values_list("name", flat=True))
    assert len(names) == 2

    # The list shows both; "Copy link" puts the public URL on the clipboard, and it opens.
    page.click("#upload-refresh a")
    page.wait_for_load_state()
    assert page.locator("table.files-table tbody tr").count() == 2
    picture = Upload.objects.get(owner=owner, original_name="cat.png")
    row = page.locator("tr", has=page.locator(f"a:text-is('{picture.name}')"))
    row.locator("button.js-copy").click()
    page.wait_for_selector("button.js-copy:text('Copied!')")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == f"{live_server.url}/u/{picture.name}"
    response = page.goto(link)
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert page.evaluate("document.images[0].naturalWidth") == 120

    # Delete with confirmation: dismissing keeps the file, accepting deletes it.
    page.goto("/dashboard/files/")
    row = page.locator("tr", has=page.locator(f"a:text-is('{picture.name}')"))
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.locator("button[type=submit]").click()
    assert questions == [f"Delete {picture.name}?"]
    assert Upload.objects.filter(pk=picture.pk).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert f"{picture.name} has been deleted." in page.inner_text(".messages")
    assert not Upload.objects.filter(pk=picture.pk).exists()
    assert page.locator("table.files-table tbody tr").count() == 1
    shoot(page, "journey-04-deleted")
    # (asked past the browser cache, which may keep a copy of what it showed a moment ago)
    assert page.request.get(link).status == 404


def test_gallery_filters_by_category_and_pages_through_results(page: Any, shoot: Any) -> None:
    maid, sky = make_category(name="Maid"), make_category(name="Night Sky")
    for _ in range(26):
        make_image(categories=[maid], width=40, height=30)
    for _ in range(3):
        make_image(categories=[sky], width=30, height=40)
    _thumbnails_made_beforehand()

    page.goto("/")
    assert "29 images" in page.inner_text(".result-count")
    assert page.locator(".gallery-grid li").count() == 24
    assert page.inner_text(".pagination [aria-current=page]") == "Page 1 of 2"
    shoot(page, "gallery-page-1")

    page.click(".pagination a[rel=next]")
    page.wait_for_url("**/?page=2")
    assert page.locator(".gallery-grid li").count() == 5
    assert page.inner_text(".pagination [aria-current=page]") == "Page 2 of 2"

    page.select_option("#id_category", label="Night Sky")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state()
    assert "3 images" in page.inner_text(".result-count")
    assert page.locator(".gallery-grid li").count() == 3
    assert page.locator(".pagination").count() == 0
    # Every thumbnail decoded and describes itself.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gallery-grid img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    assert all(page.eval_on_selector_all(".gallery-grid img", "imgs => imgs.map(i => i.alt)"))
    shoot(page, "gallery-filtered")

    page.fill("#id_q", "nobody-has-this-name")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state()
    assert "No image matches these filters" in page.inner_text("main")
    shoot(page, "gallery-empty")


def test_request_an_api_application_from_the_dashboard(page: Any, shoot: Any) -> None:
    User.objects.create_user(username="alice", password=PASSWORD)
    log_in(page, "alice")
    assert "No applications yet." in page.inner_text("main")
    page.click("main >> text=Request an API token")
    page.wait_for_url("**/dashboard/applications/new/")
    shoot(page, "application-form")

    page.click("main button[type=submit]")  # empty form: errors next to the fields
    assert page.locator("#id_name[aria-invalid=true]").count() == 1
    assert page.locator("#id_name_error").is_visible()

    page.fill("#id_name", "Kaguya bot")
    page.fill("#id_purpose", "Posts a random catgirl in our Discord server.")
    page.check("input[value='image:list']")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/applications/*/")
    application = ApiApplication.objects.get(user__username="alice")
    assert application.status == "pending"
    assert application.requested_scopes == ["image:list"]
    assert "Staff have not decided yet." in page.inner_text("main")
    shoot(page, "application-pending")

    page.goto("/dashboard/applications/")
    assert page.inner_text("table .status") == "Pending"
    shoot(page, "application-list")


def test_an_uploaded_html_file_is_downloaded_and_its_script_never_runs(
    page: Any, live_server: Any, shoot: Any, tmp_path: Path
) -> None:
    User.objects.create_user(username="mallory", password=PASSWORD)
    log_in(page, "mallory")
    evil = tmp_path / "evil.html"
    evil.write_text(
        "<!doctype html><title>evil</title><script>"
        "document.title = 'pwned'; window.name = 'pwned'; alert('pwned');"
        "</script><p>hello</p>"
    )
    page.goto("/dashboard/files/")
    page.set_input_files("#id_files", [str(evil)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-progress li.success")
    upload = Upload.objects.get(owner__username="mallory")
    url = f"{live_server.url}/u/{upload.name}"

    # The server says: a download, of opaque bytes, that may not run scripts if rendered anyway.
    answer = page.request.get(url)
    assert answer.status == 200
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]

    page.reload()  # the list below the upload form now shows the file
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.evaluate("window.name = 'before'")
    title = page.title()

    # Following the link from the file list downloads the file instead of showing it.
    with page.expect_download() as download_info:
        page.click(f"table a:text-is('{upload.name}')")
    download = download_info.value
    assert download.suggested_filename.endswith(".html")
    assert Path(download.path()).read_bytes() == evil.read_bytes()

    # Typing the URL in the address bar: again a download, never a page.
    with page.expect_download():
        try:
            page.goto(url)
        except PlaywrightError as error:  # Chromium aborts the navigation for a download
            assert "Download is starting" in str(error) or "ERR_ABORTED" in str(error)
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.title() == title != "pwned"
    assert page.evaluate("window.name") == "before"
    assert page.url.endswith("/dashboard/files/")
    shoot(page, "html-upload-downloaded")


def test_phone_menu_collapses_and_opens_and_links_stay_without_javascript(
    page: Any, browser: Any, live_server: Any, shoot: Any
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/stats/")
    toggle = page.locator("button.nav-toggle")
    links = page.locator("#nav-links")
    assert toggle.is_visible() and not links.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert links.is_visible()
    assert page.locator("#nav-links a[aria-current=page]").inner_text() == "Stats"
    shoot(page, "nav-phone-open")  # the menu stays open at phone width
    page.set_viewport_size({"width": 390, "height": 844})
    page.keyboard.press("Escape")
    assert not links.is_visible()

    # Without JavaScript there is no menu button and every link is shown.
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    plain = context.new_page()
    plain.goto("/stats/")
    assert not plain.locator("button.nav-toggle").is_visible()
    assert plain.locator("#nav-links a[href='/accounts/login/']").is_visible()
    assert plain.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_files_page_works_without_javascript(
    browser: Any, live_server: Any, shoot: Any, tmp_path: Path
) -> None:
    User.objects.create_user(username="plain", password=PASSWORD)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    log_in(page, "plain")
    page.goto("/dashboard/files/")
    # Script-only controls stay out of the way; the plain form posts the files itself.
    assert page.locator("button.nav-toggle").is_hidden()
    page.set_input_files("#id_files", [str(png(tmp_path / "a.png", (30, 30), "teal"))])
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("table.files-table tbody tr").count() == 1
    assert page.locator("button.js-copy:visible").count() == 0
    assert Upload.objects.filter(owner__username="plain").count() == 1
    shoot(page, "files-without-javascript")
    context.close()
