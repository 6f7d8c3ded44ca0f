"""The gallery and the copy button in a real headless Chromium (Debian's, no download)."""

from __future__ import annotations

from catalog.services import character_get_or_create
from catalog.tests.factories import ingest_image


def test_gallery_thumbnails_load_and_copy_button_copies_the_api_url(
    live_server, transactional_db, page
) -> None:
    miku = character_get_or_create(name="Hatsune Miku")
    image = ingest_image(characters=[miku])
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
