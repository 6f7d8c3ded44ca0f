"""The uploader's dashboard, mounted at /dashboard/files/."""

from django.urls import path

from uploads import views

app_name = "uploads_dashboard"
urlpatterns = [
    path("", views.files, name="files"),
    path("bulk/", views.files_bulk, name="bulk"),
    path("albums/", views.album_list, name="albums"),
    path("albums/<int:album_id>/", views.album_detail, name="album"),
    path("albums/<int:album_id>/remove/", views.album_remove, name="album_remove"),
    path("albums/<int:album_id>/move/", views.album_move, name="album_move"),
    path("albums/<int:album_id>/rotate/", views.album_rotate, name="album_rotate"),
    path("albums/<int:album_id>/delete/", views.album_delete, name="album_delete"),
    path("usage.json", views.files_usage, name="usage"),
    path("<str:name>/delete/", views.file_delete, name="delete"),
    path("<str:name>/options/", views.file_options, name="options"),
    path("<str:name>/thumb.webp", views.file_thumbnail, name="thumbnail"),
    path("token/regenerate/", views.token_regen, name="token_regen"),
    path("sharex.sxcu", views.sharex, name="sharex"),
]
