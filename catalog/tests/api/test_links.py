"""Image links: permanent by default, signed and time-limited with `expiry`; the asset view."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings

from catalog.tests.api.conftest import assert_error, assert_success, bearer
from catalog.tests.factories import make_image, png_bytes
from nekosite.lib import signing
from tests.responses import streamed_body

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_default_link_is_permanent_and_serves_the_file(client: Client) -> None:
    image = make_image()
    data = assert_success(client.get(f"/api/v1/image/{image.id}"))
    assert data["meta"]["expires"] is None
    response = client.get(_path(data["url"]))
    assert response.status_code == 200
    assert streamed_body(response) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["ETag"] == f'"{image.etag}"'
    assert response["Content-Length"] == str(image.size)
    assert "max-age=31536000" in response["Cache-Control"]


def test_asset_answers_304_to_its_etag(client: Client) -> None:
    image = make_image()
    response = client.get(f"/assets/{image.id}.png", HTTP_IF_NONE_MATCH=f'"{image.etag}"')
    assert response.status_code == 304


def test_signed_link_carries_expires_and_works(client: Client, expiry_token: str) -> None:
    image = make_image()
    before = int(time.time())
    data = assert_success(
        client.get(f"/api/v1/image/{image.id}?expiry=600", **bearer(expiry_token))
    )
    query = parse_qs(urlsplit(data["url"]).query)
    expires = int(query["expires"][0])
    assert before + 600 <= expires <= int(time.time()) + 601
    assert data["meta"]["expires"] == time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(expires))
    response = client.get(_path(data["url"]))
    assert response.status_code == 200
    max_age = int(response["Cache-Control"].split("max-age=")[1])
    assert 0 < max_age <= 601


def test_expired_signed_link_is_403(client: Client) -> None:
    image = make_image()
    expires = int(time.time()) - 5
    query = signing.signed_query(f"{image.id}.png", expires)
    assert_error(client.get(f"/assets/{image.id}.png?{query}"), 403, "This image link has expired.")


def test_tampered_signed_link_is_403(client: Client) -> None:
    image = make_image()
    other = make_image()
    expires = int(time.time()) + 600
    good = signing.signature(f"{image.id}.png", expires)
    message = "This image link has an invalid signature."
    # A longer life than signed.
    assert_error(
        client.get(f"/assets/{image.id}.png?expires={expires + 1000}&signature={good}"),
        403,
        message,
    )
    # The signature of another file.
    assert_error(
        client.get(f"/assets/{other.id}.png?expires={expires}&signature={good}"), 403, message
    )
    # Garbage and half links.
    assert_error(client.get(f"/assets/{image.id}.png?expires=abc&signature=x"), 403, message)
    assert_error(client.get(f"/assets/{image.id}.png?signature={good}"), 403, message)


def test_unknown_asset_is_404_in_the_envelope(client: Client) -> None:
    image = make_image()
    message = "Could not find image with the provided ID."
    assert_error(client.get("/assets/00000000-0000-0000-0000-000000000000.png"), 404, message)
    assert_error(client.get(f"/assets/{image.id}.jpg"), 404, message)
    assert client.get("/assets/not-a-file").status_code == 404


def test_asset_refuses_post(client: Client) -> None:
    image = make_image()
    response = client.post(f"/assets/{image.id}.png")
    assert response.status_code == 405
    assert response.json()["success"] is False


@override_settings(CATALOG_MEDIA_URL="https://cdn.example.com/assets/")
def test_absolute_media_url_is_used_as_is(client: Client) -> None:
    image = make_image()
    data = assert_success(client.get(f"/api/v1/image/{image.id}"))
    assert data["url"] == f"https://cdn.example.com/assets/{image.id}.png"


def test_signing_round_trip() -> None:
    expires = signing.expires_at(60)
    sig = signing.signature("a.png", expires)
    assert signing.verify("a.png", str(expires), sig) is signing.LinkState.VALID
    assert signing.verify("b.png", str(expires), sig) is signing.LinkState.INVALID
    assert signing.verify("a.png", str(expires), sig, now=expires) is signing.LinkState.EXPIRED
    assert signing.verify("a.png", "9" * 40, sig) is signing.LinkState.INVALID


def test_image_whose_file_is_gone_is_404_not_500(client: Client) -> None:
    image = make_image()
    image.file.storage.delete(image.file.name)
    assert_error(
        client.get(f"/assets/{image.id}.png"), 404, "Could not find image with the provided ID."
    )


def test_asset_answers_head_and_ranges(client: Client) -> None:
    image = make_image()
    head = client.head(f"/assets/{image.id}.png")
    assert head.status_code == 200 and head["Content-Length"] == str(image.size)
    partial = client.get(f"/assets/{image.id}.png", HTTP_RANGE="bytes=0-3")
    assert partial.status_code == 206
    assert streamed_body(partial) == png_bytes()[:4]
