"""Site-wide tables that belong to no single app."""

from __future__ import annotations

from django.db import models


class DataVersion(models.Model):
    """Counters per family of tables, bumped by database triggers on every write to them.

    Workers keep copies of hot rows in their own memory (nekosite/lib/readcache.py) and compare
    the sum of a family's counters to know when their copies are out of date. The triggers
    (nekosite/lib/versiontriggers.py) fire for every write, whatever wrote it: the ORM, the
    admin, bulk operations or raw SQL. A family has one row per stripe so that concurrent
    writers bump different rows instead of queueing behind one.
    """

    pk = models.CompositePrimaryKey("name", "stripe")
    name = models.CharField(max_length=40)
    stripe = models.SmallIntegerField(default=0)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "data version"

    def __str__(self) -> str:
        return f"{self.name}[{self.stripe}] v{self.version}"
