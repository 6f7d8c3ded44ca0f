"""Request types for views, for the type checker only."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind @login_required gets: request.user is a User, never
    AnonymousUser. Annotation only; Django hands such views a plain HttpRequest."""

    user: User
