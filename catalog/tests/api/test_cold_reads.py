"""Cold reads (rows not in the worker's read cache) cost ONE SQL statement: image detail,
random draws and list pages fetch the images with their categories and characters as JSON
in one round trip (issue 23), on SQLite and on PostgreSQL, with the read cache on or off.

With the cache on, the data versions are read at most every READ_CACHE_MS
(nekosite/lib/readcache.py): the tests read them first and set READ_CACHE_MS high enough
that they stay fresh, so what is counted is the request's own work.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from catalog import selectors
from catalog.models import Category, Character, Image, ModerationStatus
from catalog.tests.api.conftest import assert_success, bearer
from catalog.tests.factories import make_artist, make_category, make_character, make_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> list[Image]:
    artist = make_artist()
    categories = [make_category(name=f"cat{i}") for i in range(3)]
    characters = [make_character() for _ in range(3)]
    return [
        make_image(artist=artist, categories=categories[: i % 4], characters=characters[: i % 3])
        for i in range(30)
    ]


@pytest.fixture
def cache_on(settings) -> None:
    """The shipped read cache, with data versions that stay fresh for the whole test."""
    settings.READ_CACHE_MS = 600_000


@pytest.fixture
def cache_off(settings) -> None:
    settings.READ_CACHE_MS = 0


def test_a_cold_image_detail_is_one_statement(
    client: Client, catalog: list[Image], cache_on: None, django_assert_num_queries
) -> None:
    assert_success(client.get(f"/api/v1/image/{catalog[0].id}"))  # reads the data versions
    for image in catalog[1:4]:
        with django_assert_num_queries(1):
            data = assert_success(client.get(f"/api/v1/image/{image.id}"))
        assert data["id"] == str(image.id)
        with django_assert_num_queries(0):
            assert assert_success(client.get(f"/api/v1/image/{image.id}")) == data


def test_an_image_detail_without_the_read_cache_is_one_statement(
    client: Client, catalog: list[Image], cache_off: None, django_assert_num_queries
) -> None:
    for image in catalog[:3]:
        with django_assert_num_queries(1):
            data = assert_success(client.get(f"/api/v1/image/{image.id}"))
        assert data["id"] == str(image.id)


@pytest.mark.parametrize("limit", [1, 25])
@pytest.mark.parametrize("categories", ["", "&categories=cat0"])
def test_a_cold_random_draw_is_one_statement(
    client: Client,
    catalog: list[Image],
    cache_on: None,
    limit: int,
    categories: str,
    django_assert_num_queries,
) -> None:
    path = f"/api/v1/image/random?limit={limit}{categories}"
    # The first draw reads the data versions, the names and the highest slot (kept until the
    # catalog changes); every draw after that is one statement, rows included.
    assert_success(client.get(path))
    for _ in range(3):
        with django_assert_num_queries(1):
            data = assert_success(client.get(path))
        assert len(data) == min(limit, 22 if categories else 30)


def test_a_random_draw_with_two_categories_needs_at_most_one_statement_once_warm(
    client: Client, catalog: list[Image], cache_on: None, django_assert_max_num_queries
) -> None:
    path = "/api/v1/image/random?limit=25&categories=cat0,cat1"
    assert_success(client.get(path))  # names, sizes, the images having both (kept)
    for _ in range(3):
        with django_assert_max_num_queries(1):  # the rows not in the read cache yet
            data = assert_success(client.get(path))
        assert {c["name"] for item in data for c in item["categories"]} >= {"cat0", "cat1"}


@pytest.mark.parametrize("categories", ["", "&categories=cat0", "&categories=cat0,cat1"])
def test_random_draws_without_the_read_cache_read_the_size_then_one_statement(
    client: Client,
    catalog: list[Image],
    cache_off: None,
    categories: str,
    django_assert_num_queries,
) -> None:
    # The highest slot (or the names and the categories' sizes) is read on every request when
    # nothing is kept; the draw itself is one statement.
    expected = 2 if not categories else 3
    with django_assert_num_queries(expected):
        assert_success(client.get(f"/api/v1/image/random?limit=25{categories}"))


@pytest.mark.parametrize("offset", [5, 21])
def test_a_cold_list_page_is_one_statement_at_any_offset(
    client: Client,
    catalog: list[Image],
    cache_on: None,
    list_token: str,
    offset: int,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries,
) -> None:
    monkeypatch.setattr(selectors, "LIST_ANCHOR_EVERY", 4)
    auth = bearer(list_token)
    assert_success(client.get("/api/v1/image?limit=3", **auth))  # versions, token
    # The first deep page reads the anchors (one scan of the list, kept until the catalog
    # changes); pages after that are one statement each, deep or not.
    assert_success(client.get("/api/v1/image?limit=2&offset=9", **auth))
    with django_assert_num_queries(1):
        data = assert_success(client.get(f"/api/v1/image?limit=3&offset={offset}", **auth))
    assert len(data) == 3
    # The page's ids were kept: asked again, its rows are read by id and kept, then it is free.
    for queries in (1, 0):
        with django_assert_num_queries(queries):
            again = assert_success(client.get(f"/api/v1/image?limit=3&offset={offset}", **auth))
        assert again == data


def test_a_list_page_without_the_read_cache_is_one_statement_after_the_token(
    client: Client,
    catalog: list[Image],
    cache_off: None,
    list_token: str,
    django_assert_num_queries,
) -> None:
    with django_assert_num_queries(2):  # the token, the page
        data = assert_success(client.get("/api/v1/image?limit=25&offset=3", **bearer(list_token)))
    assert len(data) == 25


def test_deep_list_pages_are_the_same_as_plain_offset_pages(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anchored pages (keyset from the nearest anchor) equal LIMIT/OFFSET pages of the
    documented order, ties on created_at included (broken by id), and end where it ends."""
    monkeypatch.setattr(selectors, "LIST_ANCHOR_EVERY", 3)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    # Pairs and triples of images created at the same instant straddle the anchors.
    for n in range(14):
        make_image(created_at=start + timedelta(seconds=n // 3))
    make_image(status=ModerationStatus.PENDING_REVIEW, created_at=start)  # never listed
    expected = [
        str(pk) for pk in Image.objects.filter(status="approved").values_list("id", flat=True)
    ]
    assert len(expected) == 14

    def pages(cache_ms: int) -> dict[tuple[int, int], list[str]]:
        settings.READ_CACHE_MS = cache_ms
        return {
            (limit, offset): [
                str(row["id"]) for row in selectors.image_list(limit=limit, offset=offset)
            ]
            for limit in (1, 2, 5, 25)
            for offset in range(17)
        }

    anchored, plain = pages(600_000), pages(0)
    assert anchored == plain
    assert anchored[(25, 0)] == expected
    assert anchored[(5, 12)] == expected[12:]
    assert anchored[(2, 14)] == anchored[(1, 16)] == []


def test_rows_from_one_statement_equal_the_rows_the_orm_reads() -> None:
    """Timestamps (with and without microseconds), UUIDs, nulls, booleans, JSON lists and the
    order of categories and characters (the database's order of names) as the ORM has them,
    on SQLite and on PostgreSQL."""
    names = ["cherry", "Banana", "apple", "Äpfel", "b-side"]
    categories = [
        make_category(name=name, nsfw=n % 2 == 0, description="" if n else "d")
        for n, name in enumerate(names)
    ]
    characters = [
        make_character(name="Zoe", ages=[], occupations=["maid", "pilot"]),
        make_character(
            name="amy", description=None, source=None, gender=None, birth_date=None,
            nationality=None,
        ),
        make_character(name="Amy"),
        make_character(name="amy"),  # the same name: the id decides
    ]  # fmt: skip
    images = [
        make_image(
            categories=categories, characters=characters,
            created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
        make_image(
            categories=categories[2:3], original=True, artist=make_artist(),
            created_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        ),
        make_image(source_name=None, source_url=None, color=None, original=False),
    ]  # fmt: skip
    Category.objects.filter(pk=categories[1].pk).update(
        created_at=datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    )
    for image in images:
        expected = Image.objects.filter(pk=image.pk).values(*selectors.IMAGE_FIELDS).get()
        expected["categories"] = list(
            Category.objects.filter(images=image)
            .order_by("name", "id")
            .values(*selectors.CATEGORY_FIELDS)
        )
        expected["characters"] = list(
            Character.objects.filter(images=image)
            .order_by("name", "id")
            .values(*selectors.CHARACTER_FIELDS)
        )
        (row,) = selectors.image_rows(Image.objects.filter(pk=image.pk))
        assert row == expected
        assert [type(value) for value in row.values()] == [
            type(value) for value in expected.values()
        ]
        for kind in ("categories", "characters"):
            for got, want in zip(row[kind], expected[kind], strict=True):
                assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


def test_unapproved_images_stay_out_of_cold_reads(
    client: Client, cache_off: None, list_token: str
) -> None:
    public = make_image()
    hidden = [
        make_image(status=ModerationStatus.PENDING_REVIEW),
        make_image(status=ModerationStatus.REJECTED),
    ]
    for image in hidden:
        assert client.get(f"/api/v1/image/{image.id}").status_code == 404
    listed = assert_success(client.get("/api/v1/image?limit=25", **bearer(list_token)))
    assert [item["id"] for item in listed] == [str(public.id)]
    for _ in range(5):
        drawn = assert_success(client.get("/api/v1/image/random?limit=25"))
        assert [item["id"] for item in drawn] == [str(public.id)]


def test_a_draw_among_many_hidden_images_finds_every_public_one(cache_off: None) -> None:
    """Rejections (slots of images the public may not see) make later rounds draw many slots
    at once, beyond the statements kept compiled; the draw still returns the public images."""
    public = {make_image().id for _ in range(5)}
    for _ in range(150):
        make_image(status=ModerationStatus.REJECTED)
    for _ in range(3):
        rows = selectors.image_random(limit=25)
        assert {row["id"] for row in rows} == public
        assert len(rows) == 5
