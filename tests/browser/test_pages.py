"""Pages set up through the ORM, in a real headless Chromium on pytest-django's live_server.

User journeys (sign up, uploads, tokens, applications, the admin) run on the real server in
tests/browser/test_journeys.py. Each test saves desktop and phone screenshots with `shoot`
(under $SCREENSHOT_DIR when set). The `page` fixture fails the test if any request leaves the
live server (no CDN).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PillowImage

from catalog.models import Image
from catalog.services import image_thumbnail_ensure
from catalog.tests.factories import make_category, make_image

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
