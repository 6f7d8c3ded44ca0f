"""Moderation of accounts: users, API applications (approve/reject), tokens, rate-limit blocks.

Every action goes through accounts.services, like the dashboards do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import scopes as scope_registry
from accounts import services
from accounts.forms import ApplicationDecisionForm
from accounts.models import ApiApplication, RateLimitBlock, Token, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "last_login")
    actions = ["disable_users", "enable_users"]

    @admin.action(description="Disable selected users (log-in and tokens refused)")
    def disable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "You cannot disable yourself.", messages.ERROR)
                continue
            services.user_disable(user=user)
            count += 1
        self.message_user(request, f"{count} user(s) disabled.", messages.SUCCESS)

    @admin.action(description="Enable selected users")
    def enable_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_enable(user=user)
        self.message_user(request, f"{queryset.count()} user(s) enabled.", messages.SUCCESS)


@admin.register(ApiApplication)
class ApiApplicationAdmin(admin.ModelAdmin):
    form = ApplicationDecisionForm
    list_display = ("name", "user", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("user", "decided_by")
    search_fields = ("name", "user__username", "purpose")
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = (
        "user",
        "name",
        "purpose",
        "requested_scopes",
        "status",
        "granted_scopes",
        "token_expires_at",
        "decided_by",
        "decided_at",
        "created_at",
        "available_scopes",
    )
    fieldsets = (
        ("Request", {"fields": ("user", "name", "purpose", "requested_scopes", "created_at")}),
        (
            "Current decision",
            {
                "fields": (
                    "status",
                    "granted_scopes",
                    "token_expires_at",
                    "decided_by",
                    "decided_at",
                )
            },
        ),
        (
            "Decide",
            {
                "fields": (
                    "decision",
                    "scopes",
                    "custom_expiry_seconds",
                    "extra_scopes",
                    "available_scopes",
                    "expires_at",
                    "decision_note",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Applications come from developers' dashboards.
        return False

    @admin.display(description="Scope registry")
    def available_scopes(self, obj: ApiApplication) -> str:
        return "; ".join(f"{scope}: {text}" for scope, text in scope_registry.choices())

    def save_model(
        self, request: HttpRequest, obj: ApiApplication, form: ApplicationDecisionForm, change: bool
    ) -> None:
        decision = form.cleaned_data.get("decision")
        note = form.cleaned_data.get("decision_note") or ""
        if decision == "approve":
            services.application_approve(
                application=obj,
                scopes=form.granted_scopes(),
                expires_at=form.cleaned_data.get("expires_at"),
                by=request.user,
                note=note,
            )
            self.message_user(request, f"“{obj.name}” approved; the token is on its dashboard.")
        elif decision == "reject":
            services.application_reject(application=obj, by=request.user, note=note)
            self.message_user(request, f"“{obj.name}” rejected.", messages.WARNING)
        else:
            ApiApplication.objects.filter(pk=obj.pk).update(decision_note=note[:500])
        obj.refresh_from_db()

    @admin.action(description="Approve selected (requested scopes, no expiry)")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[ApiApplication]) -> None:
        count = 0
        for application in queryset:
            services.application_approve(
                application=application,
                # Only registry scopes can be granted; a scope since removed is dropped.
                scopes=[s for s in application.requested_scopes if scope_registry.is_known(str(s))],
                expires_at=None,
                by=request.user,
            )
            count += 1
        self.message_user(request, f"{count} application(s) approved.", messages.SUCCESS)

    @admin.action(description="Reject selected")
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[ApiApplication]) -> None:
        for application in queryset:
            services.application_reject(application=application, by=request.user)
        self.message_user(request, f"{queryset.count()} application(s) rejected.", messages.WARNING)


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Tokens are never shown: neither the value nor its look-up hash."""

    list_display = (
        "id",
        "user",
        "kind",
        "application",
        "created_at",
        "expires_at",
        "revoked_at",
        "rate_limit_override",
        "active",
    )
    list_filter = ("kind",)
    list_select_related = ("user", "application")
    search_fields = ("user__username", "application__name")
    fields = (
        "user",
        "kind",
        "application",
        "scopes",
        "issued_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "rate_limit_override",
    )
    readonly_fields = (
        "user",
        "kind",
        "application",
        "scopes",
        "issued_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued by approving an application (or by the file host).
        return False

    @admin.display(boolean=True)
    def active(self, obj: Token) -> bool:
        return obj.is_active()

    def save_model(self, request: HttpRequest, obj: Token, form: Any, change: bool) -> None:
        services.token_set_rate_limit(token=obj, per_second=obj.rate_limit_override)

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Token]) -> None:
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)


@admin.register(RateLimitBlock)
class RateLimitBlockAdmin(admin.ModelAdmin):
    list_display = ("key", "violations", "created_at", "blocked_until", "active", "lifted_by")
    list_select_related = ("lifted_by",)
    search_fields = ("key",)
    readonly_fields = (
        "key",
        "violations",
        "blocked_until",
        "created_at",
        "lifted_at",
        "lifted_by",
    )
    actions = ["lift_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(boolean=True)
    def active(self, obj: RateLimitBlock) -> bool:
        return obj.is_active()

    @admin.action(description="Lift block")
    def lift_selected(self, request: HttpRequest, queryset: QuerySet[RateLimitBlock]) -> None:
        for block in queryset:
            services.ratelimit_block_lift(block=block, by=request.user)
        self.message_user(request, f"{queryset.count()} block(s) lifted.", messages.SUCCESS)
