"""One counter row per family and stripe (nekosite/lib/versiontriggers.py), and the triggers
again to bump them: with a single row per family, concurrent writers queued behind its lock.

Django cannot turn a primary key into a composite one, so the table is made anew; the counters
start over, which a worker reads as a change (it drops its copies once)."""

from django.db import migrations, models

from nekosite.lib import versiontriggers


class Migration(migrations.Migration):
    dependencies = [
        ("nekosite", "0003_triggers_skip_bookkeeping_columns"),
        ("catalog", "0006_image_moderation"),
    ]

    operations = [
        migrations.DeleteModel(name="DataVersion"),
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("pk", models.CompositePrimaryKey("name", "stripe", blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=40)),
                ("stripe", models.SmallIntegerField(default=0)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "data version"},
        ),
        migrations.RunPython(versiontriggers.install, migrations.RunPython.noop, elidable=False),
    ]
