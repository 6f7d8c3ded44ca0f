"""Compare the uploads storage with the Upload rows.

Orphans (stored objects without a row) appear when a process dies between storing a file and
committing its row; dangling rows (rows without their object) when storage lost an object.
An upload in flight also looks like an orphan for a moment (its object is stored just before
its row commits), so `--fix` leaves objects younger than `--min-age` seconds alone.

It also finds upload bodies a killed worker left half-received in the upload temp dir
(FILE_UPLOAD_TEMP_DIR) that nobody has written to for `--min-age` seconds; `--fix` deletes them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from uploads import services

DEFAULT_MIN_AGE_SECONDS = 600


class Command(BaseCommand):
    help = (
        "Report stored upload files without a row, rows without a stored file and stale upload "
        "temp files (--fix removes them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Delete orphaned stored files and remove rows whose file is missing.",
        )
        parser.add_argument(
            "--min-age",
            type=float,
            default=DEFAULT_MIN_AGE_SECONDS,
            metavar="SECONDS",
            help=(
                "Never delete an orphan younger than this: it may be an upload whose row is "
                f"about to commit (default {DEFAULT_MIN_AGE_SECONDS}; 0 on an idle system)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.storage_reconcile(
            fix=options["fix"], min_age_seconds=max(0.0, options["min_age"])
        )
        recent = set(report.recent)
        for name in report.orphans:
            note = " (younger than --min-age: kept)" if name in recent and options["fix"] else ""
            self.stdout.write(f"orphan (stored, no row): {name}{note}")
        for name in report.dangling:
            self.stdout.write(f"dangling (row, not stored): {name}")
        action = "fixed" if options["fix"] else "found"
        fixed = len(report.orphans) - (len(recent) if options["fix"] else 0)
        line = f"{fixed} orphan(s) and {len(report.dangling)} dangling row(s) {action}."
        if options["fix"] and recent:
            line += f" {len(recent)} recent orphan(s) kept (--min-age {options['min_age']:g})."
        temp_files = services.stale_upload_temp_files(
            min_age_seconds=max(0.0, options["min_age"]), delete=options["fix"]
        )
        for path in temp_files:
            self.stdout.write(f"stale upload temp file: {path}")
        if temp_files:
            verb = "deleted" if options["fix"] else "found"
            self.stdout.write(f"{len(temp_files)} stale upload temp file(s) {verb}.")
        self.stdout.write(line)
