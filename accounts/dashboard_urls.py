"""/dashboard/: profile and API applications (the file dashboard is under /dashboard/files/)."""

from django.urls import path

from accounts import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_home, name="home"),
    path("applications/", views.application_list, name="applications"),
    path("applications/new/", views.application_new, name="application-new"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path(
        "applications/<int:pk>/regenerate/",
        views.token_regenerate,
        name="token-regenerate",
    ),
    path("applications/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
