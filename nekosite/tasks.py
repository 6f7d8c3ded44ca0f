"""Site-wide periodic tasks (discovered by `manage.py run_huey`)."""

from __future__ import annotations

from huey.contrib import djhuey

from nekosite import queue


@djhuey.on_startup()
def worker_started() -> None:
    queue.record_heartbeat()


@queue.periodic_task(queue.crontab(minute="*"))
def heartbeat() -> None:
    """Every minute: /healthz's `worker_seen_s` tells whether any worker is running."""
    queue.record_heartbeat()
