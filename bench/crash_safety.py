"""Crash safety (issue 12): kill -9 gunicorn workers while clients upload and delete.

20 times during the run a random worker gets SIGKILL (the arbiter starts a new one). Requests
in flight in that worker die with it: their clients see a dropped connection and cannot know
whether the server committed. Afterwards:

1. every upload that got a 200 must still download byte-identical, every confirmed delete
   must be gone, and the rows must be exactly the confirmed uploads plus, at most, the
   requests whose answer was lost;
2. `manage.py storage_check` reports what the kills left behind: an *orphan* file when a
   worker died after storing a file and before committing its row, a *dangling* row when it
   died after deleting a file and before committing the row's deletion;
3. `storage_check --fix` repairs that, and a second `storage_check` must be clean.

    .venv/bin/python bench/crash_safety.py [--kills 20] [--clients 16] [--seconds 60]

PostgreSQL database nekosite_rel_crash (127.0.0.1:5432), Redis LOAD_REDIS_URL (db 4), port 8792.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_integrity import (
    Server,
    create_users,
    integrity_ok,
    prepare_environment,
    run_load,
    storage_check,
    summarize,
    verify,
)

WEIGHTS = {"upload": 5, "delete": 3, "download": 2}


def worker_pids(server: Server) -> list[int]:
    assert server.process is not None
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True, text=True
    )
    return [int(pid) for pid in result.stdout.split()]


def killer(
    server: Server, kills: int, seconds: float, log: list[dict[str, float]]
) -> Callable[[float], None]:
    """A `during` callback: SIGKILL one worker `kills` times, spread over the run."""
    rng = random.Random(12)

    def during(deadline: float) -> None:
        started = time.monotonic()
        interval = (seconds - 4) / kills
        for number in range(kills):
            # Jitter so the kill lands at a different point of the requests each time.
            target = started + 2 + number * interval + rng.uniform(0, interval / 2)
            time.sleep(max(0.0, target - time.monotonic()))
            pids = worker_pids(server)
            if not pids:
                continue
            victim = rng.choice(pids)
            os.kill(victim, signal.SIGKILL)
            log.append({"at_s": round(time.monotonic() - started, 2), "pid": victim})

    return during


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="nekosite-crash-"))
    (var_dir / "tmp").mkdir()
    # Rate limits off: the point is many uploads and deletes in flight when a worker dies.
    env = prepare_environment(
        "nekosite_rel_crash", var_dir=var_dir, port=args.port, demo_images=5,
        RATELIMIT_ENABLE="false", FILE_UPLOAD_TEMP_DIR=str(var_dir / "tmp"),
    )  # fmt: skip
    server = Server(url=f"http://127.0.0.1:{args.port}", env=env, var_dir=var_dir)
    server.start()
    kills: list[dict[str, float]] = []
    try:
        credentials = create_users(env, args.clients)
        ledger = run_load(
            server.url, credentials, args.seconds,
            during=killer(server, args.kills, args.seconds, kills),
            weights=WEIGHTS, max_kb=2048,
        )  # fmt: skip
        time.sleep(2)  # let the arbiter replace the last victim
        check = verify(server.url, ledger, var_dir / "media" / "uploads", env)
        summary: dict[str, Any] = summarize(ledger, check, args.seconds)
        found = summary.pop("storage_check")
        fixed = storage_check(env, "--fix", "--min-age", "0")
        after = storage_check(env)
        # The repair must not have touched any confirmed upload.
        recheck: dict[str, Any] = verify(server.url, ledger, var_dir / "media" / "uploads", env)
        leftover_temp = sorted(p.name for p in (var_dir / "tmp").iterdir())
    finally:
        server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    summary.update(
        {
            "kills": len(kills),
            "kill_times_s": [k["at_s"] for k in kills],
            "storage_check_before_fix": found,
            "storage_check_fix": fixed,
            "storage_check_after_fix": after,
            "after_fix_lost": len(recheck["lost"]),
            "after_fix_corrupt": len(recheck["corrupt"]),
            "after_fix_rows_missing": len(recheck["rows_missing"]),
            "temp_files_left": len(leftover_temp),
        }
    )
    # Integrity: nothing confirmed was lost or corrupted, and after --fix everything agrees.
    # A 503 "busy" (all body slots taken, nekosite/lib/slowbody.py) is a documented, retriable
    # refusal; a 500 is a failure.
    ok = (
        integrity_ok({**summary, "storage_check": after})
        and not summary["by_status"].get("500")
        and not summary["after_fix_lost"]
        and not summary["after_fix_corrupt"]
        and not summary["after_fix_rows_missing"]
    )
    summary["integrity"] = "OK" if ok else "FAILED"
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2) + "\n")
    print("INTEGRITY:", summary["integrity"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
