"""Business-hours arithmetic for the "we will answer by ..." promise.

Business hours are Monday to Friday, PORTAL_BUSINESS_HOURS ("09:00-17:00") in the rep's
time zone. Public holidays are not modelled (yet).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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


def zone_get(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def business_hours_add(
    *, start: dt.datetime, hours: float, tz_name: str, day: str | None = None
) -> dt.datetime:
    """`start` plus `hours` of business time in `tz_name`; returns an aware datetime.

    Asked on Friday at 16:30 with 2 business hours (09:00-17:00) -> Monday 10:30.
    """
    open_at, close_at = business_hours_parse(day or settings.PORTAL_BUSINESS_HOURS)
    zone = zone_get(tz_name)
    cursor = start.astimezone(zone)
    remaining = dt.timedelta(hours=hours)
    for _ in range(400):  # at most a year of days; the loop ends long before
        day_open = dt.datetime.combine(cursor.date(), open_at, tzinfo=zone)
        day_close = dt.datetime.combine(cursor.date(), close_at, tzinfo=zone)
        if cursor.weekday() >= 5 or cursor >= day_close:
            cursor = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), open_at, tzinfo=zone)
            continue
        cursor = max(cursor, day_open)
        available = day_close - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        cursor = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), open_at, tzinfo=zone)
    return cursor


def promise_text() -> str:
    """How the promise reads to a visitor, e.g. "within 2 business hours"."""
    hours = settings.PORTAL_ANSWER_BUSINESS_HOURS
    return f"within {hours} business hour{'s' if hours != 1 else ''}"
