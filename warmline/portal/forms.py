"""Forms of the public portal. They parse and keep what the visitor typed; the rules live
in services (which raise ValidationError keyed by these field names)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from warmline.core.forms import form_add_service_errors
from warmline.core.phones import phone_display
from warmline.people.models import Contact
from warmline.portal.models import Channel, PreferredTime


class HoneypotMixin(forms.Form):
    # Hidden from people (CSS and aria-hidden); bots that fill every field give themselves away.
    website = forms.CharField(required=False, label="Leave this empty")

    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class IdentifyForm(HoneypotMixin):
    email = forms.EmailField(
        label="Your work e-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=300)


class AskForm(HoneypotMixin):
    message = forms.CharField(
        label="Your question",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    page = forms.CharField(required=False, widget=forms.HiddenInput, max_length=300)
    preferred_channel = forms.ChoiceField(
        label="How should we answer?",
        choices=Channel.choices,
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
    )
    preferred_time = forms.ChoiceField(
        label="When suits you?", choices=PreferredTime.choices, initial=PreferredTime.ANYTIME
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=40,
        help_text="Needed if you would like a call.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, contact: Contact | None = None, **kwargs: Any) -> None:
        self.contact = contact
        super().__init__(*args, **kwargs)
        # Length rules are checked by the service (with friendly messages); the browser gets
        # the same limits as a hint.
        limit = settings.PORTAL_MESSAGE_MAX_CHARS
        self.fields["message"].widget.attrs.update({"maxlength": str(limit), "minlength": "5"})
        self.fields["message"].help_text = f"Up to {limit} characters. A person reads every word."
        if contact is not None and contact.phone:
            self.fields["phone"].label = "Another phone number (optional)"
            self.fields[
                "phone"
            ].help_text = (
                f"We will call {phone_display(contact.phone)} unless you give another number."
            )

    def clean(self) -> dict[str, Any]:
        """Check the rules the service will apply (so every problem shows at once)."""
        from warmline.portal.services import QuestionInput, question_input_clean

        cleaned = super().clean() or {}
        data = QuestionInput(
            message=self.data.get("message", ""),
            preferred_channel=cleaned.get("preferred_channel", "email"),
            preferred_time=cleaned.get("preferred_time", "anytime"),
            phone=self.data.get("phone", ""),
        )
        try:
            question_input_clean(data=data, contact=self.contact)
        except ValidationError as exc:
            form_add_service_errors(self, exc, skip_invalid=True)
        return cleaned


class GuestAskForm(AskForm):
    """An unknown visitor also says who they are."""

    name = forms.CharField(
        label="Your name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Your work e-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    company = forms.CharField(
        label="Company",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    field_order = ["name", "email", "company", "message"]


class AnswerForm(forms.Form):
    note = forms.CharField(
        label="What did you tell them? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
