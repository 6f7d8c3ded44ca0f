"""The database triggers behind nekosite.models.DataVersion (used by nekosite's migrations).

Every write to a watched table bumps a counter of its family in `nekosite_dataversion`, so the
read caches of every worker (nekosite/lib/readcache.py) learn of it, whoever wrote.

Each family has up to STRIPES counter rows, and a writer bumps the one of its database session
(`pg_backend_pid() % STRIPES`): concurrent writers update different rows, so none waits for
another's commit (one row per family made every catalog write queue behind it). Readers sum a
family's rows. The sum only grows, and a bump is visible exactly when its transaction commits:
what a reader needs to know that something committed since it last looked. A sequence
(`nextval`) or a timestamp would not do: a sequence moves before the commit, so a reader could
notice it, read the rows as they were before the commit and keep them (nothing moves again
afterwards), and `max(updated_at)` misses deletes and orders by transaction start, not commit.

PostgreSQL: one statement-level trigger per table (a bulk INSERT of a million rows bumps once).
SQLite: row-level triggers (SQLite has no statement-level ones) on stripe 0 (SQLite runs one
writer at a time). Both upsert their counter row, so they keep working after a test framework
empties the table.

SQLite drops a table's triggers when a migration rebuilds the table (ALTER of a column), so a
migration that does so must be followed by one that calls `install` again: it is idempotent.
`tests` check that every watched table has its trigger (nekosite/tests/test_readcache.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Family -> (app label, model name or "Model.m2m_field") of every table whose rows workers may
# keep in memory.
WATCHED: dict[str, list[tuple[str, str]]] = {
    "catalog": [
        ("catalog", "Artist"),
        ("catalog", "Category"),
        ("catalog", "Character"),
        ("catalog", "Image"),
        ("catalog", "Image.categories"),
        ("catalog", "Image.characters"),
        ("catalog", "CategorySlot"),
    ],
    "tokens": [
        ("accounts", "Token"),
        ("accounts", "User"),
        ("accounts", "ApiApplication"),
    ],
}

# Bookkeeping columns whose updates change nothing a worker keeps: Django writes `last_login` on
# every log-in (`update_fields=["last_login"]`) and nekosite `last_used_at` as tokens are used.
# An UPDATE that sets only these does not bump the version (the trigger is `UPDATE OF` the other
# columns), so it does not empty every worker's token cache.
IGNORED_COLUMNS: dict[str, frozenset[str]] = {
    "accounts_user": frozenset({"last_login"}),
    "accounts_token": frozenset({"last_used_at"}),
}

# Counter rows per family on PostgreSQL. Two sessions share a row only when their backend pids
# are equal modulo STRIPES (then they queue as all writers used to); a reader sums at most this
# many rows per family.
STRIPES = 64


def _bump_sql(family: str, vendor: str, *, striped: bool = True) -> str:
    """The upsert that bumps `family` (an SQL expression from this module: a quoted family
    name from WATCHED, TG_ARGV[0] or a %s placeholder; never input).

    `striped` is False only for migrations that ran before nekosite 0004, when the table had
    one row per family: migrations call the current `install`, so it must fit their table.
    """
    if not striped:
        return (
            f"INSERT INTO nekosite_dataversion (name, version) VALUES ({family}, 1) "  # noqa: S608
            "ON CONFLICT (name) DO UPDATE SET version = nekosite_dataversion.version + 1"
        )
    stripe = f"mod(pg_backend_pid(), {STRIPES})" if vendor == "postgresql" else "0"
    return (
        "INSERT INTO nekosite_dataversion (name, stripe, version) "  # noqa: S608
        f"VALUES ({family}, {stripe}, 1) "
        "ON CONFLICT (name, stripe) DO UPDATE SET version = nekosite_dataversion.version + 1"
    )


def _striped(apps: Any) -> bool:
    try:
        model = apps.get_model("nekosite", "DataVersion")
    except LookupError:
        return True
    return any(field.name == "stripe" for field in model._meta.concrete_fields)


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nekosite_bump_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {bump};
    RETURN NULL;
END
$$
"""
_SQLITE_EVENTS = ("insert", "update", "delete")


def _watched_models(apps: Any) -> Iterator[tuple[str, Any]]:
    for family, specs in WATCHED.items():
        for app_label, name in specs:
            model_name, _, field = name.partition(".")
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                continue  # not created yet at this point of the migration history
            if field:
                model = model._meta.get_field(field).remote_field.through
            yield family, model


def watched_tables(apps: Any) -> Iterator[tuple[str, str]]:
    """(family, table) for every watched table that exists in `apps` (a migration's state or
    django.apps.apps)."""
    for family, model in _watched_models(apps):
        yield family, model._meta.db_table


def watched_update_columns(apps: Any) -> dict[str, list[str]]:
    """table -> the columns whose update bumps the version, for tables with IGNORED_COLUMNS."""
    return {
        model._meta.db_table: [
            field.column
            for field in model._meta.concrete_fields
            if field.column not in IGNORED_COLUMNS[model._meta.db_table]
        ]
        for _, model in _watched_models(apps)
        if model._meta.db_table in IGNORED_COLUMNS
    }


def trigger_names(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"nekosite_version_{table}"]
    return [f"nekosite_version_{table}_{event}" for event in _SQLITE_EVENTS]


def install(apps: Any, schema_editor: Any) -> None:
    """(Re)create the trigger of every watched table (a RunPython operation)."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        # nekosite runs on these two only (README); refuse to migrate rather than leave the
        # read caches without their invalidation.
        raise ImproperlyConfigured(f"nekosite supports PostgreSQL and SQLite, not {vendor}.")
    striped = _striped(apps)
    if vendor == "postgresql":
        bump = _bump_sql("TG_ARGV[0]", vendor, striped=striped)
        schema_editor.execute(_PG_FUNCTION.format(bump=bump))
    update_columns = watched_update_columns(apps)
    for family, table in watched_tables(apps):
        _drop(schema_editor, table, vendor)
        # Table, column and family names come from WATCHED and the models, never from input.
        update = "UPDATE"
        if table in update_columns:
            update = "UPDATE OF " + ", ".join(
                schema_editor.quote_name(column) for column in update_columns[table]
            )
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER nekosite_version_{table} "
                f"AFTER INSERT OR {update} OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION nekosite_bump_data_version('{family}')"
            )
        else:
            for event in _SQLITE_EVENTS:
                schema_editor.execute(
                    f"CREATE TRIGGER nekosite_version_{table}_{event} "
                    f"AFTER {update if event == 'update' else event.upper()} ON {table} BEGIN "
                    f"{_bump_sql(repr(family), vendor, striped=striped)}; END"
                )


def uninstall(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for _, table in watched_tables(apps):
        _drop(schema_editor, table, vendor)


def _drop(schema_editor: Any, table: str, vendor: str) -> None:
    for name in trigger_names(table, vendor):
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def trigger_definitions(connection: Any) -> dict[str, str]:
    """name -> SQL of nekosite's version triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname LIKE 'nekosite_version_%%'"
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'nekosite_version_%'"
            )
        return dict(cursor.fetchall())


def installed(connection: Any) -> set[str]:
    """The names of nekosite's version triggers present in the database."""
    return set(trigger_definitions(connection))


def lock_family(connection: Any, family: str) -> None:
    """Take (and bump) this session's counter row of `family` now, at the start of a transaction
    that will write several of its tables under other locks (catalog.services' slot numbering).

    The triggers update that row after each statement, so a transaction holding row locks
    would otherwise wait for it while another session on the same stripe, holding the counter
    row, waits for those rows: a deadlock PostgreSQL breaks by aborting one. Taken first, the
    row simply queues such writers. Sessions on other stripes never wait for it. SQLite runs
    one writer at a time and needs nothing.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_bump_sql("%s", connection.vendor), [family])
