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


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_pdf_on_the_sites_own_origin_is_a_sandboxed_attachment(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    # The default UPLOAD_URL (/u/) is on the main origin, where a PDF's scripts would run
    # next to the dashboards (issue #17).
    settings.UPLOAD_URL = "/u/"
    name = stored_name(upload_file(owner_token, PDF, "paper.pdf"))
    response = client.get(f"/u/{name}")
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert body_of(response) == PDF


def test_pdf_on_an_upload_url_with_the_sites_host_is_a_sandboxed_attachment(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.UPLOAD_URL = f"{settings.SITE_URL}/u/"
    name = stored_name(upload_file(owner_token, PDF, "paper.pdf"))
    response = client.get(f"/u/{name}")
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_pdf_on_a_separate_upload_origin_is_inline(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.UPLOAD_URL = "https://i.example.org/"
    name = stored_name(upload_file(owner_token, PDF, "paper.pdf"))
    response = client.get(f"/u/{name}")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")


def test_uploads_are_cached_for_upload_cache_seconds_and_never_immutable(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    # A deleted or taken-down file must not live on in caches for a year (issue #17).
    settings.UPLOAD_CACHE_SECONDS = 600
    name = stored_name(upload_file(owner_token, png_bytes(), "cat.png"))
    for response in (
        client.get(f"/u/{name}"),
        client.head(f"/u/{name}"),
        client.get(f"/u/{name}", HTTP_RANGE="bytes=0-3"),
    ):
        assert response["Cache-Control"] == "public, max-age=600"
    etag = client.get(f"/u/{name}")["ETag"]
    assert client.get(f"/u/{name}", HTTP_IF_NONE_MATCH=etag)["Cache-Control"] == (
        "public, max-age=600"
    )


def test_uploads_cache_lifetime_defaults_to_an_hour(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = stored_name(upload_file(owner_token, b"words", "a.txt"))
    assert client.get(f"/u/{name}")["Cache-Control"] == "public, max-age=3600"
