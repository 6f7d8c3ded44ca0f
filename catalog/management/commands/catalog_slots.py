"""manage.py catalog_slots [--fix]: check (and repair) the numbering random draws rely on.

catalog.services keeps Image.slot and CategorySlot dense on every write it makes. Writes that
bypass the services (raw SQL, QuerySet.delete in a shell) leave holes or stale rows: draws stay
exactly uniform but need more look-ups, and a category link without its CategorySlot row is
never drawn with a category filter. --fix renumbers, keeping the order.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog import services


class Command(BaseCommand):
    help = "Check the slot numbering of images and categories (random draws); --fix repairs it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Renumber densely and rebuild CategorySlot rows."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.slots_repair() if options["fix"] else services.slots_check()
        self.stdout.write(
            f"image slot holes: {report.image_holes}; category links without a slot: "
            f"{report.missing_links}; slots without a link: {report.stray_slots}; "
            f"category slot holes: {report.category_holes}"
        )
        if report.clean:
            self.stdout.write("Slots are dense.")
        elif options["fix"]:
            self.stdout.write("Repaired.")
        else:
            self.stdout.write("Run with --fix to repair.")
