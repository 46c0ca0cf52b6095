"""The SLA clock: business time (warmline.core.hours) minus pauses.

Nothing here touches the database. A clock runs from a start instant; only *business
time* counts: the open windows of a calendar (`core.hours.BusinessHours`: weekly hours in
the calendar's own time zone, minus holidays; or every instant for a 24x7 calendar) minus
pauses (a case waiting on the customer, or resolved and later reopened). The calendar
arithmetic is `core.hours`' (the portal's answer-by promise counts with it too); this
module adds the pauses. All arithmetic is on exact `timedelta`s, so
`business_time(start, business_deadline(start, d)) == d` holds to the microsecond (the
property tests pin this and more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from warmline.core.hours import (
    HORIZON,
    UTC,
    BusinessHours,
    Window,
    later_by,
    open_windows,
    require_aware,
    windows_deadlines,
)

Pause = tuple[dt.datetime, dt.datetime | None]


def pauses_normalize(pauses: Iterable[Pause]) -> list[Pause]:
    """Sort and merge pauses; an open pause (end None) swallows everything after it."""
    items = sorted(pauses, key=lambda p: p[0])
    require_aware(*(p[0] for p in items), *(p[1] for p in items))
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
    require_aware(start)
    start = start.astimezone(UTC)
    running = running_windows(hours, start, later_by(start, horizon), pauses)
    return windows_deadlines(running, start=start, amounts=amounts)


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
