"""GET /api/v1/image/{id} (seed 002)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_artist, make_category, make_character, make_image

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
IMAGE_KEYS = {
    "id",
    "url",
    "artist",
    "source",
    "nsfw",
    "categories",
    "characters",
    "createdAt",
    "meta",
    "original",
}


def test_image_has_exactly_the_fields_of_seed_002(client: Client) -> None:
    artist = make_artist()
    category = make_category(name="catgirl", type="character")
    character = make_character(name="Kaguya Shinomiya")
    image = make_image(artist=artist, categories=[category], characters=[character], original=True)

    data = assert_success(client.get(f"/api/v1/image/{image.id}"))

    assert set(data) == IMAGE_KEYS
    assert data["id"] == str(image.id)
    assert data["url"] == f"http://127.0.0.1:8000/assets/{image.id}.png"
    assert data["artist"] == str(artist.id)
    assert data["source"] == {"name": "pixiv", "url": "https://example.com/source"}
    assert data["nsfw"] == "sfw"
    assert data["original"] is True
    assert TIMESTAMP.match(data["createdAt"])
    assert data["categories"] == [
        {
            "id": str(category.id),
            "name": "catgirl",
            "description": category.description,
            "nsfw": False,
            "type": "character",
            "createdAt": data["categories"][0]["createdAt"],
        }
    ]
    assert TIMESTAMP.match(data["categories"][0]["createdAt"])
    assert data["characters"] == [
        {
            "id": str(character.id),
            "name": "Kaguya Shinomiya",
            "description": "A character",
            "source": "Some anime",
            "gender": "Female",
            "ages": [16, 17],
            "birth_date": "January 1",
            "nationality": "Japanese",
            "occupations": ["Student"],
            "createdAt": data["characters"][0]["createdAt"],
        }
    ]
    assert data["meta"] == {
        "eTag": image.etag,
        "size": image.size,
        "mimetype": "image/png",
        "color": "#ff0000",
        "expires": None,  # permanent link by default
        "dimens": {"width": 4, "height": 3, "aspectRatio": "4:3", "orientation": "landscape"},
    }


def test_unknown_fields_are_null_not_missing(client: Client) -> None:
    image = make_image(source_name=None, source_url=None, color=None)
    image.__class__.objects.filter(pk=image.pk).update(etag="", mimetype="", aspect_ratio="")

    data = assert_success(client.get(f"/api/v1/image/{image.id}/"))

    assert set(data) == IMAGE_KEYS
    assert data["artist"] is None
    assert data["original"] is None
    assert data["source"] == {"name": None, "url": None}
    assert data["meta"]["eTag"] is None and data["meta"]["mimetype"] is None
    assert data["meta"]["color"] is None and data["meta"]["dimens"]["aspectRatio"] is None
    assert data["categories"] == [] and data["characters"] == []


def test_timestamps_are_utc_with_milliseconds_and_z(client: Client) -> None:
    from datetime import UTC, datetime

    image = make_image(created_at=datetime(2021, 1, 1, 0, 0, 0, 123456, tzinfo=UTC))
    data = assert_success(client.get(f"/api/v1/image/{image.id}"))
    assert data["createdAt"] == "2021-01-01T00:00:00.123Z"


def test_invalid_id_is_400(client: Client) -> None:
    # Seed 002: "400: Invalid ID / The provided ID is not a valid UUID."
    assert_error(
        client.get("/api/v1/image/not-a-uuid"), 400, "The provided ID is not a valid UUID."
    )


def test_unknown_id_is_404(client: Client) -> None:
    # Seed 002: "404: Not found / Could not find image with the provided ID."
    assert_error(
        client.get(f"/api/v1/image/{uuid.uuid4()}"),
        404,
        "Could not find image with the provided ID.",
    )


@pytest.mark.parametrize("token_fixture", ["revoked_token", "expired_token"])
def test_dead_token_is_401_even_though_none_is_needed(
    client: Client, token_fixture: str, request: pytest.FixtureRequest
) -> None:
    image = make_image()
    value = request.getfixturevalue(token_fixture)
    # Seed 002: "401: Invalid token / The token provided is invalid."
    assert_error(
        client.get(f"/api/v1/image/{image.id}", **bearer(value)),
        401,
        "The token provided is invalid.",
    )


def test_wrong_token_is_401(client: Client) -> None:
    image = make_image()
    assert_error(
        client.get(f"/api/v1/image/{image.id}", **bearer("x" * 100)),
        401,
        "The token provided is invalid.",
    )


def test_valid_token_without_scopes_may_read_an_image(client: Client, plain_token: str) -> None:
    image = make_image()
    data = assert_success(client.get(f"/api/v1/image/{image.id}", **bearer(plain_token)))
    assert data["id"] == str(image.id)
