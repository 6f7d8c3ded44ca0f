"""Server-rendered account and developer-dashboard pages. Thin: forms parse, services write."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import ratelimit as limits
from accounts import selectors, services
from accounts.forms import ApplicationRequestForm, LoginForm, PasswordChangeForm
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
