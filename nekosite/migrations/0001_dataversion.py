"""DataVersion and the triggers that bump it (nekosite/lib/versiontriggers.py)."""

from django.db import migrations, models

from nekosite.lib import versiontriggers


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
        migrations.RunPython(versiontriggers.install, versiontriggers.uninstall, elidable=False),
    ]
