"""The catalog's queued and periodic tasks (discovered by `manage.py run_huey`).

Both are idempotent: the sweep may enqueue an image again while its task is still queued, and
several workers' schedulers may each enqueue the sweep (README, "Background tasks").
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings

from catalog import services
from nekosite import queue

logger = logging.getLogger(__name__)


# Failed attempts are tried again after 10 s, 20 s, 40 s, 80 s and 160 s.
@queue.task(retries=5, retry_delay=10, retry_backoff=2)
def image_process(image_id: uuid.UUID) -> None:
    """The colour and thumbnail of an image ingested `pending` (large, or import_images)."""
    services.image_process(image_id=image_id)


@queue.periodic_task(queue.crontab(minute="*/5"))
def images_pending_sweep() -> None:
    """Enqueue again the images whose task was lost (a worker killed while running it)."""
    resent = services.images_pending_resend(older_than_seconds=settings.TASK_SWEEP_AFTER_SECONDS)
    if resent:
        logger.info("image sweep: %d pending image(s) enqueued again", resent)
