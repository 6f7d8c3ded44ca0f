"""The admin site: its names, and staff two-factor when ADMIN_2FA is on."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


def is_verified(request: HttpRequest) -> bool:
    """Has this session entered a one-time code? (django_otp's OTPMiddleware sets the method.)"""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


class NekositeAdminSite(admin.AdminSite):
    site_header = "nekosite administration"
    site_title = "nekosite administration"
    index_title = "nekosite administration"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_2FA or is_verified(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Staff who have given their password but no code yet go on to the code page (or to
        # enrolment from there); asking for the password again would loop.
        user = request.user
        if settings.ADMIN_2FA and user.is_active and user.is_staff and not is_verified(request):
            next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            query = urlencode({"next": next_url})
            return HttpResponseRedirect(f"{reverse('accounts:2fa-verify')}?{query}")
        return super().login(request, extra_context)
