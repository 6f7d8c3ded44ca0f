"""Triggers again, so that an UPDATE of only `accounts_user.last_login` or
`accounts_token.last_used_at` no longer bumps the tokens version (versiontriggers.IGNORED_COLUMNS):
a log-in emptied every worker's token cache."""

from django.db import migrations

from nekosite.lib import versiontriggers


class Migration(migrations.Migration):
    dependencies = [
        ("nekosite", "0002_triggers_after_slots"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(versiontriggers.install, migrations.RunPython.noop, elidable=False),
    ]
