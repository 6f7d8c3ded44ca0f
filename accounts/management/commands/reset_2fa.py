"""`manage.py reset_2fa <username>`: the way back in for staff with no phone and no codes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import twofactor
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Remove a user's two-factor devices (authenticator app and backup codes); "
        "they set up a new one at their next admin sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        removed = twofactor.twofactor_remove(user=user)
        if removed:
            self.stdout.write(f"Two-factor removed for {user.username}; they enrol again.")
        else:
            self.stdout.write(f"{user.username} had no two-factor device.")
