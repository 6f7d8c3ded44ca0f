"""How many times each upload was served (issue #20).

- A file with `max_views` is counted in the database as it is served, with one conditional
  UPDATE (`view_count < max_views`): of any number of parallel requests, on any number of
  workers and servers, exactly `max_views` get the file. Such files are few; the write is the
  price of exactness.
- Every other file is counted in this worker's memory and the sums are added to the rows
  FLUSH_SECONDS after the first view not yet written (and when the process exits), so a busy
  file costs one UPDATE per worker every few seconds, not one per view. A worker that is
  killed loses at most its last FLUSH_SECONDS of counts; they are for the owner's
  information only.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from django.db import DatabaseError, connections
from django.db.models import F

from uploads.models import Upload

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0

_lock = threading.Lock()
# (row id, name): a row deleted meanwhile never passes its count to a new row with its id.
_pending: dict[tuple[int, str], int] = {}
_flushed_at = time.monotonic()
_timer: threading.Timer | None = None


def take_limited_view(upload: Upload) -> bool:
    """Count one view of a file with max_views; False when none was left. The view that
    uses the last one has the file deleted right after (uploads.tasks.purge_upload)."""
    taken = Upload.objects.filter(pk=upload.pk, view_count__lt=F("max_views")).update(
        view_count=F("view_count") + 1
    )
    if taken and upload.max_views is not None and upload.view_count + 1 >= upload.max_views:
        # Probably the last one (another worker may have taken views meanwhile): the task
        # checks the row and deletes only a used-up file.
        from uploads import services

        services.purge_when_used_up(upload)
    return bool(taken)


def count_view(upload: Upload) -> None:
    """Count one view of a file without max_views (buffered; see the module's docstring)."""
    global _timer
    with _lock:
        key = (upload.pk, upload.name)
        _pending[key] = _pending.get(key, 0) + 1
        due = time.monotonic() - _flushed_at >= FLUSH_SECONDS
        if not due and _timer is None:
            # A quiet site: write the counts FLUSH_SECONDS from now even if no view follows.
            _timer = threading.Timer(FLUSH_SECONDS, _flush_in_background)
            _timer.daemon = True
            _timer.start()
    if due:
        flush()


def _flush_in_background() -> None:
    global _timer
    with _lock:
        _timer = None
    try:
        flush()
    finally:
        connections.close_all()  # this thread's own database connection


def flush() -> int:
    """Add the buffered counts to the rows; returns how many views were written."""
    global _flushed_at, _timer
    with _lock:
        pending = dict(_pending)
        _pending.clear()
        _flushed_at = time.monotonic()
        if _timer is not None and _timer is not threading.current_thread():
            _timer.cancel()  # nothing left for it to write
            _timer = None
    written = 0
    for (pk, name), views in pending.items():
        try:
            Upload.objects.filter(pk=pk, name=name).update(view_count=F("view_count") + views)
            written += views
        except DatabaseError:
            logger.warning("could not record %s views of upload %s", views, pk, exc_info=True)
    return written


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the interpreter is going away: never raise from here
        logger.warning("views not recorded at exit", exc_info=True)


atexit.register(_flush_at_exit)
