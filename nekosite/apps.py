from django.apps import AppConfig


class NekositeConfig(AppConfig):
    name = "nekosite"
    verbose_name = "nekosite"

    def ready(self) -> None:
        from nekosite import checks  # noqa: F401 - registers the system checks
        from nekosite.lib import sqlite_regexp

        sqlite_regexp.install()
