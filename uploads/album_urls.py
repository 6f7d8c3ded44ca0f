"""Shared albums at /a/<share slug>/: public, for anyone with the link."""

from django.urls import path

from uploads import views

app_name = "albums_public"
urlpatterns = [
    path("<str:slug>/", views.album_public, name="album"),
    path("<str:slug>/<str:name>.webp", views.album_thumbnail, name="thumbnail"),
]
