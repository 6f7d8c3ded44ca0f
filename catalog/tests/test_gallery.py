"""The public gallery (/), the image page (/image/<uuid>/) and thumbnails (/thumbs/<uuid>.webp)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Image, catalog_storage
from catalog.selectors import GalleryFilter, gallery_images
from catalog.services import artist_get_or_create, category_get_or_create, character_get_or_create
from catalog.tests.factories import image_bytes, ingest_image
from catalog.views import PAGE_SIZE
from tests.responses import streamed_body

pytestmark = pytest.mark.django_db


def _grid_ids(html: str) -> set[str]:
    return set(re.findall(r'src="/thumbs/([0-9a-f-]{36})\.webp"', html))


@pytest.fixture
def catalog() -> dict[str, Image]:
    catgirl = category_get_or_create(name="Catgirl")
    maid = category_get_or_create(name="Maid")
    rem = character_get_or_create(name="Rem")
    kaguya = character_get_or_create(name="Kaguya Shinomiya")
    kuroneko = artist_get_or_create(name="Kuroneko Studio")
    mochi = artist_get_or_create(name="mochi-mochi")
    return {
        "rem_maid": ingest_image(characters=[rem], categories=[maid], artist=kuroneko),
        "kaguya_cat": ingest_image(characters=[kaguya], categories=[catgirl], artist=mochi),
        "plain": ingest_image(source_name="Pixiv", source_url="https://example.com/p/1"),
        "questionable": ingest_image(characters=[rem], nsfw="questionable", artist=kuroneko),
        "nsfw": ingest_image(categories=[catgirl], nsfw="nsfw"),
    }


def _ids(*images: Image) -> set[str]:
    return {str(i.pk) for i in images}


def test_gallery_shows_thumbnails_of_safe_images_only(client: Client, catalog) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _grid_ids(html) == _ids(catalog["rem_maid"], catalog["kaguya_cat"], catalog["plain"])
    # Thumbnails, never full images scaled down by the browser.
    assert "/assets/" not in html
    assert "questionable and NSFW images are hidden" in html


def test_questionable_and_nsfw_need_the_opt_in(client: Client, catalog) -> None:
    html = client.get("/", {"show_nsfw": "on"}).content.decode()
    assert _grid_ids(html) == _ids(*catalog.values())
    assert "hidden" not in html.split("result-count", 1)[1].split("</p>", 1)[0]


def test_rating_filter_without_opt_in_never_reveals_nsfw(client: Client, catalog) -> None:
    html = client.get("/", {"rating": "nsfw"}).content.decode()
    assert _grid_ids(html) == set()
    html = client.get("/", {"rating": "nsfw", "show_nsfw": "1"}).content.decode()
    assert _grid_ids(html) == _ids(catalog["nsfw"])


def test_filter_by_category_character_and_artist(client: Client, catalog) -> None:
    maid = category_get_or_create(name="Maid")
    rem = character_get_or_create(name="Rem")
    mochi = artist_get_or_create(name="mochi-mochi")
    assert _grid_ids(client.get("/", {"category": str(maid.pk)}).content.decode()) == _ids(
        catalog["rem_maid"]
    )
    assert _grid_ids(
        client.get("/", {"character": str(rem.pk), "show_nsfw": "1"}).content.decode()
    ) == _ids(catalog["rem_maid"], catalog["questionable"])
    assert _grid_ids(client.get("/", {"artist": str(mochi.pk)}).content.decode()) == _ids(
        catalog["kaguya_cat"]
    )


def test_filters_combine(client: Client, catalog) -> None:
    rem = character_get_or_create(name="Rem")
    html = client.get(
        "/", {"character": str(rem.pk), "rating": "questionable", "show_nsfw": "1"}
    ).content.decode()
    assert _grid_ids(html) == _ids(catalog["questionable"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rem", {"rem_maid"}),  # character name, case-insensitive
        ("SHINOMIYA", {"kaguya_cat"}),  # part of a multi-word name
        ("kuroneko", {"rem_maid"}),  # artist name
        ("catgirl", {"kaguya_cat"}),  # category name
        ("pixiv", {"plain"}),  # source name
        ("nobody at all", set()),
    ],
)
def test_search_box_matches_names(client: Client, catalog, text: str, expected: set) -> None:
    html = client.get("/", {"q": text}).content.decode()
    assert _grid_ids(html) == {str(catalog[k].pk) for k in expected}


def test_search_text_is_a_literal_substring_through_the_selector(catalog) -> None:
    assert gallery_images(f=GalleryFilter(text="IXI")).count() == 1
    assert gallery_images(f=GalleryFilter(text="   ")).count() == 3  # the safe images


def test_search_text_longer_than_50_characters_shows_the_error_and_no_results(
    client: Client, catalog
) -> None:
    # Issue #22: a search that cannot be run must not fall back to every image.
    response = client.get("/", {"q": "x" * 51})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The search could not be run" in html
    assert _grid_ids(html) == set()


def test_invalid_filter_values_are_reported_not_500(client: Client, catalog) -> None:
    response = client.get(
        "/", {"category": "not-a-uuid", "artist": str(uuid.uuid4()), "rating": "x", "page": "zz"}
    )
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert len(_grid_ids(response.content.decode())) == 3


def test_paging_24_per_page_and_links_keep_filters(client: Client) -> None:
    maid = category_get_or_create(name="Maid")
    for _ in range(PAGE_SIZE + 6):
        ingest_image(categories=[maid])
    ingest_image()  # not a maid: filtered out
    first = client.get("/", {"category": str(maid.pk)}).content.decode()
    assert len(_grid_ids(first)) == PAGE_SIZE
    assert "Page 1 of 2" in first
    next_link = re.search(r'href="(\?[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert f"category={maid.pk}" in next_link and "page=2" in next_link
    second = client.get("/" + next_link).content.decode()
    assert len(_grid_ids(second)) == 6
    assert not _grid_ids(first) & _grid_ids(second)
    assert "Page 2 of 2" in second


def test_gallery_queries_are_bounded(client: Client, django_assert_max_num_queries) -> None:
    catgirl = category_get_or_create(name="Catgirl")
    rem = character_get_or_create(name="Rem")
    artist = artist_get_or_create(name="Sakura Mizuki")

    def add(count: int) -> None:
        for _ in range(count):
            ingest_image(categories=[catgirl], characters=[rem], artist=artist)

    add(3)
    with CaptureQueriesContext(connection) as few:
        client.get("/", {"show_nsfw": "1", "q": "rem"})
    add(27)
    # count + page + 2 prefetches + 3 filter menus + 3 sidebar counts, whatever the page size.
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as many:
        response = client.get("/", {"show_nsfw": "1", "q": "rem"})
    assert len(_grid_ids(response.content.decode())) == PAGE_SIZE
    assert len(many) == len(few)


def test_gallery_is_accessible_markup(client: Client, catalog) -> None:
    html = client.get("/").content.decode()
    for field in ("id_q", "id_category", "id_character", "id_artist", "id_rating", "id_show_nsfw"):
        assert f'for="{field}"' in html
    assert 'role="search"' in html
    imgs = re.findall(r"<img [^>]*>", html)
    assert imgs and all('alt="' in tag and "width=" in tag and "height=" in tag for tag in imgs)
    assert "Rem — Maid" in html  # alt text names characters and categories


def test_image_page_shows_image_metadata_and_links(client: Client) -> None:
    artist = artist_get_or_create(name="Aoi Hoshizora", url="https://example.com/aoi")
    fox = category_get_or_create(name="Fox-Ears", description="Fox ears.")
    senko = character_get_or_create(name="Senko")
    image = ingest_image(
        data=image_bytes("JPEG", size=(1920, 1080), color=(18, 52, 86), quality=95),
        artist=artist,
        categories=[fox],
        characters=[senko],
        source_name="Pixiv",
        source_url="https://example.com/pixiv/42",
    )
    response = client.get(f"/image/{image.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    # The full image's URL is site-relative, served by /assets/.
    assert f'src="/assets/{image.pk}.jpg"' in html
    assert "image/jpeg" in html
    assert "1920 \u00d7 1080" in html and "16:9" in html and "Landscape" in html
    assert f"background-color: {image.color}" in html and image.color in html
    assert f"?category={fox.pk}" in html and "Fox-Ears" in html
    assert f"?character={senko.pk}" in html and "Senko" in html
    assert f"?artist={artist.pk}" in html and "https://example.com/aoi" in html
    assert 'href="https://example.com/pixiv/42"' in html
    assert f'value="http://testserver/api/v1/image/{image.pk}"' in html
    assert 'data-copy-target="api-url"' in html
    assert "js/copy.js" in html


def test_image_page_hides_nsfw_until_opt_in(client: Client) -> None:
    image = ingest_image(nsfw="nsfw")
    hidden = client.get(f"/image/{image.pk}/").content.decode()
    assert "/assets/" not in hidden and "Show it" in hidden
    shown = client.get(f"/image/{image.pk}/", {"show_nsfw": "1"}).content.decode()
    assert f"/assets/{image.pk}.png" in shown


def test_image_page_unknown_id_is_404(client: Client) -> None:
    assert client.get(f"/image/{uuid.uuid4()}/").status_code == 404
    assert client.get("/image/not-a-uuid/").status_code == 404


def test_thumbnail_is_served_as_cached_webp(client: Client) -> None:
    image = ingest_image()
    response = client.get(f"/thumbs/{image.pk}.webp")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "max-age=31536000" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    body = streamed_body(response)
    with catalog_storage().open(image.thumbnail.name, "rb") as handle:
        assert body == handle.read()
    again = client.get(f"/thumbs/{image.pk}.webp", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_thumbnail_unknown_image_is_404(client: Client) -> None:
    assert client.get(f"/thumbs/{uuid.uuid4()}.webp").status_code == 404


def test_thumbnail_refuses_writes(client: Client) -> None:
    image = ingest_image()
    assert client.post(f"/thumbs/{image.pk}.webp").status_code == 405


def test_missing_thumbnail_is_made_on_first_request(client: Client) -> None:
    image = ingest_image()
    catalog_storage().delete(image.thumbnail.name)
    Image.objects.filter(pk=image.pk).update(thumbnail="")
    response = client.get(f"/thumbs/{image.pk}.webp")
    assert response.status_code == 200
    image.refresh_from_db()
    assert image.thumbnail.name == f"thumbs/{image.pk}.webp"


@pytest.mark.django_db
def test_gallery_search_uses_the_api_operators(client: Client) -> None:
    from catalog.tests.factories import make_character, make_image

    kaguya = make_image(characters=[make_character(name="Kaguya Shinomiya")])
    make_image(characters=[make_character(name="Megumin")])
    response = client.get("/", {"q": "%aguya%", "ops": "on", "show_nsfw": "on"})
    shown = {image.pk for image in response.context["page_obj"].object_list}
    assert shown == {kaguya.pk}


@pytest.mark.django_db
def test_gallery_reports_an_invalid_search_pattern_instead_of_failing(client: Client) -> None:
    response = client.get("/", {"q": "(kaguya", "ops": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert list(response.context["page_obj"].object_list) == []
