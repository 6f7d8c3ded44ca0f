"""nekos.cafe API routes, at exactly the seed's paths below /api/ (seed 004)."""

from django.urls import path, re_path

from uploads.api import tus, views

urlpatterns = [
    path("info", views.InfoView.as_view(), name="filehost-info"),
    path("user/info", views.UserInfoView.as_view(), name="filehost-user-info"),
    path("user/signup", views.UserSignupView.as_view(), name="filehost-user-signup"),
    path("user/delete", views.UserDeleteView.as_view(), name="filehost-user-delete"),
    path("user/passreset", views.PasswordResetView.as_view(), name="filehost-user-passreset"),
    path("token/get", views.TokenGetView.as_view(), name="filehost-token-get"),
    path("token/regen", views.TokenRegenView.as_view(), name="filehost-token-regen"),
    path("token/valid", views.TokenValidView.as_view(), name="filehost-token-valid"),
    path("files/list", views.FilesListView.as_view(), name="filehost-files-list"),
    path("files/upload", views.FilesUploadView.as_view(), name="filehost-files-upload"),
    # Resumable uploads (tus 1.0, uploads/api/tus.py).
    path("files/tus/", tus.TusCreateView.as_view(), name="filehost-tus"),
    path("files/tus/<uuid:upload_id>", tus.TusUploadView.as_view(), name="filehost-tus-upload"),
    path("files/delete", views.FilesDeleteView.as_view(), name="filehost-files-delete"),
    path("oembed", views.OEmbedView.as_view(), name="filehost-oembed"),
    path("admin/signup", views.AdminSignupView.as_view(), name="filehost-admin-signup"),
    path("admin/regkeygen", views.AdminRegkeyGenView.as_view(), name="filehost-admin-regkeygen"),
    path(
        "admin/token/valid",
        views.AdminTokenValidView.as_view(),
        name="filehost-admin-token-valid",
    ),
    path("admin/token/get", views.AdminTokenGetView.as_view(), name="filehost-admin-token-get"),
    path(
        "admin/list/uploads",
        views.AdminListUploadsView.as_view(),
        name="filehost-admin-list-uploads",
    ),
    path("admin/list/users", views.AdminListUsersView.as_view(), name="filehost-admin-list-users"),
    path(
        "admin/delete/file",
        views.AdminDeleteFileView.as_view(),
        name="filehost-admin-delete-file",
    ),
    path(
        "admin/delete/user",
        views.AdminDeleteUserView.as_view(),
        name="filehost-admin-delete-user",
    ),
    # Last: any other path below /api/ is this API's 404 (with the rate-limit headers).
    re_path(r"", views.NotFoundView.as_view(), name="filehost-not-found"),
]
