"""Trigram indexes for name search (catalog/search.py) on PostgreSQL.

PostgreSQL serves `name ~* '<pattern>'` (and ILIKE) from a GIN trigram index. On SQLite both
operations are no-ops: TrigramExtension skips other vendors and the index SQL only runs on
PostgreSQL, so the model state (and makemigrations) is unchanged on every database.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TABLES = ("catalog_artist", "catalog_character", "catalog_category")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_name_trgm "
            f"ON {table} USING gin (name gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
