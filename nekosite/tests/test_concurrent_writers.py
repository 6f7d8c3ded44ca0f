"""Concurrent catalog writers on PostgreSQL: real writer processes, this process the reader.

Each writer bumps the version counter of its own stripe (nekosite/lib/versiontriggers.py), so
writers do not queue behind one row; these tests check what that must not break: no deadlock
between writers, and a worker still serves every committed change within READ_CACHE_MS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from catalog import services
from catalog.tests.factories import make_artist, make_category, make_character, make_image
from nekosite.lib import versiontriggers

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the writer processes must see the rows
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="concurrent writers need PostgreSQL (SQLite runs one writer at a time)",
    ),
]


def writer(*args: object) -> subprocess.Popen[str]:
    """A writer process on this test's database (python -m nekosite.tests.concurrent_writer)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "-m", "nekosite.tests.concurrent_writer", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def catalog() -> list:
    categories = [make_category() for _ in range(6)]
    artists = [make_artist() for _ in range(3)]
    characters = [make_character() for _ in range(3)]
    return [
        make_image(
            categories=categories[n % 6 : n % 6 + 2],
            artist=artists[n % 3],
            characters=characters[:1],
        )
        for n in range(12)
    ]


def stripe() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0] % versiontriggers.STRIPES


def test_a_catalog_write_does_not_wait_for_another_writers_commit() -> None:
    """With one counter row per family, the second write queued until the first committed."""
    first_wrote, second_done = threading.Event(), threading.Event()
    first_stripe: list[int] = []

    def first() -> None:
        try:
            with transaction.atomic():
                make_artist()  # bumps this session's counter row and holds it until the commit
                first_stripe.append(stripe())
                first_wrote.set()
                assert second_done.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_wrote.wait(30)
        while stripe() == first_stripe[0]:  # the same stripe (pids equal modulo STRIPES) queues
            connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # waiting for the first would fail here
        make_category()
        second_done.set()
    finally:
        second_done.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_four_writers_at_once_neither_deadlock_nor_break_the_slot_numbering(catalog) -> None:
    procs = [writer("mix", index, 4) for index in range(4)]
    outcomes = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, stderr) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, stderr  # a deadlock aborts a writer with its traceback
    assert services.slots_check().clean


def test_every_committed_change_is_served_within_read_cache_ms(catalog, settings) -> None:
    """Writers (other processes) commit edits; a read that starts READ_CACHE_MS after a commit
    returns that edit or a later one, while other threads keep the cache full of older rows."""
    settings.READ_CACHE_MS = 200
    images = catalog[:3]
    paths = [f"/api/v1/image/{image.pk}" for image in images]
    procs = [writer("marks", index, 15, image.pk) for index, image in enumerate(images)]
    stop = threading.Event()

    def keep_reading() -> None:
        client = Client()
        try:
            while not stop.is_set():
                for path in paths:
                    client.get(path)
        finally:
            connection.close()

    readers = [threading.Thread(target=keep_reading) for _ in range(2)]
    for thread in readers:
        thread.start()
    client = Client()
    checked = 0
    try:
        for index, proc in enumerate(procs):
            assert proc.stdout is not None
            for line in proc.stdout:
                mark = json.loads(line)
                time.sleep(max(0.0, mark["at"] + settings.READ_CACHE_MS / 1000 - time.time()))
                served = client.get(paths[index]).json()["data"]["source"]["name"]
                writer_index, n = map(int, served.split(":"))
                assert writer_index == index
                assert n >= mark["n"], f"served edit {n} after edit {mark['n']} was committed"
                checked += 1
    finally:
        stop.set()
        for thread in readers:
            thread.join()
        for proc in procs:
            proc.kill()
            proc.wait()
    assert checked == 45
    assert all(proc.returncode in (0, -9) for proc in procs)
