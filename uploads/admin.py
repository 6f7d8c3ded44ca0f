"""Moderation of the file host: uploads (DMCA take-downs), registration keys, and the user admin
extended with the user's files.

accounts may not import uploads, so deleting a user *with their stored files* is wired here: the
User admin registered by accounts is replaced by a subclass whose deletions go through
uploads.services.user_delete_with_files.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.admin import log_admin_changes
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from uploads import services
from uploads.models import Album, RegistrationKey, Upload
from uploads.views import thumbnail_response


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("thumb", "name", "owner", "content_type", "human_size", "created_at")
    list_display_links = ("thumb", "name")
    list_select_related = ("owner",)
    list_filter = ("content_type", "created_at")
    # "=" means exact: take-down requests name one file exactly (seed 004).
    search_fields = ("=name", "=owner__username")
    search_help_text = "Exact file name (e.g. ksjOX5O.png) or exact owner username."
    date_hierarchy = "created_at"
    readonly_fields = (
        "preview",
        "name",
        "owner",
        "original_name",
        "size",
        "content_type",
        "sha256",
        "created_at",
    )
    fields = readonly_fields
    actions = ("delete_with_files",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Files arrive through the upload service only (storage and row together).
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # The default bulk delete would drop rows and leave the stored files behind.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Size", ordering="size")
    def human_size(self, obj: Upload) -> str:
        return filesizeformat(obj.size)

    def get_urls(self) -> list:
        thumbnail = self.admin_site.admin_view(self.thumbnail_view)
        return [
            path("<int:pk>/thumbnail.webp", thumbnail, name="uploads_upload_thumbnail"),
            *super().get_urls(),
        ]

    def thumbnail_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        """The upload's stored thumbnail for the list: the owner's dashboard URL is scoped
        to the owner, and the full file would be heavy for 100 rows."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = get_object_or_404(Upload, pk=pk)
        return thumbnail_response(request, upload, cache_control="private, max-age=86400")

    @admin.display(description="thumbnail")
    def thumb(self, obj: Upload) -> str:
        if not obj.is_previewable_image:
            return ""
        return format_html(
            '<img src="{}" alt="{}" loading="lazy" class="admin-thumb">',
            reverse("admin:uploads_upload_thumbnail", args=[obj.pk]),
            f"Thumbnail of {obj.name}",
        )

    @admin.display(description="Preview")
    def preview(self, obj: Upload) -> str:
        url = settings.UPLOAD_BASE_URL + obj.name
        if obj.is_previewable_image:
            return format_html(
                '<a href="{}"><img src="{}" alt="{}" style="max-width:320px;max-height:320px"></a>',
                url,
                url,
                obj.name,
            )
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.action(description="Delete selected files (row and stored file)", permissions=["delete"])
    def delete_with_files(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        uploads = list(queryset)
        # Django's rule: history is written before the rows go.
        self.log_deletions(request, uploads)  # type: ignore[arg-type]  # any iterable works
        for upload in uploads:
            services.upload_delete(upload=upload)
        self.message_user(request, f"Deleted {len(uploads)} file(s).", messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: Upload) -> None:
        services.upload_delete(upload=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        for upload in queryset:
            services.upload_delete(upload=upload)


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    """Albums are the owner's (dashboard): staff read them, and may delete one (its files stay)."""

    list_display = ("title", "owner", "file_count", "is_public", "created_at")
    list_select_related = ("owner",)
    list_filter = ("is_public", "created_at")
    search_fields = ("title", "=owner__username")
    date_hierarchy = "created_at"
    readonly_fields = ("title", "owner", "description", "is_public", "file_count", "created_at")
    # Not the share slug: the link is the owner's to give out.
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Album]:
        return super().get_queryset(request).annotate(item_count=Count("items"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="Files", ordering="item_count")
    def file_count(self, obj: Album) -> int:
        return int(getattr(obj, "item_count", 0))

    def delete_model(self, request: HttpRequest, obj: Album) -> None:
        services.album_delete(album=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Album]) -> None:
        for album in queryset:
            services.album_delete(album=album)


class GenerateKeysForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=100, initial=1, label="How many keys")


class RegistrationKeyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("unused", "Unused"), ("used", "Used"), ("revoked", "Revoked")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RegistrationKey]
    ) -> QuerySet[RegistrationKey]:
        match self.value():
            case "unused":
                return queryset.filter(used_at__isnull=True, revoked_at__isnull=True)
            case "used":
                return queryset.filter(used_at__isnull=False)
            case "revoked":
                return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(RegistrationKey)
class RegistrationKeyAdmin(admin.ModelAdmin):
    list_display = ("hint", "created_by", "created_at", "status", "used_by_username", "used_at")
    list_select_related = ("created_by", "used_by")
    list_filter = (RegistrationKeyStatusFilter, "created_at", "used_at")
    search_fields = ("hint", "used_by_username")
    date_hierarchy = "created_at"
    readonly_fields = (
        "hint",
        "created_by",
        "created_at",
        "used_by",
        "used_by_username",
        "used_at",
        "revoked_at",
    )
    exclude = ("digest",)
    actions = ("revoke",)
    change_list_template = "admin/uploads/registrationkey/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Keys are generated (and shown once) through the "Generate keys" page.
        return False

    def _can_generate(self, request: HttpRequest) -> bool:
        return request.user.has_perm("uploads.add_registrationkey")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_generate": self._can_generate(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Status")
    def status(self, obj: RegistrationKey) -> str:
        if obj.used_at:
            return "used"
        if obj.revoked_at:
            return "revoked"
        return "unused"

    @admin.action(description="Revoke selected unused keys", permissions=["change"])
    def revoke(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[RegistrationKey]
    ) -> None:
        revoked = [key for key in queryset if services.regkey_revoke(regkey=key)]
        log_admin_changes(request, revoked, "Revoked.")
        self.message_user(request, f"Revoked {len(revoked)} key(s).", messages.SUCCESS)

    def get_urls(self) -> list:
        custom = [
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="uploads_registrationkey_generate",
            )
        ]
        return custom + super().get_urls()

    def generate_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        if not self._can_generate(request):
            raise PermissionDenied
        form = GenerateKeysForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate registration keys",
            "form": form,
            "opts": self.model._meta,
            "keys": None,
        }
        if request.method == "POST" and form.is_valid():
            keys = services.regkey_generate(
                created_by=request.user, count=form.cleaned_data["count"]
            )
            rows = RegistrationKey.objects.filter(
                digest__in=[services.regkey_digest(key) for key in keys]
            )
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=list(rows),
                action_flag=ADDITION,
                change_message="Generated.",
            )
            # Only hashes are stored: this page is the one time the keys can be copied. They are
            # rendered straight into the answer (no redirect, no message in a cookie or session).
            context["keys"] = keys
            context["form"] = GenerateKeysForm()
            self.message_user(
                request, f"Generated {len(keys)} key(s). Copy them now.", messages.SUCCESS
            )
        response = TemplateResponse(request, "admin/uploads/registrationkey/generate.html", context)
        response["Cache-Control"] = "no-store, private"
        return response


class UserAdmin(AccountsUserAdmin):
    """accounts' User admin plus the user's files; every deletion purges stored files too."""

    list_display = (*AccountsUserAdmin.list_display, "files")
    actions = [*AccountsUserAdmin.actions, "delete_selected"]
    readonly_fields = ("files",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # One grouped join for the whole page instead of two queries per user.
        return (
            super()
            .get_queryset(request)
            .annotate(upload_count=Count("uploads"), upload_bytes=Sum("uploads__size"))
        )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> list:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append(("File host", {"fields": ("files",)}))
        return fieldsets

    @admin.display(description="Files", ordering="upload_count")
    def files(self, obj: User) -> SafeString | str:
        count = getattr(obj, "upload_count", None)
        size = getattr(obj, "upload_bytes", None)
        if count is None:
            count = obj.uploads.count()
        if not count:
            return "0"
        url = reverse("admin:uploads_upload_changelist") + f"?owner__id__exact={obj.pk}"
        return format_html('<a href="{}">{} file(s), {}</a>', url, count, filesizeformat(size or 0))

    @admin.action(description="Delete with all files", permissions=["delete"])
    def delete_selected(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> HttpResponse | None:
        """Replaces Django's bulk delete (same key, so its confirmation page posts back here):
        the same confirmation page, then delete_queryset, which purges stored files."""
        if len(self.actionable(request, queryset)) != len(queryset):
            return None  # a superuser was selected by a non-superuser; nothing is deleted
        return admin_actions.delete_selected(self, request, queryset)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        count = services.user_delete_with_files(user=obj)
        self.message_user(request, f"{count} stored file(s) deleted with “{obj}”.", messages.INFO)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.select_related(None).only("pk", "username"):
            count += services.user_delete_with_files(user=user)
        self.message_user(request, f"{count} stored file(s) deleted.", messages.INFO)


# Replace the User admin accounts registered (accounts cannot know about uploads).
admin.site.unregister(User)
admin.site.register(User, UserAdmin)
