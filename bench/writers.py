"""Concurrent catalog writers on PostgreSQL: 4 writer processes against 1.

Run: .venv/bin/python bench/writers.py
     BENCH_WRITERS_OLD_REV=<commit> .venv/bin/python bench/writers.py   # also that commit's code

Every catalog write bumps a read-cache version counter (nekosite/lib/versiontriggers.py). With
one counter row per family, every writer queued behind that row's lock until the previous
writer committed; the counters are now striped per database session. Each writer is a process
of its own (a Django process, one database session, as an admin worker or `import_images` is)
running, in a loop for the same wall-clock window, admin-style edits through the services and
the admin's transaction (an image's artist, categories, characters and rating; an artist's URL;
a category's and a character's description; each with its admin LogEntry) and one
`import_images` file (a small PNG of noise: hashed, checked for near-duplicates, stored, its
row, slots and links written). Throughput is the operations all writers completed per second.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a file (python bench/x.py): import from the checkout first, so `uploads` is the app and
# not bench/uploads.py, and the bench package is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from typing import Any

NAME = "writers"
DB_NEW = "nekosite_bench_writers_new"
DB_OLD = "nekosite_bench_writers_old"
IMAGES = 10_000
WRITERS = 4
SECONDS = int(os.environ.get("BENCH_WRITERS_SECONDS", "8"))
REPS = 3
# One cycle: an import, then an edit of each kind.
CYCLE = ["import", "image", "artist", "category", "character"]


# --- one writer process ----------------------------------------------------------------------


def _noise_png(rng: Any, size: int = 48) -> bytes:
    """A small PNG of random pixels: every file a new image, far from the others' hashes."""
    import io

    from PIL import Image as PILImage

    picture = PILImage.frombytes("RGB", (size, size), rng.randbytes(size * size * 3))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def worker(index: int, start_at: float, seconds: float, files_dir: str) -> dict[str, Any]:
    """Write until `start_at + seconds` (wall clock, shared by every writer); counts per kind."""
    import random

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nekosite.settings")
    django.setup()

    from django.contrib.admin.models import CHANGE, LogEntry
    from django.db import connection, transaction

    from accounts.models import User
    from catalog.management.commands.import_images import Command
    from catalog.models import Artist, Category, Character, Image
    from catalog.services import image_update_metadata

    rng = random.Random(index * 7919 + int(start_at))
    admin = User.objects.get(username="bench-admin")
    categories = list(Category.objects.order_by("name"))
    artist_ids = list(Artist.objects.values_list("pk", flat=True))
    character_ids = list(Character.objects.values_list("pk", flat=True))
    image_ids = list(Image.objects.values_list("pk", flat=True)[:IMAGES])
    folder = Path(files_dir)
    files = []
    for n in range(int(seconds * 40)):  # more than one writer imports in the window
        path = folder / f"w{index}-{n}.png"
        path.write_bytes(_noise_png(rng))
        files.append(path)
    importer = Command()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def log_change(obj: Any, message: str) -> None:
        LogEntry.objects.log_actions(
            user_id=admin.pk, queryset=[obj], action_flag=CHANGE, change_message=message,
            single_object=True,
        )  # fmt: skip

    def edit(kind: str, n: int) -> None:
        # As the admin saves a change form: one transaction, the write, the LogEntry.
        with transaction.atomic():
            if kind == "image":
                image = Image.objects.get(pk=rng.choice(image_ids))
                image_update_metadata(
                    image=image,
                    artist=Artist.objects.get(pk=rng.choice(artist_ids)),
                    categories=rng.sample(categories, 2),
                    characters=[Character.objects.get(pk=rng.choice(character_ids))],
                    source_name=f"edit {index}-{n}",
                    source_url=None,
                    nsfw=rng.choice(["sfw", "questionable"]),
                    original=None,
                )
                log_change(image, "Changed metadata.")
            elif kind == "artist":
                artist = Artist.objects.get(pk=rng.choice(artist_ids))
                artist.url = f"https://example.org/artists/edited/{index}-{n}"
                artist.save()
                log_change(artist, "Changed url.")
            elif kind == "category":
                category = Category.objects.get(pk=rng.choice(categories).pk)
                category.description = f"Edited by writer {index} ({n})"
                category.save()
                log_change(category, "Changed description.")
            else:
                character = Character.objects.get(pk=rng.choice(character_ids))
                character.description = f"Edited by writer {index} ({n})"
                character.save()
                log_change(character, "Changed description.")

    done = dict.fromkeys(CYCLE, 0)
    errors: dict[str, int] = {}
    while time.time() < start_at:
        time.sleep(0.005)
    cpu_before, backend_before = time.process_time(), _cpu_seconds(backend)
    deadline = start_at + seconds
    n = 0
    while time.time() < deadline:
        kind = CYCLE[n % len(CYCLE)]
        try:
            if kind == "import":
                if not files:
                    n += 1
                    continue
                raw = {
                    "artist": Artist.objects.get(pk=rng.choice(artist_ids)).name,
                    "categories": [c.name for c in rng.sample(categories, 2)],
                    "nsfw": "sfw",
                }
                outcome = importer._import_one(files.pop(), raw, keep_near=True)
                if outcome is not None and outcome[0] != "flagged":
                    raise RuntimeError(f"import skipped: {outcome}")
            else:
                edit(kind, n)
            done[kind] += 1
        except Exception as exc:  # noqa: BLE001 (counted and reported: a deadlock shows here)
            name = type(exc).__name__
            errors[name] = errors.get(name, 0) + 1
        n += 1
    return {
        "ops": sum(done.values()),
        "by_kind": done,
        "errors": errors,
        "backend": backend,
        "cpu_s": time.process_time() - cpu_before,
        "backend_cpu_s": _cpu_seconds(backend) - backend_before,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process of this machine (the writer's PostgreSQL backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the benchmark ---------------------------------------------------------------------------


def _django(env: dict[str, str], root: Path, *args: str) -> str:
    from bench.common import PYTHON

    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True,
        timeout=1200,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(database: str, root: Path) -> dict[str, str]:
    from bench.catalog_data import fill_pg
    from bench.common import app_env, pg_reset

    env = app_env(pg_reset(database), ROOT_URLCONF="nekosite.urls", TASKS_IMMEDIATE="false")
    _django(env, root, "migrate", "--noinput", "-v0")
    fill_pg(database, 0, IMAGES)
    code = (
        "from accounts.models import User\n"
        "User.objects.create_superuser('bench-admin', 'admin@example.org', 'a long password 1')\n"
    )
    _django(env, root, "shell", "-c", code)
    return env


def measure(env: dict[str, str], root: Path, writers: int) -> dict[str, Any]:
    """`writers` processes writing for SECONDS from the same instant: ops/s and per writer."""
    from bench.common import OUT, PYTHON

    files = Path(tempfile.mkdtemp(prefix="writers-", dir=OUT))
    start_at = time.time() + 6 + 2 * writers  # after every process has set Django up
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                str(Path(__file__).resolve()),
                "--worker",
                str(i),
                str(start_at),
                str(SECONDS),
                str(files),
                str(root),
            ],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(writers)
    ]
    waits = LockSampler(env["DATABASE_URL"], start_at, SECONDS)
    waits.start()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=SECONDS + 300)
        if proc.returncode != 0:
            raise RuntimeError(f"writer failed (exit {proc.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    waits.join()
    shutil.rmtree(files, ignore_errors=True)
    late = time.time() - start_at - SECONDS
    if late < 0:
        raise RuntimeError("writers finished before their window ended")
    ops = sum(r["ops"] for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for name, count in r["errors"].items():
            errors[name] = errors.get(name, 0) + count
    by_kind = {k: sum(r["by_kind"][k] for r in results) for k in CYCLE}
    return {
        "writers": writers,
        "ops_per_s": ops / SECONDS,
        "by_kind": by_kind,
        "errors": errors,
        "stripes": sorted(r["backend"] % 64 for r in results),
        # CPU seconds per second of the window: the writers' Python, their PostgreSQL backends.
        "lock_waits": waits.summary(),
        "python_cpu": sum(r["cpu_s"] for r in results) / SECONDS,
        "backend_cpu": sum(r["backend_cpu_s"] for r in results) / SECONDS,
    }


class LockSampler(threading.Thread):
    """What the writers' sessions wait for: pg_stat_activity every 20 ms during the window."""

    def __init__(self, database_url: str, start_at: float, seconds: float) -> None:
        super().__init__(daemon=True)
        self.url, self.start_at, self.seconds = database_url, start_at, seconds
        self.samples: dict[str, int] = {}
        self.total = 0

    def run(self) -> None:
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            while time.time() < self.start_at:
                time.sleep(0.01)
            while time.time() < self.start_at + self.seconds:
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND backend_type = 'client backend' "
                    "AND pid <> pg_backend_pid()",
                    [name],
                ).fetchall()
                for state, kind, event in rows:
                    key = f"{kind}:{event}" if state == "active" and kind else state or "?"
                    self.samples[key] = self.samples.get(key, 0) + 1
                    self.total += 1
                time.sleep(0.02)

    def summary(self) -> dict[str, float]:
        """Share of session samples per state or wait (Lock:advisory = image numbering,
        Lock:transactionid = a row another transaction holds, IO:WALSync = commit flush)."""
        return {
            key: round(count / self.total, 3)
            for key, count in sorted(self.samples.items(), key=lambda kv: -kv[1])
            if self.total
        }


def run_design(label: str, database: str, root: Path) -> dict[str, Any]:
    from bench.common import log, pg_drop, redis_flush

    redis_flush()
    env = prepare(database, root)
    runs: dict[int, list[dict[str, Any]]] = {1: [], WRITERS: []}
    try:
        for rep in range(REPS):
            for writers in (1, WRITERS):  # interleaved: outside load lands on both
                result = measure(env, root, writers)
                log(f"{label} rep {rep + 1}: {writers} writer(s) {result['ops_per_s']:.1f} ops/s "
                    f"errors {result['errors']} stripes {result['stripes']} CPU python "
                    f"{result['python_cpu']:.2f} pg {result['backend_cpu']:.2f} "
                    f"waits {result['lock_waits']}")  # fmt: skip
                runs[writers].append(result)
    finally:
        pg_drop(database)
    medians = {w: statistics.median(r["ops_per_s"] for r in rs) for w, rs in runs.items()}
    # Each rep's 4-writer run against the 1-writer run just before it: outside load drifts
    # over minutes, and a pair measured back to back shares it.
    pairs = [many["ops_per_s"] / one["ops_per_s"] for one, many in zip(*runs.values(), strict=True)]
    return {
        "runs": runs,
        "medians": medians,
        "pair_ratio": statistics.median(pairs),
        "pairs": pairs,
    }


def old_checkout(rev: str) -> Path:
    """The code of commit `rev` (git archive, no worktree), to measure the design it had. Out
    of the checkout, where ruff, mypy and pytest would find it."""
    from bench.common import ROOT

    path = Path(tempfile.gettempdir()) / f"nekosite-writers-{rev[:12]}"
    if not path.exists():
        path.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", rev], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
    return path


def run() -> dict[str, Any]:
    from bench.common import ROOT, fmt, log, ratio, table, target

    designs = [("striped counters (this checkout)", DB_NEW, ROOT)]
    old_rev = os.environ.get("BENCH_WRITERS_OLD_REV")
    if old_rev:
        designs.append(
            (f"one counter row per family ({old_rev[:9]})", DB_OLD, old_checkout(old_rev))
        )
    measured = {}
    for label, database, root in designs:
        log(f"writers: {label}")
        measured[label] = run_design(label, database, root)
    rows = []
    for label, result in measured.items():
        one, many = result["medians"][1], result["medians"][WRITERS]
        errors = {
            name: count
            for rs in result["runs"].values()
            for r in rs
            for name, count in r["errors"].items()
        }
        rows.append([label, one, many, ratio(many, one), round(result["pair_ratio"], 2),
                     json.dumps(errors) if errors else "none"])  # fmt: skip
    new = measured[designs[0][0]]
    notes = [
        "each writer a process of its own with one PostgreSQL session; an operation is one "
        "import_images file (48x48 PNG of noise: hash, near-duplicate check, store, row, slots, "
        "links) or one admin-style edit in its own transaction with its LogEntry (image: artist, "
        "2 random categories, a character, rating; artist URL; category and character "
        "description), cycling import, image, artist, category, character",
        f"catalog: {IMAGES:,} images filled with bench/catalog_data.py (20 categories); "
        f"{REPS} interleaved runs of {SECONDS} s for 1 and {WRITERS} writers, medians kept; "
        f"the writers and PostgreSQL share the machine's {os.cpu_count()} cores",
    ]
    for label, result in measured.items():
        per_run = ", ".join(
            f"{w} writer(s): " + " / ".join(fmt(r["ops_per_s"]) for r in rs)
            for w, rs in result["runs"].items()
        )
        stripes = [r["stripes"] for r in result["runs"][WRITERS]]
        pairs = " / ".join(f"{x:.2f}" for x in result["pairs"])
        waits = [r["lock_waits"] for r in result["runs"][WRITERS]]
        cpu = [f"{r['python_cpu']:.2f}+{r['backend_cpu']:.2f}" for rs in result["runs"].values()
               for r in rs]  # fmt: skip
        notes.append(
            f"{label}: ops/s per run {per_run}; paired ratios {pairs}; stripes of the 4 "
            f"sessions {stripes}; CPU (writers' Python + their backends, per run, 1 then "
            f"{WRITERS} writers) {cpu}; what the 4 sessions did {waits}"
        )
    return {
        "title": "Concurrent writers (PostgreSQL)",
        "table": table(
            [
                "design",
                "1 writer ops/s",
                f"{WRITERS} writers ops/s",
                "ratio of medians",
                "median of paired ratios",
                "errors",
            ],
            rows,
        ),
        "targets": [
            target(
                f"{WRITERS} writers / 1 writer ops/s (median of paired runs)",
                round(new["pair_ratio"], 3),
                ">=",
                1.5,
            )
        ],
        "figures": {label: r["medians"] for label, r in measured.items()},
        "notes": notes,
    }


def main() -> None:
    from bench.common import emit

    emit(NAME, run())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        index, start_at, seconds, files_dir, root = sys.argv[2:7]
        # The code under test may be another checkout (BENCH_WRITERS_OLD_REV): import it first.
        sys.path.insert(0, root)
        os.chdir(root)
        print(json.dumps(worker(int(index), float(start_at), float(seconds), files_dir)))
    else:
        main()
