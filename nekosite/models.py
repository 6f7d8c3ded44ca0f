"""Site-wide tables that belong to no single app."""

from __future__ import annotations

from django.db import models


class DataVersion(models.Model):
    """A counter per family of tables, bumped by database triggers on every write to them.

    Workers keep copies of hot rows in their own memory (nekosite/lib/readcache.py) and compare
    these counters to know when their copies are out of date. The triggers (migration 0001)
    fire for every write, whatever wrote it: the ORM, the admin, bulk operations or raw SQL.
    """

    name = models.CharField(primary_key=True, max_length=40)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "data version"

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
