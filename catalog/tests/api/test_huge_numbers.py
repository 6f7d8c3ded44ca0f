"""Numbers longer than 64 bits in query parameters (found by schemathesis, .ci/fuzz).

A run of digits is a number however long it is: a huge `offset` is "a number greater than 0"
(an empty page, never a 400 or a 500) and a huge `expiry` is "a number greater than 30" that the
token's scope refuses (403), not the 400 meant for values that are not numbers.
"""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_artist, make_category, make_character, make_image

pytestmark = pytest.mark.django_db

HUGE = [
    "10972691341551495798587392",  # the value schemathesis sent
    "9223372036854775808",  # 2**63: one past the largest 64-bit integer
    "9" * 5000,  # longer than Python's default int() digit limit (4300)
]
EXPIRY_TOO_LONG = "The custom expiry time is greater than what allowed by the token."


@pytest.mark.parametrize("offset", HUGE)
@pytest.mark.parametrize("path", ["/api/v1/artist", "/api/v1/character", "/api/v1/category"])
def test_huge_offset_on_a_search_list_is_an_empty_page(
    client: Client, path: str, offset: str
) -> None:
    make_artist(name="Aoi")
    make_character(name="Megumin")
    make_category(name="Catgirl")
    assert assert_success(client.get(path, {"offset": offset})) == []


@pytest.mark.parametrize("offset", HUGE)
def test_huge_offset_on_the_image_list_is_an_empty_page(
    client: Client, list_token: str, offset: str
) -> None:
    make_image()
    data = client.get("/api/v1/image", {"offset": offset}, **bearer(list_token))
    assert assert_success(data) == []


def test_huge_offset_on_an_artists_images_is_an_empty_page(client: Client) -> None:
    artist = make_artist()
    make_image(artist=artist)
    response = client.get(f"/api/v1/artist/{artist.id}/images", {"offset": HUGE[0]})
    assert assert_success(response) == []


@pytest.mark.parametrize("limit", HUGE)
def test_huge_limit_is_still_the_seed_400(client: Client, limit: str) -> None:
    # Seed 002: "The limit provided is not a number between 1 and 25."
    assert_error(
        client.get("/api/v1/artist", {"limit": limit}),
        400,
        "The limit provided is not a number between 1 and 25.",
    )


@pytest.mark.parametrize("expiry", HUGE)
def test_huge_expiry_is_longer_than_the_token_allows(
    client: Client, expiry_token: str, expiry: str
) -> None:
    # Seed 002: "403: Missing permission / The custom expiry time is greater than what allowed
    # by the token."
    image = make_image()
    for path in ("/api/v1/image", "/api/v1/image/random", f"/api/v1/image/{image.id}"):
        assert_error(
            client.get(path, {"expiry": expiry}, **bearer(expiry_token)), 403, EXPIRY_TOO_LONG
        )


def test_huge_expiry_without_the_expiry_scope_is_the_permission_403(
    client: Client, list_token: str
) -> None:
    assert_error(
        client.get("/api/v1/image/random", {"expiry": HUGE[0]}, **bearer(list_token)),
        403,
        "The access token provided has not got permission to set a custom image expiry time.",
    )


def test_huge_expiry_without_a_token_asks_for_one(client: Client) -> None:
    assert_error(
        client.get("/api/v1/image/random", {"expiry": HUGE[0]}),
        401,
        "You have not provided a token.",
    )


@pytest.mark.parametrize("expiry", ["30", "-1", "1e99", "99.5", "\uff19\uff19"])
def test_expiry_that_is_not_a_number_over_30_keeps_the_seed_400(
    client: Client, expiry_token: str, expiry: str
) -> None:
    # Seed 002: "The provided custom expiry time is not a number greater than 30."
    assert_error(
        client.get("/api/v1/image/random", {"expiry": expiry}, **bearer(expiry_token)),
        400,
        "The provided custom expiry time is not a number greater than 30.",
    )


def test_leading_zeros_do_not_make_a_number_huge(client: Client) -> None:
    for name in ("Aoi", "Beni", "Chiyo"):
        make_artist(name=name)
    zeros = "0" * 40
    data = assert_success(
        client.get("/api/v1/artist", {"limit": zeros + "2", "offset": zeros + "1"})
    )
    assert [artist["name"] for artist in data] == ["Beni", "Chiyo"]
