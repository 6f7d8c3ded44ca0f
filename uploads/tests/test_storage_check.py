"""manage.py storage_check [--fix]: orphans (stored, no row) and dangling rows."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command

from uploads.models import Upload
from uploads.tests.conftest import storage_names
from uploads.tests.test_api_files import stored_name

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("storage_check", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def inconsistent(owner_token: str, upload_file: Any) -> tuple[str, str, str]:
    good = stored_name(upload_file(owner_token, b"good", "good.txt"))
    dangling = stored_name(upload_file(owner_token, b"lost", "lost.txt"))
    storages["uploads"].delete(dangling)
    storages["uploads"].save("Orphan1.txt", ContentFile(b"orphan"))
    return good, dangling, "Orphan1.txt"


def test_reports_without_changing_anything(inconsistent: tuple[str, str, str]) -> None:
    good, dangling, orphan = inconsistent
    output = run()
    assert f"orphan (stored, no row): {orphan}" in output
    assert f"dangling (row, not stored): {dangling}" in output
    assert "1 orphan(s) and 1 dangling row(s) found." in output
    assert good not in output
    assert storage_names() == sorted([good, orphan])
    assert Upload.objects.count() == 2


def test_fix_deletes_orphans_and_dangling_rows(inconsistent: tuple[str, str, str]) -> None:
    good, _, _ = inconsistent
    assert "fixed" in run("--fix", "--min-age", "0")
    assert storage_names() == [good]
    assert list(Upload.objects.values_list("name", flat=True)) == [good]
    assert "0 orphan(s) and 0 dangling row(s) found." in run()


def test_empty_storage_is_consistent() -> None:
    assert "0 orphan(s) and 0 dangling row(s) found." in run()


def test_fix_keeps_orphans_younger_than_min_age(inconsistent: tuple[str, str, str]) -> None:
    """An upload stores its file just before committing its row: a fresh orphan may be one in
    flight, so the default --fix (min age 600 s) reports it and leaves it in place."""
    good, _, orphan = inconsistent
    output = run("--fix")
    assert f"orphan (stored, no row): {orphan} (younger than --min-age: kept)" in output
    assert "0 orphan(s) and 1 dangling row(s) fixed. 1 recent orphan(s) kept (--min-age 600)." in (
        output
    )
    assert storage_names() == sorted([good, orphan])
    assert list(Upload.objects.values_list("name", flat=True)) == [good]


def test_fix_deletes_orphans_older_than_min_age(inconsistent: tuple[str, str, str]) -> None:
    good, _, orphan = inconsistent
    path = storages["uploads"].path(orphan)
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    assert "1 orphan(s) and 1 dangling row(s) fixed." in run("--fix", "--min-age", "1800")
    assert storage_names() == [good]


def test_fix_deletes_stale_upload_temp_files_only(settings: Any, tmp_path: Path) -> None:
    """A worker killed mid-upload leaves Django's tmp*.upload* body behind; one not written to
    for --min-age seconds is deleted, a live one (recent write) and other files are kept."""
    temp_dir = tmp_path / "bodies"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    stale = temp_dir / "tmpab12cd.upload.bin"
    live = temp_dir / "tmpef34gh.upload.png"
    other = temp_dir / "tmpunrelated.txt"
    for path in (stale, live, other):
        path.write_bytes(b"partial body")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))

    report = run()
    assert f"stale upload temp file: {stale}" in report
    assert "1 stale upload temp file(s) found." in report
    assert stale.exists()

    assert "1 stale upload temp file(s) deleted." in run("--fix")
    assert sorted(temp_dir.iterdir()) == sorted([live, other])
