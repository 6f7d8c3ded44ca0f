"""Public gallery pages and thumbnails (namespace "catalog")."""

from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("gallery/tags.json", views.tag_suggestions, name="tag-suggestions"),
    path("image/<uuid:image_id>/", views.image_detail, name="image"),
    path("thumbs/<uuid:image_id>.webp", views.thumbnail, name="thumbnail"),
]
