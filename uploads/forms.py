"""Forms of the file-host pages. Validation of names and passwords lives in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password (again)",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    regkey = forms.CharField(label="Registration key", required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if settings.INVITE_ONLY:
            self.fields["regkey"].required = True
            self.fields["regkey"].help_text = "This instance is invite-only."
        else:
            del self.fields["regkey"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return cleaned


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and all my files will be deleted for good."
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadForm(forms.Form):
    # The form metaclass moves declared fields off the class: form.files stays the uploaded files.
    files = forms.FileField(widget=MultipleFileInput(attrs={"multiple": True}), label="Files")  # type: ignore[assignment]
