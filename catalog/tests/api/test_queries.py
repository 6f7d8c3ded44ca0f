"""List, random and detail endpoints run a fixed number of SQL queries, whatever the limit."""

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
    client: Client, catalog: dict, list_token: str, limit: int, django_assert_max_num_queries
) -> None:
    # token, images, categories, characters
    with django_assert_max_num_queries(4):
        data = assert_success(client.get(f"/api/v1/image?limit={limit}", **bearer(list_token)))
    assert len(data) == limit


@pytest.mark.parametrize("limit", [1, 25])
def test_image_random_queries_are_bounded(
    client: Client, catalog: dict, limit: int, django_assert_max_num_queries
) -> None:
    # Resolve the names, the categories' sizes, one round of drawn slots (with the rows),
    # categories, characters. More rounds only when draws are rejected (see
    # catalog/tests/test_random_slots.py), and never more than selectors.ROUNDS + 5 in all.
    with django_assert_max_num_queries(5):
        assert_success(client.get(f"/api/v1/image/random?limit={limit}&categories=cat0"))
    with django_assert_max_num_queries(4):
        data = assert_success(client.get(f"/api/v1/image/random?limit={limit}"))
    assert len(data) == limit


@pytest.mark.parametrize("limit", [1, 25])
def test_artist_images_queries_are_bounded(
    client: Client, catalog: dict, limit: int, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(4):
        data = assert_success(
            client.get(f"/api/v1/artist/{catalog['artist'].id}/images?limit={limit}")
        )
    assert len(data) == limit


@pytest.mark.parametrize("limit", [1, 25])
@pytest.mark.parametrize("kind", ["artist", "character", "category"])
def test_search_lists_run_one_query(
    client: Client, catalog: dict, kind: str, limit: int, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(1):
        assert_success(client.get(f"/api/v1/{kind}?limit={limit}&search=%25"))


def test_detail_endpoints_run_few_queries(
    client: Client, catalog: dict, django_assert_max_num_queries
) -> None:
    image = catalog["images"][-1]
    with django_assert_max_num_queries(3):
        assert_success(client.get(f"/api/v1/image/{image.id}"))
    for kind, obj in (
        ("artist", catalog["artist"]),
        ("character", catalog["character"]),
        ("category", catalog["category"]),
    ):
        with django_assert_max_num_queries(1):
            assert_success(client.get(f"/api/v1/{kind}/{obj.id}"))
