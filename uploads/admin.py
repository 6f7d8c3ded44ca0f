"""Moderation of the file host: uploads (DMCA take-downs) and registration keys."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from uploads import services
from uploads.models import RegistrationKey, Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "content_type", "size", "created_at")
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
        count = 0
        for upload in queryset:
            services.upload_delete(upload=upload)
            count += 1
        self.message_user(request, f"Deleted {count} file(s).", messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: Upload) -> None:
        services.upload_delete(upload=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        for upload in queryset:
            services.upload_delete(upload=upload)


class GenerateKeysForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=100, initial=1, label="How many keys")


@admin.register(RegistrationKey)
class RegistrationKeyAdmin(admin.ModelAdmin):
    list_display = ("hint", "created_by", "created_at", "status", "used_by_username", "used_at")
    list_select_related = ("created_by", "used_by")
    list_filter = ("used_at", "revoked_at")
    search_fields = ("hint", "used_by_username")
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

    @admin.display(description="Status")
    def status(self, obj: RegistrationKey) -> str:
        if obj.used_at:
            return "used"
        if obj.revoked_at:
            return "revoked"
        return "unused"

    @admin.action(description="Revoke selected unused keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[RegistrationKey]) -> None:
        revoked = sum(services.regkey_revoke(regkey=key) for key in queryset)
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)

    def get_urls(self) -> list:
        custom = [
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="uploads_registrationkey_generate",
            )
        ]
        return custom + super().get_urls()

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("uploads.add_registrationkey"):
            return HttpResponseRedirect(reverse("admin:index"))
        form = GenerateKeysForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            keys = services.regkey_generate(
                created_by=request.user, count=form.cleaned_data["count"]
            )
            # Only hashes are stored: this message is the one time the keys can be copied.
            self.message_user(
                request,
                "Copy these keys now, they will not be shown again: " + " ".join(keys),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:uploads_registrationkey_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate registration keys",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/uploads/registrationkey/generate.html", context)
