"""iCalendar (RFC 5545) for callbacks, so a rep can put them in their own calendar.

One VEVENT per callback with a stable UID (the callback's uuid, so importing twice
updates rather than duplicates), a 15-minute slot, a reminder 10 minutes before, and the
number to dial. The `icalendar` library writes it: text escaping, CRLF line ends and
folding at 75 octets (never inside a UTF-8 character) are its job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from icalendar import Alarm, Calendar, Event, vText

from warmline.calls.models import Callback, CallbackStatus
from warmline.core.phones import phone_display

SLOT = dt.timedelta(minutes=15)
REMINDER = dt.timedelta(minutes=10)


def _event(callback: Callback, *, now: dt.datetime) -> Event:
    contact = callback.contact
    company = contact.account.name if contact.account_id and contact.account else ""
    who = f"{contact.full_name} ({company})" if company else contact.full_name
    phone = phone_display(contact.phone)
    url = settings.SITE_URL + reverse("call-mode") + f"?contact={contact.pk}"
    description = [f"Call back {contact.full_name}" + (f" on {phone}" if phone else "") + "."]
    if callback.note:
        description.append(f"Note: {callback.note}")
    description.append(f"Call mode: {url}")
    is_open = callback.status == CallbackStatus.OPEN
    start = callback.due_at.astimezone(dt.UTC)

    event = Event()
    event.add("uid", f"callback-{callback.uuid}@warmline")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + SLOT)
    event.add("summary", f"Call back {who}")
    event.add("description", "\n".join(description))
    event.add("url", url)
    event.add("status", "CONFIRMED" if is_open else "CANCELLED")
    event.add("sequence", 0 if is_open else 1)
    if contact.phone:
        event.add("location", f"tel:{contact.phone}")

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Call back {who}")
    alarm.add("trigger", -REMINDER)
    event.add_component(alarm)
    return event


def callbacks_ics(
    callbacks: Iterable[Callback], *, now: dt.datetime, name: str = "Warmline callbacks"
) -> str:
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//Warmline//Callbacks//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(name))
    for callback in callbacks:
        calendar.add_component(_event(callback, now=now))
    return calendar.to_ical().decode("utf-8")
