"""Catalog moderation in the Django admin. Every write goes through catalog.services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.http import AuthenticatedHttpRequest
from catalog import selectors
from catalog.forms import ImageActionForm, ImageAddForm
from catalog.models import Artist, Category, Character, Image, ModerationStatus, Rating, Submission
from catalog.services import (
    ImageDuplicate,
    image_add_category,
    image_delete,
    image_ingest,
    image_remove_category,
    image_set_rating,
    image_update_metadata,
    submission_approve,
    submission_reject,
)
from nekosite.lib.imagemeta import ImageRejected
from nekosite.lib.slowbody import accepts_files


class ImageIngestForm(ImageAddForm):
    """The admin's add form: once every field is valid, the upload is ingested by the service.

    Running the service at the end of validation (rather than in save_model) lets a refused file
    (not an image, a bomb, a duplicate) come back as a form error instead of a server error.
    """

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # ModelForm's hook, absent from django-stubs
        if self.errors:
            return
        data = self.cleaned_data
        upload = data["upload"]
        try:
            self.instance = image_ingest(
                file=upload,
                filename=upload.name,
                artist=data.get("artist"),
                categories=data.get("categories") or (),
                characters=data.get("characters") or (),
                source_name=data.get("source_name"),
                source_url=data.get("source_url"),
                nsfw=data.get("nsfw") or Rating.SFW,
                original=data.get("original"),
            )
        except (ImageRejected, ImageDuplicate) as exc:
            self.add_error("upload", exc.message)
        except ValidationError as exc:
            self.add_error(None, exc)


class MissingFilter(admin.SimpleListFilter):
    title = "missing"
    parameter_name = "missing"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("artist", "No artist"),
            ("category", "No category"),
            ("character", "No character"),
            ("source", "No source"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Image]) -> QuerySet[Image]:
        match self.value():
            case "artist":
                return queryset.filter(artist__isnull=True)
            case "category":
                return queryset.filter(categories__isnull=True)
            case "character":
                return queryset.filter(characters__isnull=True)
            case "source":
                return queryset.filter(source_url__isnull=True, source_name__isnull=True)
        return queryset


def _thumb(image: Image, size: int) -> SafeString | str:
    if not image.pk:
        return ""
    return format_html(
        '<img src="{}" alt="{}" loading="lazy" style="max-width:{}px;max-height:{}px">',
        reverse("catalog:thumbnail", args=[image.pk]),
        f"Thumbnail of image {image.pk}",
        size,
        size,
    )


# Django 6 switches URL fields to https by default; say so now (and silence the warning).
URL_FIELD_OVERRIDES: dict[type[models.Field], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


@admin.register(Image)
@accepts_files
class ImageAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELD_OVERRIDES
    list_display = [
        "thumb",
        "short_id",
        "nsfw",
        "artist",
        "category_names",
        "mimetype",
        "dimensions",
        "created_at",
    ]
    list_display_links = ["thumb", "short_id"]
    list_select_related = ["artist"]
    list_filter = ["nsfw", MissingFilter, "categories", "artist", "mimetype", "orientation"]
    search_fields = ["id", "etag", "source_name", "artist__name", "characters__name"]
    autocomplete_fields = ["artist", "categories", "characters"]
    date_hierarchy = "created_at"
    list_per_page = 50
    action_form = ImageActionForm
    actions = [
        "mark_sfw",
        "mark_questionable",
        "mark_nsfw",
        "add_category",
        "remove_category",
    ]
    readonly_fields = [
        "preview",
        "id",
        "file",
        "thumbnail",
        "size",
        "mimetype",
        "etag",
        "color",
        "width",
        "height",
        "aspect_ratio",
        "orientation",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["preview", "id", "nsfw", "artist", "categories", "characters"]}),
        ("Source", {"fields": ["source_name", "source_url", "original"]}),
        (
            "File (computed at ingest)",
            {
                "fields": [
                    "file",
                    "thumbnail",
                    "size",
                    "mimetype",
                    "etag",
                    "color",
                    ("width", "height"),
                    ("aspect_ratio", "orientation"),
                    "created_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Image]:
        return super().get_queryset(request).prefetch_related("categories")

    def get_form(
        self, request: HttpRequest, obj: Image | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        if obj is None:
            kwargs["form"] = ImageIngestForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(
        self, request: HttpRequest, obj: Image | None = None
    ) -> list[Any] | tuple[Any, ...]:
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": ["upload", "nsfw", "artist", "categories", "characters"],
                        "description": "Size, type, hash, colour and dimensions are computed "
                        "from the file; a thumbnail is made.",
                    },
                ),
                ("Source", {"fields": ["source_name", "source_url", "original"]}),
            ]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Image | None = None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Image, form: ModelForm, change: bool) -> None:
        # A new image was already stored and saved by image_ingest during validation. A change
        # goes through the service too: categories are links plus slots (catalog.services).
        if change:
            data = form.cleaned_data
            image_update_metadata(
                image=obj,
                artist=data.get("artist"),
                categories=data.get("categories"),
                characters=data.get("characters"),
                source_name=data.get("source_name"),
                source_url=data.get("source_url"),
                nsfw=data.get("nsfw") or obj.nsfw,
                original=data.get("original"),
            )

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        # The many-to-many fields were written by the service in save_model; no inlines.
        pass

    def delete_model(self, request: HttpRequest, obj: Image) -> None:
        image_delete(image=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        # The built-in "delete selected" action, but through the service so files go too.
        for image in (
            queryset.select_related(None).prefetch_related(None).only("id", "file", "thumbnail")
        ):
            image_delete(image=image)

    @admin.display(description="thumbnail")
    def thumb(self, obj: Image) -> SafeString | str:
        return _thumb(obj, 64)

    @admin.display(description="id", ordering="id")
    def short_id(self, obj: Image) -> SafeString:
        # The whole UUID wrapped onto four lines at 1366 px; its start is enough to tell rows
        # apart, and the full id is in the tooltip (and searchable).
        return format_html('<span title="{}">{}</span>', obj.pk, str(obj.pk)[:8])

    @admin.display(description="preview")
    def preview(self, obj: Image) -> SafeString | str:
        return _thumb(obj, 320)

    @admin.display(description="categories")
    def category_names(self, obj: Image) -> str:
        return ", ".join(c.name for c in obj.categories.all())

    @admin.display(description="size (px)")
    def dimensions(self, obj: Image) -> str:
        return f"{obj.width} x {obj.height}"

    def _log(self, request: AuthenticatedHttpRequest, images: list[Image], message: str) -> None:
        """Custom actions land in the admin history like Django's own changes do."""
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=images, action_flag=CHANGE, change_message=message
        )

    @staticmethod
    def _targets(queryset: QuerySet[Image]) -> list[Image]:
        # Read before the change: a filtered changelist (?nsfw=sfw) would no longer match after.
        return list(queryset.select_related(None).prefetch_related(None).only("pk"))

    def _set_rating(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image], nsfw: str
    ) -> None:
        targets = self._targets(queryset)
        count = image_set_rating(images=queryset, nsfw=nsfw)
        self._log(request, targets, f"Rating set to {Rating(nsfw).label}.")
        self.message_user(
            request, f"{count} image(s) rated {Rating(nsfw).label}.", messages.SUCCESS
        )

    @admin.action(description="Set rating: safe", permissions=["change"])
    def mark_sfw(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]) -> None:
        self._set_rating(request, queryset, Rating.SFW)

    @admin.action(description="Set rating: questionable", permissions=["change"])
    def mark_questionable(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]
    ) -> None:
        self._set_rating(request, queryset, Rating.QUESTIONABLE)

    @admin.action(description="Set rating: not safe for work", permissions=["change"])
    def mark_nsfw(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]) -> None:
        self._set_rating(request, queryset, Rating.NSFW)

    def _chosen_category(self, request: HttpRequest) -> Category | None:
        raw = request.POST.get("category", "")
        try:
            category = Category.objects.filter(pk=raw).first() if raw else None
        except ValidationError:
            category = None
        if category is None:
            self.message_user(
                request, "Choose a category next to the action menu first.", messages.WARNING
            )
        return category

    @admin.action(description="Add the chosen category", permissions=["change"])
    def add_category(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]) -> None:
        category = self._chosen_category(request)
        if category is not None:
            targets = self._targets(queryset)
            count = image_add_category(images=queryset, category=category)
            self._log(request, targets, f"Category “{category}” added.")
            self.message_user(request, f"“{category}” added to {count} image(s).", messages.SUCCESS)

    @admin.action(description="Remove the chosen category", permissions=["change"])
    def remove_category(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]) -> None:
        category = self._chosen_category(request)
        if category is not None:
            targets = self._targets(queryset)
            count = image_remove_category(images=queryset, category=category)
            self._log(request, targets, f"Category “{category}” removed.")
            self.message_user(
                request, f"“{category}” removed from {count} image(s).", messages.SUCCESS
            )


if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin  # what the mixin is mixed into
else:
    _ModelAdminBase = object


class ImageCountMixin(_ModelAdminBase):
    """An "images" column counted in the changelist's one query (no query per row)."""

    # Meta.ordering is ignored by GROUP BY queries; say it again for stable pages.
    ordering = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(image_count=Count("images"))

    @admin.display(description="images", ordering="image_count")
    def image_total(self, obj: Artist | Category | Character) -> int:
        return getattr(obj, "image_count", 0)


@admin.register(Artist)
class ArtistAdmin(ImageCountMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELD_OVERRIDES
    list_display = ["name", "url", "image_total", "created_at"]
    search_fields = ["name", "url"]
    readonly_fields = ["id", "created_at"]


@admin.register(Category)
class CategoryAdmin(ImageCountMixin, admin.ModelAdmin):
    list_display = ["name", "type", "nsfw", "image_total", "created_at"]
    list_filter = ["nsfw", "type"]
    search_fields = ["name", "description"]
    readonly_fields = ["id", "created_at"]


@admin.register(Character)
class CharacterAdmin(ImageCountMixin, admin.ModelAdmin):
    list_display = ["name", "source", "gender", "image_total", "created_at"]
    list_filter = ["gender"]
    search_fields = ["name", "source"]
    readonly_fields = ["id", "created_at"]


# --- moderation queue ---------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text="The submitter reads this on their dashboard and in the webhook event.",
    )


class SubmissionStatusFilter(admin.SimpleListFilter):
    """The queue by default; decided submissions on request."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            (ModerationStatus.PENDING_REVIEW, "Pending review"),
            (ModerationStatus.REJECTED, "Rejected"),
            (ModerationStatus.APPROVED, "Approved"),
        ]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or ModerationStatus.PENDING_REVIEW
        for value, title in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Image]) -> QuerySet[Image]:
        return queryset.filter(status=self.value() or ModerationStatus.PENDING_REVIEW)


class SubmissionChangeList(ChangeList):
    """The page's nearest existing images, looked up for the whole page at once."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        nearest = selectors.nearest_duplicates(images=list(self.result_list))
        for image in self.result_list:
            image.nearest = nearest.get(image.pk)  # page-only attribute


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Users' submissions: approve, or reject with a reason; every decision through
    catalog.services (status, LogEntry, webhook events)."""

    list_display = [
        "thumb",
        "id",
        "submitted_by",
        "nsfw",
        "artist",
        "created_at",
        "nearest_thumb",
        "nearest_distance",
        "status",
    ]
    list_display_links = ["thumb", "id"]
    list_select_related = ["submitted_by", "artist"]
    list_filter = [SubmissionStatusFilter]
    search_fields = ["id", "submitted_by__username", "source_name"]
    list_per_page = 50
    ordering = ["created_at", "id"]
    actions = ["approve", "reject"]
    # Decisions go through the actions: every field shown is read-only.
    readonly_fields = [
        "preview",
        "nearest_preview",
        "id",
        "submitted_by",
        "status",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "nsfw",
        "artist",
        "source_name",
        "source_url",
        "created_at",
    ]
    fields = [("preview", "nearest_preview"), *readonly_fields[2:]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Image]:
        went_through_review = (
            Q(submitted_by__isnull=False)
            | ~Q(status=ModerationStatus.APPROVED)
            | Q(reviewed_at__isnull=False)
        )
        return super().get_queryset(request).filter(went_through_review)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return SubmissionChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # submissions come from the API

    def has_change_permission(self, request: HttpRequest, obj: Image | None = None) -> bool:
        return False  # read-only page; decisions are the actions

    def delete_model(self, request: HttpRequest, obj: Image) -> None:
        image_delete(image=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        for image in queryset.select_related(None).only("id", "file", "thumbnail"):
            image_delete(image=image)

    @admin.display(description="thumbnail")
    def thumb(self, obj: Image) -> SafeString | str:
        return _thumb(obj, 96)

    @admin.display(description="preview")
    def preview(self, obj: Image) -> SafeString | str:
        return _thumb(obj, 320)

    def _nearest(self, obj: Image) -> tuple[Image, int] | None:
        if not hasattr(obj, "nearest"):  # the change page: one image
            obj.nearest = selectors.nearest_duplicates(images=[obj]).get(obj.pk)  # type: ignore[attr-defined]
        return obj.nearest  # type: ignore[attr-defined]  # set by SubmissionChangeList

    @admin.display(description="nearest existing image")
    def nearest_thumb(self, obj: Image) -> SafeString | str:
        nearest = self._nearest(obj)
        if nearest is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:catalog_image_change", args=[nearest[0].pk]),
            _thumb(nearest[0], 96),
        )

    @admin.display(description="distance")
    def nearest_distance(self, obj: Image) -> str:
        nearest = self._nearest(obj)
        return "—" if nearest is None else f"{nearest[1]} / 64"

    @admin.display(description="nearest existing image")
    def nearest_preview(self, obj: Image) -> SafeString | str:
        nearest = self._nearest(obj)
        if nearest is None:
            return "No image within distance 3."
        return format_html(
            "{}<br>{} (distance {} of 64 bits)", _thumb(nearest[0], 320), nearest[0].pk, nearest[1]
        )

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        """Deciding needs the proxy's change permission (the change form itself is read-only)."""
        return request.user.has_perm("catalog.change_submission")

    @admin.action(description="Approve the selected submissions", permissions=["moderate"])
    def approve(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]) -> None:
        decided = submission_approve(images=list(queryset), reviewer=request.user)
        self.message_user(request, f"Approved {len(decided)} submission(s).", messages.SUCCESS)

    @admin.action(description="Reject the selected submissions…", permissions=["moderate"])
    def reject(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Image]
    ) -> TemplateResponse | None:
        """An intermediate page to type the reason; its POST comes back to this action."""
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            decided = submission_reject(
                images=list(queryset), reviewer=request.user, reason=form.cleaned_data["reason"]
            )
            self.message_user(request, f"Rejected {len(decided)} submission(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject submissions",
            "opts": self.model._meta,
            "form": form,
            "submissions": list(queryset),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/submission/reject.html", context)
