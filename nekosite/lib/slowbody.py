"""Protection against clients that send a request body very slowly (slowloris-style uploads).

Under gunicorn's gthread workers (the embedded `make run` default: 2 workers x 4 threads) a
thread reading a body is held until the body is complete, so 8 clients trickling uploads at a
few bytes a second used to stop the site answering anybody (bench/faults.py --fault slow).
In production nginx buffers whole bodies before they reach gunicorn (deploy/nginx), which
removes the problem; this middleware is the app's own guard for the embedded default and for
deployments without a buffering proxy:

1. Minimum rate: after a grace period of GRACE_SECONDS the body must keep arriving at least
   at MIN_BYTES_PER_SECOND on average; a slower body is cut off (the socket's read side is
   shut, so the blocked read returns) and answered 408 in the envelope.
2. Body slots: at most `threads - 1` requests per process read a body at the same time
   (a slot is given back as soon as the body is complete, before the upload is stored)
   (BODY_READ_SLOTS); another body-carrying request waits SLOT_WAIT_SECONDS for a slot and
   then gets 503 with Retry-After without its body being read, so one thread always stays
   free for everything else. One client address holds at most SLOTS_PER_ADDRESS of them, so
   a single attacker trickling bodies on many connections cannot take every slot.
3. Small bodies where no file is taken: a view that accepts files says so with
   `@accepts_files` (a function view, a view class, or a ModelAdmin whose form has a file
   field); every other endpoint refuses a declared Content-Length over FORM_BODY_MAX_BYTES
   with 413 before reading a byte. Without it, a login form could be sent a 1 GB multipart
   body that the CSRF check would read at the client's pace.

1 and 2 only act under gunicorn (which exposes the client socket as environ["gunicorn.socket"]);
3 acts everywhere.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from nekosite.lib.clientip import client_ip
from nekosite.lib.errors import ApiError, error_response

logger = logging.getLogger(__name__)

GRACE_SECONDS = 5.0
MIN_BYTES_PER_SECOND = 16 * 1024
PIECE = 64 * 1024
# The embedded default runs 4 threads per worker; keep one for requests without a body.
BODY_READ_SLOTS = 3
SLOT_WAIT_SECONDS = 0.25
# One address may read this many bodies at once per process (2 workers: 2 of the 6 slots).
SLOTS_PER_ADDRESS = 1
# The largest body of an endpoint that takes no file: forms, JSON, admin bulk actions on a few
# thousand rows. Bigger bodies are uploads, which only views marked @accepts_files take.
FORM_BODY_MAX_BYTES = 256 * 1024
TOO_BIG_MESSAGE = "This endpoint takes no file; the request body is too large."
SLOW_MESSAGE = "The request body arrived too slowly (under 16 KB/s) and was cut off; please retry."
BUSY_MESSAGE = "Too many uploads are in progress on this server, please retry shortly."


ViewT = Any


def accepts_files(view: ViewT) -> ViewT:
    """Mark a view (function, view class or ModelAdmin) as one that takes uploaded files, so
    its bodies may be as large as MAX_UPLOAD_MB instead of FORM_BODY_MAX_BYTES."""
    view.accepts_files = True
    return view


def view_accepts_files(path: str) -> bool:
    try:
        func = resolve(path).func
    except Resolver404:
        return False
    # Function views carry the mark; class-based views (Django's view_class, DRF's cls) and
    # admin views (model_admin) carry it on their class or ModelAdmin.
    owners = (func, *(getattr(func, name, None) for name in ("view_class", "cls", "model_admin")))
    return any(getattr(owner, "accepts_files", False) for owner in owners if owner is not None)


class SlowBody(ApiError):
    def __init__(self) -> None:
        super().__init__(SLOW_MESSAGE, 408)


class _Watchdog:
    """One thread per process that shuts the read side of sockets whose deadline passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, socket.socket]] = {}
        self._fired: set[int] = set()
        self._next = 0
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, deadline: float) -> int:
        with self._lock:
            self._next += 1
            self._armed[self._next] = (deadline, sock)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="slowbody")
                self._thread.start()
            return self._next

    def disarm(self, key: int) -> bool:
        """True when the deadline fired for this read."""
        with self._lock:
            self._armed.pop(key, None)
            if key in self._fired:
                self._fired.discard(key)
                return True
            return False

    def _run(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self._lock:
                late = [(k, s) for k, (d, s) in self._armed.items() if d <= now]
                for key, sock in late:
                    del self._armed[key]
                    self._fired.add(key)
                    # Wakes the thread blocked in recv(); the answer can still be sent.
                    _stop_reading(sock)


WATCHDOG = _Watchdog()


class DeadlineStream(io.IOBase):
    """Wraps the request's body stream; each read must finish by the minimum-rate deadline.

    A file-like object in full (io.IOBase: `close`, iteration, `closed`), because Django reads
    and then *closes* the stream it was given (Django 5.2's `HttpRequest.body`); a bare
    read/readline wrapper turned every URL-encoded form POST into a 500 under gunicorn.
    """

    def __init__(
        self,
        stream: Any,
        sock: socket.socket,
        length: int = 0,
        on_complete: Callable[[], None] | None = None,
    ) -> None:
        self.stream = stream
        self.sock = sock
        self.length = length
        self.on_complete = on_complete
        self.started = time.monotonic()
        self.received = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(AttributeError):
                self.stream.close()
        super().close()

    def _timed(self, read: Callable[[int], bytes], size: int) -> bytes:
        deadline = self.started + GRACE_SECONDS + (self.received + size) / MIN_BYTES_PER_SECOND
        key = WATCHDOG.arm(self.sock, deadline)
        try:
            data = read(size)
        except OSError as exc:
            if WATCHDOG.disarm(key):
                raise SlowBody() from exc
            raise
        if WATCHDOG.disarm(key):
            raise SlowBody()
        self.received += len(data)
        if self.on_complete is not None and (not data or self.received >= self.length):
            # The whole body is in: storing it (which may take long) needs no body slot.
            self.on_complete()
            self.on_complete = None
        return data

    def read(self, size: int | None = -1) -> bytes:
        self._checkClosed()
        if size is not None and size >= 0:
            return self._timed(self.stream.read, min(size, PIECE)) if size else b""
        pieces = []
        while piece := self._timed(self.stream.read, PIECE):
            pieces.append(piece)
        return b"".join(pieces)

    def readline(self, size: int | None = -1) -> bytes:
        self._checkClosed()
        limit = PIECE if size is None or size < 0 else min(size, PIECE)
        return self._timed(self.stream.readline, limit)


class SlowBodyMiddleware:
    """Put first in MIDDLEWARE (after SecurityMiddleware): before anything reads a body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.slots = threading.BoundedSemaphore(BODY_READ_SLOTS)
        self.lock = threading.Lock()
        self.by_address: dict[str, int] = {}

    def _take_address_slot(self, address: str) -> bool:
        with self.lock:
            if self.by_address.get(address, 0) >= SLOTS_PER_ADDRESS:
                return False
            self.by_address[address] = self.by_address.get(address, 0) + 1
            return True

    def _give_address_slot(self, address: str) -> None:
        with self.lock:
            left = self.by_address.pop(address, 1) - 1
            if left > 0:
                self.by_address[address] = left

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sock = request.META.get("gunicorn.socket")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > FORM_BODY_MAX_BYTES and not view_accepts_files(request.path_info):
            if sock is not None:
                _stop_reading(sock)
            return error_response(413, TOO_BIG_MESSAGE)
        if sock is None or length <= 0 or not hasattr(request, "_stream"):
            return self.get_response(request)
        address = client_ip(request)
        # A short wait absorbs bursts of ordinary uploads; a full house of slow bodies costs
        # the spare thread only this long per refused request.
        if not self._take_address_slot(address):
            logger.warning("slow body guard: %s already sends a body here", address)
            _stop_reading(sock)
            return error_response(503, BUSY_MESSAGE, headers={"Retry-After": "2"})
        if not self.slots.acquire(timeout=SLOT_WAIT_SECONDS):
            self._give_address_slot(address)
            logger.warning("slow body guard: no free body slot for %s", request.path)
            _stop_reading(sock)
            return error_response(503, BUSY_MESSAGE, headers={"Retry-After": "2"})
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                self.slots.release()
                self._give_address_slot(address)

        stream = DeadlineStream(request._stream, sock, length, release)
        try:
            request._stream = stream  # type: ignore[assignment]  # file-like, not a BinaryIO
            response = self.get_response(request)
        finally:
            release()
        if stream.received < length:
            _stop_reading(sock)
        return response


def _stop_reading(sock: socket.socket) -> None:
    """The answer is sent without reading the rest of the body. gunicorn ignores a
    `Connection: close` from the app and would parse the leftover body as the next request on
    the kept-alive connection (a slow client could then hold a thread with it); shutting the
    read side makes that next read an end-of-file, so gunicorn closes the connection."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RD)
