"""Colour and thumbnail of large and imported images by the task queue (issue #19).

The unit suite runs huey immediately (TASKS_IMMEDIATE): a task runs in the test process as soon
as it is enqueued, which happens when the ingest commits (captured with on-commit callbacks).
tests/test_task_worker.py runs the same tasks in real worker processes.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from catalog import services, tasks
from catalog.models import Image, catalog_storage
from catalog.tests.factories import image_bytes, ingest_image

pytestmark = pytest.mark.django_db

RED = (200, 30, 40)


@pytest.fixture
def small_threshold(settings: Any) -> None:
    """Images over 100 pixels are "large" (the default is IMAGE_INLINE_MAX_PIXELS = 4 Mpx)."""
    settings.IMAGE_INLINE_MAX_PIXELS = 100


def _pending(image: Image) -> bool:
    return Image.objects.values_list("pending", flat=True).get(pk=image.pk)


def test_a_small_image_gets_its_colour_and_thumbnail_during_the_ingest() -> None:
    image = ingest_image(data=image_bytes(size=(8, 8), color=RED))
    assert (image.pending, image.color) == (False, "#c81e28")
    assert catalog_storage().exists(image.thumbnail.name)


def test_a_large_image_is_pending_until_its_task_has_run_after_the_commit(
    small_threshold: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = ingest_image(data=image_bytes(size=(40, 30), color=RED))
        row = Image.objects.get(pk=image.pk)
        assert (row.pending, row.color, row.thumbnail.name) == (True, None, "")
        # The header is read at once: the dimensions are known while pending.
        assert (row.width, row.height, row.aspect_ratio) == (40, 30, "4:3")
    for callback in callbacks:
        callback()  # the commit: the task is enqueued (and, in tests, run at once)
    row = Image.objects.get(pk=image.pk)
    assert (row.pending, row.color) == (False, "#c81e28")
    assert row.thumbnail.name == f"thumbs/{image.pk}.webp"
    assert catalog_storage().exists(row.thumbnail.name)


def test_the_api_serves_a_pending_image_with_a_null_colour_and_its_dimensions(
    small_threshold: None, client: Client
) -> None:
    """Seed 002's meta.color is "#ffffff" when known; a pending row is served, with null, as
    every field unknown is (PRODUCT.md: objects always carry every field, null when unknown)."""
    image = ingest_image(data=image_bytes(size=(40, 30)))
    response = client.get(f"/api/v1/image/{image.pk}")
    assert response.status_code == 200
    meta = response.json()["data"]["meta"]
    assert meta["color"] is None
    assert meta["dimens"] == {
        "width": 40,
        "height": 30,
        "aspectRatio": "4:3",
        "orientation": "landscape",
    }
    assert client.get("/api/v1/image/random").status_code == 200


def test_the_gallery_thumbnail_of_a_pending_image_is_made_on_request(
    small_threshold: None, client: Client
) -> None:
    image = ingest_image(data=image_bytes(size=(40, 30)))
    response = client.get(f"/thumbs/{image.pk}.webp")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/webp"


def test_processing_twice_changes_nothing_and_keeps_one_thumbnail(small_threshold: None) -> None:
    image = ingest_image(data=image_bytes(size=(40, 30), color=RED))
    first = services.image_process(image_id=image.pk)
    assert first is not None and first.thumbnail.name == f"thumbs/{image.pk}.webp"
    assert services.image_process(image_id=image.pk) is None  # no longer pending
    tasks.image_process(image.pk)
    _, names = catalog_storage().listdir("thumbs")
    assert [n for n in names if n.startswith(str(image.pk))] == [f"{image.pk}.webp"]


def test_a_thumbnail_left_by_a_killed_run_is_replaced_not_duplicated(
    small_threshold: None,
) -> None:
    image = ingest_image(data=image_bytes(size=(40, 30)))
    storage = catalog_storage()
    storage.save(f"thumbs/{image.pk}.webp", io.BytesIO(b"half-written"))
    processed = services.image_process(image_id=image.pk)
    assert processed is not None and processed.thumbnail.name == f"thumbs/{image.pk}.webp"
    with storage.open(processed.thumbnail.name) as handle:
        assert handle.read(4) == b"RIFF"  # a real WebP now


def test_the_task_of_a_deleted_image_does_nothing(small_threshold: None) -> None:
    image = ingest_image(data=image_bytes(size=(40, 30)))
    services.image_delete(image=image)
    assert services.image_process(image_id=image.pk) is None


def test_an_image_whose_pixels_cannot_be_decoded_stops_being_pending(
    small_threshold: None,
) -> None:
    image = ingest_image(data=image_bytes(size=(40, 30)))
    storage = catalog_storage()
    # The stored file went bad after the ingest (truncated on the storage's side).
    with storage.open(image.file.name) as handle:
        data = handle.read()
    path = Path(storage.path(image.file.name))
    path.write_bytes(data[: len(data) // 2])
    processed = services.image_process(image_id=image.pk)
    assert processed is not None and (processed.pending, processed.color) == (False, None)


def test_import_images_leaves_colour_and_thumbnail_to_the_queue(
    tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes(size=(30, 20), color=RED))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("import_images", str(tmp_path), stdout=io.StringIO())
        image = Image.objects.get()
        assert (image.pending, image.color, image.thumbnail.name) == (True, None, "")
    for callback in callbacks:
        callback()
    image.refresh_from_db()
    assert (image.pending, image.color) == (False, "#c81e28")


def test_the_sweep_enqueues_again_only_images_pending_longer_than_the_setting(
    small_threshold: None, settings: Any
) -> None:
    settings.TASK_SWEEP_AFTER_SECONDS = 600
    old = ingest_image(data=image_bytes(size=(40, 30)))
    young = ingest_image(data=image_bytes(size=(40, 30)))
    done = ingest_image(data=image_bytes(size=(4, 3)))
    Image.objects.filter(pk__in=[old.pk, done.pk]).update(
        created_at=timezone.now() - datetime.timedelta(seconds=601)
    )
    tasks.images_pending_sweep()  # immediate mode: its enqueued tasks run too
    assert (_pending(old), _pending(young), _pending(done)) == (False, True, False)


def test_the_image_sweep_runs_every_five_minutes() -> None:
    schedule = tasks.images_pending_sweep.s().validate_datetime
    minutes = [m for m in range(60) if schedule(datetime.datetime(2026, 1, 1, 3, m))]
    assert minutes == list(range(0, 60, 5))


def test_a_failed_image_task_is_retried_with_growing_delays() -> None:
    task = tasks.image_process.s("00000000-0000-0000-0000-000000000000")
    assert (task.retries, task.retry_delay, task.retry_backoff) == (5, 10, 2)


def test_an_image_whose_file_is_missing_stops_being_pending_instead_of_retrying(
    small_threshold: None,
) -> None:
    image = ingest_image(data=image_bytes(size=(40, 30)))
    catalog_storage().delete(image.file.name)
    tasks.image_process(image.pk)
    assert _pending(image) is False
