"""Forms of the file-host pages. Validation of names and passwords lives in the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.utils import timezone

from uploads import options
from uploads.models import Album, Upload
from uploads.selectors import LIBRARY_SORTS, LibraryQuery
from uploads.services import BulkOptions

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


def _max_views_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Maximum views",
        required=False,
        widget=forms.NumberInput(
            attrs={"min": 1, "max": options.MAX_VIEWS, "inputmode": "numeric"}
        ),
        help_text=help_text,
    )


def _password_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "maxlength": 128}),
        help_text=help_text,
    )


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
    max_views = _max_views_field("Served this many times, then deleted. Empty: no limit.")
    file_password = _password_field(
        "Password", "The link asks for it before it shows the file. Empty: no password."
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
    max_views = _max_views_field("Empty: no limit. It must be more than the views so far.")
    new_password = _password_field("New password")
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


# --- media library --------------------------------------------------------------------------------
KIND_CHOICES = [
    ("", "All types"),
    ("image", "Images"),
    ("video", "Videos"),
    ("audio", "Audio"),
    ("text", "Text"),
    ("other", "Other"),
]
DATE_CHOICES = [
    ("", "Any time"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("custom", "From, to (below)"),
]
_RECENT = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "largest": "Largest first",
    "smallest": "Smallest first",
    "name": "Name A to Z",
    "name-desc": "Name Z to A",
}


class LibraryFilterForm(forms.Form):
    """The media library's search, filters and sort (a GET form: the URL is the query).
    A value that does not validate is left out of the query, and its error shown."""

    q = forms.CharField(label="Search by name", required=False, max_length=100)
    type = forms.ChoiceField(label="Type", required=False, choices=KIND_CHOICES)
    date = forms.ChoiceField(label="Uploaded", required=False, choices=DATE_CHOICES)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[(key, SORT_LABELS[key]) for key in LIBRARY_SORTS],
    )

    def library_query(self, now: datetime) -> LibraryQuery:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        since: datetime | None = None
        until: datetime | None = None
        period = data.get("date") or ""
        if period in _RECENT:
            since = now - _RECENT[period]
        elif period == "custom" or data.get("since") or data.get("until"):
            # Whole days in the site's time zone, both ends included.
            if data.get("since"):
                since = _day_start(data["since"])
            if data.get("until"):
                until = _day_start(data["until"] + timedelta(days=1))
        return LibraryQuery(
            text=(data.get("q") or "").strip(),
            kind=data.get("type") or "",
            since=since,
            until=until,
            sort=data.get("sort") or "newest",
        )

    @property
    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(key) for key in ("q", "type", "date", "since", "until"))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


VIEWS_KEEP, VIEWS_LIMIT, VIEWS_UNLIMITED = "keep", "limit", "unlimited"


class BulkOptionsForm(forms.Form):
    """Options set on several files at once; "keep" leaves each file's own value."""

    expires = forms.ChoiceField(label="Delete after")
    views = forms.ChoiceField(
        label="Views",
        choices=[
            (VIEWS_KEEP, "Keep each file's limit"),
            (VIEWS_LIMIT, "Limit to the number below"),
            (VIEWS_UNLIMITED, "No limit"),
        ],
    )
    max_views = forms.CharField(
        label="Maximum views",
        required=False,
        widget=forms.NumberInput(
            attrs={"min": 1, "max": options.MAX_VIEWS, "inputmode": "numeric"}
        ),
        help_text="Used with “Limit to the number below”; it must be more than a file's views.",
    )
    remove_password = forms.BooleanField(label="Remove the password", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        expires = self.fields["expires"]
        assert isinstance(expires, forms.ChoiceField)
        expires.choices = [
            (KEEP, "Keep each file's expiry"),
            (NEVER, "Never: keep the files"),
            *[(value, f"{label} from now") for value, label in EXPIRY_CHOICES],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if cleaned.get("views") == VIEWS_LIMIT:
            try:
                cleaned["max_views"] = _parsed(
                    options.parse_views, cleaned.get("max_views") or "", name="Maximum views"
                )
            except forms.ValidationError as exc:
                self.add_error("max_views", exc)
        return cleaned

    def bulk_options(self, now: datetime) -> BulkOptions:
        data = self.cleaned_data
        choice = data["expires"]
        expires_at = None
        if choice not in (KEEP, NEVER):
            expires_at = now + _parsed(options.parse_duration, choice, name="Delete after")
        return BulkOptions(
            set_expiry=choice != KEEP,
            expires_at=expires_at,
            set_max_views=data["views"] != VIEWS_KEEP,
            max_views=data["max_views"] if data["views"] == VIEWS_LIMIT else None,
            remove_password=data["remove_password"],
        )


class AlbumForm(forms.Form):
    title = forms.CharField(label="Title", max_length=100)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_public = forms.BooleanField(
        label="Shared: anyone with the link can see it",
        required=False,
        help_text="Files past their expiry or their views never show; locked files ask for "
        "their password.",
    )


class AlbumChoiceForm(forms.Form):
    """Where the library's "Add to album" puts the selected files: an album or a new one."""

    album = forms.ModelChoiceField(
        label="Album", queryset=Album.objects.none(), required=False, empty_label="A new album…"
    )
    new_title = forms.CharField(label="New album's title", max_length=100, required=False)

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        album = self.fields["album"]
        assert isinstance(album, forms.ModelChoiceField)
        album.queryset = Album.objects.filter(owner=owner)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if not cleaned.get("album") and not (cleaned.get("new_title") or "").strip():
            self.add_error("new_title", "Choose an album, or give the new one a title.")
        return cleaned
