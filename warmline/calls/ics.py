"""iCalendar (RFC 5545) for callbacks, so a rep can put them in their own calendar.

Written by hand: one VEVENT per callback with a stable UID (the callback's uuid, so
importing twice updates rather than duplicates), a 15-minute slot, a reminder 10 minutes
before, and the number to dial. Lines are CRLF-terminated and folded at 75 octets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from warmline.calls.models import Callback, CallbackStatus
from warmline.core.phones import phone_display

SLOT = dt.timedelta(minutes=15)


def ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with one space), never
    splitting a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for char in line:
        b = char.encode("utf-8")
        if len(current) + len(b) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # the leading space counts
        current += b
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(callback: Callback, *, now: dt.datetime) -> list[str]:
    contact = callback.contact
    company = contact.account.name if contact.account_id and contact.account else ""
    who = f"{contact.full_name} ({company})" if company else contact.full_name
    phone = phone_display(contact.phone)
    url = settings.SITE_URL + reverse("call-mode") + f"?contact={contact.pk}"
    description = [f"Call back {contact.full_name}" + (f" on {phone}" if phone else "") + "."]
    if callback.note:
        description.append(f"Note: {callback.note}")
    description.append(f"Call mode: {url}")
    lines = [
        "BEGIN:VEVENT",
        f"UID:callback-{callback.uuid}@warmline",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(callback.due_at)}",
        f"DTEND:{_stamp(callback.due_at + SLOT)}",
        f"SUMMARY:{ics_escape('Call back ' + who)}",
        f"DESCRIPTION:{ics_escape(chr(10).join(description))}",
        f"URL:{url}",
        "STATUS:" + ("CONFIRMED" if callback.status == CallbackStatus.OPEN else "CANCELLED"),
        "SEQUENCE:" + ("0" if callback.status == CallbackStatus.OPEN else "1"),
    ]
    if contact.phone:
        lines.append(f"LOCATION:{ics_escape('tel:' + contact.phone)}")
    lines += [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{ics_escape('Call back ' + who)}",
        "TRIGGER:-PT10M",
        "END:VALARM",
        "END:VEVENT",
    ]
    return lines


def callbacks_ics(
    callbacks: Iterable[Callback], *, now: dt.datetime, name: str = "Warmline callbacks"
) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Warmline//Callbacks//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(name)}",
    ]
    for callback in callbacks:
        lines.extend(_event(callback, now=now))
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)
