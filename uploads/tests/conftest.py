"""Fixtures of the file-host tests: users, tokens, and a fresh uploads storage per test."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from PIL import Image

from accounts.models import User
from accounts.services import filehost_token_get_or_create
from uploads.models import Upload
from uploads.services import moderators_group_ensure

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def uploads_storage(settings: Any, tmp_path: Path) -> Path:
    """Each test stores uploads in its own folder, so "nothing left behind" is checkable."""
    location = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    temp = tmp_path / "upload-tmp"
    temp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    # Argon2 is deliberately slow; these tests are about the file host, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return location


def stored_files(location: Path) -> list[str]:
    if not location.exists():
        return []
    return sorted(p.name for p in location.rglob("*") if p.is_file())


def storage_names() -> list[str]:
    storage = storages["uploads"]
    try:
        return sorted(storage.listdir("")[1])
    except FileNotFoundError:
        return []


def make_user(username: str, *, staff: bool = False) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, is_staff=staff)


def token_of(user: User) -> str:
    return filehost_token_get_or_create(user=user)[1]


@pytest.fixture
def owner(db: None) -> User:
    return make_user("moptop")


@pytest.fixture
def other_user(db: None) -> User:
    return make_user("someone")


@pytest.fixture
def staff(db: None) -> User:
    """A moderator: staff in the group ADMIN_KEY sign-ups join (uploads/permissions.py)."""
    user = make_user("admin1", staff=True)
    user.groups.add(moderators_group_ensure())
    return user


@pytest.fixture
def logged_in(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


def stored(owner: User, client_name: str, data: bytes = b"hello", **chosen: Any) -> Upload:
    """An upload made through the service (the API's pipeline), with options."""
    from uploads import services
    from uploads.options import UploadOptions

    return services.upload_create(
        owner=owner,
        file=io.BytesIO(data),
        client_name=client_name,
        size=len(data),
        options=UploadOptions(**chosen),
    )


@pytest.fixture
def owner_token(owner: User) -> str:
    return token_of(owner)


@pytest.fixture
def staff_token(staff: User) -> str:
    return token_of(staff)


def png_bytes(size: tuple[int, int] = (8, 8), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture
def upload_file(client: Client) -> Callable[..., Any]:
    """POST /api/files/upload exactly as seed 004 describes (multipart field uploadFile)."""

    def _upload(token: str, data: bytes, name: str = "file.bin", **extra: Any) -> Any:
        return client.post(
            "/api/files/upload", {"uploadFile": named(data, name)}, HTTP_TOKEN=token, **extra
        )

    return _upload
