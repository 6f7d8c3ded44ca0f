"""GET /api/v1/character and /character/{id} (seed 002)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_character, make_image

pytestmark = pytest.mark.django_db

CHARACTER_KEYS = {
    "id",
    "name",
    "description",
    "source",
    "gender",
    "ages",
    "birth_date",
    "nationality",
    "occupations",
    "createdAt",
}


def test_character_objects_have_exactly_the_seed_fields(client: Client) -> None:
    make_character(name="Megumin", description=None, gender=None, ages=[], occupations=[])
    data = assert_success(client.get("/api/v1/character"))
    assert len(data) == 1 and set(data[0]) == CHARACTER_KEYS
    assert data[0]["description"] is None and data[0]["gender"] is None
    assert data[0]["ages"] == [] and data[0]["occupations"] == []


def test_search_limit_offset(client: Client) -> None:
    for name in ["Kaguya Shinomiya", "Chika Fujiwara", "Miyuki Shirogane", "Kaguya-sama"]:
        make_character(name=name)
    data = assert_success(client.get("/api/v1/character", {"search": "kaguya%"}))
    assert [c["name"] for c in data] == ["Kaguya Shinomiya", "Kaguya-sama"]
    data = assert_success(client.get("/api/v1/character?limit=1&offset=1"))
    assert [c["name"] for c in data] == ["Kaguya Shinomiya"]


def test_list_errors(client: Client, revoked_token: str) -> None:
    assert_error(
        client.get("/api/v1/character?limit=abc"),
        400,
        "The limit provided is not a number between 1 and 25.",
    )
    assert_error(
        client.get("/api/v1/character?offset=-5"),
        400,
        "The offset provided is not a number greater than 0.",
    )
    assert_error(
        client.get("/api/v1/character", {"search": "x" * 51}),
        400,
        "The search query provided is longer than 50 characters.",
    )
    assert_error(
        client.get("/api/v1/character", **bearer(revoked_token)),
        401,
        "The token provided is invalid.",
    )


def test_detail_adds_the_image_count(client: Client) -> None:
    character = make_character(name="Kaguya")
    make_image(characters=[character])
    make_image(characters=[character])
    data = assert_success(client.get(f"/api/v1/character/{character.id}"))
    assert set(data) == CHARACTER_KEYS | {"images"}
    assert data["images"] == 2 and data["name"] == "Kaguya"


def test_detail_errors(client: Client, revoked_token: str) -> None:
    # Seed 002: "The provided ID is not a valid UUID." / "Could not find a character with the
    # provided ID."
    assert_error(client.get("/api/v1/character/xyz"), 400, "The provided ID is not a valid UUID.")
    assert_error(
        client.get(f"/api/v1/character/{uuid.uuid4()}"),
        404,
        "Could not find a character with the provided ID.",
    )
    character = make_character()
    assert_error(
        client.get(f"/api/v1/character/{character.id}", **bearer(revoked_token)),
        401,
        "The token provided is invalid.",
    )
