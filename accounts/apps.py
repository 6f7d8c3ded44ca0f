from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers the system checks)
        from accounts.models import ApiApplication, Token, User
        from nekosite.lib import readcache

        # The token cache holds tokens with their user and application (accounts/services.py).
        readcache.watch("tokens", [Token, User, ApiApplication])
