"""Downloads: a 100 MB uploaded file through the app against nginx sending the same file.

Run: .venv/bin/python bench/downloads.py

Three ways, same wrk settings (fewer connections than the JSON benchmarks: each response is
100 MB): gunicorn streaming it (FILE_SERVING=django), nginx serving the file from disk directly
(the baseline), and the production path: nginx in front of gunicorn with FILE_SERVING=x-accel.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib
import json
from typing import Any

from bench.common import (
    WRK_SECONDS,
    WRK_THREADS,
    Gunicorn,
    Nginx,
    app_env,
    emit,
    get,
    log,
    pg_drop,
    pg_reset,
    prepare_app,
    ratio,
    redis_flush,
    table,
    target,
    var_dir,
    wrk_interleaved,
)
from bench.uploads import MB, filehost_token, post_stream

NAME = "downloads"
DB = "nekosite_bench_downloads"
SIZE = 100 * MB
CONNECTIONS = 8

NGINX_FRONT = """
        location /direct/ {{ alias {media}/; }}
        location /_protected/ {{ internal; alias {media}/; }}
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host 127.0.0.1;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 300s;
        }}
"""


def run() -> dict[str, Any]:
    notes: list[str] = []
    results: dict[str, dict[str, Any]] = {}
    database = pg_reset(DB)
    redis_flush()
    media = var_dir() / "media"
    base = app_env(database, MAX_UPLOAD_MB="200")
    prepare_app(base)
    path = None
    relative = None
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(Gunicorn(dict(base, FILE_SERVING="django")))
        try:
            token = filehost_token(app)
            sent = post_stream(app.port, "/api/files/upload", {"token": token}, SIZE)
            url = json.loads(sent.body)["url"]
        except Exception as exc:  # noqa: BLE001 (the report must still come out)
            notes.append(f"could not upload the 100 MB file: {type(exc).__name__}: {exc}")
            url = None
        if url:
            path = "/" + url.split("://", 1)[-1].split("/", 1)[1]
            name = path.rsplit("/", 1)[1]
            stored = sorted(media.rglob(name))
            if stored:
                relative = stored[0].relative_to(media).as_posix()
            log(f"uploaded to {url}; served at {path}; stored as {relative}")
        if path and relative:
            accel = stack.enter_context(Gunicorn(dict(base, FILE_SERVING="x-accel")))
            server = NGINX_FRONT.format(media=media, app_port=accel.port)
            nginx = stack.enter_context(Nginx(server))
            # All three serve at once and are measured in turn.
            candidates = {
                "nginx": f"{nginx.url}/direct/{relative}",
                "django": app.url + path,
                "x-accel": nginx.url + path,
            }
            runs: dict[str, Any] = {}
            for key, full_url in candidates.items():
                status, body = get(full_url)
                if status == 200 and len(body) == SIZE:
                    runs[key] = (full_url, {})
                else:
                    notes.append(f"{key}: GET {full_url}: {status}, {len(body)} bytes")
            # 100 MB answers take long: full-length runs, or too few complete to count.
            results = wrk_interleaved(
                runs, connections=CONNECTIONS, seconds=WRK_SECONDS, timeout_s=60
            )
    pg_drop(DB)
    for leftover in (media / "uploads").glob("*"):
        leftover.unlink(missing_ok=True)

    rows = []
    base_mbs = results.get("nginx", {}).get("rps", 0) * SIZE / MB
    labels = {
        "nginx": "nginx sends the file (baseline)",
        "django": "gunicorn streams it (FILE_SERVING=django)",
        "x-accel": "nginx -> gunicorn, X-Accel-Redirect (FILE_SERVING=x-accel)",
    }
    for key in ("nginx", "django", "x-accel"):
        if key in results:
            result = results[key]
            mbs = result["rps"] * SIZE / MB
            result["mb_s"] = mbs
            rows.append([labels[key], mbs, result["p50"], result["p99"], ratio(mbs, base_mbs)])
    targets = [
        target(
            "FILE_SERVING=django MB/s vs nginx",
            ratio(results["django"]["mb_s"], base_mbs) if "django" in results else float("nan"),
            ">=",
            0.5,
        ),
        target(
            "FILE_SERVING=x-accel behind nginx MB/s vs nginx",
            ratio(results["x-accel"]["mb_s"], base_mbs) if "x-accel" in results else float("nan"),
            ">=",
            0.9,
        ),
    ]
    notes.append(
        f"100 MB file, wrk -t{WRK_THREADS} -c{CONNECTIONS}, measured in turn, 2 runs of "
        f"{WRK_SECONDS} s each, median kept; MB/s = req/s x 100 MB; nginx with 2 worker "
        "processes (as many as gunicorn workers and CPUs); all three send from the page cache "
        "with sendfile, so wrk reading the bodies on the same 2 CPUs is a large part of the cost"
    )
    return {
        "name": NAME,
        "title": "Downloads (100 MB file)",
        "table": table(["path", "MB/s", "p50 ms", "p99 ms", "vs nginx"], rows),
        "targets": targets,
        "notes": notes,
        "figures": results,
    }


if __name__ == "__main__":
    emit(NAME, run())
