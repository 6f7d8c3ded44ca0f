"""GET /api/v1/image (seed 002): the only image endpoint that needs a token (image:list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_image

pytestmark = pytest.mark.django_db


def _images(count: int) -> list:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    return [make_image(created_at=start + timedelta(minutes=i)) for i in range(count)]


def test_lists_newest_first_with_default_limit_10(client: Client, list_token: str) -> None:
    images = _images(12)
    data = assert_success(client.get("/api/v1/image", **bearer(list_token)))
    assert [item["id"] for item in data] == [str(i.id) for i in reversed(images)][:10]


def test_limit_and_offset_paginate(client: Client, list_token: str) -> None:
    images = list(reversed(_images(6)))
    data = assert_success(client.get("/api/v1/image?limit=2&offset=3", **bearer(list_token)))
    assert [item["id"] for item in data] == [str(images[3].id), str(images[4].id)]


def test_offset_zero_is_allowed_and_past_the_end_is_empty(client: Client, list_token: str) -> None:
    _images(2)
    assert len(assert_success(client.get("/api/v1/image?offset=0", **bearer(list_token)))) == 2
    assert assert_success(client.get("/api/v1/image?offset=50", **bearer(list_token))) == []


def test_limit_25_is_the_maximum(client: Client, list_token: str) -> None:
    _images(26)
    assert len(assert_success(client.get("/api/v1/image?limit=25", **bearer(list_token)))) == 25


def test_trailing_slash_is_the_same_endpoint(client: Client, list_token: str) -> None:
    _images(1)
    assert len(assert_success(client.get("/api/v1/image/", **bearer(list_token)))) == 1


def test_no_token_is_401(client: Client) -> None:
    # Seed 002: "401: Unauthorized / You have not provided a token."
    response = client.get("/api/v1/image")
    assert_error(response, 401, "You have not provided a token.")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("token_fixture", ["revoked_token", "expired_token"])
def test_dead_token_is_401(client: Client, token_fixture: str, request) -> None:
    # Seed 002: "401: Invalid token / The token provided is not a valid token."
    value = request.getfixturevalue(token_fixture)
    assert_error(
        client.get("/api/v1/image", **bearer(value)),
        401,
        "The token provided is not a valid token.",
    )


def test_wrong_or_empty_token_is_401(client: Client) -> None:
    message = "The token provided is not a valid token."
    assert_error(client.get("/api/v1/image", **bearer("A" * 100)), 401, message)
    assert_error(client.get("/api/v1/image", HTTP_AUTHORIZATION="Bearer "), 401, message)


def test_token_without_image_list_scope_is_403(client: Client, plain_token: str) -> None:
    # Seed 002: "403: Missing permission / The access token provided has not got permission
    # to list all images."
    assert_error(
        client.get("/api/v1/image", **bearer(plain_token)),
        403,
        "The access token provided has not got permission to list all images.",
    )


@pytest.mark.parametrize("value", ["0", "26", "-1", "abc", "1.5", "", " 3", "9" * 30])
def test_invalid_limit_is_400(client: Client, list_token: str, value: str) -> None:
    # Seed 002: "400: Invalid limit / The limit provided is not a number between 1 and 25."
    assert_error(
        client.get("/api/v1/image", {"limit": value}, **bearer(list_token)),
        400,
        "The limit provided is not a number between 1 and 25.",
    )


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", ""])
def test_invalid_offset_is_400(client: Client, list_token: str, value: str) -> None:
    # Seed 002: "400: Invalid offset / The offset provided is not a number greater than 0."
    assert_error(
        client.get("/api/v1/image", {"offset": value}, **bearer(list_token)),
        400,
        "The offset provided is not a number greater than 0.",
    )


@pytest.mark.parametrize("value", ["30", "0", "-60", "abc", "60.5"])
def test_invalid_expiry_is_400(client: Client, expiry_token: str, value: str) -> None:
    # Seed 002: "400: Invalid expiry / The provided custom expiry time is not a number
    # greater than 30."
    assert_error(
        client.get("/api/v1/image", {"expiry": value}, **bearer(expiry_token)),
        400,
        "The provided custom expiry time is not a number greater than 30.",
    )


def test_expiry_without_expiry_scope_is_403(client: Client, list_token: str) -> None:
    # Seed 002: "403: Missing permission / The access token provided has not got permission
    # to set a custom image expiry time."
    assert_error(
        client.get("/api/v1/image?expiry=60", **bearer(list_token)),
        403,
        "The access token provided has not got permission to set a custom image expiry time.",
    )


def test_expiry_longer_than_the_scope_allows_is_403(client: Client, expiry_token: str) -> None:
    # Seed 002: "403: Missing permission / The custom expiry time is greater than what allowed
    # by the token."
    assert_error(
        client.get("/api/v1/image?expiry=3601", **bearer(expiry_token)),
        403,
        "The custom expiry time is greater than what allowed by the token.",
    )


def test_expiry_within_the_scope_signs_every_link(client: Client, expiry_token: str) -> None:
    _images(2)
    data = assert_success(client.get("/api/v1/image?expiry=3600", **bearer(expiry_token)))
    for item in data:
        assert "?expires=" in item["url"] and "&signature=" in item["url"]
        assert item["meta"]["expires"].endswith(".000Z")
