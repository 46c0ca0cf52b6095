"""The SLA clock: pure functions over business hours, holidays and pauses.

Nothing here touches the database. A clock runs from a start instant; only *business
time* counts: the open windows of a calendar (weekly hours in the calendar's own time
zone, minus holidays; or every instant for a 24x7 calendar) minus pauses (a case waiting
on the customer, or resolved and later reopened). All arithmetic is on exact
`timedelta`s, so `business_time(start, business_deadline(start, d)) == d` holds to the
microsecond (the property tests pin this and more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.UTC
MIDNIGHT = dt.time(0, 0)
#: How far ahead a deadline is searched before the clock is declared stopped. A calendar
#: with no open hours at all (or a pause without an end) never reaches a deadline.
HORIZON = dt.timedelta(days=800)

Window = tuple[dt.datetime, dt.datetime]
Pause = tuple[dt.datetime, dt.datetime | None]


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
    or `always_open` (24x7, holidays ignored)."""

    time_zone: str = "UTC"
    always_open: bool = False
    weekly: tuple[WeeklyWindow, ...] = ()
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

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


def _check_aware(*values: dt.datetime | None) -> None:
    for value in values:
        if value is not None and value.utcoffset() is None:
            raise ValueError("SLA clock instants must be time-zone aware.")


def _day_windows(hours: BusinessHours, day: dt.date, zone: ZoneInfo) -> list[Window]:
    """The open windows of one local date, in UTC, sorted and merged."""
    if day in hours.holidays:
        return []
    windows: list[Window] = []
    for ww in hours.weekly:
        if ww.weekday != day.weekday():
            continue
        start = dt.datetime.combine(day, ww.opens, tzinfo=zone).astimezone(UTC)
        close_day = day + dt.timedelta(days=1) if ww.closes == MIDNIGHT else day
        end = dt.datetime.combine(close_day, ww.closes, tzinfo=zone).astimezone(UTC)
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
    _check_aware(start, end)
    if start >= end:
        return
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if hours.always_open:
        yield (start, end)
        return
    if hours.never_open:
        return
    zone = hours.zone
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last_day = end.astimezone(zone).date()
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
        day += dt.timedelta(days=1)
    if pending is not None:
        yield pending


def pauses_normalize(pauses: Iterable[Pause]) -> list[Pause]:
    """Sort and merge pauses; an open pause (end None) swallows everything after it."""
    items = sorted(pauses, key=lambda p: p[0])
    _check_aware(*(p[0] for p in items), *(p[1] for p in items))
    merged: list[Pause] = []
    for p_start, p_end in items:
        if p_end is not None and p_end <= p_start:
            continue
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if p_start <= last_end:
                new_end = None if p_end is None else max(last_end, p_end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((p_start, p_end))
    return merged


def _subtract(windows: Iterable[Window], pauses: Sequence[Pause]) -> Iterator[Window]:
    """`windows` minus `pauses` (both ascending); pauses must be normalized."""
    index = 0
    for w_start, w_end in windows:
        cursor = w_start
        while cursor < w_end:
            while index < len(pauses) and (
                pauses[index][1] is not None and pauses[index][1] <= cursor  # type: ignore[operator]
            ):
                index += 1
            if index >= len(pauses):
                yield (cursor, w_end)
                break
            p_start, p_end = pauses[index]
            if p_start >= w_end:
                yield (cursor, w_end)
                break
            if p_start > cursor:
                yield (cursor, p_start)
            if p_end is None:
                return
            cursor = max(cursor, p_end)


def running_windows(
    hours: BusinessHours,
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[Pause] = (),
) -> Iterator[Window]:
    """Stretches in [start, end) during which the clock runs: open and not paused."""
    return _subtract(open_windows(hours, start, end), pauses_normalize(pauses))


def business_time(
    *,
    hours: BusinessHours,
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[Pause] = (),
) -> dt.timedelta:
    """Clock time elapsed between `start` and `end` (zero when end <= start)."""
    total = dt.timedelta(0)
    for s, e in running_windows(hours, start, end, pauses):
        total += e - s
    return total


def business_deadlines(
    *,
    hours: BusinessHours,
    start: dt.datetime,
    amounts: Sequence[dt.timedelta],
    pauses: Iterable[Pause] = (),
    horizon: dt.timedelta = HORIZON,
) -> list[dt.datetime | None]:
    """For each amount, the first instant the clock started at `start` has run that long.

    None when the clock never gets there within `horizon` (a pause still open, a calendar
    with no open hours). A zero amount is due at `start`. One walk serves every amount.
    """
    _check_aware(start)
    start = start.astimezone(UTC)
    for amount in amounts:
        if amount < dt.timedelta(0):
            raise ValueError("An SLA target cannot be negative.")
    results: list[dt.datetime | None] = [None] * len(amounts)
    order = sorted(range(len(amounts)), key=lambda i: amounts[i])
    pending = [i for i in order if amounts[i] > dt.timedelta(0)]
    for i in order:
        if amounts[i] == dt.timedelta(0):
            results[i] = start
    if not pending:
        return results
    elapsed = dt.timedelta(0)
    position = 0
    # Walk in chunks so a short deadline does not build months of windows.
    chunk = dt.timedelta(days=14)
    chunk_start = start
    stop = start + horizon
    normalized = pauses_normalize(pauses)
    while chunk_start < stop and position < len(pending):
        chunk_end = min(chunk_start + chunk, stop)
        for s, e in _subtract(open_windows(hours, chunk_start, chunk_end), normalized):
            length = e - s
            while position < len(pending) and amounts[pending[position]] - elapsed <= length:
                results[pending[position]] = s + (amounts[pending[position]] - elapsed)
                position += 1
            elapsed += length
            if position >= len(pending):
                break
        if normalized and normalized[-1][1] is None and normalized[-1][0] <= chunk_end:
            break  # paused for good from here on: no later deadline can be reached
        chunk_start = chunk_end
        chunk = min(chunk * 2, dt.timedelta(days=120))
    return results


def business_deadline(
    *,
    hours: BusinessHours,
    start: dt.datetime,
    amount: dt.timedelta,
    pauses: Iterable[Pause] = (),
    horizon: dt.timedelta = HORIZON,
) -> dt.datetime | None:
    return business_deadlines(
        hours=hours, start=start, amounts=[amount], pauses=pauses, horizon=horizon
    )[0]


def is_running(*, hours: BusinessHours, at: dt.datetime, pauses: Iterable[Pause] = ()) -> bool:
    """Whether the clock is ticking at instant `at`."""
    probe = at + dt.timedelta(microseconds=1)
    return any(True for _ in running_windows(hours, at, probe, pauses))
