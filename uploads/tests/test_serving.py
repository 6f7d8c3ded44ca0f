"""Files served at UPLOAD_URL (/u/<name>) through nekosite.lib.serving."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from uploads.tests.conftest import png_bytes
from uploads.tests.test_api_files import stored_name
from uploads.tests.test_api_user import assert_envelope

pytestmark = pytest.mark.django_db
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_unknown_name_is_404_envelope(client: Client) -> None:
    assert_envelope(client.get("/u/nothere.png"), 404)


def test_png_is_served_inline_as_image_png(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    data = png_bytes()
    name = stored_name(upload_file(owner_token, data, "cat.png"))
    response = client.get(f"/u/{name}")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(body_of(response)).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize(("data", "client_name"), [(HTML, "page.html"), (SVG, "logo.svg")])
def test_active_content_is_an_attachment_in_a_sandbox(
    client: Client, owner_token: str, upload_file: Any, data: bytes, client_name: str
) -> None:
    name = stored_name(upload_file(owner_token, data, client_name))
    response = client.get(f"/u/{name}")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert body_of(response) == data


@pytest.mark.parametrize("client_name", ["page.txt", "noext", "image.png"])
def test_html_disguised_under_another_name_is_still_an_attachment(
    client: Client, owner_token: str, upload_file: Any, client_name: str
) -> None:
    name = stored_name(upload_file(owner_token, HTML, client_name))
    response = client.get(f"/u/{name}")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"


def test_plain_text_under_an_html_name_is_still_an_attachment(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = stored_name(upload_file(owner_token, b"just words", "x.html"))
    assert client.get(f"/u/{name}")["Content-Disposition"].startswith("attachment")


def test_range_request_gets_206_with_the_slice(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    data = bytes(range(256)) * 10
    name = stored_name(upload_file(owner_token, data, "a.bin"))
    response = client.get(f"/u/{name}", HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert body_of(response) == data[10:20]


def test_if_none_match_gets_304(client: Client, owner_token: str, upload_file: Any) -> None:
    name = stored_name(upload_file(owner_token, b"cache me", "a.txt"))
    etag = client.get(f"/u/{name}")["ETag"]
    response = client.get(f"/u/{name}", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


def test_head_has_headers_and_no_body(client: Client, owner_token: str, upload_file: Any) -> None:
    name = stored_name(upload_file(owner_token, b"hello", "a.txt"))
    response = client.head(f"/u/{name}")
    assert response.status_code == 200 and response["Content-Length"] == "5"
    assert body_of(response) == b""


def test_text_is_served_as_utf8_plain_text(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = stored_name(upload_file(owner_token, "héllo".encode(), "a.txt"))
    assert client.get(f"/u/{name}")["Content-Type"] == "text/plain; charset=utf-8"
