"""Time zones, business hours and calling hours, and human-friendly time phrases.

The one home for them: `zone_get` resolves a zone name, `BusinessHours` is a weekly
calendar in a zone (with holidays), `open_windows` lists its open stretches and
`business_hours_add` counts business time forward from an instant; the portal's "we
will answer by ..." promise and the SLA clock (`service/sla.py`, which adds pauses) both
count with them. Pure functions (no database), so the rules can be tested over every time
zone, and safe at the ends of the calendar (years 1 and 9999): an instant past the end is
never computed, a deadline that would fall there is None.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

UTC = dt.UTC


@functools.lru_cache(maxsize=2048)
def zone_get(name: str) -> ZoneInfo | None:
    """The zone of that name, or None for an empty or unknown name (memoised: a call queue
    asks for the same dozen zones on every card). It never guesses: a caller that needs a
    zone anyway says which, e.g. `zone_get(rep.time_zone) or dt.UTC`."""
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


# --- Business hours -------------------------------------------------------------------

MIDNIGHT = dt.time(0, 0)
#: How far ahead business time is counted before a deadline is declared out of reach. A
#: calendar with no open hours at all never reaches one.
HORIZON = dt.timedelta(days=800)
#: The first and last instants a datetime can hold.
EARLIEST = dt.datetime.min.replace(tzinfo=UTC)
LATEST = dt.datetime.max.replace(tzinfo=UTC)

Window = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class WeeklyWindow:
    """Open from `opens` to `closes` (local time) on `weekday` (Monday = 0).

    `closes` of 00:00 means "until midnight" (24:00)."""

    weekday: int
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class BusinessHours:
    """A calendar: weekly open windows in `time_zone` and closed `holidays` (local dates),
    or `always_open` (24x7, holidays ignored). The zone must be one `zone_get` knows."""

    time_zone: str = "UTC"
    always_open: bool = False
    weekly: tuple[WeeklyWindow, ...] = ()
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        zone = zone_get(self.time_zone)
        if zone is None:
            raise ValueError(f"Business hours in an unknown time zone: {self.time_zone!r}.")
        return zone

    @property
    def never_open(self) -> bool:
        return not self.always_open and not self.weekly


ALWAYS_OPEN = BusinessHours(always_open=True)


def office_hours(
    *,
    time_zone: str = "UTC",
    opens: dt.time = dt.time(9),
    closes: dt.time = dt.time(17),
    weekdays: Iterable[int] = range(5),
    holidays: Iterable[dt.date] = (),
) -> BusinessHours:
    """A calendar open the same hours on each of `weekdays` (Monday–Friday by default)."""
    return BusinessHours(
        time_zone=time_zone,
        weekly=tuple(WeeklyWindow(weekday=d, opens=opens, closes=closes) for d in weekdays),
        holidays=frozenset(holidays),
    )


def require_aware(*values: dt.datetime | None) -> None:
    """Business time is counted between instants: refuse naive datetimes."""
    for value in values:
        if value is not None and value.utcoffset() is None:
            raise ValueError("Business-hours instants must be time-zone aware.")


def later_by(start: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """`start + span`, or the last instant there is when that is past the year 9999."""
    return start + span if LATEST - start > span else LATEST


def _local_date(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    try:
        return instant.astimezone(zone).date()
    except OverflowError:  # the local date is past either end of the calendar
        return dt.date.max if instant.year > 1 else dt.date.min


def _utc(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    try:
        return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)
    except OverflowError:  # before the first or after the last instant there is
        return EARLIEST if day.year == 1 else LATEST


def _day_windows(hours: BusinessHours, day: dt.date, zone: ZoneInfo) -> list[Window]:
    """The open windows of one local date, in UTC, sorted and merged."""
    if day in hours.holidays:
        return []
    windows: list[Window] = []
    for ww in hours.weekly:
        if ww.weekday != day.weekday():
            continue
        start = _utc(day, ww.opens, zone)
        if ww.closes != MIDNIGHT:
            end = _utc(day, ww.closes, zone)
        elif day < dt.date.max:
            end = _utc(day + dt.timedelta(days=1), MIDNIGHT, zone)
        else:
            end = LATEST
        if start < end:
            windows.append((start, end))
    return _merge(windows)


def _merge(windows: Iterable[Window]) -> list[Window]:
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def open_windows(hours: BusinessHours, start: dt.datetime, end: dt.datetime) -> Iterator[Window]:
    """The calendar's open time inside [start, end), in UTC, ascending and disjoint."""
    require_aware(start, end)
    if start >= end:
        return
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if hours.always_open:
        yield (start, end)
        return
    if hours.never_open:
        return
    zone = hours.zone
    day = _local_date(start, zone)
    if day > dt.date.min:
        day -= dt.timedelta(days=1)  # its windows may reach past midnight into `start`
    last_day = _local_date(end, zone)
    pending: Window | None = None
    while day <= last_day:
        for w_start, w_end in _day_windows(hours, day, zone):
            s, e = max(w_start, start), min(w_end, end)
            if s >= e:
                continue
            # A window closing at midnight meets the next day's opening at midnight: join them
            # so callers see one continuous stretch.
            if pending is not None and s <= pending[1]:
                pending = (pending[0], max(pending[1], e))
                continue
            if pending is not None:
                yield pending
            pending = (s, e)
        if day == dt.date.max:
            break
        day += dt.timedelta(days=1)
    if pending is not None:
        yield pending


def windows_deadlines(
    windows: Iterable[Window], *, start: dt.datetime, amounts: Sequence[dt.timedelta]
) -> list[dt.datetime | None]:
    """For each amount, the first instant at which that much time has passed inside
    `windows` (ascending, disjoint, none before `start`): the one walk behind every
    business-hours deadline. A zero amount is due at `start`; an amount the windows never
    add up to is None. Stops reading `windows` once the largest amount is reached."""
    for amount in amounts:
        if amount < dt.timedelta(0):
            raise ValueError("Business time to add cannot be negative.")
    results: list[dt.datetime | None] = [
        start if amount == dt.timedelta(0) else None for amount in amounts
    ]
    pending = sorted(
        (i for i, amount in enumerate(amounts) if amount > dt.timedelta(0)),
        key=lambda i: amounts[i],
    )
    if not pending:
        return results
    elapsed = dt.timedelta(0)
    position = 0
    for s, e in windows:
        length = e - s
        while position < len(pending) and amounts[pending[position]] - elapsed <= length:
            results[pending[position]] = s + (amounts[pending[position]] - elapsed)
            position += 1
        if position >= len(pending):
            break
        elapsed += length
    return results


def business_hours_add(
    *,
    hours: BusinessHours,
    start: dt.datetime,
    amount: dt.timedelta,
    horizon: dt.timedelta = HORIZON,
) -> dt.datetime | None:
    """`start` plus `amount` of the calendar's open time: Friday 16:30 plus 2 hours of
    09:00–17:00 office hours is Monday 10:30. None when the calendar does not open for
    that long within `horizon` (or before the end of the year 9999)."""
    require_aware(start)
    windows = open_windows(hours, start, later_by(start, horizon))
    return windows_deadlines(windows, start=start.astimezone(UTC), amounts=[amount])[0]
