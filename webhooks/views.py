"""The webhook pages of the dashboard (/dashboard/webhooks/). Thin: forms parse, services write.

The signing secret is shown once, on the page that follows creating the webhook or rolling its
secret: the POST leaves only the webhook's id in the session (the secret itself is derived
from the row and is never stored), and the detail page takes that id out as it shows it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import ratelimit as limits
from webhooks import selectors, services
from webhooks.forms import WebhookForm
from webhooks.models import Delivery, Webhook

REVEAL_ONCE_KEY = "webhooks:reveal-once"


def _detail(webhook: Webhook) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("webhooks:detail", kwargs={"pk": webhook.pk}))


def _show_secret_once(request: HttpRequest, webhook: Webhook) -> None:
    request.session[REVEAL_ONCE_KEY] = webhook.pk


@require_http_methods(["GET", "POST"])
@login_required
@ratelimit(key=limits.user_key, rate=limits.auth_rate, method="POST", block=False)
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The user's webhooks and the "New webhook" form."""
    form = WebhookForm(request.POST or None, user=request.user)
    if request.method == "POST" and request.limited:  # type: ignore[attr-defined]
        form.add_error(None, limits.FORM_MESSAGE)
    elif request.method == "POST" and form.is_valid():
        try:
            webhook, _secret = services.webhook_create(
                user=request.user,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["events"],
                application=form.cleaned_data["application"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _show_secret_once(request, webhook)
            messages.success(request, "Your webhook was created. Copy its signing secret now.")
            return _detail(webhook)
    webhooks = selectors.webhook_list_for_user(user=request.user)
    return render(request, "webhooks/list.html", {"form": form, "webhooks": webhooks})


@never_cache
@require_GET
@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # never_cache: right after create or roll the page carries the signing secret.
    webhook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    secret = None
    if request.session.get(REVEAL_ONCE_KEY) == webhook.pk:
        del request.session[REVEAL_ONCE_KEY]
        secret = selectors.webhook_signing_secret(webhook=webhook)
    return render(
        request,
        "webhooks/detail.html",
        {
            "webhook": webhook,
            "secret": secret,
            "deliveries": selectors.delivery_log(webhook=webhook),
            "log_size": selectors.DELIVERY_LOG_SIZE,
        },
    )


@require_POST
@login_required
def webhook_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    if not webhook.is_active:
        messages.error(request, "This webhook is disabled: enable it before sending a test event.")
        return _detail(webhook)
    services.send_test(webhook=webhook)
    messages.success(request, "A test event (ping) was sent; it shows in the log below.")
    return _detail(webhook)


@require_POST
@login_required
def webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    if webhook.is_active:
        services.webhook_disable(webhook=webhook, reason="")
    messages.success(request, "The webhook was disabled; deliveries still waiting are skipped.")
    return _detail(webhook)


@require_POST
@login_required
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    services.webhook_enable(webhook=webhook)
    messages.success(request, "The webhook was enabled; new events will be sent to it.")
    return _detail(webhook)


@require_POST
@login_required
def webhook_roll_secret(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    services.webhook_roll_secret(webhook=webhook)
    _show_secret_once(request, webhook)
    messages.success(
        request, "A new signing secret was made; the old one no longer signs deliveries."
    )
    return _detail(webhook)


@require_http_methods(["GET", "POST"])
@login_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the webhook and its delivery log."""
    webhook = selectors.webhook_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        services.webhook_delete(webhook=webhook)
        messages.success(request, f"The webhook to {webhook.url} was deleted.")
        return HttpResponseRedirect(reverse("webhooks:list"))
    return render(request, "webhooks/delete.html", {"webhook": webhook})


@require_POST
@login_required
def delivery_retry(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = selectors.delivery_get_for_user(user=request.user, webhook_pk=pk, pk=delivery_pk)
    webhook = delivery.webhook
    if delivery.status == Delivery.Status.DELIVERED:
        messages.info(request, "That event was already delivered.")
    elif not webhook.is_active:
        messages.error(request, "This webhook is disabled: enable it before retrying.")
    else:
        services.delivery_retry_now(delivery=delivery)
        messages.success(request, "The delivery will be attempted again now.")
    return _detail(webhook)
