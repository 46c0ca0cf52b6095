"""Forms parse what a person typed; the services decide whether it is right.

No form here saves a model: views turn cleaned data into the services' inputs
(`ContactData`, an unsaved `Account`...) and map the services' ValidationError back onto
the fields with `warmline.core.forms.form_add_service_errors`, so the page shows the
user's input with the message next to the field that caused it.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from warmline.core.forms import form_add_service_errors
from warmline.core.phones import phone_display, phone_time_zone
from warmline.people.models import Account, Contact, DateKind, FactKind, Stage, Tier
from warmline.people.selectors import account_scope
from warmline.people.services import ContactData, contact_points_clean
from warmline.timeline.models import Outcome
from warmline.users.models import User
from warmline.users.selectors import (
    user_can_see_unassigned,
    user_list_owners,
    user_owner_ids_editable,
)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]+", text or "") if part.strip()]


def _time_zone_choices() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


TIME_ZONES = _time_zone_choices()


DUPLICATE_INPUTS = (
    "[name=email],[name=other_emails],[name=phone],[name=mobile],[name=other_phones],"
    "[name=account],[name=exclude]"
)


class OwnerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


# --- Contacts -------------------------------------------------------------------------


class ContactForm(forms.Form):
    first_name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    last_name = forms.CharField(
        max_length=100, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    title = forms.CharField(
        max_length=150, required=False, label="Job title", help_text="e.g. Head of Purchasing"
    )
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), required=False, label="Company", empty_label="— None —"
    )
    owner = OwnerChoiceField(queryset=User.objects.none(), label="Owner (rep)")
    email = forms.CharField(
        max_length=254,
        required=False,
        label="E-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    other_emails = forms.CharField(
        required=False,
        label="Other e-mails",
        help_text="One per line.",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    phone = forms.CharField(
        max_length=40,
        required=False,
        label="Phone",
        help_text="Any format; numbers without +country are read as "
        f"{settings.WARMLINE_DEFAULT_REGION} (or the company's country).",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    mobile = forms.CharField(
        max_length=40,
        required=False,
        label="Mobile",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    other_phones = forms.CharField(
        required=False,
        label="Other phones",
        help_text="One per line.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label="Time zone",
        help_text="Derived from the phone number when blank.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    stage = forms.ChoiceField(choices=Stage.choices, initial=Stage.PROSPECT)
    interests = forms.CharField(
        max_length=1000,
        required=False,
        help_text="Comma separated, e.g. pumps, sustainability.",
    )
    email_opt_in = forms.BooleanField(required=False, label="Agreed to receive e-mail")
    do_not_call = forms.BooleanField(required=False, label="Do not call")
    reconnect_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Reconnect every (days)",
        help_text=f"Blank uses the default of {settings.WARMLINE_RECONNECT_DAYS} days.",
    )
    create_anyway = forms.BooleanField(
        required=False, label="I checked: this is a different person, create anyway"
    )

    def __init__(self, *args: Any, user: User, contact: Contact | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        self.contact = contact
        account_field: forms.ModelChoiceField = self.fields["account"]  # type: ignore[assignment]
        account_field.queryset = account_scope(user=user).order_by("name", "id")
        owners = user_list_owners(user=user)
        editable = user_owner_ids_editable(user=user)
        if editable is not None:
            owners = owners.filter(id__in=editable)
        owner_field: forms.ModelChoiceField = self.fields["owner"]  # type: ignore[assignment]
        owner_field.queryset = owners
        owner_field.required = not user_can_see_unassigned(user=user)
        owner_field.empty_label = "Unassigned" if not owner_field.required else None
        if contact is None:
            self.fields["owner"].initial = user.pk
        else:
            del self.fields["create_anyway"]
        # As the user types an e-mail or phone, htmx asks whether it is already known.
        check = {
            "hx-get": reverse("contact-duplicates"),
            "hx-trigger": "input changed delay:400ms, change",
            "hx-target": "#duplicates",
            "hx-include": DUPLICATE_INPUTS,
            "hx-sync": "#duplicates:replace",
        }
        for name in ("email", "other_emails", "phone", "mobile", "other_phones"):
            self.fields[name].widget.attrs.update(check)

    @classmethod
    def initial_for(cls, *, contact: Contact) -> dict[str, Any]:
        """The form's starting values for an existing contact (call with its points loaded)."""
        emails = [e.address for e in contact.emails.all()]
        phones = list(contact.phones.all())
        work = next((p for p in phones if p.label != "mobile"), None)
        mobile = next((p for p in phones if p.label == "mobile"), None)
        others = [p for p in phones if p is not work and p is not mobile]
        derived = phone_time_zone(contact.phone) if contact.phone else ""
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "title": contact.title,
            "account": contact.account_id,
            "owner": contact.owner_id,
            "email": emails[0] if emails else "",
            "other_emails": "\n".join(emails[1:]),
            "phone": phone_display(work.number) if work else "",
            "mobile": phone_display(mobile.number) if mobile else "",
            "other_phones": "\n".join(phone_display(p.number) for p in others),
            # A zone equal to the phone's own stays blank so a new phone re-derives it.
            "time_zone": "" if contact.time_zone == derived else contact.time_zone,
            "stage": contact.stage,
            "interests": ", ".join(t.name for t in contact.interests.all()),
            "email_opt_in": contact.email_opt_in,
            "do_not_call": contact.do_not_call,
            "reconnect_days": contact.reconnect_days,
        }

    def clean(self) -> dict[str, Any]:
        """The e-mail, phone and time-zone checks of the service too, beside the fields' own,
        so every problem shows in one round (phones are read in the chosen company's
        country, so they wait for a valid company). The service names a problem "email" or
        "phone"; each field is checked on its own, so the message lands on the field that
        holds the number."""
        data = super().clean() or {}
        if "account" in self.errors:
            return data
        account = data.get("account")
        region = account.country if account and account.country else None
        emails = {
            "email": [data.get("email", "")],
            "other_emails": _lines(data.get("other_emails", "")),
        }
        phones = {
            "phone": [data.get("phone", "")],
            "mobile": [data.get("mobile", "")],
            "other_phones": _lines(data.get("other_phones", "")),
        }
        for name, addresses in emails.items():
            *_, errors = contact_points_clean(
                emails=[(a, "") for a in addresses], phones=(), time_zone="", region=region
            )
            if errors:
                form_add_service_errors(self, ValidationError(errors), fields={"email": name})
        for name, numbers in phones.items():
            *_, errors = contact_points_clean(
                emails=(), phones=[(n, "") for n in numbers], time_zone="", region=region
            )
            if errors:
                form_add_service_errors(self, ValidationError(errors), fields={"phone": name})
        *_, errors = contact_points_clean(
            emails=(), phones=(), time_zone=str(data.get("time_zone") or ""), region=region
        )
        if errors:
            form_add_service_errors(self, ValidationError(errors))
        return data

    def derived_time_zone_hint(self) -> str:
        if self.contact is not None and self.contact.time_zone and not self["time_zone"].value():
            return self.contact.time_zone
        return ""

    def typed_emails(self) -> list[str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return [data.get("email", "")] + _lines(data.get("other_emails", ""))

    def typed_phones(self) -> list[str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return [data.get("phone", ""), data.get("mobile", "")] + _lines(
            data.get("other_phones", "")
        )

    def contact_data(self) -> ContactData:
        data = self.cleaned_data
        emails = [(data["email"], "work")] if data["email"].strip() else []
        emails += [(address, "other") for address in _lines(data["other_emails"])]
        phones = [(data["phone"], "work")] if data["phone"].strip() else []
        if data["mobile"].strip():
            phones.append((data["mobile"], "mobile"))
        phones += [(number, "other") for number in _lines(data["other_phones"])]
        return ContactData(
            first_name=data["first_name"],
            last_name=data["last_name"],
            title=data["title"],
            account=data["account"],
            owner=data["owner"],
            emails=emails,
            phones=phones,
            time_zone=data["time_zone"].strip(),
            stage=data["stage"],
            interests=[t for t in (data["interests"] or "").split(",") if t.strip()],
            email_opt_in=data["email_opt_in"],
            do_not_call=data["do_not_call"],
            reconnect_days=data["reconnect_days"],
        )


# --- Personal facts and important dates -----------------------------------------------


class FactForm(forms.Form):
    prefix = "fact"

    kind = forms.ChoiceField(choices=FactKind.choices, initial=FactKind.FAMILY, label="Kind")
    text = forms.CharField(
        max_length=500,
        label="Fact",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Two kids, Maya and Leo"}),
        error_messages={"required": "Write the fact down first."},
    )


class DateForm(forms.Form):
    prefix = "date"

    kind = forms.ChoiceField(choices=DateKind.choices, initial=DateKind.BIRTHDAY, label="Kind")
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Pick the date.",
            "invalid": "Enter the date as YYYY-MM-DD.",
        },
    )
    label = forms.CharField(
        max_length=120,
        required=False,
        label="Label",
        widget=forms.TextInput(attrs={"placeholder": "optional, e.g. Married Sam"}),
    )
    recurs_yearly = forms.BooleanField(required=False, initial=True, label="Every year")


# --- Logging touches ------------------------------------------------------------------

LOG_KINDS = (("note", "Note"), ("call", "Call"), ("meeting", "Meeting"))
CALL_OUTCOMES = [
    (Outcome.CONNECTED.value, "Connected"),
    (Outcome.VOICEMAIL.value, "Left voicemail"),
    (Outcome.NO_ANSWER.value, "No answer"),
    (Outcome.WRONG_NUMBER.value, "Wrong number"),
    (Outcome.BUSY.value, "Busy"),
]


class NoteForm(forms.Form):
    prefix = "note"

    body = forms.CharField(
        max_length=10_000,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What did you learn?"}),
        error_messages={"required": "Write something in the note."},
    )


class CallForm(forms.Form):
    prefix = "call"

    outcome = forms.ChoiceField(
        choices=[("", "How did it go?"), *CALL_OUTCOMES],
        label="Outcome",
        error_messages={"required": "Pick how the call went."},
    )
    body = forms.CharField(
        max_length=10_000,
        required=False,
        label="Call notes",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Optional"}),
    )


class MeetingForm(forms.Form):
    prefix = "meeting"

    subject = forms.CharField(
        max_length=200,
        label="Subject",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Site visit, pump retrofit"}),
        error_messages={"required": "Give the meeting a short title."},
    )
    when = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "When was the meeting?", "invalid": "Enter a date and time."},
    )
    body = forms.CharField(
        max_length=10_000,
        required=False,
        label="Meeting notes",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Optional"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)


LOG_FORMS: dict[str, type[forms.Form]] = {
    "note": NoteForm,
    "call": CallForm,
    "meeting": MeetingForm,
}


# --- Accounts -------------------------------------------------------------------------


class AccountForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the company name."})
    domain = forms.CharField(
        max_length=200, required=False, help_text="E-mail domain, e.g. acme.com"
    )
    industry = forms.CharField(max_length=120, required=False)
    tier = forms.ChoiceField(choices=Tier.choices, initial=Tier.STANDARD)
    owner = OwnerChoiceField(queryset=User.objects.none(), label="Owner (rep)")
    phone = forms.CharField(
        max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    website = forms.CharField(max_length=200, required=False, help_text="e.g. acme.com")
    city = forms.CharField(max_length=120, required=False)
    country = forms.CharField(
        max_length=2,
        min_length=2,
        required=False,
        help_text="Two-letter code, e.g. US, DE. Local phone numbers are read for it.",
        widget=forms.TextInput(attrs={"size": 3, "autocapitalize": "characters"}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, user: User, account: Account | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        owners = user_list_owners(user=user)
        editable = user_owner_ids_editable(user=user)
        if editable is not None:
            owners = owners.filter(id__in=editable)
        owner_field: forms.ModelChoiceField = self.fields["owner"]  # type: ignore[assignment]
        owner_field.queryset = owners
        owner_field.required = not user_can_see_unassigned(user=user)
        owner_field.empty_label = "Unassigned" if not owner_field.required else None
        if account is None:
            self.fields["owner"].initial = user.pk

    @staticmethod
    def initial_for(*, account: Account) -> dict[str, Any]:
        return {
            "name": account.name,
            "domain": account.domain,
            "industry": account.industry,
            "tier": account.tier,
            "owner": account.owner_id,
            "phone": phone_display(account.phone) if account.phone else "",
            "website": account.website,
            "city": account.city,
            "country": account.country,
            "notes": account.notes,
        }

    def apply_to(self, account: Account) -> Account:
        data = self.cleaned_data
        account.name = data["name"].strip()
        account.domain = data["domain"].strip()
        account.industry = data["industry"].strip()
        account.tier = data["tier"]
        account.owner = data["owner"]
        account.phone = data["phone"].strip()
        account.website = data["website"].strip()
        account.city = data["city"].strip()
        account.country = data["country"].strip()
        account.notes = data["notes"]
        return account
