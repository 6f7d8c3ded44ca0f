"""List, random and detail endpoints run a fixed number of SQL queries, whatever the limit.

The first request after a change may also read the data versions (one query,
nekosite/lib/readcache.py); a repeated request is served from the worker's read cache.
"""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.tests.api.conftest import assert_success, bearer
from catalog.tests.factories import (
    make_artist,
    make_category,
    make_character,
    make_image,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> dict:
    artist = make_artist()
    categories = [make_category(name=f"cat{i}") for i in range(3)]
    characters = [make_character() for _ in range(3)]
    images = [
        make_image(artist=artist, categories=categories[: i % 4], characters=characters[: i % 3])
        for i in range(30)
    ]
    return {
        "artist": artist,
        "images": images,
        "category": categories[0],
        "character": characters[0],
    }


@pytest.mark.parametrize("limit", [1, 25])
def test_image_list_queries_are_bounded(
    client: Client,
    catalog: dict,
    list_token: str,
    limit: int,
    django_assert_max_num_queries,
    django_assert_num_queries,
) -> None:
    # data versions, token, the page with its categories and characters (one statement)
    with django_assert_max_num_queries(3):
        data = assert_success(client.get(f"/api/v1/image?limit={limit}", **bearer(list_token)))
    assert len(data) == limit
    # A page keeps its ids; asked again, its rows are read by id (one statement) and kept.
    with django_assert_num_queries(1):
        again = assert_success(client.get(f"/api/v1/image?limit={limit}", **bearer(list_token)))
    assert again == data
    with django_assert_num_queries(0):
        again = assert_success(client.get(f"/api/v1/image?limit={limit}", **bearer(list_token)))
    assert again == data


@pytest.mark.parametrize("limit", [1, 25])
def test_image_random_queries_are_bounded(
    client: Client, catalog: dict, limit: int, django_assert_max_num_queries
) -> None:
    # Data versions, the names, the categories' sizes, one round of drawn slots that reads
    # the rows too. More rounds only when draws are rejected (catalog/tests/test_random_slots.py).
    with django_assert_max_num_queries(4):
        assert_success(client.get(f"/api/v1/image/random?limit={limit}&categories=cat0"))
    # Highest slot, one round.
    with django_assert_max_num_queries(2):
        data = assert_success(client.get(f"/api/v1/image/random?limit={limit}"))
    assert len(data) == limit
    # Warm: names and sizes are cached: one round (catalog/tests/api/test_cold_reads.py).
    with django_assert_max_num_queries(1):
        assert_success(client.get(f"/api/v1/image/random?limit={limit}&categories=cat0"))


@pytest.mark.parametrize("limit", [1, 25])
def test_artist_images_queries_are_bounded(
    client: Client,
    catalog: dict,
    limit: int,
    django_assert_max_num_queries,
    django_assert_num_queries,
) -> None:
    path = f"/api/v1/artist/{catalog['artist'].id}/images?limit={limit}"
    # data versions, artist exists, the page with its relations (one statement)
    with django_assert_max_num_queries(3):
        data = assert_success(client.get(path))
    assert len(data) == limit
    with django_assert_num_queries(1):  # the page's rows by id, kept from now on
        assert assert_success(client.get(path)) == data
    with django_assert_num_queries(0):
        assert assert_success(client.get(path)) == data


@pytest.mark.parametrize("limit", [1, 25])
@pytest.mark.parametrize("kind", ["artist", "character", "category"])
def test_search_lists_run_one_query(
    client: Client,
    catalog: dict,
    kind: str,
    limit: int,
    django_assert_max_num_queries,
    django_assert_num_queries,
) -> None:
    path = f"/api/v1/{kind}?limit={limit}&search=%25"
    with django_assert_max_num_queries(2):  # data versions, the page
        data = assert_success(client.get(path))
    with django_assert_num_queries(0):
        assert assert_success(client.get(path)) == data


def test_detail_endpoints_run_few_queries(
    client: Client, catalog: dict, django_assert_max_num_queries, django_assert_num_queries
) -> None:
    image = catalog["images"][-1]
    with django_assert_max_num_queries(2):  # data versions, the image with its relations
        data = assert_success(client.get(f"/api/v1/image/{image.id}"))
    with django_assert_num_queries(0):
        assert assert_success(client.get(f"/api/v1/image/{image.id}")) == data
    for kind, obj in (
        ("artist", catalog["artist"]),
        ("character", catalog["character"]),
        ("category", catalog["category"]),
    ):
        with django_assert_max_num_queries(1):
            data = assert_success(client.get(f"/api/v1/{kind}/{obj.id}"))
        with django_assert_num_queries(0):
            assert assert_success(client.get(f"/api/v1/{kind}/{obj.id}")) == data
