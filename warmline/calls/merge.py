"""Merge fields for voicemail scripts and notes: ``{{ first_name }}``, with an optional
fallback for empty values: ``{{ company|your team }}``.

Deliberately not the Django template language: a rep's template can only name the fields
listed in MERGE_FIELDS, and nothing in it is executed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from warmline.core.phones import phone_display
from warmline.people.models import Contact, ImportantDate
from warmline.users.models import User

FIELD_RE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\|([^}]*))?\}\}")

MERGE_FIELDS: dict[str, str] = {
    "first_name": "the contact's first name",
    "last_name": "the contact's last name",
    "full_name": "the contact's full name",
    "title": "the contact's job title",
    "company": "the contact's company",
    "rep_name": "your name",
    "rep_first_name": "your first name",
    "rep_phone": "your direct line (or mobile)",
    "rep_email": "your e-mail address",
    "rep_signature": "your name, title, company and phone on separate lines",
    "my_company": "our company's name",
    "occasion": "the occasion, e.g. “birthday” or “10th anniversary as our customer”",
    "occasion_when": "when it is: “today”, “tomorrow”, “on 3 March”",
}


@dataclass(frozen=True)
class DefaultTemplate:
    subject: str
    body: str


DEFAULT_TEMPLATES: dict[str, DefaultTemplate] = {
    "voicemail": DefaultTemplate(
        subject="",
        body=(
            "Hi {{ first_name }}, this is {{ rep_first_name }} from {{ my_company }}. "
            "I was thinking of you and wanted to check in and hear how things are going "
            "at {{ company|your end }}. No need to prepare anything. You can reach me "
            "directly on {{ rep_phone|my direct line }}. Again, that's "
            "{{ rep_phone|my direct line }}. Talk soon!"
        ),
    ),
    "checkin": DefaultTemplate(
        subject="Checking in, {{ first_name }}",
        body=(
            "Hi {{ first_name }},\n\n"
            "It has been a while since we last spoke and I wanted to check in. "
            "How are things at {{ company|your end }}, and how are you doing?\n\n"
            "No agenda: if there is anything I can help with, or you would simply like "
            "to catch up, reply to this e-mail or call me.\n\n"
            "Best wishes,\n{{ rep_signature }}"
        ),
    ),
    "congrats": DefaultTemplate(
        subject="Congratulations, {{ first_name }}!",
        body=(
            "Hi {{ first_name }},\n\n"
            "Congratulations on your {{ occasion|special day }} {{ occasion_when }}! I wanted "
            "to take a moment to say so.\n\n"
            "I hope you get to celebrate it properly. Let me know if I can ever help "
            "with anything.\n\n"
            "All the best,\n{{ rep_signature }}"
        ),
    ),
}


def merge_unknown_fields(text: str) -> list[str]:
    return sorted({m.group(1) for m in FIELD_RE.finditer(text)} - set(MERGE_FIELDS))


def merge_validate(*, text: str, field: str) -> None:
    unknown = merge_unknown_fields(text)
    if unknown:
        names = ", ".join("{{ " + u + " }}" for u in unknown)
        raise ValidationError(
            {
                field: f"Unknown merge field {names}. You can use: "
                + ", ".join("{{ " + name + " }}" for name in MERGE_FIELDS)
                + "."
            }
        )
    if text.count("{{") != len(FIELD_RE.findall(text)):
        raise ValidationError({field: "A merge field is not closed: write it as {{ first_name }}."})


# A merge field with the space before it: a field that comes out empty takes that space
# along ("your birthday {{ occasion_when }}!" without a date reads "your birthday!").
_SPACED_FIELD_RE = re.compile(r"( ?)" + FIELD_RE.pattern)


def merge_render(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        space, name, fallback = match.group(1), match.group(2), match.group(3)
        if name not in MERGE_FIELDS:
            return match.group(0)
        value = values.get(name, "") or (fallback or "").strip()
        # "at {{ company }}." with "Acme Inc." must not read "Acme Inc.."
        if value.endswith(".") and match.string[match.end() : match.end() + 1] == ".":
            value = value[:-1]
        return space + value if value else ""

    return _SPACED_FIELD_RE.sub(replace, text)


def when_text(*, on: dt.date, today: dt.date) -> str:
    days = (on - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"on {on.day} {on:%B}"


def rep_signature(rep: User) -> str:
    lines = [rep.get_full_name() or rep.username]
    role = ", ".join(p for p in (rep.title, settings.WARMLINE_COMPANY_NAME) if p)
    if role:
        lines.append(role)
    phone = rep.direct_phone or rep.mobile_phone
    if phone:
        lines.append(phone_display(phone))
    return "\n".join(lines)


def merge_values(
    *,
    contact: Contact,
    rep: User,
    occasion: ImportantDate | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    from django.utils import timezone

    values = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "title": contact.title,
        "company": contact.account.name if contact.account_id and contact.account else "",
        "rep_name": rep.get_full_name() or rep.username,
        "rep_first_name": rep.first_name or rep.username,
        "rep_phone": phone_display(rep.direct_phone or rep.mobile_phone),
        "rep_email": rep.email,
        "rep_signature": rep_signature(rep),
        "my_company": settings.WARMLINE_COMPANY_NAME,
        "occasion": "",
        "occasion_when": "",
    }
    if occasion is not None:
        day = today or timezone.localdate()
        on = occasion.next_occurrence(day - dt.timedelta(days=7)) or occasion.date
        values["occasion"] = occasion.occasion(on)
        values["occasion_when"] = when_text(on=on, today=day)
    return values
