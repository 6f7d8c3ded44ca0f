"""Triggers again after catalog 0003: it adds CategorySlot, and on SQLite it rebuilds
catalog_image (dropping random_key), which drops that table's triggers."""

from django.db import migrations

from nekosite.lib import versiontriggers


class Migration(migrations.Migration):
    dependencies = [
        ("nekosite", "0001_dataversion"),
        ("catalog", "0003_slots"),
    ]

    operations = [
        migrations.RunPython(versiontriggers.install, versiontriggers.uninstall, elidable=False),
    ]
