"""Forms of the file-host pages. Validation of names and passwords lives in the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django import forms
from django.conf import settings

from uploads import options
from uploads.models import Upload

T = TypeVar("T")

# Durations offered for expiry, as values of the API's `expires` header (uploads/options.py).
EXPIRY_CHOICES = [
    ("10m", "10 minutes"),
    ("1h", "1 hour"),
    ("1d", "1 day"),
    ("1w", "1 week"),
    ("30d", "30 days"),
]
KEEP, NEVER = "keep", "never"
DEFAULT_EMBED_COLOR = "#ff66aa"


def _parsed(parse: Callable[..., T], value: str, **kwargs: Any) -> T:
    """An option parsed by the API's own parser, so both paths accept the same values."""
    try:
        return parse(value, **kwargs)
    except options.OptionError as exc:
        raise forms.ValidationError(str(exc)) from exc


def _optional_views(value: str) -> int | None:
    return _parsed(options.parse_views, value, name="Maximum views") if value.strip() else None


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


class EmbedFieldsMixin(forms.Form):
    """Title, colour and description of the file's embed page. A colour input always has a
    value, so whether the embed is coloured at all is a checkbox of its own."""

    embed_title = forms.CharField(
        label="Embed title", required=False, max_length=options.TITLE_LENGTH
    )
    use_embed_color = forms.BooleanField(label="Colour the embed", required=False)
    embed_color = forms.CharField(
        label="Embed colour",
        required=False,
        initial=DEFAULT_EMBED_COLOR,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    embed_description = forms.CharField(
        label="Embed description",
        required=False,
        max_length=options.DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_embed_title(self) -> str:
        value = self.cleaned_data["embed_title"]
        return _parsed(
            options.parse_text, value, name="The embed title", limit=options.TITLE_LENGTH
        )

    def clean_embed_color(self) -> str:
        # Declared after use_embed_color, so that one is already cleaned.
        if not self.cleaned_data.get("use_embed_color"):
            return ""
        return _parsed(
            options.parse_color, self.cleaned_data["embed_color"], name="The embed colour"
        )

    def clean_embed_description(self) -> str:
        value = self.cleaned_data["embed_description"]
        limit = options.DESCRIPTION_LENGTH
        return _parsed(options.parse_text, value, name="The embed description", limit=limit)


class UploadForm(EmbedFieldsMixin, forms.Form):
    """The no-JavaScript upload. The form checks the options; the view takes each chosen file
    from request.FILES to the service, which refuses files one by one with their own message."""

    # The form metaclass moves declared fields off the class: form.files stays the uploaded files.
    files = forms.Field(  # type: ignore[assignment]
        widget=MultipleFileInput(attrs={"multiple": True}), label="Files", required=False
    )
    expires = forms.ChoiceField(
        label="Delete after",
        required=False,
        choices=[("", "Never"), *EXPIRY_CHOICES],
        # The values are `expires` header values: the upload script sends them as they are.
    )
    max_views = forms.CharField(
        label="Maximum views",
        required=False,
        widget=forms.NumberInput(
            attrs={"min": 1, "max": options.MAX_VIEWS, "inputmode": "numeric"}
        ),
        help_text="Served this many times, then deleted. Empty: no limit.",
    )
    file_password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "maxlength": 128}),
        help_text="The link asks for it before it shows the file. Empty: no password.",
    )
    keep_metadata = forms.BooleanField(
        label="Keep metadata",
        required=False,
        help_text="Keep EXIF/GPS location and other metadata of photos",
    )

    def clean_expires(self) -> timedelta | None:
        value = self.cleaned_data["expires"]
        return _parsed(options.parse_duration, value, name="Delete after") if value else None

    def clean_max_views(self) -> int | None:
        return _optional_views(self.cleaned_data["max_views"])

    def clean_file_password(self) -> str | None:
        value = self.cleaned_data["file_password"]
        return _parsed(options.parse_password, value, name="The password") if value else None

    def upload_options(self) -> options.UploadOptions:
        """The options chosen in a valid form, as the API would read them from headers."""
        data = self.cleaned_data
        return options.UploadOptions(
            expires_in=data["expires"],
            max_views=data["max_views"],
            password=data["file_password"],
            keep_metadata=data["keep_metadata"],
            embed_title=data["embed_title"],
            embed_color=data["embed_color"],
            embed_description=data["embed_description"],
        )


class FileOptionsForm(EmbedFieldsMixin, forms.Form):
    """The owner changes a file's options (/dashboard/files/<name>/options/)."""

    expires = forms.ChoiceField(label="Delete after", required=False)
    max_views = forms.CharField(
        label="Maximum views",
        required=False,
        widget=forms.NumberInput(
            attrs={"min": 1, "max": options.MAX_VIEWS, "inputmode": "numeric"}
        ),
        help_text="Empty: no limit. It must be more than the views so far.",
    )
    new_password = forms.CharField(
        label="New password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "maxlength": 128}),
    )
    remove_password = forms.BooleanField(label="Remove the password", required=False)

    def __init__(self, *args: Any, upload: Upload, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "expires": KEEP,
                "max_views": upload.max_views or "",
                "embed_title": upload.embed_title,
                "use_embed_color": bool(upload.embed_color),
                "embed_color": upload.embed_color or DEFAULT_EMBED_COLOR,
                "embed_description": upload.embed_description,
            },
        )
        super().__init__(*args, **kwargs)
        self.upload = upload
        current = "never" if upload.expires_at is None else "at the time shown above"
        expires = self.fields["expires"]
        assert isinstance(expires, forms.ChoiceField)
        expires.choices = [
            (KEEP, f"Keep as it is ({current})"),
            (NEVER, "Never: keep the file"),
            *[(value, f"{label} from now") for value, label in EXPIRY_CHOICES],
        ]
        password = self.fields["new_password"]
        if upload.has_password:
            password.label = "Change the password"
            password.help_text = "Empty: keep the current password."
        else:
            password.label = "Set a password"
            password.help_text = "Empty: no password."
            del self.fields["remove_password"]

    def clean_max_views(self) -> int | None:
        return _optional_views(self.cleaned_data["max_views"])

    def clean_new_password(self) -> str | None:
        value = self.cleaned_data["new_password"]
        return _parsed(options.parse_password, value, name="The password") if value else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if cleaned.get("remove_password") and cleaned.get("new_password"):
            self.add_error("new_password", "Either set a new password or remove it, not both.")
        return cleaned

    def expires_at(self, now: datetime) -> datetime | None:
        """The new expiry: unchanged, none, or the chosen duration from `now`."""
        choice = self.cleaned_data["expires"]
        if choice in ("", KEEP):
            return self.upload.expires_at
        if choice == NEVER:
            return None
        return now + _parsed(options.parse_duration, choice, name="Delete after")
