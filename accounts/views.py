"""Server-rendered account and developer-dashboard pages. Thin: forms parse, services write."""

from __future__ import annotations

from base64 import b32encode
from typing import Any, cast
from urllib.parse import urlencode

import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.decorators import ratelimit
from qrcode.image.svg import SvgPathImage

from accounts import bruteforce, selectors, services, twofactor
from accounts import ratelimit as limits
from accounts.admin_site import is_verified
from accounts.forms import ApplicationRequestForm, LoginForm, OtpCodeForm, PasswordChangeForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Token


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Welcome back, {form.get_user().username}.")
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link or an image tag cannot log anyone out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have been logged out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard:home")
    form_class = PasswordChangeForm

    def get_form(self, form_class: Any = None) -> PasswordChangeForm:
        form = cast(PasswordChangeForm, super().get_form(form_class))
        form.request = self.request  # the brute-force guard counts per username and per IP
        return form

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


@require_GET
@login_required
def dashboard_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    applications = selectors.application_list_for_user(user=request.user)[:5]
    tokens = selectors.api_token_list_active(user=request.user)
    return render(
        request,
        "accounts/dashboard_home.html",
        {"applications": applications, "tokens": tokens},
    )


@require_GET
@login_required
def application_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    applications = selectors.application_list_for_user(user=request.user)
    return render(request, "accounts/application_list.html", {"applications": applications})


@require_http_methods(["GET", "POST"])
@login_required
@ratelimit(key=limits.user_key, rate=limits.auth_rate, method="POST", block=False)
def application_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApplicationRequestForm(request.POST or None)
    if request.method == "POST" and request.limited:  # type: ignore[attr-defined]
        form.add_error(None, limits.FORM_MESSAGE)
    elif request.method == "POST" and form.is_valid():
        application = services.application_request(
            user=request.user,
            name=form.cleaned_data["name"],
            purpose=form.cleaned_data["purpose"],
            scopes=form.cleaned_data["scopes"],
        )
        messages.success(
            request, "Your application was sent. Staff will review it; the token appears here."
        )
        return redirect("dashboard:application-detail", pk=application.pk)
    return render(request, "accounts/application_form.html", {"form": form})


@never_cache
@require_GET
@login_required
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The token is in the page but masked; "Reveal" (?reveal=1) shows it without JavaScript."""
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    token = selectors.application_token(application=application)
    value = services.token_value(token=token) if token is not None else None
    # never_cache: a secret is on the page, so no shared cache and no stored copy (no-store).
    return render(
        request,
        "accounts/application_detail.html",
        {
            "application": application,
            "token": token,
            "token_value": value,
            "token_active": token is not None and token.is_active(),
            "revealed": request.GET.get("reveal") == "1",
            "site_url": settings.SITE_URL,
        },
    )


def _owned_token(request: AuthenticatedHttpRequest, pk: int) -> Token | None:
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    return selectors.application_token(application=application)


def _detail(pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("dashboard:application-detail", kwargs={"pk": pk}))


@require_POST
@login_required
def token_regenerate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = _owned_token(request, pk)
    if token is None or not token.is_active():
        messages.error(request, "This application has no active token to regenerate.")
        return _detail(pk)
    services.token_regenerate(token=token)
    messages.success(
        request, "A new token was generated; the old one stops working within a second."
    )
    return _detail(pk)


@require_POST
@login_required
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = _owned_token(request, pk)
    if token is None or token.revoked_at is not None:
        messages.error(request, "This application has no token to revoke.")
        return _detail(pk)
    services.token_revoke(token=token)
    messages.success(request, "The token was revoked. Request a new application for a new one.")
    return _detail(pk)


# --- staff two-factor (README "Staff two-factor") -------------------------------------------------
WRONG_CODE = "That code is not valid."


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Two-factor sign-in is for staff accounts.")


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")


def _code_checked(request: AuthenticatedHttpRequest, form: OtpCodeForm) -> Device | None:
    """Count the attempt (brute-force guard, per username and IP), then check the code;
    the form gets the error."""
    key = f"2fa:{request.user.get_username()}"
    try:
        bruteforce.attempt(request, key)
    except bruteforce.TooManyAttempts as exc:
        form.add_error(None, exc.message)
        return None
    device = twofactor.code_verify(user=request.user, code=form.cleaned_data["code"])
    if device is None:
        form.add_error("code", WRONG_CODE)
        return None
    bruteforce.succeeded(key)
    return device


def _qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=8)
    return cast(str, image.to_string(encoding="unicode"))


@never_cache
@require_GET
@login_required
def twofactor_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    _staff_only(request)
    device = twofactor.totp_device_get(user=request.user)
    if device is None:
        return redirect("accounts:2fa-setup")
    context = {
        "device": device,
        "codes_left": twofactor.backup_codes_left(user=request.user),
        "verified": is_verified(request),
        "remove_form": OtpCodeForm(),
        "required": settings.ADMIN_2FA,
    }
    return render(request, "accounts/twofactor_home.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def twofactor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a first code, get backup codes."""
    _staff_only(request)
    if twofactor.totp_device_get(user=request.user) is not None:
        return redirect("accounts:2fa")
    device = twofactor.totp_device_start(user=request.user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = f"2fa:{request.user.get_username()}"
        try:
            bruteforce.attempt(request, key)
            codes = twofactor.totp_device_confirm(device=device, code=form.cleaned_data["code"])
        except bruteforce.TooManyAttempts as exc:
            form.add_error(None, exc.message)
        else:
            if codes is None:
                form.add_error("code", WRONG_CODE)
            else:
                bruteforce.succeeded(key)
                otp_login(request, device)
                return _backup_codes_page(request, codes)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "secret": b32encode(device.bin_key).decode(),
        "next": _next_url(request),
    }
    return render(request, "accounts/twofactor_setup.html", context)


def _backup_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Shown once, as the answer to a POST: only their digests are stored.
    return render(
        request,
        "accounts/twofactor_backup_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def twofactor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The code asked after the password, before /admin/ (ADMIN_2FA)."""
    _staff_only(request)
    next_url = _next_url(request)
    if twofactor.totp_device_get(user=request.user) is None:
        messages.info(request, "Set up two-factor sign-in to use the admin.")
        return redirect(f"{reverse('accounts:2fa-setup')}?{urlencode({'next': next_url})}")
    if is_verified(request):
        return HttpResponseRedirect(next_url)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _code_checked(request, form)
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = twofactor.backup_codes_left(user=request.user)
                messages.warning(request, f"Backup code used; {left} left.")
            return HttpResponseRedirect(next_url)
    return render(request, "accounts/twofactor_verify.html", {"form": form, "next": next_url})


@never_cache
@require_POST
@login_required
def twofactor_backup_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working); needs a session that entered a code."""
    _staff_only(request)
    if twofactor.totp_device_get(user=request.user) is None or not is_verified(request):
        return redirect(f"{reverse('accounts:2fa-verify')}?{urlencode({'next': '/accounts/2fa/'})}")
    codes = twofactor.backup_codes_generate(user=request.user)
    return _backup_codes_page(request, codes)


@never_cache
@require_POST
@login_required
def twofactor_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Remove the authenticator and the backup codes; needs a current code."""
    _staff_only(request)
    device = twofactor.totp_device_get(user=request.user)
    if device is None:
        return redirect("accounts:2fa-setup")
    form = OtpCodeForm(request.POST)
    if form.is_valid() and _code_checked(request, form) is not None:
        twofactor.twofactor_remove(user=request.user)
        messages.success(request, "Two-factor sign-in removed.")
        return redirect("accounts:2fa-setup" if settings.ADMIN_2FA else "dashboard:home")
    context = {
        "device": device,
        "codes_left": twofactor.backup_codes_left(user=request.user),
        "verified": is_verified(request),
        "remove_form": form,
        "required": settings.ADMIN_2FA,
    }
    return render(request, "accounts/twofactor_home.html", context, status=400)
