from django.apps import AppConfig


class NekositeConfig(AppConfig):
    name = "nekosite"
    verbose_name = "nekosite"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from nekosite import checks  # noqa: F401 - registers the system checks
        from nekosite.lib import cache, sqlite_regexp

        sqlite_regexp.install()
        post_migrate.connect(cache.create_cache_table, sender=self)
