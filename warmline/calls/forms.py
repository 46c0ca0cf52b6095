"""Forms parse input only; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from warmline.calls.models import TemplateKind
from warmline.calls.services import CALLBACK_PRESETS, NOTE_BODY_MAX, NOTE_BODY_TOO_LONG
from warmline.timeline.models import Outcome

OUTCOME_CHOICES = [
    (Outcome.CONNECTED.value, "Connected"),
    (Outcome.VOICEMAIL.value, "Left voicemail"),
    (Outcome.NO_ANSWER.value, "No answer"),
    (Outcome.WRONG_NUMBER.value, "Wrong number"),
    (Outcome.DO_NOT_CALL.value, "Do not call again"),
]


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as typed, without a zone: whose clock it is (the contact's, for a
    callback) is the service's business, not the signed-in user's current zone. Read in
    UTC only to parse (UTC has no summer-time gaps to refuse), then made naive again."""

    def to_python(self, value: str | dt.datetime | dt.date | None) -> dt.datetime | None:
        with timezone.override(dt.UTC):
            parsed = super().to_python(value)
        return timezone.make_naive(parsed, dt.UTC) if parsed is not None else None


class CallLogForm(forms.Form):
    contact = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        choices=OUTCOME_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Pick how the call went."},
    )
    note = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What did you talk about?"}),
    )
    callback = forms.ChoiceField(
        required=False,
        choices=[("", "No callback"), *CALLBACK_PRESETS.items()],
        widget=forms.RadioSelect,
    )
    callback_at = WallClockDateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter a date and time, e.g. 2026-03-14 15:30."},
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        typed_wrong = "callback_at" in self.errors  # (already says what is wrong)
        if data.get("callback") == "custom" and not data.get("callback_at") and not typed_wrong:
            self.add_error("callback_at", "Pick the date and time for the callback.")
        return data


class CadenceForm(forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=7,
        max_value=1095,
        label="Personal touch every (days)",
        help_text="Leave empty for the default.",
        error_messages={
            "min_value": "Choose at least 7 days.",
            "max_value": "Choose at most 1095 days (3 years).",
        },
    )


class MessageTemplateForm(forms.Form):
    kind = forms.ChoiceField(choices=TemplateKind.choices, widget=forms.HiddenInput)
    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(max_length=NOTE_BODY_MAX, widget=forms.Textarea(attrs={"rows": 8}))


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (TemplateKind.CHECKIN.value, "Check-in"),
            (TemplateKind.CONGRATS.value, "Congratulations"),
        ],
        widget=forms.RadioSelect,
    )
    occasion = forms.IntegerField(required=False, widget=forms.HiddenInput)
    subject = forms.CharField(max_length=200, error_messages={"required": "Give it a subject."})
    body = forms.CharField(
        max_length=NOTE_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={
            "required": "Write the note.",
            "max_length": NOTE_BODY_TOO_LONG,
        },
    )
