from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers the system checks)
        from accounts.models import ApiApplication, Token, User
        from nekosite.lib import readcache

        # The token cache holds tokens with their user and application (accounts/services.py).
        readcache.watch("tokens", [Token, User, ApiApplication])


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with nekosite's site (accounts/admin_site.py) as `admin.site`."""

    default = False  # named in INSTALLED_APPS; "accounts" itself is AccountsConfig
    default_site = "accounts.admin_site.NekositeAdminSite"
