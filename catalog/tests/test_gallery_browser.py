"""The gallery and the copy button in a real headless Chromium (Debian's, no download)."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from catalog.models import Image
from catalog.services import category_get_or_create, character_get_or_create
from catalog.tests.factories import image_bytes, ingest_image


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


def _tagged_images() -> dict[str, str]:
    """Three maid images a day apart and one other: ids by name."""
    maid = category_get_or_create(name="Maid")
    made = {}
    for days, name in ((3, "first"), (2, "second"), (1, "third")):
        image = ingest_image(categories=[maid], data=image_bytes("PNG", size=(300, 120)))
        Image.objects.filter(pk=image.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days)
        )
        made[name] = str(image.pk)
    made["other"] = str(ingest_image(characters=[character_get_or_create(name="Megumin")]).pk)
    return made


def _grid_order(page) -> list[str]:
    return page.eval_on_selector_all(
        ".gallery-grid img",
        "imgs => imgs.map(i => i.getAttribute('src').split('/').pop().replace('.webp', ''))",
    )


def test_autocomplete_with_the_keyboard_adds_a_chip_and_filters(
    live_server, transactional_db, page
) -> None:
    made = _tagged_images()
    page.goto(f"{live_server.url}/")
    search = page.get_by_role("combobox", name="Search names")
    search.press_sequentially("mai")
    listbox = page.get_by_role("listbox")
    listbox.wait_for()
    assert search.get_attribute("aria-expanded") == "true"
    option = page.get_by_role("option").first
    assert option.inner_text().replace("\n", " ").startswith("Maid")
    assert "category · 3" in option.inner_text()
    search.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    assert search.get_attribute("aria-activedescendant") == option.get_attribute("id")
    search.press("Enter")
    page.wait_for_url("**/?*category=*")
    assert page.locator(".filter-chip").inner_text().startswith("Category: Maid")
    assert sorted(_grid_order(page)) == sorted([made["first"], made["second"], made["third"]])

    # Escape closes the list without choosing anything.
    search = page.get_by_role("combobox", name="Search names")
    search.press_sequentially("meg")
    page.get_by_role("listbox").wait_for()
    search.press("Escape")
    assert page.get_by_role("listbox").is_hidden()
    assert search.get_attribute("aria-expanded") == "false"


def test_sort_changes_the_order(live_server, transactional_db, page) -> None:
    made = _tagged_images()
    page.goto(f"{live_server.url}/?show_nsfw=1")
    newest = _grid_order(page)
    assert newest[0] == made["other"] and newest[1:] == [
        made["third"],
        made["second"],
        made["first"],
    ]
    page.get_by_label("Sort").select_option("oldest")
    page.wait_for_url("**sort=oldest*")
    assert _grid_order(page) == newest[::-1]
    page.get_by_label("Sort").select_option("random")
    page.wait_for_url(re.compile(r"sort=random.*seed=\d+"))
    shuffled = _grid_order(page)
    assert sorted(shuffled) == sorted(newest)
    page.reload()
    assert _grid_order(page) == shuffled  # one shuffle per seed


def test_filters_fold_behind_a_button_on_a_phone(live_server, transactional_db, page) -> None:
    _tagged_images()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    toggle = page.get_by_role("button", name="Filters")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert page.locator("#gallery-filters").is_hidden()
    # The pictures come first on the screen.
    assert page.locator(".gallery-grid img").first.bounding_box()["y"] < 844
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#gallery-filters").is_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    assert toggle.is_hidden() and page.locator("#gallery-filters").is_visible()


def test_thumbnails_fill_their_tiles_without_letterboxing(
    live_server, transactional_db, page
) -> None:
    _tagged_images()  # 300 x 120 pictures: wide, letterboxed by object-fit: contain
    page.goto(f"{live_server.url}/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.gallery-grid img')].every(i => i.naturalWidth > 0)"
    )
    tiles = page.eval_on_selector_all(
        ".gallery-grid img",
        """imgs => imgs.map(i => ({fit: getComputedStyle(i).objectFit, w: i.clientWidth,
            h: i.clientHeight, nw: i.naturalWidth, nh: i.naturalHeight}))""",
    )
    for tile in tiles:
        assert tile["fit"] == "cover"
        assert abs(tile["w"] - tile["h"]) <= 1  # square tiles, whatever the picture's shape
    assert any(tile["nw"] != tile["nh"] for tile in tiles)  # wide pictures among them
