"""Template helpers of the webhook pages, and the dashboard notice about disabled webhooks."""

from __future__ import annotations

from typing import Any

from django import template

from webhooks import selectors
from webhooks.models import Delivery

register = template.Library()


@register.filter
def delivery_status_label(value: str | None) -> str:
    """ "delivered" -> "Delivered" (for an annotated status, which has no get_..._display)."""
    if not value:
        return ""
    try:
        return str(Delivery.Status(value).label)
    except ValueError:
        return value


@register.inclusion_tag("webhooks/_auto_disabled_notice.html", takes_context=True)
def auto_disabled_webhooks_notice(context: dict[str, Any]) -> dict[str, Any]:
    """A warning on the dashboard when the site disabled any of the user's webhooks after a
    day of failures (issue #19: "with the owner told on the dashboard")."""
    user = context["request"].user
    return {"webhooks": list(selectors.webhook_list_auto_disabled(user=user))}
