"""Every /api/v1 answer is JSON in the envelope: unknown routes, wrong methods, bad tokens."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from catalog.tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

ID = "00000000-0000-4000-8000-000000000000"
ALL_PATHS = [
    "/api/v1/",
    "/api/v1/stats",
    "/api/v1/token",
    "/api/v1/image",
    "/api/v1/image/random",
    f"/api/v1/image/{ID}",
    "/api/v1/artist",
    f"/api/v1/artist/{ID}",
    f"/api/v1/artist/{ID}/images",
    "/api/v1/character",
    f"/api/v1/character/{ID}",
    "/api/v1/category",
    f"/api/v1/category/{ID}",
]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/image/random/extra", "/api/v1x"])
def test_unknown_route_is_404_in_the_envelope(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 404 and body["success"] is False and body["message"]


# The write API (issue #22): submissions and staff edits. Every other method is a 405.
WRITES = {
    ("post", "/api/v1/image"),
    *(("post", f"/api/v1/{kind}") for kind in ("artist", "character", "category")),
    *(
        (method, f"/api/v1/{kind}/{ID}")
        for kind in ("image", "artist", "character", "category")
        for method in ("patch", "delete")
    ),
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        (method, path)
        for path in ALL_PATHS
        for method in ("post", "put", "patch", "delete")
        if (method, path) not in WRITES
    ],
)
def test_wrong_method_is_405_in_the_envelope(client: Client, path: str, method: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.json() == {
        "code": 405,
        "message": "This method is not allowed on this endpoint.",
        "success": False,
    }


@pytest.mark.parametrize("path", ALL_PATHS)
def test_a_dead_token_is_401_on_every_endpoint(
    client: Client, path: str, revoked_token: str
) -> None:
    response = client.get(path, **bearer(revoked_token))
    assert response.status_code == 401
    assert response.json()["message"] in {
        "The token provided is invalid.",
        "The token provided is not a valid token.",
    }


@pytest.mark.parametrize("path", ALL_PATHS)
def test_responses_are_json_whatever_the_accept_header(client: Client, path: str) -> None:
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/json"
    assert "success" in response.json()


def test_head_is_answered_like_get(client: Client) -> None:
    assert client.head("/api/v1/stats").status_code == 200


def test_random_uuid_paths_never_500(client: Client) -> None:
    for kind in ("image", "artist", "character", "category"):
        assert client.get(f"/api/v1/{kind}/{uuid.uuid4()}").status_code == 404
        assert client.get(f"/api/v1/{kind}/%00").status_code == 400
