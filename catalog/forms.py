"""Forms of the public gallery and of the catalog admin."""

from __future__ import annotations

from django import forms
from django.contrib.admin.helpers import ActionForm

from catalog import search
from catalog.models import Artist, Category, Character, Image, Rating
from catalog.selectors import GalleryFilter

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
                "placeholder": "Rem, Catgirl, Kuroneko…",
                "aria-describedby": "search-help",
                "autocomplete": "off",
            }
        ),
        help_text="Matches the text anywhere in a character, artist, category or source name.",
    )
    ops = forms.BooleanField(
        required=False,
        label="Use search operators",
        help_text="%, _, |, *, +, ?, {m,n}, (…) and […] as in the API's search "
        "(whole name, case-insensitive).",
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
    sort = forms.ChoiceField(
        choices=[("newest", "Newest first"), ("oldest", "Oldest first"), ("random", "Random")],
        required=False,
        label="Sort",
    )
    # The shuffle of the random order, kept in the links so that every page is of one shuffle.
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**62, widget=forms.HiddenInput
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        text = (cleaned.get("q") or "").strip()
        cleaned["q"] = text
        # Typed text is literal unless the visitor chose the operators (issue #22: `[bad`
        # showed an error, then every image).
        if text and cleaned.get("ops"):
            try:
                search.name_pattern(text)
            except search.SearchError as exc:
                self.add_error(
                    "q", f"{exc} Untick “Use search operators” to search the text as typed."
                )
        return cleaned

    def valid_data(self) -> dict:
        """The fields that validated; a bad value in one filter does not void the others."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def gallery_filter(self) -> GalleryFilter | None:
        """The visitor's request as a selector argument, or None when the search text cannot
        be searched (the page then shows the error and no results, never every image)."""
        data = self.valid_data() if self.data else {}
        if "q" in self.errors:
            return None
        picked = {name: data.get(name) for name in ("category", "character", "artist")}
        return GalleryFilter(
            text=data.get("q") or "",
            operators=bool(data.get("ops")),
            category_id=picked["category"].pk if picked["category"] else None,
            character_id=picked["character"].pk if picked["character"] else None,
            artist_id=picked["artist"].pk if picked["artist"] else None,
            rating=data.get("rating") or "",
            show_nsfw=bool(data.get("show_nsfw")),
            sort=data.get("sort") or "newest",
            seed=data.get("seed") or 0,
        )


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


class SubmissionForm(forms.Form):
    """/dashboard/submissions/new/: what POST /api/v1/image takes, for people (artist and
    characters are left to the moderators, who see the whole catalog)."""

    file = forms.FileField(
        label="Image",
        help_text="JPEG, PNG, GIF or WebP. The same picture twice is refused.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    nsfw = forms.ChoiceField(label="Rating", choices=Rating.choices, initial=Rating.SFW)
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.order_by("name").only("id", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source_name = forms.CharField(
        label="Source", required=False, max_length=200, help_text="Where it comes from: pixiv…"
    )
    source_url = forms.URLField(
        label="Source link", required=False, max_length=500, assume_scheme="https"
    )
    original = forms.TypedChoiceField(
        label="Original work?",
        choices=[("", "I don't know"), ("true", "Yes"), ("false", "No (an edit or a repost)")],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
    )
