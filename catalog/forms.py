"""Forms of the public gallery and of the catalog admin."""

from __future__ import annotations

from django import forms
from django.contrib.admin.helpers import ActionForm

from catalog import search
from catalog.models import Artist, Category, Character, Image, Rating

SEARCH_MAX_LENGTH = 50  # the same limit the API puts on search queries (seed 002)


class GalleryFilterForm(forms.Form):
    """The gallery's GET filters. Invalid values are reported and otherwise ignored."""

    q = forms.CharField(
        label="Search names",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Rem, Catgirl, %aguya%…",
                "aria-describedby": "search-help",
            }
        ),
        help_text="Plain words match anywhere in a name; %, _, |, *, +, ?, {m,n}, (…) and […] "
        "work as in the API's search (whole name, case-insensitive).",
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.only("id", "name"), required=False, empty_label="Any category"
    )
    character = forms.ModelChoiceField(
        queryset=Character.objects.only("id", "name"), required=False, empty_label="Any character"
    )
    artist = forms.ModelChoiceField(
        queryset=Artist.objects.only("id", "name"), required=False, empty_label="Any artist"
    )
    rating = forms.ChoiceField(
        choices=[("", "Any rating"), *Rating.choices], required=False, label="Rating"
    )
    show_nsfw = forms.BooleanField(
        required=False, label="Show questionable and NSFW images (I am 18 or older)"
    )

    def clean_q(self) -> str:
        text = self.cleaned_data["q"].strip()
        if search.uses_operators(text):
            try:
                search.name_pattern(text)
            except search.SearchError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return text

    def valid_data(self) -> dict:
        """The fields that validated; a bad value in one filter does not void the others."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class ImageActionForm(ActionForm):
    """Extra field shown next to the admin's action menu (add/remove a category)."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), required=False, label="Category"
    )


class ImageAddForm(forms.ModelForm):
    """Admin add form: an uploaded file plus the descriptive fields; metadata is computed."""

    upload = forms.FileField(label="Image file", help_text="PNG, JPEG, GIF or WebP.")
    source_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Image
        fields = [
            "upload",
            "artist",
            "categories",
            "characters",
            "source_name",
            "source_url",
            "nsfw",
            "original",
        ]
