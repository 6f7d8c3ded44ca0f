"""Test-only tasks: each appends a line `<event> <tag> <unix time>` to TASK_TEST_LOG, the file
tests/test_task_worker.py reads to see what real workers did and when."""

from __future__ import annotations

import datetime
import os
import time

from huey.contrib import djhuey

from nekosite import queue


def log(event: str, tag: str) -> None:
    with open(os.environ["TASK_TEST_LOG"], "a") as handle:
        handle.write(f"{event} {tag} {time.time():.3f}\n")


def attempts(tag: str) -> int:
    try:
        with open(os.environ["TASK_TEST_LOG"]) as handle:
            return sum(1 for line in handle if line.split()[:2] == ["attempt", tag])
    except FileNotFoundError:
        return 0


@queue.task()
def record(tag: str) -> None:
    log("done", tag)


@queue.task(retries=3, retry_delay=1, retry_backoff=2)
def flaky(tag: str, failures: int) -> None:
    """Fails its first `failures` runs."""
    log("attempt", tag)
    if attempts(tag) <= failures:
        raise RuntimeError(f"planned failure of {tag}")
    log("done", tag)


def _every_three_seconds(moment: datetime.datetime) -> bool:
    return moment.second % 3 == 0


@queue.periodic_task(_every_three_seconds)
def tick() -> None:
    log("tick", "periodic")


@djhuey.pre_execute()
def stall(task: object) -> None:
    """TASK_TEST_STALL=<task name>,...: those tasks log `started` and then hang, so that the test
    can kill -9 the worker while they run (huey has already taken them off the queue)."""
    names = os.environ.get("TASK_TEST_STALL", "").split(",")
    if getattr(task, "name", None) in names:
        log("started", task.name)  # type: ignore[attr-defined]
        time.sleep(600)
