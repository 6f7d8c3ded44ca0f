"""gunicorn settings: the one configuration for `make run` and for production.

`make run` uses it as `gunicorn -c deploy/gunicorn.conf.py nekosite.wsgi:application` with HOST
and PORT from make; each systemd instance (deploy/systemd/nekosite@.service) sets GUNICORN_BIND.
Every value can be changed from the environment (README, "Settings"); the defaults are the
embedded default's: 2 workers x 4 threads. The slow-body guard (nekosite/lib/slowbody.py) keeps
one thread per worker free for requests without a body, so keep GUNICORN_THREADS >= 2.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Long enough to write a MAX_UPLOAD_MB file to S3 from nginx's buffered body.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# Only nginx on this host may say who the client is and which scheme it used.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
# Several app servers may run on one host (one systemd instance per port): no control socket.
control_socket_disable = True
# The same request limits as nginx (large_client_header_buffers 4 8k): a request line or a
# header up to 8 KB reaches Django, so a long query gets the app's JSON error, not gunicorn's
# HTML 414. 8190 is gunicorn's largest request line.
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100

# The task worker (`manage.py run_huey`, nekosite/queue.py) beside the app server: on the
# embedded default (no REDIS_URL: the queue is a SQLite file of this machine) unless
# TASK_WORKER_IN_GUNICORN=false; never with Redis unless TASK_WORKER_IN_GUNICORN=true
# (production runs deploy/systemd/nekosite-worker@.service instead). It starts when gunicorn is
# ready, is started again if it dies, and is stopped with gunicorn.
_worker_setting = os.environ.get("TASK_WORKER_IN_GUNICORN", "auto").strip().lower()
_run_worker = _worker_setting in {"1", "true", "yes", "on"} or (
    _worker_setting == "auto" and not os.environ.get("REDIS_URL")
)
_worker: dict[str, Any] = {}


def _start_worker(server: Any) -> None:
    manage = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "manage.py")
    process = subprocess.Popen([sys.executable, manage, "run_huey"])  # noqa: S603 (our own command)
    _worker["process"] = process
    server.log.info("task worker started (pid %s)", process.pid)
    threading.Thread(target=_watch_worker, args=(server, process), daemon=True).start()


def _watch_worker(server: Any, process: subprocess.Popen[bytes]) -> None:
    """Start the worker again when it exits while gunicorn runs (not when we stopped it)."""
    status = process.wait()
    if _worker.get("process") is process and not _worker.get("stopping"):
        server.log.warning("task worker exited (status %s); starting it again", status)
        time.sleep(1)
        if not _worker.get("stopping"):
            _start_worker(server)


def _stop_worker() -> None:
    process = _worker.pop("process", None)
    if process is None:
        return
    process.send_signal(signal.SIGINT)  # huey's graceful stop: running tasks finish first
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def when_ready(server: Any) -> None:
    if _run_worker:
        _start_worker(server)


def on_reload(server: Any) -> None:
    # HUP: gunicorn starts new app workers; the task worker loads the new code too.
    if _run_worker:
        _stop_worker()
        _start_worker(server)


def on_exit(server: Any) -> None:
    _worker["stopping"] = True
    _stop_worker()
