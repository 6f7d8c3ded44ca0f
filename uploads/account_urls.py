"""Signup and account deletion, mounted at /accounts/ (namespace "signup")."""

from django.urls import path

from uploads import views

app_name = "signup"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("delete/", views.delete_account, name="delete_account"),
]
