"""Compare the uploads storage with the Upload rows.

Orphans (stored objects without a row) appear when a process dies between storing a file and
committing its row; dangling rows (rows without their object) when storage lost an object.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from uploads import services


class Command(BaseCommand):
    help = "Report stored upload files without a row and rows without a stored file (--fix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Delete orphaned stored files and remove rows whose file is missing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.storage_reconcile(fix=options["fix"])
        for name in report.orphans:
            self.stdout.write(f"orphan (stored, no row): {name}")
        for name in report.dangling:
            self.stdout.write(f"dangling (row, not stored): {name}")
        action = "fixed" if options["fix"] else "found"
        self.stdout.write(
            f"{len(report.orphans)} orphan(s) and {len(report.dangling)} dangling row(s) {action}."
        )
