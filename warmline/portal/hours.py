"""The "we will answer by ..." promise: PORTAL_ANSWER_BUSINESS_HOURS of business time.

Business hours are Monday to Friday, PORTAL_BUSINESS_HOURS ("09:00-17:00") in the rep's
time zone, counted by `warmline.core.hours` (the SLA clock counts with it too). Public
holidays are not modelled (yet).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from warmline.core.hours import LATEST, business_hours_add, office_hours, zone_get


def business_hours_parse(text: str) -> tuple[dt.time, dt.time]:
    try:
        start_text, end_text = text.split("-")
        start = dt.time.fromisoformat(start_text.strip())
        end = dt.time.fromisoformat(end_text.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"PORTAL_BUSINESS_HOURS={text!r}: use HH:MM-HH:MM, e.g. 09:00-17:00."
        ) from exc
    if end <= start:
        raise ImproperlyConfigured("PORTAL_BUSINESS_HOURS must end after it starts.")
    return start, end


def promise_answer_by(*, start: dt.datetime, hours: float, tz_name: str) -> dt.datetime:
    """`start` plus `hours` of business time in `tz_name`, as an aware datetime in that
    zone: asked on Friday at 16:30 with 2 business hours (09:00-17:00), Monday 10:30.

    A rep without a time zone, or with one we do not know, promises in UTC."""
    opens, closes = business_hours_parse(settings.PORTAL_BUSINESS_HOURS)
    time_zone = tz_name if zone_get(tz_name) is not None else "UTC"
    calendar = office_hours(time_zone=time_zone, opens=opens, closes=closes)
    due = business_hours_add(hours=calendar, start=start, amount=dt.timedelta(hours=hours))
    if due is None:  # office hours open every week: only the year 9999 runs out of them
        return LATEST
    return due.astimezone(calendar.zone)


def promise_text() -> str:
    """How the promise reads to a visitor, e.g. "within 2 business hours"."""
    hours = settings.PORTAL_ANSWER_BUSINESS_HOURS
    return f"within {hours} business hour{'s' if hours != 1 else ''}"
