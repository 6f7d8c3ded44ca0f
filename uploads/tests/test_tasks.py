"""Upload thumbnails and the storage check on the task queue (issue #19).

The unit suite runs huey immediately (TASKS_IMMEDIATE): a task runs in the test process as soon
as it is enqueued, which for a thumbnail happens when the upload commits (captured with
on-commit callbacks). tests/test_task_worker.py runs the same tasks in real worker processes.
"""

from __future__ import annotations

import datetime
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone
from huey.exceptions import TaskLockedException

from accounts.models import User
from nekosite import queue
from uploads import services, tasks
from uploads.models import Upload
from uploads.tests.conftest import png_bytes

pytestmark = pytest.mark.django_db


def _create(owner: User, data: bytes, name: str) -> Upload:
    return services.upload_create(
        owner=owner, file=io.BytesIO(data), client_name=name, size=len(data)
    )


def _thumbs() -> list[str]:
    try:
        return sorted(storages["uploads"].listdir(services.THUMBNAIL_DIR)[1])
    except FileNotFoundError:
        return []


def test_an_image_upload_gets_its_thumbnail_stored_by_a_task_once_it_commits(
    owner: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = _create(owner, png_bytes((64, 48)), "cat.png")
        # Nothing is made before the commit: a worker would not see the row yet.
        assert upload.thumbnail_pending is True and _thumbs() == []
    for callback in callbacks:
        callback()
    assert _thumbs() == [f"{upload.name}.webp"]
    upload.refresh_from_db()
    assert upload.thumbnail_pending is False


def test_a_file_that_is_no_image_has_no_thumbnail_to_make(
    owner: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload = _create(owner, b"just some text\n", "notes.txt")
    assert upload.thumbnail_pending is False and _thumbs() == []


def test_the_thumbnail_url_makes_it_on_request_while_the_task_has_not_run(
    owner: User, client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Until the task has run, the dashboard's thumbnail link makes and keeps it (bounded
    like before: THUMBNAIL_MAX_PIXELS, THUMBNAIL_CONCURRENCY); the task then finds it made."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = _create(owner, png_bytes((64, 48)), "cat.png")
    client.force_login(owner)
    response = client.get(f"/dashboard/files/{upload.name}/thumb.webp")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    upload.refresh_from_db()
    assert upload.thumbnail_pending is False
    made = os.path.getmtime(storages["uploads"].path(services.thumbnail_name(upload.name)))
    for callback in callbacks:
        callback()
    assert _thumbs() == [f"{upload.name}.webp"]
    assert os.path.getmtime(storages["uploads"].path(services.thumbnail_name(upload.name))) == made


def test_deleting_an_upload_deletes_the_thumbnail_its_task_stored(
    owner: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload = _create(owner, png_bytes((64, 48)), "cat.png")
    assert _thumbs() == [f"{upload.name}.webp"]
    services.upload_delete(upload=upload)
    assert _thumbs() == []


def test_the_task_of_an_upload_deleted_before_it_ran_leaves_nothing(owner: User) -> None:
    upload = _create(owner, png_bytes((64, 48)), "cat.png")
    upload_id = upload.pk
    services.upload_delete(upload=upload)
    tasks.upload_thumbnail(upload_id)
    assert _thumbs() == []


def test_the_sweep_enqueues_again_only_thumbnails_pending_longer_than_the_setting(
    owner: User, settings: Any
) -> None:
    settings.TASK_SWEEP_AFTER_SECONDS = 600
    old = _create(owner, png_bytes((64, 48), "red"), "old.png")
    young = _create(owner, png_bytes((64, 48), "blue"), "young.png")
    Upload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=601)
    )
    tasks.upload_thumbnails_sweep()  # immediate mode: its enqueued tasks run too
    assert _thumbs() == [f"{old.name}.webp"]
    pending = dict(Upload.objects.values_list("name", "thumbnail_pending"))
    assert pending == {old.name: False, young.name: True}


def test_the_storage_check_task_removes_old_orphans_and_keeps_thumbnails_and_young_ones(
    owner: User, uploads_storage: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Hourly `storage_check --fix --min-age 3600` (it was a systemd timer)."""
    with django_capture_on_commit_callbacks(execute=True):
        upload = _create(owner, png_bytes((64, 48)), "cat.png")
    old_orphan = uploads_storage / "Old1234.png"
    old_orphan.write_bytes(b"left by a killed worker")
    hour_ago = time.time() - 3700
    os.utime(old_orphan, (hour_ago, hour_ago))
    young_orphan = uploads_storage / "New1234.png"  # may be an upload about to commit
    young_orphan.write_bytes(b"in flight")
    tasks.storage_check()
    assert not old_orphan.exists() and young_orphan.exists()
    assert _thumbs() == [f"{upload.name}.webp"]
    assert (uploads_storage / upload.name).exists()


def test_a_second_storage_check_is_not_run_while_another_holds_its_lock() -> None:
    with queue.HUEY.lock_task("storage-check"), pytest.raises(TaskLockedException):
        tasks.storage_check.call_local()


def test_periodic_upload_tasks_run_on_their_schedules() -> None:
    def minutes(task: Any) -> list[int]:
        check = task.s().validate_datetime
        return [m for m in range(60) if check(datetime.datetime(2026, 1, 1, 5, m))]

    assert minutes(tasks.storage_check) == [17]  # hourly
    assert minutes(tasks.upload_thumbnails_sweep) == list(range(0, 60, 5))


def test_a_failed_thumbnail_task_is_retried_with_growing_delays() -> None:
    task = tasks.upload_thumbnail.s(1)
    assert (task.retries, task.retry_delay, task.retry_backoff) == (5, 10, 2)


def test_an_upload_whose_file_is_missing_stops_being_pending_instead_of_retrying(
    owner: User,
) -> None:
    upload = _create(owner, png_bytes((64, 48)), "cat.png")
    storages["uploads"].delete(upload.name)
    tasks.upload_thumbnail(upload.pk)
    upload.refresh_from_db()
    assert upload.thumbnail_pending is False and _thumbs() == []
