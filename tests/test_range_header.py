"""A malformed or absurd Range header gets 416 or the whole file, never a 500 (issue #17).

Python refuses to turn strings of more than 4,300 digits into ints, so a Range with a
5,000-digit number used to raise in the file server of /u/ and /assets/.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from catalog.tests.factories import make_image
from uploads.services import upload_create

pytestmark = pytest.mark.django_db
DATA = bytes(range(256)) * 4
HUGE = "9" * 5000


@pytest.fixture
def paths(settings: Any, tmp_path: Path) -> list[str]:
    """One uploaded file (/u/) and one catalog image (/assets/)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads"), "base_url": None},
        },
    }
    owner = User.objects.create_user("ranger", password="correct horse battery 42")
    handle = io.BytesIO(DATA)
    upload = upload_create(owner=owner, file=handle, client_name="a.bin", size=len(DATA))
    image = make_image()
    return [f"/u/{upload.name}", f"/assets/{image.pk}.png"]


def _assert_416_or_whole(response: Any) -> None:
    assert response.status_code in {200, 206, 416}, response.status_code
    if response.status_code == 416:
        assert response["Content-Range"].startswith("bytes */")
    elif response.status_code == 200:
        assert int(response["Content-Length"]) > 0


@pytest.mark.parametrize(
    "header",
    [
        f"bytes={HUGE}-",
        f"bytes=0-{HUGE}",
        f"bytes=-{HUGE}",
        f"bytes={HUGE}-{HUGE}",
        f"bytes={HUGE}",
        "bytes=\u0660-\u0665",  # Arabic-Indic digits: int() takes them, HTTP does not
        "bytes=5-1",
        "bytes=-0",
        "bytes=--1",
        "bytes=1-2,3-4",
        "bytes=",
        "bytes=-",
        "items=0-1",
        "bytes=0x10-",
        "bytes= 1 - 2 ",
        "\x00",
    ],
)
def test_malformed_or_absurd_range_is_416_or_the_whole_file(
    client: Client, paths: list[str], header: str
) -> None:
    for path in paths:
        _assert_416_or_whole(client.get(path, HTTP_RANGE=header))


def test_a_range_past_any_int_that_ends_beyond_the_file_is_clamped(
    client: Client, paths: list[str]
) -> None:
    response = client.get(paths[0], HTTP_RANGE=f"bytes=10-{HUGE}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-{len(DATA) - 1}/{len(DATA)}"


def test_a_start_past_any_int_is_416(client: Client, paths: list[str]) -> None:
    response = client.get(paths[0], HTTP_RANGE=f"bytes={HUGE}-")
    assert response.status_code == 416


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda a, b: f"bytes={a}-{b}",
            st.text("0123456789", max_size=6000),
            st.text("0123456789", max_size=6000),
        ),
        st.from_regex(r"\Abytes=[0-9\-, ]{0,40}\Z"),
    )
)
def test_no_range_header_is_a_500(client: Client, paths: list[str], header: str) -> None:
    header = header.replace("\n", "").replace("\r", "")
    for path in paths:
        _assert_416_or_whole(client.get(path, HTTP_RANGE=header))
