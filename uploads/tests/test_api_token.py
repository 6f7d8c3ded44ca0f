"""Seed 004 token endpoints: /api/token/get|regen|valid."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import Token, User
from uploads.tests.conftest import PASSWORD
from uploads.tests.test_api_user import assert_envelope

pytestmark = pytest.mark.django_db
UUID_SHAPE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_token_get_returns_uuid_shaped_token(client: Client, owner: User) -> None:
    response = client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    # Seed 004: {"token": "xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}
    body = response.json()
    assert list(body) == ["token"] and UUID_SHAPE.match(body["token"])


def test_token_get_returns_the_same_current_token_each_time(
    client: Client, owner: User, owner_token: str
) -> None:
    for _ in range(2):
        response = client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
        assert response.json() == {"token": owner_token}


def test_token_is_not_stored_in_plain_text(owner: User, owner_token: str) -> None:
    row = Token.objects.get(user=owner)
    assert owner_token not in (row.digest, row.nonce)


def test_token_get_wrong_password_is_401(client: Client, owner: User) -> None:
    response = client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD="bad")
    assert_envelope(response, 401)


def test_token_get_unknown_user_is_401_like_wrong_password(client: Client) -> None:
    response = client.post("/api/token/get", HTTP_USERNAME="ghost", HTTP_PASSWORD=PASSWORD)
    assert assert_envelope(response, 401)["message"] == "The username or password is not correct."


def test_token_get_missing_password_is_400(client: Client, owner: User) -> None:
    assert_envelope(client.post("/api/token/get", HTTP_USERNAME="moptop"), 400)


def test_token_regen_replaces_the_token(client: Client, owner: User, owner_token: str) -> None:
    response = client.post("/api/token/regen", HTTP_TOKEN=owner_token)
    # Seed 004: 'it will return "Token has been regenerated!"'
    assert response.content == b"Token has been regenerated!"
    assert_envelope(client.post("/api/token/valid", HTTP_TOKEN=owner_token), 401)
    new = client.post("/api/token/get", HTTP_USERNAME="moptop", HTTP_PASSWORD=PASSWORD)
    new_token = new.json()["token"]
    assert new_token != owner_token
    assert client.post("/api/token/valid", HTTP_TOKEN=new_token).status_code == 200


def test_token_regen_bad_token_is_401(client: Client) -> None:
    assert_envelope(client.post("/api/token/regen", HTTP_TOKEN="nope"), 401)


def test_token_regen_missing_token_is_400(client: Client) -> None:
    assert_envelope(client.post("/api/token/regen"), 400)


def test_token_valid_says_so(client: Client, owner_token: str) -> None:
    response = client.post("/api/token/valid", HTTP_TOKEN=owner_token)
    # Seed 004: 'If the token is valid it will send "This token is valid!"'
    assert response.status_code == 200 and response.content == b"This token is valid!"


def test_token_valid_bad_token_is_401(client: Client) -> None:
    assert_envelope(client.post("/api/token/valid", HTTP_TOKEN="x" * 500), 401)


def test_token_of_deactivated_user_is_refused(
    client: Client, owner: User, owner_token: str
) -> None:
    owner.is_active = False
    owner.save()
    assert_envelope(client.post("/api/token/valid", HTTP_TOKEN=owner_token), 401)


def test_get_is_not_allowed_on_post_endpoints(client: Client) -> None:
    assert_envelope(client.get("/api/token/valid"), 405)
