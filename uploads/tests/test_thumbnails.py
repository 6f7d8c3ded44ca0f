"""Dashboard thumbnails cost bounded work: made once and kept, within a pixel budget, a few at
a time per process (issue #17: an 8 KB 7990x7990 1-bit PNG cost 320 MB per request)."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from PIL import Image

from nekosite.lib.thumbnails import placeholder_thumbnail, thumbnail_slot
from uploads.tests.conftest import png_bytes
from uploads.tests.test_api_user import assert_envelope

pytestmark = pytest.mark.django_db


def _upload(upload_file: Any, token: str, data: bytes, name: str) -> str:
    response = upload_file(token, data, name)
    assert response.status_code == 200, response.content
    return response.json()["url"].rsplit("/", 1)[-1]


def _thumb(client: Client, name: str) -> Any:
    return client.get(f"/dashboard/files/{name}/thumb.webp")


def _body(response: Any) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _encoded(mode: str, size: tuple[int, int], fmt: str, **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, format=fmt, **save)
    return buffer.getvalue()


def test_thumbnail_is_stored_once_and_served_without_the_original(
    logged_in: Client, owner_token: str, upload_file: Any, uploads_storage: Path
) -> None:
    name = _upload(upload_file, owner_token, png_bytes((800, 600)), "big.png")
    first = _body(_thumb(logged_in, name))
    stored = uploads_storage / "_thumbs" / f"{name}.webp"
    assert stored.read_bytes() == first
    # The second request never reads the original: with its bytes gone, the thumb still comes.
    storages["uploads"].delete(name)
    assert _body(_thumb(logged_in, name)) == first


def test_the_issues_huge_one_bit_png_gets_the_placeholder_and_it_is_kept(
    logged_in: Client, owner_token: str, upload_file: Any, uploads_storage: Path
) -> None:
    bomb = _encoded("1", (7990, 7990), "PNG", optimize=True)
    assert len(bomb) < 64 * 1024  # a few KB on disk, 64 Mpx once decoded
    name = _upload(upload_file, owner_token, bomb, "bomb.png")
    assert _body(_thumb(logged_in, name)) == placeholder_thumbnail()
    # The refusal is stored like a thumbnail, so the image is never opened again.
    assert (uploads_storage / "_thumbs" / f"{name}.webp").read_bytes() == placeholder_thumbnail()
    storages["uploads"].delete(name)
    assert _body(_thumb(logged_in, name)) == placeholder_thumbnail()


def test_an_image_over_the_pixel_budget_gets_the_placeholder(
    logged_in: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.THUMBNAIL_MAX_PIXELS = 10_000
    name = _upload(upload_file, owner_token, png_bytes((101, 100)), "wide.png")
    assert _body(_thumb(logged_in, name)) == placeholder_thumbnail()


def test_a_big_jpeg_is_decoded_at_reduced_scale_within_the_budget(
    logged_in: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    # 4000x4000 = 16 Mpx in the header; draft mode decodes it at 1/8 scale (500x500).
    settings.THUMBNAIL_MAX_PIXELS = 500 * 500
    name = _upload(upload_file, owner_token, _encoded("RGB", (4000, 4000), "JPEG"), "big.jpg")
    body = _body(_thumb(logged_in, name))
    assert body != placeholder_thumbnail()
    with Image.open(io.BytesIO(body)) as thumb:
        assert thumb.size == (480, 480)


def test_thumbnail_work_is_bounded_per_process_busy_is_503_with_retry_after(
    logged_in: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.THUMBNAIL_CONCURRENCY = 1
    name = _upload(upload_file, owner_token, png_bytes((64, 64)), "cat.png")
    holding, release = threading.Event(), threading.Event()

    def hold_the_only_slot() -> None:
        with thumbnail_slot():
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold_the_only_slot)
    worker.start()
    try:
        assert holding.wait(5)
        busy = _thumb(logged_in, name)
        assert assert_envelope(busy, 503)["message"]
        assert busy["Retry-After"]
    finally:
        release.set()
        worker.join()
    assert _body(_thumb(logged_in, name)) != placeholder_thumbnail()
