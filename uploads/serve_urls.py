"""Uploaded files at UPLOAD_URL (default /u/<name>)."""

from django.urls import path

from uploads import views

app_name = "uploads_serve"
urlpatterns = [path("<str:name>", views.serve_upload, name="file")]
