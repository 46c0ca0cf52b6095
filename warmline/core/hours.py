"""Calling hours in the contact's own time zone, and human-friendly time phrases.

Pure functions (no database), so the rules can be tested over every time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings


@functools.lru_cache(maxsize=2048)
def zone_get(name: str) -> ZoneInfo | None:
    """The zone of that name, or None for an empty or unknown name (memoised: a call queue
    asks for the same dozen zones on every card)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_label(name: str) -> str:
    """ "America/New_York" -> "New York"; "Etc/GMT-3" -> "UTC+3" (POSIX zones count the
    other way round); "Etc/UTC" -> "UTC"."""
    if not name:
        return name
    if name.startswith("Etc/"):
        rest = name.removeprefix("Etc/")
        for prefix in ("GMT", "UTC", "UCT"):
            if rest.startswith(prefix):
                offset = rest.removeprefix(prefix)
                if not offset or offset in ("0", "+0", "-0"):
                    return "UTC"
                sign = "-" if offset.startswith("+") else "+"
                return f"UTC{sign}{offset[1:]}"
        return rest
    return name.rsplit("/", 1)[-1].replace("_", " ")


@dataclass(frozen=True)
class HoursStatus:
    ok: bool  # may be called now
    known: bool  # the contact's time zone is known
    local: dt.datetime | None
    text: str  # "14:05 in Berlin" or why it is not a good time


def calling_hours_status(
    *,
    time_zone: str,
    now: dt.datetime,
    start: int | None = None,
    end: int | None = None,
) -> HoursStatus:
    """May this contact be called at `now`? Between `start`:00 (included) and `end`:00
    (excluded) of their local time. An unknown time zone is not held back (the rep sees
    "local time unknown")."""
    start = settings.WARMLINE_CALL_HOURS_START if start is None else start
    end = settings.WARMLINE_CALL_HOURS_END if end is None else end
    zone = zone_get(time_zone)
    if zone is None:
        return HoursStatus(ok=True, known=False, local=None, text="local time unknown")
    local = now.astimezone(zone)
    where = zone_label(time_zone)
    if start <= local.hour < end:
        return HoursStatus(ok=True, known=True, local=local, text=f"{local:%H:%M} in {where}")
    opens = "tomorrow " if local.hour >= end else ""
    return HoursStatus(
        ok=False,
        known=True,
        local=local,
        text=f"it is {local:%H:%M} in {where}; call {opens}from {start}:00 their time",
    )


def span_text(delta: dt.timedelta) -> str:
    """A rounded duration: "5 min", "2 h", "3 days", "7 months", "2 years"."""
    seconds = max(0, int(delta.total_seconds()))
    minutes = seconds // 60
    if minutes < 1:
        return "a moment"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days = hours // 24
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 60:
        return f"{days // 7} weeks"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"


def ago_text(when: dt.datetime, now: dt.datetime) -> str:
    """ "2 h ago", "just now". For reason providers: "asked a question 2 h ago"."""
    if now - when < dt.timedelta(minutes=1):
        return "just now"
    return f"{span_text(now - when)} ago"


def clock_text(when: dt.datetime, *, zone: dt.tzinfo, now: dt.datetime) -> str:
    """ "14:00" today, "tomorrow 9:30", "Tue 14:00" this week, "3 Mar 14:00" later."""
    local = when.astimezone(zone)
    today = now.astimezone(zone).date()
    days = (local.date() - today).days
    clock = f"{local:%H:%M}"
    if days == 0:
        return clock
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if -6 <= days <= 6:
        return f"{local:%a} {clock}"
    return f"{local.day} {local:%b} {clock}"
