"""Webhooks in the admin: endpoints (send a test event, disable, enable), the delivery log
(retry now) and the events, all read-only. Actions go through webhooks.services, like the
dashboard, and land in the admin history. The signing secret's nonce is never shown.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import ReadOnlyInline, log_admin_changes
from webhooks import events, services
from webhooks.models import Delivery, Event, Webhook


class EventTypeFilter(admin.SimpleListFilter):
    """Event types from the registry (no DISTINCT query over the whole table)."""

    title = "event type"
    parameter_name = "type"
    field = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, name) for name in [*events.TYPES, events.PING]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class DeliveryEventTypeFilter(EventTypeFilter):
    field = "event__type"


class AutoDisabledFilter(admin.SimpleListFilter):
    title = "disabled automatically"
    parameter_name = "auto_disabled"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> QuerySet[Webhook]:
        auto = queryset.filter(is_active=False).exclude(disabled_reason="")
        if self.value() == "yes":
            return auto
        if self.value() == "no":
            return queryset.exclude(pk__in=auto.values("pk"))
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows made by the services only: never added by hand, every field read-only (staff with
    the change permission may still run the actions)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [str(name) for name in self.fields or []]


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    list_display = (
        "url",
        "user",
        "application",
        "event_list",
        "is_active",
        "failing_since",
        "disabled_at",
    )
    list_filter = ("is_active", AutoDisabledFilter, "failing_since", "disabled_at", "created_at")
    # application prints as "name (user)", so its user is joined too.
    list_select_related = ("user", "application__user")
    search_fields = ("url", "user__username")
    # secret_nonce is left out: the signing secret derives from it.
    fields = (
        "user",
        "application",
        "url",
        "event_list",
        "is_active",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "delivery_log",
    )
    actions = ["send_test_event", "disable_selected", "enable_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Webhook]:
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="events")
    def event_list(self, obj: Webhook) -> str:
        return ", ".join(obj.events)

    @admin.display(description="deliveries")
    def delivery_log(self, obj: Webhook) -> str:
        url = reverse("admin:webhooks_delivery_changelist") + f"?webhook__id__exact={obj.pk}"
        return format_html('<a href="{}">Delivery log of this webhook</a>', url)

    @admin.action(description="Send a test event (ping)", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        active = [webhook for webhook in queryset if webhook.is_active]
        for webhook in active:
            services.send_test(webhook=webhook)
        log_admin_changes(request, active, "Sent a test event.")
        skipped = queryset.count() - len(active)
        self.message_user(
            request,
            f"Test event sent to {len(active)} webhook(s)"
            + (f"; {skipped} disabled webhook(s) skipped." if skipped else "."),
            messages.SUCCESS,
        )

    @admin.action(description="Disable selected webhooks", permissions=["change"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        disabled = [webhook for webhook in queryset if webhook.is_active]
        for webhook in disabled:
            services.webhook_disable(webhook=webhook, reason="")
        log_admin_changes(request, disabled, "Disabled.")
        self.message_user(request, f"{len(disabled)} webhook(s) disabled.", messages.SUCCESS)

    @admin.action(description="Enable selected webhooks", permissions=["change"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        enabled = [webhook for webhook in queryset if not webhook.is_active]
        for webhook in enabled:
            services.webhook_enable(webhook=webhook)
        log_admin_changes(request, enabled, "Enabled.")
        self.message_user(request, f"{len(enabled)} webhook(s) enabled.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_type",
        "event_id",
        "webhook_url",
        "status",
        "response_code",
        "latency_ms",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("status", DeliveryEventTypeFilter, "created_at")
    list_select_related = ("webhook", "event")
    search_fields = ("webhook__url", "webhook__user__username", "event__id")
    date_hierarchy = "created_at"
    fields = (
        "webhook",
        "event",
        "status",
        "attempts",
        "response_code",
        "latency_ms",
        "error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "leased_until",
        "delivered_at",
    )
    actions = ["retry_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.type

    @admin.display(description="event id")
    def event_id(self, obj: Delivery) -> str:
        return str(obj.event_id)

    @admin.display(description="webhook", ordering="webhook__url")
    def webhook_url(self, obj: Delivery) -> str:
        return obj.webhook.url

    @admin.action(description="Retry now", permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset.select_related("webhook", "event"))
        retried = [
            d for d in deliveries if d.status != Delivery.Status.DELIVERED and d.webhook.is_active
        ]
        for delivery in retried:
            services.delivery_retry_now(delivery=delivery)
        log_admin_changes(request, retried, "Retried now.")
        skipped = len(deliveries) - len(retried)
        self.message_user(
            request,
            f"{len(retried)} delivery(ies) will be attempted again now"
            + (
                f"; {skipped} skipped (already delivered, or the webhook is disabled)."
                if skipped
                else "."
            ),
            messages.SUCCESS,
        )


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("webhook", "status", "response_code", "latency_ms", "attempts", "last_attempt_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("webhook")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "created_at")
    list_filter = (EventTypeFilter, "created_at")
    search_fields = ("id", "type")
    date_hierarchy = "created_at"
    fields = ("id", "type", "created_at", "data_json")
    inlines = [DeliveryInline]

    @admin.display(description="data")
    def data_json(self, obj: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, sort_keys=True))
