"""Webhook deliveries on the task queue (discovered by `manage.py run_huey`)."""

from __future__ import annotations

from huey.contrib import djhuey

from nekosite import queue
from webhooks import services


@queue.task()
def deliver(delivery_id: int) -> None:
    """One attempt; a failure schedules the next one itself (services._record), so huey's own
    retries stay off and the backoff follows the delivery row, not the message."""
    services.deliver(delivery_id)


@queue.periodic_task(queue.crontab(minute="*"))
def sweep() -> None:
    """Every minute: deliveries whose task was lost are enqueued again."""
    services.sweep()


@djhuey.on_startup()
def sweep_when_a_worker_starts() -> None:
    """After a crash, pick up what the dead worker held as soon as its lease has run out,
    not at the next minute."""
    sweep()
    sweep.schedule(delay=services.lease_seconds() + 1)
