"""manage.py phash_backfill: compute the perceptual hash of the images that have none.

Rows created before the hash existed, and images whose processing task has not run yet. Safe to
run again (and while the site is up): it only fills null hashes, in batches.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.services import image_phash_backfill


class Command(BaseCommand):
    help = "Compute the perceptual hash (near-duplicate search) of images that have none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        hashed = unreadable = 0
        after = None
        while True:
            batch = image_phash_backfill(after=after, batch_size=options["batch_size"])
            hashed += batch.hashed
            unreadable += batch.unreadable
            if batch.last_id is None:
                break
            after = batch.last_id
        self.stdout.write(f"Hashed {hashed} image(s); {unreadable} unreadable (left without).")
