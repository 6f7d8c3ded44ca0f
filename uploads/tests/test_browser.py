"""The files dashboard in a real headless Chromium: picker upload with progress, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from uploads.models import Upload
from uploads.tests.conftest import PASSWORD, png_bytes, storage_names


def login(page: Any, live_server: Any, user: User) -> None:
    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_picker_upload_shows_progress_and_link_then_lists_file(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    user = User.objects.create_user(username="moptop", password=PASSWORD)
    login(page, live_server, user)
    picture = tmp_path / "cat.png"
    picture.write_bytes(png_bytes((40, 40)))
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"hello from chromium")
    page.goto(f"{live_server.url}/dashboard/files/")
    page.set_input_files("#id_files", [str(picture), str(notes)])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-progress li.success >> nth=1", timeout=15000)
    rows = page.locator("#upload-progress li")
    assert rows.count() == 2
    links = page.locator("#upload-progress li.success a")
    assert all(link.startswith(f"{live_server.url}/u/") for link in links.all_inner_texts())
    assert Upload.objects.filter(owner=user).count() == 2 and len(storage_names()) == 2
    page.reload()
    assert page.locator("table img[loading=lazy]").count() == 1


@pytest.mark.django_db(transaction=True)
def test_refused_file_gets_a_clear_message(
    page: Any, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.BLOCKED_UPLOAD_EXTENSIONS = ["exe"]
    user = User.objects.create_user(username="moptop", password=PASSWORD)
    login(page, live_server, user)
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ fake")
    page.goto(f"{live_server.url}/dashboard/files/")
    page.set_input_files("#id_files", [str(program)])
    page.click("#upload-form button[type=submit]")
    error = page.wait_for_selector("#upload-progress li.error", timeout=15000)
    assert "File type refused" in error.inner_text()
    assert "not accepted" in error.inner_text()
    assert not Upload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_drag_and_drop_uploads_the_dropped_file(page: Any, live_server: Any) -> None:
    user = User.objects.create_user(username="moptop", password=PASSWORD)
    login(page, live_server, user)
    page.goto(f"{live_server.url}/dashboard/files/")
    page.evaluate(
        """() => {
          const dt = new DataTransfer();
          dt.items.add(new File(["dropped text"], "drop.txt", {type: "text/plain"}));
          document.getElementById("drop-zone").dispatchEvent(
            new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }"""
    )
    page.wait_for_selector("#upload-progress li.success a", timeout=15000)
    upload = Upload.objects.get(owner=user)
    assert upload.original_name == "drop.txt" and upload.content_type == "text/plain"
