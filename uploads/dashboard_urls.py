"""The uploader's dashboard, mounted at /dashboard/files/."""

from django.urls import path

from uploads import views

app_name = "uploads_dashboard"
urlpatterns = [
    path("", views.files, name="files"),
    path("usage.json", views.files_usage, name="usage"),
    path("<str:name>/delete/", views.file_delete, name="delete"),
    path("<str:name>/options/", views.file_options, name="options"),
    path("<str:name>/thumb.webp", views.file_thumbnail, name="thumbnail"),
    path("token/regenerate/", views.token_regen, name="token_regen"),
    path("sharex.sxcu", views.sharex, name="sharex"),
]
