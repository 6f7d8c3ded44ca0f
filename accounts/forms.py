"""Forms of the accounts pages: parse and validate only; writes happen in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from accounts import bruteforce
from accounts import scopes as scope_registry
from accounts.models import ApiApplication


class LoginForm(AuthenticationForm):
    """Django's login form plus the brute-force guard (per username and per client IP)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        try:
            # Counted before the password is checked, so a locked-out attacker learns nothing.
            assert self.request is not None, "LoginView passes the request"
            bruteforce.attempt(self.request, username)
        except bruteforce.TooManyAttempts as exc:
            raise ValidationError(exc.message, code="too_many_attempts") from exc
        cleaned = super().clean()
        bruteforce.succeeded(username)
        return cleaned


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change form plus the same brute-force guard on the old password, so
    a stolen session cannot be used to guess the account's password."""

    request: HttpRequest | None = None  # set by the view

    def clean_old_password(self) -> str:
        username = self.user.get_username()
        try:
            assert self.request is not None, "PasswordChangeView sets the request"
            bruteforce.attempt(self.request, username)
        except bruteforce.TooManyAttempts as exc:
            raise ValidationError(exc.message, code="too_many_attempts") from exc
        old_password = super().clean_old_password()
        bruteforce.succeeded(username)
        return old_password


class ApplicationRequestForm(forms.Form):
    """A developer asks for a catalog API token (seed 000: "please make an app")."""

    name = forms.CharField(max_length=100, help_text="Your bot or application's name.")
    purpose = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you will use the API for; staff read this before approving.",
    )
    scopes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ask only for what you need; anonymous access needs no token at all.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = [
            (scope, f"{scope} — {description}") for scope, description in scope_registry.choices()
        ]


def parse_scopes(text: str) -> list[str]:
    """Scopes typed by staff, separated by commas, spaces or new lines."""
    return [part for part in text.replace(",", " ").split() if part]


class ApplicationDecisionForm(forms.ModelForm):
    """The admin change form of an application: staff approve or reject, choosing scopes and
    an expiry. The decision itself is carried out by the admin through the services."""

    DECISIONS = [
        ("", "— keep as is —"),
        ("approve", "Approve (issue or update the token)"),
        ("reject", "Reject (revokes a token issued earlier)"),
    ]

    decision = forms.ChoiceField(choices=DECISIONS, required=False)
    scopes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Scopes granted to the token.",
    )
    custom_expiry_seconds = forms.IntegerField(
        required=False,
        min_value=31,
        max_value=999_999_999,
        help_text="Grants image:custom-expiry:<N>: signed image links valid up to N seconds.",
    )
    extra_scopes = forms.CharField(
        required=False,
        help_text="Other registry scopes, separated by spaces (unknown scopes are refused).",
    )
    expires_at = forms.DateTimeField(
        required=False,
        help_text="When the token stops working (UTC, YYYY-MM-DD HH:MM). Empty: never.",
    )

    class Meta:
        model = ApiApplication
        fields = ["decision_note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = list(
            scope_registry.SCOPES.items()
        )
        instance = self.instance
        if instance.pk and not self.is_bound:
            current = instance.granted_scopes or instance.requested_scopes or []
            self.initial["scopes"] = [s for s in current if s in scope_registry.SCOPES]
            expiry = scope_registry.max_custom_expiry(current)
            if expiry is not None:
                self.initial["custom_expiry_seconds"] = expiry
            self.initial["expires_at"] = instance.token_expires_at

    def clean_extra_scopes(self) -> list[str]:
        extra = parse_scopes(self.cleaned_data.get("extra_scopes") or "")
        unknown = scope_registry.unknown_scopes(extra)
        if unknown:
            raise ValidationError(
                "Unknown scope(s): %(scopes)s.", params={"scopes": ", ".join(unknown)}
            )
        return extra

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise ValidationError("The expiry must be in the future.")
        return value

    def granted_scopes(self) -> list[str]:
        granted = [*self.cleaned_data.get("scopes", []), *self.cleaned_data["extra_scopes"]]
        seconds = self.cleaned_data.get("custom_expiry_seconds")
        if seconds:
            granted.append(f"{scope_registry.CUSTOM_EXPIRY_PREFIX}{seconds}")
        return list(dict.fromkeys(granted))


class OtpCodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text="The six digits your authenticator app shows now, or one of your backup codes.",
    )
