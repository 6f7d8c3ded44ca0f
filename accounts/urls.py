"""/accounts/: log in, log out, change password, staff two-factor (/accounts/2fa/).

Signup lives with the file host (invite keys).
"""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("2fa/", views.twofactor_home, name="2fa"),
    path("2fa/setup/", views.twofactor_setup, name="2fa-setup"),
    path("2fa/verify/", views.twofactor_verify, name="2fa-verify"),
    path("2fa/backup-codes/", views.twofactor_backup_codes, name="2fa-backup-codes"),
    path("2fa/remove/", views.twofactor_remove, name="2fa-remove"),
]
