"""CATALOG_MEDIA_URL (default /assets/): catalog images as `<uuid>.<ext>`."""

from django.urls import URLPattern, re_path

from catalog import media

urlpatterns: list[URLPattern] = [
    re_path(r"^(?P<filename>[0-9A-Fa-f-]{32,36}\.[A-Za-z0-9]{1,10})$", media.image_asset),
]
