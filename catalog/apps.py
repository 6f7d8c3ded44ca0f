from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from nekosite.lib import readcache

        readcache.watch("catalog", self.get_models(include_auto_created=True))
