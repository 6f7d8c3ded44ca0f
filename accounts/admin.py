"""Moderation of accounts: users, API applications (approve/reject), tokens, rate-limit blocks.

Every action goes through accounts.services, like the dashboards do, declares the permission it
needs (so a view-only moderator cannot run it) and lands in the admin history (LogEntry).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, Q, QuerySet
from django.forms import BaseFormSet
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import scopes as scope_registry
from accounts import services, twofactor
from accounts.forms import ApplicationDecisionForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import ApiApplication, RateLimitBlock, Token, User


def log_admin_changes(
    request: AuthenticatedHttpRequest, objects: Iterable[Model], message: str
) -> None:
    """Record a custom action in Django's admin history, one entry per object.

    Django logs its own add/change/delete views; bulk actions are ours to record.
    """
    objects = list(objects)
    if objects:
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=objects,
            action_flag=CHANGE,
            change_message=message,
        )


class ReadOnlyInline(admin.TabularInline):
    """A list of related rows on a parent's page: shown, never edited from there."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TokenInline(ReadOnlyInline):
    model = Token
    fk_name = "user"
    fields = ("kind", "application", "scopes", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Token]:
        # Token's application is printed with its user: one join, not one query per row.
        return super().get_queryset(request).select_related("application__user")


class ApiApplicationInline(ReadOnlyInline):
    model = ApiApplication
    fk_name = "user"
    fields = ("name", "status", "requested_scopes", "granted_scopes", "decided_at", "created_at")
    readonly_fields = fields


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display: tuple[str, ...] = (
        "username",
        "email",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    actions = ["disable_users", "enable_users"]
    inlines = [ApiApplicationInline, TokenInline]

    # Only a superuser hands out superuser status or permissions; otherwise a moderator with
    # "change user" could promote themselves.
    PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        # The add form has no tokens or applications to show.
        return [] if obj is None else list(self.inlines)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and obj is not None:
            fields += [f for f in self.PRIVILEGE_FIELDS if f not in fields]
        return fields

    @staticmethod
    def outranks(request: HttpRequest, user: User) -> bool:
        """Staff may act on a superuser's account only when they are superusers themselves."""
        return user.can_be_managed_by(request.user)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and not self.outranks(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and not self.outranks(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def actionable(self, request: HttpRequest, queryset: QuerySet[User]) -> list[User]:
        """The selected users this staff member may act on; the others are named and skipped."""
        users = list(queryset)
        refused = [u for u in users if not self.outranks(request, u)]
        if refused:
            names = ", ".join(u.username for u in refused)
            self.message_user(
                request, f"Only a superuser can act on superusers: {names}.", messages.ERROR
            )
        return [u for u in users if self.outranks(request, u)]

    @admin.action(
        description="Disable selected users (log-in and tokens refused)", permissions=["change"]
    )
    def disable_users(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        disabled = []
        for user in self.actionable(request, queryset):
            if user.pk == request.user.pk:
                self.message_user(request, "You cannot disable yourself.", messages.ERROR)
                continue
            if user.is_active:
                services.user_disable(user=user)
                disabled.append(user)
        log_admin_changes(request, disabled, "Disabled (log-in and tokens refused).")
        self.message_user(request, f"{len(disabled)} user(s) disabled.", messages.SUCCESS)

    @admin.action(description="Enable selected users", permissions=["change"])
    def enable_users(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        enabled = []
        for user in self.actionable(request, queryset):
            if not user.is_active:
                services.user_enable(user=user)
                enabled.append(user)
        log_admin_changes(request, enabled, "Enabled.")
        self.message_user(request, f"{len(enabled)} user(s) enabled.", messages.SUCCESS)


def _approved_text(scopes: Iterable[str], expires_at: datetime | None) -> str:
    """What an approval granted, as the admin history shows it."""
    expires = expires_at.isoformat() if expires_at else "never"
    return f"Approved with scopes: {', '.join(scopes) or 'none'}; token expires: {expires}."


@admin.register(ApiApplication)
class ApiApplicationAdmin(admin.ModelAdmin):
    form = ApplicationDecisionForm
    list_display = (
        "name",
        "user",
        "status",
        "requested",
        "granted",
        "created_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "created_at", "decided_at")
    list_select_related = ("user", "decided_by")
    search_fields = ("name", "user__username", "purpose")
    date_hierarchy = "created_at"
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

    @admin.display(description="requested scopes")
    def requested(self, obj: ApiApplication) -> str:
        return ", ".join(obj.requested_scopes or [])

    @admin.display(description="granted scopes")
    def granted(self, obj: ApiApplication) -> str:
        return ", ".join(obj.granted_scopes or [])

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
                by=cast(User, request.user),  # the admin lets in logged-in staff only
                note=note,
            )
            self.message_user(request, f"“{obj.name}” approved; the token is on its dashboard.")
        elif decision == "reject":
            services.application_reject(application=obj, by=cast(User, request.user), note=note)
            self.message_user(request, f"“{obj.name}” rejected.", messages.WARNING)
        else:
            ApiApplication.objects.filter(pk=obj.pk).update(decision_note=note[:500])
        obj.refresh_from_db()

    # Any: Django passes the ApplicationDecisionForm; django-stubs would only take a forms.Form.
    def construct_change_message(  # type: ignore[override]  # log_change takes str or list
        self, request: HttpRequest, form: Any, formsets: Iterable[BaseFormSet], add: bool = False
    ) -> str | list:
        # "Changed decision and scopes" says little in the history; say what was decided.
        decision = form.cleaned_data.get("decision")
        if decision == "approve":
            return _approved_text(form.instance.granted_scopes, form.instance.token_expires_at)
        if decision == "reject":
            return "Rejected."
        return super().construct_change_message(request, form, formsets, add)

    @admin.action(
        description="Approve selected (requested scopes, no expiry)", permissions=["change"]
    )
    def approve_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[ApiApplication]
    ) -> None:
        approved = []
        for application in queryset.select_related("user"):
            token = services.application_approve(
                application=application,
                # Only registry scopes can be granted; a scope since removed is dropped.
                scopes=[s for s in application.requested_scopes if scope_registry.is_known(str(s))],
                expires_at=None,
                by=request.user,
            )
            log_admin_changes(request, [application], _approved_text(token.scopes, None))
            approved.append(application)
        self.message_user(request, f"{len(approved)} application(s) approved.", messages.SUCCESS)

    @admin.action(description="Reject selected", permissions=["change"])
    def reject_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[ApiApplication]
    ) -> None:
        rejected = list(queryset.select_related("user"))
        for application in rejected:
            services.application_reject(application=application, by=request.user)
        log_admin_changes(request, rejected, "Rejected.")
        self.message_user(request, f"{len(rejected)} application(s) rejected.", messages.WARNING)


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked"), ("expired", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Token]) -> QuerySet[Token]:
        now = timezone.now()
        match self.value():
            case "active":
                return queryset.filter(revoked_at__isnull=True).filter(
                    Q(expires_at__isnull=True) | Q(expires_at__gt=now)
                )
            case "revoked":
                return queryset.filter(revoked_at__isnull=False)
            case "expired":
                return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    """Tokens are never shown: neither the value nor its look-up hash."""

    list_display = (
        "id",
        "user",
        "kind",
        "application",
        "issued_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "rate_limit_override",
        "active",
    )
    list_filter = ("kind", TokenStateFilter)
    # application prints as "name (user)", so its user is joined too.
    list_select_related = ("user", "application__user", "issued_by")
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Token]:
        # The change page prints these too. (A select_related here makes the changelist skip
        # list_select_related, so both name the same relations.)
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(boolean=True)
    def active(self, obj: Token) -> bool:
        return obj.is_active()

    def save_model(self, request: HttpRequest, obj: Token, form: Any, change: bool) -> None:
        services.token_set_rate_limit(token=obj, per_second=obj.rate_limit_override)

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Token]) -> None:
        revoked = [token for token in queryset if token.revoked_at is None]
        for token in revoked:
            services.token_revoke(token=token)
        log_admin_changes(request, revoked, "Revoked.")
        self.message_user(request, f"{len(revoked)} token(s) revoked.", messages.SUCCESS)


class BlockStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("lifted", "Lifted"), ("ended", "Ended")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RateLimitBlock]
    ) -> QuerySet[RateLimitBlock]:
        now = timezone.now()
        match self.value():
            case "active":
                return queryset.filter(lifted_at__isnull=True, blocked_until__gt=now)
            case "lifted":
                return queryset.filter(lifted_at__isnull=False)
            case "ended":
                return queryset.filter(lifted_at__isnull=True, blocked_until__lte=now)
        return queryset


@admin.register(RateLimitBlock)
class RateLimitBlockAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "violations",
        "created_at",
        "blocked_until",
        "active",
        "lifted_at",
        "lifted_by",
    )
    list_filter = (BlockStateFilter, "created_at")
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
        # Blocks are made by the rate limiter only.
        return False

    @admin.display(boolean=True)
    def active(self, obj: RateLimitBlock) -> bool:
        return obj.is_active()

    @admin.action(description="Lift block", permissions=["change"])
    def lift_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[RateLimitBlock]
    ) -> None:
        lifted = [block for block in queryset if block.lifted_at is None]
        for block in queryset:
            # Also for lifted rows: the service clears a cache entry that may linger.
            services.ratelimit_block_lift(block=block, by=request.user)
        log_admin_changes(request, lifted, "Block lifted.")
        self.message_user(request, f"{len(lifted)} block(s) lifted.", messages.SUCCESS)


# django-otp's own admin pages show the authenticator's secret and add devices for anyone; here
# staff only see who enrolled, and a superuser removes a lost device (the user enrols again).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a device is enrolled by its owner, who scans the secret (/accounts/2fa/)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Removing someone's second factor is a superuser's decision (README "Staff two-factor").
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        twofactor.twofactor_remove(user=obj.user)  # the backup codes go with the app

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        for device in queryset.select_related("user"):
            twofactor.twofactor_remove(user=device.user)
