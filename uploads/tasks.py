"""The file host's queued and periodic tasks (discovered by `manage.py run_huey`).

Every task here is idempotent: the sweep may enqueue one again while it is still queued, and
several workers' schedulers may each enqueue a periodic task (README, "Background tasks").
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.management import call_command

from nekosite import queue
from uploads import services, tus

logger = logging.getLogger(__name__)

# Failed attempts are tried again after 10 s, 20 s, 40 s, 80 s and 160 s.
RETRIES = {"retries": 5, "retry_delay": 10, "retry_backoff": 2}
# Orphans younger than an hour may be uploads in flight: the storage check leaves them.
STORAGE_CHECK_MIN_AGE = 3600


@queue.task(**RETRIES)
def upload_thumbnail(upload_id: int) -> None:
    """Make and store an image upload's thumbnail once its row has committed."""
    services.upload_thumbnail_make(upload_id=upload_id)


@queue.periodic_task(queue.crontab(minute="*/5"))
def upload_thumbnails_sweep() -> None:
    """Enqueue again the thumbnails whose task was lost (a worker killed while running it)."""
    resent = services.upload_thumbnails_resend(older_than_seconds=settings.TASK_SWEEP_AFTER_SECONDS)
    if resent:
        logger.info("thumbnail sweep: %d pending upload thumbnail(s) enqueued again", resent)


@queue.periodic_task(queue.crontab(minute="17"))
@queue.HUEY.lock_task("storage-check")
def storage_check() -> None:
    """Hourly `manage.py storage_check --fix --min-age 3600` (formerly a systemd timer). The
    lock keeps two workers' copies from running at once; a second run in a row finds nothing."""
    out = io.StringIO()
    call_command("storage_check", "--fix", "--min-age", str(STORAGE_CHECK_MIN_AGE), stdout=out)
    logger.info("storage check: %s", out.getvalue().strip().replace("\n", "; "))


@queue.periodic_task(queue.crontab(minute="*"))
def purge_unavailable() -> None:
    """Every minute: files past their expiry or their views (already answering 404) leave
    storage and database, as the owner's delete does (webhooks hear of it)."""
    removed = services.uploads_purge_unavailable()
    if removed:
        logger.info("purged %d expired or used-up upload(s)", removed)


@queue.task(**RETRIES)
def purge_upload(upload_id: int) -> None:
    """Delete one file once it is past its expiry or its views (scheduled for its expiry, or
    enqueued after its last view). Does nothing if its owner gave it more time meanwhile."""
    services.upload_purge_if_unavailable(upload_id=upload_id)


@queue.periodic_task(queue.crontab(minute="*/10"))
def tus_uploads_purge() -> None:
    """Every 10 minutes: resumable uploads nobody wrote to for TUS_EXPIRY_SECONDS (past their
    Upload-Expires) leave with their partial data, and so do part files without a row."""
    removed = tus.tus_uploads_purge_expired()
    if removed:
        logger.info("purged %d expired resumable upload(s)", removed)
