"""GET /api/v1/image/random (seed 002)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_category, make_image

pytestmark = pytest.mark.django_db


def test_returns_limit_distinct_images(client: Client) -> None:
    images = {str(make_image().id) for _ in range(12)}
    data = assert_success(client.get("/api/v1/image/random?limit=5"))
    ids = [item["id"] for item in data]
    assert len(ids) == 5 and len(set(ids)) == 5 and set(ids) <= images


def test_default_limit_is_10(client: Client) -> None:
    for _ in range(12):
        make_image()
    assert len(assert_success(client.get("/api/v1/image/random"))) == 10


def test_fewer_images_than_limit_returns_all_of_them_once(client: Client) -> None:
    images = {str(make_image().id) for _ in range(3)}
    data = assert_success(client.get("/api/v1/image/random?limit=25"))
    assert sorted(item["id"] for item in data) == sorted(images)


def test_empty_catalog_returns_an_empty_list(client: Client) -> None:
    assert assert_success(client.get("/api/v1/image/random")) == []


def test_every_image_can_come_up(client: Client) -> None:
    images = {str(make_image().id) for _ in range(5)}
    seen: set[str] = set()
    for _ in range(60):
        seen |= {item["id"] for item in assert_success(client.get("/api/v1/image/random?limit=1"))}
        if seen == images:
            break
    assert seen == images


def test_categories_filter_keeps_images_having_all_of_them(client: Client) -> None:
    catgirl, maid, school = (make_category(name=n) for n in ("catgirl", "maid", "school"))
    both = {str(make_image(categories=[catgirl, maid]).id) for _ in range(3)}
    make_image(categories=[catgirl])
    make_image(categories=[maid, school])
    make_image()
    data = assert_success(client.get("/api/v1/image/random?categories=catgirl,maid&limit=25"))
    assert sorted(item["id"] for item in data) == sorted(both)
    for item in data:
        assert {"catgirl", "maid"} <= {c["name"] for c in item["categories"]}


def test_category_names_are_trimmed_and_case_insensitive(client: Client) -> None:
    catgirl = make_category(name="catgirl")
    image = make_image(categories=[catgirl])
    data = assert_success(client.get("/api/v1/image/random", {"categories": " Catgirl , "}))
    assert [item["id"] for item in data] == [str(image.id)]


def test_existing_categories_without_common_images_return_empty(client: Client) -> None:
    a, b = make_category(name="a"), make_category(name="b")
    make_image(categories=[a])
    make_image(categories=[b])
    assert assert_success(client.get("/api/v1/image/random?categories=a,b")) == []


def test_unknown_category_is_400(client: Client) -> None:
    make_category(name="catgirl")
    # Seed 002: "400: Invalid categories / One or more categories selected do not exist."
    assert_error(
        client.get("/api/v1/image/random?categories=catgirl,nope"),
        400,
        "One or more categories selected do not exist.",
    )


@pytest.mark.parametrize("value", ["0", "26", "-3", "ten", ""])
def test_invalid_limit_is_400_with_the_random_wording(client: Client, value: str) -> None:
    # Seed 002 (random only): "The specified limit is not a number between 1 and 25."
    assert_error(
        client.get("/api/v1/image/random", {"limit": value}),
        400,
        "The specified limit is not a number between 1 and 25.",
    )


def test_invalid_expiry_is_400(client: Client, expiry_token: str) -> None:
    assert_error(
        client.get("/api/v1/image/random?expiry=30", **bearer(expiry_token)),
        400,
        "The provided custom expiry time is not a number greater than 30.",
    )


def test_invalid_token_is_401(client: Client, revoked_token: str) -> None:
    # Seed 002: "401: Invalid token / The token provided is not a valid token."
    assert_error(
        client.get("/api/v1/image/random", **bearer(revoked_token)),
        401,
        "The token provided is not a valid token.",
    )


def test_expiry_without_a_token_is_401(client: Client) -> None:
    # Seed 002 marks expiry "(requires auth)".
    assert_error(
        client.get("/api/v1/image/random?expiry=60"), 401, "You have not provided a token."
    )


def test_expiry_without_scope_is_403(client: Client, list_token: str) -> None:
    assert_error(
        client.get("/api/v1/image/random?expiry=60", **bearer(list_token)),
        403,
        "The access token provided has not got permission to set a custom image expiry time.",
    )


def test_expiry_over_the_scope_is_403(client: Client, expiry_token: str) -> None:
    assert_error(
        client.get("/api/v1/image/random?expiry=7200", **bearer(expiry_token)),
        403,
        "The custom expiry time is greater than what allowed by the token.",
    )


def test_random_never_orders_by_random(client: Client) -> None:
    cat = make_category(name="catgirl")
    for _ in range(5):
        make_image(categories=[cat])
    with CaptureQueriesContext(connection) as queries:
        assert_success(client.get("/api/v1/image/random?categories=catgirl&limit=3"))
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "RANDOM()" not in sql and "ORDER BY ?" not in sql
    assert '"SLOT" IN (' in sql  # drawn slot numbers, looked up by index


@pytest.mark.parametrize("categories", ["\x00", "Catgirl,\x00", "Cat\x00girl"])
def test_category_name_with_a_nul_does_not_exist(client: Client, categories: str) -> None:
    # Seed 002: "400: Invalid categories / One or more categories selected do not exist."
    # A NUL used to reach the query: a 500 on PostgreSQL, whose text cannot hold one.
    make_category(name="Catgirl")
    assert_error(
        client.get("/api/v1/image/random", {"categories": categories}),
        400,
        "One or more categories selected do not exist.",
    )
