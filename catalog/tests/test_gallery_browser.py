"""The gallery and the copy button in a real headless Chromium (Debian's, no download)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from catalog.services import character_get_or_create
from catalog.tests.factories import ingest_image

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context()
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def test_gallery_thumbnails_load_and_copy_button_copies_the_api_url(
    live_server, transactional_db, browser_page
) -> None:
    miku = character_get_or_create(name="Hatsune Miku")
    image = ingest_image(characters=[miku])
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    page.goto(f"{live_server.url}/")
    thumb = page.locator(".gallery-grid img").first
    thumb.wait_for()
    # The thumbnail really decoded (a broken image has naturalWidth 0).
    page.wait_for_function(
        "() => document.querySelector('.gallery-grid img').naturalWidth > 0", timeout=10_000
    )
    assert thumb.get_attribute("alt") == "Hatsune Miku"

    page.locator(".gallery-grid a").first.click()
    page.wait_for_url(f"**/image/{image.pk}/")
    page.get_by_role("button", name="Copy").click()
    page.wait_for_function(
        "() => document.querySelector('.copy-status').textContent.length > 0", timeout=5_000
    )
    assert page.locator(".copy-status").text_content() == "Copied."
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.url}/api/v1/image/{image.pk}"
