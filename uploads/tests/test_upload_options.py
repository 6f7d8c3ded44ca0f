"""Issue #20 through the API: per-upload options, metadata stripping, expiry, view limits,
password-protected links and what caches may keep.

The real-server checks (exactly N of many parallel views, expiry removed by the real worker,
the password page under the brute-force guard on gunicorn) are in tests/test_file_options_server.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import User
from uploads import services, viewcount
from uploads.models import Upload
from uploads.tests.conftest import png_bytes, storage_names

pytestmark = pytest.mark.django_db
GPS_IFD = 0x8825


def gps_jpeg(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 39.0, 29.0), 3: "E", 4: (139.0, 42.0, 5.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(buffer, format="JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def name_of(response: Any) -> str:
    assert response.status_code == 200, response.content
    return str(response.json()["url"]).rsplit("/", 1)[-1]


def body_of(response: Any) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def file_url(name: str) -> str:
    return f"/u/{name}"


# --- options through the headers ------------------------------------------------------------


def test_no_option_header_answers_exactly_the_seed_and_sets_nothing(
    owner_token: str, upload_file: Any
) -> None:
    response = upload_file(owner_token, png_bytes(), "cat.png")
    assert list(response.json()) == ["url"]
    upload = Upload.objects.get(name=name_of(response))
    assert (upload.expires_at, upload.max_views, upload.password_hash) == (None, None, "")
    assert not upload.keep_metadata and upload.embed_title == ""


def test_every_option_header_is_stored(owner_token: str, upload_file: Any) -> None:
    response = upload_file(
        owner_token,
        png_bytes(),
        "cat.png",
        HTTP_EXPIRES="2h",
        HTTP_MAX_VIEWS="7",
        HTTP_FILE_PASSWORD="open sesame",
        HTTP_KEEP_METADATA="true",
        HTTP_EMBED_TITLE="My cat",
        HTTP_EMBED_COLOR="#FF66AA",
        HTTP_EMBED_DESCRIPTION="Sleeping again",
        HTTP_EMBED="true",
    )
    body = response.json()
    assert list(body) == ["url", "embed"] and body["embed"].endswith(f"/e/{name_of(response)}")
    upload = Upload.objects.get(name=name_of(response))
    assert upload.expires_at is not None
    assert timedelta(minutes=119) < upload.expires_at - timezone.now() <= timedelta(hours=2)
    assert upload.max_views == 7 and upload.keep_metadata
    assert upload.password_hash and "open sesame" not in upload.password_hash
    assert (upload.embed_title, upload.embed_color, upload.embed_description) == (
        "My cat",
        "#ff66aa",
        "Sleeping again",
    )


@pytest.mark.parametrize(("header", "value", "named"), [
    ("HTTP_EXPIRES", "tomorrow", "expires"), ("HTTP_MAX_VIEWS", "0", "max-views"),
    ("HTTP_FILE_PASSWORD", "abc", "file-password"), ("HTTP_EMBED_COLOR", "pink", "embed-color"),
    ("HTTP_KEEP_METADATA", "perhaps", "keep-metadata"),
])  # fmt: skip
def test_a_bad_option_is_a_400_envelope_and_stores_nothing(
    owner_token: str, upload_file: Any, header: str, value: str, named: str
) -> None:
    response = upload_file(owner_token, png_bytes(), "cat.png", **{header: value})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["code"] == 400 and named in body["message"]
    assert Upload.objects.count() == 0 and storage_names() == []


# --- metadata ---------------------------------------------------------------------------------


def test_gps_is_stripped_by_default_and_size_and_hash_describe_the_stored_bytes(
    client: Client, owner_token: str, upload_file: Any, tmp_path: Path
) -> None:
    original = gps_jpeg()
    name = name_of(upload_file(owner_token, original, "phone.jpg"))
    served = body_of(client.get(file_url(name)))
    with Image.open(io.BytesIO(served)) as image:
        assert GPS_IFD not in image.getexif() and not image.getexif().get(0x010F)
    upload = Upload.objects.get(name=name)
    assert upload.size == len(served) < len(original)
    assert upload.sha256 == hashlib.sha256(served).hexdigest()
    tool = shutil.which("exiftool")
    if tool:
        path = tmp_path / "served.jpg"
        path.write_bytes(served)
        tags = json.loads(subprocess.run([tool, "-j", "-G1", str(path)], capture_output=True,
                                         check=True).stdout)[0]  # fmt: skip
        assert not [key for key in tags if "GPS" in key]


def test_keep_metadata_keeps_the_exif(client: Client, owner_token: str, upload_file: Any) -> None:
    original = gps_jpeg()
    name = name_of(upload_file(owner_token, original, "phone.jpg", HTTP_KEEP_METADATA="true"))
    assert body_of(client.get(file_url(name))) == original


def test_an_image_whose_metadata_cannot_be_removed_is_refused_with_a_400() -> None:
    """Uploads are sniffed with Pillow first, so this takes a file that passed as a JPEG but
    whose segments are broken: refused, and the message says how to store it anyway."""
    import contextlib

    from uploads.errors import DamagedImage

    broken = io.BytesIO(b"\xff\xd8\xff\xe1\x00\x40Exif" + b"\x00" * 10)
    with contextlib.ExitStack() as cleanup, pytest.raises(DamagedImage) as refused:
        services._without_metadata(broken, "image/jpeg", cleanup)
    assert refused.value.status == 400 and "keep-metadata: true" in refused.value.message


# --- expiry -----------------------------------------------------------------------------------


def test_an_expired_file_answers_404_at_once_and_the_purge_removes_it(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = name_of(upload_file(owner_token, png_bytes(), "cat.png", HTTP_EXPIRES="1h"))
    assert client.get(file_url(name)).status_code == 200
    Upload.objects.filter(name=name).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(file_url(name))
    assert response.status_code == 404 and response.json()["success"] is False
    assert storage_names() == [name]  # still stored until the periodic task runs
    assert services.uploads_purge_unavailable() == 1
    assert Upload.objects.count() == 0 and storage_names() == []


def test_an_expiring_file_may_be_cached_only_until_it_expires(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.UPLOAD_CACHE_SECONDS = 3600
    plain = name_of(upload_file(owner_token, png_bytes(), "a.png"))
    soon = name_of(upload_file(owner_token, png_bytes(color="blue"), "b.png", HTTP_EXPIRES="10m"))
    assert client.get(file_url(plain))["Cache-Control"] == "public, max-age=3600"
    max_age = int(re.search(r"max-age=(\d+)", client.get(file_url(soon))["Cache-Control"])[1])
    assert 590 <= max_age <= 600


# --- view limits ------------------------------------------------------------------------------


def test_a_file_with_max_views_is_served_that_many_times_then_404(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = name_of(upload_file(owner_token, png_bytes(), "cat.png", HTTP_MAX_VIEWS="2"))
    assert client.head(file_url(name)).status_code == 200  # a HEAD is not a view
    response = client.get(file_url(name))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert client.get(file_url(name), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200
    assert client.get(file_url(name)).status_code == 404
    assert Upload.objects.get(name=name).view_count == 2
    assert services.uploads_purge_unavailable() == 1 and storage_names() == []


def test_views_of_other_files_are_counted_without_a_write_per_view(
    client: Client, owner_token: str, upload_file: Any, django_assert_max_num_queries: Any
) -> None:
    name = name_of(upload_file(owner_token, png_bytes(), "cat.png"))
    viewcount.flush()
    for _ in range(5):
        with django_assert_max_num_queries(1):  # the row; no UPDATE per view
            assert client.get(file_url(name)).status_code == 200
    assert viewcount.flush() == 5
    assert Upload.objects.get(name=name).view_count == 5


# --- passwords --------------------------------------------------------------------------------


def protected(owner_token: str, upload_file: Any, password: str = "open sesame") -> str:
    return name_of(upload_file(owner_token, png_bytes(), "cat.png", HTTP_FILE_PASSWORD=password))


def test_a_protected_file_shows_the_password_page_and_never_its_bytes(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = protected(owner_token, upload_file)
    page = client.get(file_url(name))
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b'type="password"' in page.content and png_bytes() not in page.content
    assert page["Cache-Control"] == "private, no-store"
    assert (
        client.get(file_url(name) + "?expires=9999999999&signature=forged").content.find(
            b'type="password"'
        )
        >= 0
    )


def test_the_right_password_gives_a_short_lived_link_to_the_bytes(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = protected(owner_token, upload_file)
    wrong = client.post(file_url(name), {"password": "guess"})
    assert wrong.status_code == 403 and b"not right" in wrong.content
    right = client.post(file_url(name), {"password": "open sesame"})
    assert right.status_code == 302
    link = right["Location"]
    assert link.startswith("?")  # relative: the browser keeps the path it used
    assert "open sesame" not in link and "expires=" in link and "signature=" in link
    served = client.get(file_url(name) + link)
    assert served.status_code == 200 and body_of(served) == png_bytes()
    assert served["Cache-Control"] == "private, no-store"


def test_changing_the_password_ends_the_links_given_for_the_old_one(
    client: Client, owner: User, owner_token: str, upload_file: Any
) -> None:
    name = protected(owner_token, upload_file)
    link = file_url(name) + client.post(file_url(name), {"password": "open sesame"})["Location"]
    upload = Upload.objects.get(name=name)
    services.upload_update_options(upload=upload, expires_at=None, max_views=None,
                                   password="another secret")  # fmt: skip
    assert b'type="password"' in client.get(link).content
    services.upload_update_options(upload=upload, expires_at=None, max_views=None,
                                   remove_password=True)  # fmt: skip
    assert body_of(client.get(file_url(name))) == png_bytes()


def test_password_guessing_is_stopped_by_the_brute_force_guard(
    client: Client, owner_token: str, upload_file: Any, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_AUTH_RATE = "3/h"
    name = protected(owner_token, upload_file)
    for _ in range(3):
        assert client.post(file_url(name), {"password": "guess"}).status_code == 403
    blocked = client.post(file_url(name), {"password": "open sesame"})
    assert blocked.status_code == 429 and b"Too many failed attempts" in blocked.content


def test_the_password_form_needs_its_csrf_token(owner_token: str, upload_file: Any) -> None:
    name = protected(owner_token, upload_file)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(file_url(name), {"password": "open sesame"}).status_code == 403


# --- the owner changes options ----------------------------------------------------------------


def test_options_can_be_changed_later_within_their_rules(
    client: Client, owner_token: str, upload_file: Any
) -> None:
    name = name_of(upload_file(owner_token, png_bytes(), "cat.png", HTTP_MAX_VIEWS="3"))
    client.get(file_url(name))
    client.get(file_url(name))
    upload = Upload.objects.get(name=name)
    from uploads.errors import InvalidInput

    with pytest.raises(InvalidInput, match="viewed 2 times"):
        services.upload_update_options(upload=upload, expires_at=None, max_views=2)
    with pytest.raises(InvalidInput, match="future"):
        services.upload_update_options(
            upload=upload, expires_at=timezone.now() - timedelta(minutes=1), max_views=None
        )
    services.upload_update_options(
        upload=upload,
        expires_at=timezone.now() + timedelta(days=1),
        max_views=10,
        embed_title="Renamed",
        embed_color="#00ff00",
    )
    upload.refresh_from_db()
    assert upload.max_views == 10 and upload.embed_title == "Renamed"
    assert client.get(file_url(name)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_buffered_views_are_written_soon_even_if_no_other_view_comes(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    upload = Upload.objects.create(
        owner=owner, name="quiet.png", size=1, content_type="image/png", sha256="0" * 64
    )
    viewcount.flush()
    monkeypatch.setattr(viewcount, "FLUSH_SECONDS", 0.3)
    for _ in range(3):
        viewcount.count_view(upload)
    deadline = time.monotonic() + 5
    while Upload.objects.get(pk=upload.pk).view_count != 3:
        assert time.monotonic() < deadline, "the timer never wrote the views"
        time.sleep(0.1)
