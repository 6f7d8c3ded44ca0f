"""Forms of the webhook pages: parse only; webhooks.services checks the URL and the events."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import ApiApplication, User
from webhooks import events, selectors


class ApplicationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ApiApplication) -> str:
        return f"{obj.name} ({obj.get_status_display().lower()})"


class WebhookForm(forms.Form):
    """A new webhook (the "New webhook" form on /dashboard/webhooks/)."""

    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/nekosite-hook"}),
        help_text="An https:// address on the public internet; we POST signed JSON to it.",
    )
    events = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Catalog events (image.*) need an approved API application below.",
    )
    application = ApplicationChoiceField(
        label="For API application",
        queryset=ApiApplication.objects.none(),
        required=False,
        empty_label="None (my files and account only)",
        help_text="Only a webhook of an approved application receives catalog events.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = events.choices()
        self.fields["application"].queryset = selectors.application_choices_for_user(user=user)
