"""Embed pages of uploads (issue #20), mounted at /e/ on the site's origin."""

from django.urls import path

from uploads import embeds

app_name = "uploads_embed"
urlpatterns = [path("<str:name>", embeds.embed_page, name="page")]
