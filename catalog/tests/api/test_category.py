"""GET /api/v1/category and /category/{id} (seed 002)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_category, make_image

pytestmark = pytest.mark.django_db

CATEGORY_KEYS = {"id", "name", "description", "nsfw", "type", "createdAt"}


def test_category_objects_have_exactly_the_seed_fields_plus_type(client: Client) -> None:
    category = make_category(name="catgirl", nsfw=False, type="character")
    data = assert_success(client.get("/api/v1/category"))
    assert len(data) == 1 and set(data[0]) == CATEGORY_KEYS
    assert data[0]["id"] == str(category.id) and data[0]["type"] == "character"


def test_search_limit_offset(client: Client) -> None:
    for name in ["catgirl", "maid", "cat ears", "school"]:
        make_category(name=name)
    data = assert_success(client.get("/api/v1/category", {"search": "cat%"}))
    assert [c["name"] for c in data] == ["cat ears", "catgirl"]
    data = assert_success(client.get("/api/v1/category", {"search": "maid|school"}))
    assert [c["name"] for c in data] == ["maid", "school"]
    data = assert_success(client.get("/api/v1/category?limit=2&offset=2"))
    assert [c["name"] for c in data] == ["maid", "school"]


def test_list_errors(client: Client, revoked_token: str) -> None:
    assert_error(
        client.get("/api/v1/category?limit=100"),
        400,
        "The limit provided is not a number between 1 and 25.",
    )
    assert_error(
        client.get("/api/v1/category?offset=1e3"),
        400,
        "The offset provided is not a number greater than 0.",
    )
    assert_error(
        client.get("/api/v1/category", {"search": "%" * 51}),
        400,
        "The search query provided is longer than 50 characters.",
    )
    assert_error(
        client.get("/api/v1/category", **bearer(revoked_token)),
        401,
        "The token provided is invalid.",
    )


def test_detail_adds_the_image_count(client: Client) -> None:
    category = make_category(name="maid")
    make_image(categories=[category])
    make_image()
    data = assert_success(client.get(f"/api/v1/category/{category.id}"))
    assert set(data) == CATEGORY_KEYS | {"images"}
    assert data["images"] == 1


def test_detail_errors(client: Client, revoked_token: str) -> None:
    # Seed 002: "The provided ID is not a valid UUID." / "Could not find a category with the
    # provided ID." / "The token provided is invalid."
    assert_error(client.get("/api/v1/category/1"), 400, "The provided ID is not a valid UUID.")
    assert_error(
        client.get(f"/api/v1/category/{uuid.uuid4()}"),
        404,
        "Could not find a category with the provided ID.",
    )
    category = make_category()
    assert_error(
        client.get(f"/api/v1/category/{category.id}", **bearer(revoked_token)),
        401,
        "The token provided is invalid.",
    )
