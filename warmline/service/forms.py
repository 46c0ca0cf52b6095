"""Forms parse and check types; services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from warmline.service.models import Channel, Priority, Status
from warmline.service.selectors import case_agents
from warmline.timeline.models import Outcome


class _CaseFieldsForm(forms.Form):
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="What the customer reported, in their words where possible.",
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    assigned_agent = forms.ModelChoiceField(
        queryset=case_agents(), required=False, empty_label="— nobody yet —"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_agent"].queryset = case_agents()  # type: ignore[attr-defined]


class CaseCreateForm(_CaseFieldsForm):
    contact_email = forms.EmailField(
        label="Customer e-mail",
        required=False,
        help_text="A new address creates the contact under the account with that e-mail "
        "domain (or in the unassigned queue).",
    )
    contact_name = forms.CharField(
        label="Customer name", max_length=200, required=False, help_text="For a new contact."
    )

    def __init__(self, *args: Any, contact: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact
        if contact is not None:
            del self.fields["contact_email"]
            del self.fields["contact_name"]
        else:
            self.fields["contact_email"].required = True
        self.order_fields(
            ["contact_email", "contact_name", "subject", "description", "priority", "channel"]
        )


class CaseEditForm(_CaseFieldsForm):
    status = forms.ChoiceField(choices=Status.choices)

    field_order = ["subject", "description", "priority", "status", "channel", "assigned_agent"]


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class CaseNoteForm(forms.Form):
    body = forms.CharField(
        label="Note for the service team",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write something in the note."},
    )


class CaseCallForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did the call go?",
        choices=[(v, label) for v, label in Outcome.choices if v],
        error_messages={"required": "Pick how the call went."},
    )
    body = forms.CharField(
        label="What was said", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
