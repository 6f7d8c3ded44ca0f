"""GET /api/v1/, /api/v1/stats and /api/v1/token (seed 002)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Token
from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_artist, make_category, make_character, make_image

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/",
    "/stats",
    "/token",
    "/image",
    "/image/random",
    "/image/{id}",
    "/artist",
    "/artist/{id}",
    "/artist/{id}/images",
    "/character",
    "/character/{id}",
    "/category",
    "/category/{id}",
]


@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/"])
def test_root_lists_endpoints_and_version(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": ENDPOINTS,
        "meta": {"version": "v1.4.2", "baseApiRoute": "/api/v1"},
    }


def test_root_rejects_a_dead_token(client: Client, revoked_token: str) -> None:
    assert_error(
        client.get("/api/v1/", **bearer(revoked_token)), 401, "The token provided is invalid."
    )


def test_stats_counts_everything(client: Client) -> None:
    make_artist()
    make_character()
    make_category()
    make_category()
    make_image(nsfw="sfw")
    make_image(nsfw="sfw")
    make_image(nsfw="questionable")
    make_image(nsfw="nsfw")
    data = assert_success(client.get("/api/v1/stats"))
    assert data == {
        "images": {"count": 4, "nsfw": {"sfw": 2, "questionable": 1, "nsfw": 1}},
        "artists": {"count": 1},
        "characters": {"count": 1},
        "categories": {"count": 2},
    }


def test_stats_of_an_empty_catalog(client: Client) -> None:
    data = assert_success(client.get("/api/v1/stats/"))
    assert data["images"] == {"count": 0, "nsfw": {"sfw": 0, "questionable": 0, "nsfw": 0}}


def test_token_describes_the_token(client: Client, application_token: str) -> None:
    data = assert_success(client.get("/api/v1/token", **bearer(application_token)))
    token = Token.objects.get()
    assert data == {
        "owner": "owner",
        "purpose": "A Discord bot that posts cats.",
        "scopes": ["image:list", "image:custom-expiry:86400"],
        "issuedBy": "moderator",
        "createdAt": token.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{token.created_at.microsecond // 1000:03d}Z",
        "expires": token.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{token.expires_at.microsecond // 1000:03d}Z",
    }
    assert datetime.fromisoformat(data["expires"]) > datetime.now(UTC)


def test_token_without_application_has_null_purpose_issuer_and_expiry(
    client: Client, plain_token: str
) -> None:
    data = assert_success(client.get("/api/v1/token", **bearer(plain_token)))
    assert data["purpose"] is None and data["issuedBy"] is None and data["expires"] is None
    assert data["scopes"] == [] and data["owner"] == "owner"


def test_token_errors(client: Client, revoked_token: str, expired_token: str) -> None:
    # Seed 002: "You have not provided a token." / "The token provided is not a valid token."
    assert_error(client.get("/api/v1/token"), 401, "You have not provided a token.")
    for value in (revoked_token, expired_token, "nope"):
        assert_error(
            client.get("/api/v1/token", **bearer(value)),
            401,
            "The token provided is not a valid token.",
        )


def test_token_of_a_deactivated_user_is_invalid(client: Client, plain_token: str) -> None:
    Token.objects.get().user.__class__.objects.update(is_active=False)
    assert_error(
        client.get("/api/v1/token", **bearer(plain_token)),
        401,
        "The token provided is not a valid token.",
    )
