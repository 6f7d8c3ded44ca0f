"""Issue #22, the gallery: literal search with operators behind a toggle, tag autocomplete with
counts, sort orders, the tag sidebar, previous/next and the download button on image pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import Image
from catalog.services import artist_get_or_create, category_get_or_create, character_get_or_create
from catalog.tests.factories import ingest_image

pytestmark = pytest.mark.django_db


def _grid(html: str) -> list[str]:
    """The image ids of the grid, in order."""
    return re.findall(r'src="/thumbs/([0-9a-f-]{36})\.webp"', html)


def _dated(image: Image, days_ago: int) -> Image:
    Image.objects.filter(pk=image.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    image.refresh_from_db()
    return image


@pytest.fixture
def tagged() -> dict[str, Image]:
    """Maid: 3 safe images (one questionable more); Mai Sakurajima: 1; artist Maika: 2."""
    maid = category_get_or_create(name="Maid")
    mai = character_get_or_create(name="Mai Sakurajima")
    maika = artist_get_or_create(name="Maika Works")
    bad = artist_get_or_create(name="[bad] studio")
    return {
        "oldest": _dated(ingest_image(categories=[maid], artist=maika), 4),
        "old": _dated(ingest_image(categories=[maid], characters=[mai]), 3),
        "new": _dated(ingest_image(categories=[maid], artist=bad), 2),
        "newest": _dated(ingest_image(artist=maika), 1),
        "questionable": _dated(ingest_image(categories=[maid], nsfw="questionable"), 0),
    }


# --- search: literal by default, operators behind a toggle -------------------------------------


def test_typed_bracket_is_literal_text_not_an_error(client: Client, tagged) -> None:
    # Issue #22: "typing `[bad` shows an error, then all images".
    response = client.get("/", {"q": "[bad"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "could not be run" not in html and "not understood" not in html
    assert _grid(html) == [str(tagged["new"].pk)]  # the artist "[bad] studio", literally
    assert _grid(client.get("/", {"q": "[bad]x"}).content.decode()) == []


def test_percent_typed_without_the_toggle_is_a_literal_percent(client: Client, tagged) -> None:
    assert _grid(client.get("/", {"q": "%aid%"}).content.decode()) == []


def test_operator_toggle_with_a_bad_pattern_shows_the_error_and_no_results(
    client: Client, tagged
) -> None:
    response = client.get("/", {"q": "[bad", "ops": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and "The search could not be run" in html
    assert "Use search operators" in html
    assert _grid(html) == []
    assert "No results: the search above could not be run." in html


def test_operator_toggle_uses_the_search_language(client: Client, tagged) -> None:
    html = client.get("/", {"q": "mai_a%", "ops": "on"}).content.decode()
    assert set(_grid(html)) == {str(tagged["oldest"].pk), str(tagged["newest"].pk)}


# --- autocomplete ------------------------------------------------------------------------------


def test_tags_json_suggests_each_kind_with_counts(client: Client, tagged) -> None:
    response = client.get("/gallery/tags.json", {"q": "mai"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    results = response.json()["results"]
    found = {(row["kind"], row["name"]): row["count"] for row in results}
    # Safe images only unless the visitor opted in; names starting with the text first.
    assert found == {
        ("category", "Maid"): 3,
        ("artist", "Maika Works"): 2,
        ("character", "Mai Sakurajima"): 1,
    }
    assert [row["name"] for row in results] == ["Maid", "Maika Works", "Mai Sakurajima"]
    assert all(set(row) == {"kind", "id", "name", "count"} for row in results)
    with_nsfw = client.get("/gallery/tags.json", {"q": "maid", "show_nsfw": "1"}).json()
    assert with_nsfw["results"][0]["count"] == 4


def test_tags_json_is_literal_and_limited_to_ten(client: Client) -> None:
    for number in range(12):
        ingest_image(categories=[category_get_or_create(name=f"Neko {number:02}")])
    results = client.get("/gallery/tags.json", {"q": "neko"}).json()["results"]
    assert len(results) == 10
    assert client.get("/gallery/tags.json", {"q": "n%o"}).json()["results"] == []
    assert client.get("/gallery/tags.json", {"q": "[bad"}).status_code == 200
    assert client.get("/gallery/tags.json").json() == {"results": []}


def test_tags_json_leaves_out_tags_without_images(client: Client) -> None:
    category_get_or_create(name="Maid")
    assert client.get("/gallery/tags.json", {"q": "maid"}).json() == {"results": []}


def test_tags_json_queries_are_bounded(client: Client, tagged, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        client.get("/gallery/tags.json", {"q": "mai"})


def test_tags_json_is_not_in_the_api_schema(client: Client) -> None:
    assert b"tags.json" not in client.get("/api/v1/schema/").content


# --- sorts and the sidebar ---------------------------------------------------------------------


def test_sort_newest_is_the_default_and_oldest_reverses_it(client: Client, tagged) -> None:
    by_date = [str(tagged[k].pk) for k in ("newest", "new", "old", "oldest")]
    assert _grid(client.get("/").content.decode()) == by_date
    assert _grid(client.get("/", {"sort": "newest"}).content.decode()) == by_date
    assert _grid(client.get("/", {"sort": "oldest"}).content.decode()) == by_date[::-1]


def test_random_sort_gets_a_seed_and_keeps_one_shuffle_across_pages(client: Client) -> None:
    for _ in range(30):
        ingest_image()
    response = client.get("/", {"sort": "random"})
    assert response.status_code == 302
    assert re.search(r"[?&]seed=\d+", response["Location"])
    first = client.get("/", {"sort": "random", "seed": "12345"}).content.decode()
    again = client.get("/", {"sort": "random", "seed": "12345"}).content.decode()
    second = client.get("/", {"sort": "random", "seed": "12345", "page": "2"}).content.decode()
    assert _grid(first) == _grid(again)
    assert len(set(_grid(first) + _grid(second))) == 30  # every image once over the pages
    other = client.get("/", {"sort": "random", "seed": "999"}).content.decode()
    assert _grid(other) != _grid(first)
    assert "seed=12345" in re.search(r'href="([^"]*)" rel="next"', first).group(1)


def test_sidebar_counts_the_tags_of_the_current_results(client: Client, tagged) -> None:
    maika = artist_get_or_create(name="Maika Works")
    html = client.get("/", {"artist": str(maika.pk)}).content.decode()
    sidebar = html.split('class="tag-sidebar', 1)[1]
    assert re.search(r">Maid</a> <span class=\"tag-count\"[^>]*>1<", sidebar)
    assert re.search(r">Maika Works</a> <span class=\"tag-count\"[^>]*>2<", sidebar)
    assert "Mai Sakurajima" not in sidebar
    # The chosen artist shows as a chip whose link removes it.
    assert 'class="chip filter-chip" data-kind="artist"' in html
    assert 'href="/" aria-label="Remove the artist filter Maika Works"' in html


# --- image pages ----------------------------------------------------------------------------


def _steps(html: str) -> tuple[str | None, str | None]:
    prev = re.search(r'href="([^"]*)" rel="prev"', html)
    nxt = re.search(r'href="([^"]*)" rel="next"', html)
    return (
        prev.group(1).replace("&amp;", "&") if prev else None,
        nxt.group(1).replace("&amp;", "&") if nxt else None,
    )


def test_previous_and_next_follow_the_date_order_and_stop_at_the_ends(
    client: Client, tagged
) -> None:
    newest, new, oldest = tagged["newest"], tagged["new"], tagged["oldest"]
    assert _steps(client.get(f"/image/{newest.pk}/").content.decode()) == (
        None,
        f"/image/{new.pk}/",
    )
    prev, nxt = _steps(client.get(f"/image/{oldest.pk}/").content.decode())
    assert prev == f"/image/{tagged['old'].pk}/" and nxt is None


def test_previous_and_next_follow_the_gallery_filter_and_sort(client: Client, tagged) -> None:
    maid = category_get_or_create(name="Maid")
    query = f"?category={maid.pk}&sort=oldest"
    html = client.get(f"/image/{tagged['old'].pk}/{query}").content.decode()
    assert _steps(html) == (
        f"/image/{tagged['oldest'].pk}/{query}",
        f"/image/{tagged['new'].pk}/{query}",
    )
    # The last maid image, oldest first: nothing after it (the newest image is no maid).
    assert _steps(client.get(f"/image/{tagged['new'].pk}/{query}").content.decode())[1] is None
    assert f'href="/{query.replace("&", "&amp;")}"' in html  # back to the same gallery state


def test_previous_and_next_follow_the_random_order_of_the_grid(client: Client) -> None:
    for _ in range(6):
        ingest_image()
    grid = _grid(client.get("/", {"sort": "random", "seed": "77"}).content.decode())
    walked = [grid[0]]
    while True:
        html = client.get(f"/image/{walked[-1]}/?sort=random&seed=77").content.decode()
        nxt = _steps(html)[1]
        if nxt is None:
            break
        walked.append(re.search(r"/image/([0-9a-f-]{36})/", nxt).group(1))
    assert walked == grid


def test_gallery_thumbnails_link_to_image_pages_in_the_same_state(client: Client, tagged) -> None:
    html = client.get("/", {"sort": "oldest", "page": "1"}).content.decode()
    assert f'href="/image/{tagged["oldest"].pk}/?sort=oldest"' in html


def test_image_page_has_a_download_button(client: Client, tagged) -> None:
    image = tagged["new"]
    html = client.get(f"/image/{image.pk}/").content.decode()
    assert f'href="/assets/{image.pk}.png" download="{image.pk}.png">Download</a>' in html


def test_image_page_queries_are_bounded(client: Client, tagged, django_assert_max_num_queries):
    maid = category_get_or_create(name="Maid")
    # image + 2 prefetches + the category filter's look-up + 2 neighbours
    with django_assert_max_num_queries(6):
        client.get(f"/image/{tagged['old'].pk}/", {"category": str(maid.pk), "sort": "random"})


def test_the_filter_form_carries_a_seed_only_when_there_is_one(client: Client) -> None:
    """An empty hidden `seed` put `&seed=` in every filtered URL."""
    assert 'name="seed"' not in client.get("/").content.decode()
    assert (
        'name="seed" value="42"'
        in client.get("/", {"sort": "random", "seed": "42"}).content.decode()
    )
