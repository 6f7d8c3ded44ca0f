"""DataVersion and the triggers that bump it (see nekosite/models.py and nekosite/lib/readcache.py).

PostgreSQL: one statement-level trigger per table (a bulk INSERT of a million rows bumps once).
SQLite: row-level triggers (SQLite has no statement-level ones). Both upsert the counter row, so
they keep working after a test framework truncates the table.
"""

from django.db import migrations, models

# Family -> (app label, model name) of every table whose rows workers may keep in memory.
FAMILIES = {
    "catalog": [
        ("catalog", "Artist"),
        ("catalog", "Category"),
        ("catalog", "Character"),
        ("catalog", "Image"),
        ("catalog", "Image.categories"),
        ("catalog", "Image.characters"),
    ],
    "tokens": [
        ("accounts", "Token"),
        ("accounts", "User"),
        ("accounts", "ApiApplication"),
    ],
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nekosite_bump_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO nekosite_dataversion (name, version) VALUES (TG_ARGV[0], 1)
    ON CONFLICT (name) DO UPDATE SET version = nekosite_dataversion.version + 1;
    RETURN NULL;
END
$$
"""


def _tables(apps):
    for family, models_ in FAMILIES.items():
        for app_label, name in models_:
            model_name, _, field = name.partition(".")
            model = apps.get_model(app_label, model_name)
            if field:
                model = model._meta.get_field(field).remote_field.through
            yield family, model._meta.db_table


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for family, table in _tables(apps):
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER nekosite_version_{table} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION nekosite_bump_data_version('{family}')"
            )
        elif vendor == "sqlite":
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER nekosite_version_{table}_{event.lower()} "
                    f"AFTER {event} ON {table} BEGIN "
                    f"INSERT INTO nekosite_dataversion (name, version) VALUES ('{family}', 1) "
                    "ON CONFLICT (name) DO UPDATE SET version = version + 1; END"
                )
        else:
            raise NotImplementedError(f"nekosite supports PostgreSQL and SQLite, not {vendor}")


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for _, table in _tables(apps):
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS nekosite_version_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS nekosite_version_{table}_{event}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS nekosite_bump_data_version()")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalog", "0002_search_indexes"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "data version"},
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
