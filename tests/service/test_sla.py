"""Property tests for the SLA clock (pure functions: no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from warmline.core.hours import (
    ALWAYS_OPEN,
    HORIZON,
    MIDNIGHT,
    BusinessHours,
    WeeklyWindow,
    office_hours,
)
from warmline.service import sla

UTC = dt.UTC
BASE = dt.datetime(2025, 1, 1, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


def _minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessHours:
    if draw(st.booleans()) and draw(st.booleans()):
        return ALWAYS_OPEN
    zone = draw(st.sampled_from(ZONES))
    windows = []
    for weekday in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
        opens = draw(st.integers(0, 22))
        closes = draw(st.integers(opens + 1, 24))
        windows.append(
            WeeklyWindow(
                weekday=weekday,
                opens=dt.time(opens),
                closes=MIDNIGHT if closes == 24 else dt.time(closes),
            )
        )
        if draw(st.booleans()) and closes <= 21:  # a second window the same day
            windows.append(
                WeeklyWindow(weekday=weekday, opens=dt.time(closes + 1), closes=dt.time(closes + 2))
            )
    holidays = draw(
        st.frozensets(
            st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 4, 30)), max_size=8
        )
    )
    return BusinessHours(time_zone=zone, weekly=tuple(windows), holidays=holidays)


instants = st.integers(0, 60 * 24 * 90).map(lambda m: BASE + _minutes(m))
amounts = st.integers(0, 60 * 24 * 10).map(_minutes)


@st.composite
def pause_lists(draw: st.DrawFn) -> list[sla.Pause]:
    pauses: list[sla.Pause] = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(instants)
        length = draw(st.integers(1, 60 * 24 * 5))
        pauses.append((start, start + _minutes(length)))
    if draw(st.booleans()) and draw(st.booleans()):
        pauses.append((draw(instants), None))
    return pauses


fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(hours=calendars(), start=instants, amount=amounts, pauses=pause_lists())
def test_deadline_is_exactly_the_amount_of_clock_time(hours, start, amount, pauses):  # type: ignore[no-untyped-def]
    due = sla.business_deadline(hours=hours, start=start, amount=amount, pauses=pauses)
    if due is None:
        # Stopped for good: the clock can never accumulate the amount.
        far = start + HORIZON
        assert sla.business_time(hours=hours, start=start, end=far, pauses=pauses) < amount
        return
    assert due >= start
    assert sla.business_time(hours=hours, start=start, end=due, pauses=pauses) == amount
    # ... and it is the *first* such instant: a moment earlier, not yet.
    if amount > dt.timedelta(0):
        earlier = due - dt.timedelta(microseconds=1)
        assert sla.business_time(hours=hours, start=start, end=earlier, pauses=pauses) < amount


@fast
@given(hours=calendars(), start=instants, a=amounts, b=amounts, pauses=pause_lists())
def test_deadlines_are_monotonic_in_the_amount(hours, start, a, b, pauses):  # type: ignore[no-untyped-def]
    small, large = sorted([a, b])
    due_small, due_large = sla.business_deadlines(
        hours=hours, start=start, amounts=[small, large], pauses=pauses
    )
    if due_large is not None:
        assert due_small is not None and due_small <= due_large


@fast
@given(hours=calendars(), start=instants, amount=amounts, pauses=pause_lists())
def test_one_walk_equals_separate_walks(hours, start, amount, pauses):  # type: ignore[no-untyped-def]
    others = [amount // 3, amount, amount * 2]
    together = sla.business_deadlines(hours=hours, start=start, amounts=others, pauses=pauses)
    alone = [
        sla.business_deadline(hours=hours, start=start, amount=x, pauses=pauses) for x in others
    ]
    assert together == alone


@fast
@given(hours=calendars(), a=instants, b=instants, c=instants, pauses=pause_lists())
def test_business_time_is_additive_and_bounded(hours, a, b, c, pauses):  # type: ignore[no-untyped-def]
    a, b, c = sorted([a, b, c])
    ab = sla.business_time(hours=hours, start=a, end=b, pauses=pauses)
    bc = sla.business_time(hours=hours, start=b, end=c, pauses=pauses)
    ac = sla.business_time(hours=hours, start=a, end=c, pauses=pauses)
    assert ab + bc == ac
    assert dt.timedelta(0) <= ac <= c - a


@fast
@given(hours=calendars(), start=instants, amount=amounts, pauses=pause_lists(), extra=pause_lists())
def test_a_pause_never_brings_a_deadline_forward(hours, start, amount, pauses, extra):  # type: ignore[no-untyped-def]
    before = sla.business_deadline(hours=hours, start=start, amount=amount, pauses=pauses)
    after = sla.business_deadline(hours=hours, start=start, amount=amount, pauses=pauses + extra)
    if before is None:
        assert after is None
    elif after is not None:
        assert after >= before


@fast
@given(hours=calendars(), start=instants, end=instants, pauses=pause_lists())
def test_paused_time_is_subtracted_exactly(hours, start, end, pauses):  # type: ignore[no-untyped-def]
    assume(start <= end)
    plain = sla.business_time(hours=hours, start=start, end=end)
    paused = sla.business_time(hours=hours, start=start, end=end, pauses=pauses)
    lost = dt.timedelta(0)
    for p_start, p_end in sla.pauses_normalize(pauses):
        lo, hi = max(p_start, start), min(p_end or end, end)
        if lo < hi:
            lost += sla.business_time(hours=hours, start=lo, end=hi)
    assert paused == plain - lost


@fast
@given(hours=calendars(), start=instants, amount=amounts.filter(bool), pauses=pause_lists())
def test_deadline_falls_in_running_time(hours, start, amount, pauses):  # type: ignore[no-untyped-def]
    """The clock reaches its target while it runs: the minute before the deadline is open
    business time, not a holiday, night or pause."""
    due = sla.business_deadline(hours=hours, start=start, amount=amount, pauses=pauses)
    assume(due is not None)
    assert due is not None
    just_before = due - dt.timedelta(microseconds=1)
    assert sla.is_running(hours=hours, at=just_before, pauses=pauses)
    if not hours.always_open:
        assert just_before.astimezone(hours.zone).date() not in hours.holidays


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(0, 60 * 24 * 14).map(lambda m: BASE + _minutes(m)),
    end_after=st.integers(0, 60 * 24 * 4),
    zone=st.sampled_from(ZONES),
)
def test_matches_a_minute_by_minute_oracle(start, end_after, zone):  # type: ignore[no-untyped-def]
    """Count open minutes one by one in local time: the clock agrees."""
    hours = office_hours(
        time_zone=zone, opens=dt.time(9), closes=dt.time(17), holidays=[dt.date(2025, 1, 6)]
    )
    end = start + _minutes(end_after)
    expected = 0
    cursor = start
    while cursor < end:
        local = cursor.astimezone(hours.zone)
        if (
            local.weekday() < 5
            and local.date() != dt.date(2025, 1, 6)
            and dt.time(9) <= local.time() < dt.time(17)
        ):
            expected += 1
        cursor += _minutes(1)
    assert sla.business_time(hours=hours, start=start, end=end) == _minutes(expected)


def test_office_hours_across_a_weekend_and_holiday() -> None:
    hours = office_hours(time_zone="Europe/Berlin", holidays=[dt.date(2025, 12, 26)])
    start = dt.datetime(2025, 12, 24, 15, 0, tzinfo=UTC)  # Wed 16:00 in Berlin
    due = sla.business_deadline(hours=hours, start=start, amount=dt.timedelta(hours=4))
    # Wed 16-17 (1 h), Thu 25th 9-12 (3 h).
    assert due == dt.datetime(2025, 12, 25, 11, 0, tzinfo=UTC)
    due = sla.business_deadline(hours=hours, start=start, amount=dt.timedelta(hours=10))
    # Wed 1 h, Thu 8 h, Fri 26th holiday, weekend, Mon 29th 9-10.
    assert due == dt.datetime(2025, 12, 29, 9, 0, tzinfo=UTC)


def test_daylight_saving_day_is_an_hour_shorter_in_utc_but_not_in_office_time() -> None:
    hours = BusinessHours(
        time_zone="Europe/Berlin",
        weekly=(WeeklyWindow(weekday=6, opens=dt.time(0), closes=MIDNIGHT),),
    )
    sunday = dt.datetime(2025, 3, 30, tzinfo=UTC) - dt.timedelta(hours=1)  # local midnight
    week = sla.business_time(hours=hours, start=sunday, end=sunday + dt.timedelta(days=1))
    assert week == dt.timedelta(hours=23)


def test_open_pause_stops_the_clock_and_closing_it_resumes() -> None:
    start = BASE
    open_pause = [(BASE + dt.timedelta(hours=1), None)]
    assert (
        sla.business_deadline(
            hours=ALWAYS_OPEN, start=start, amount=dt.timedelta(hours=2), pauses=open_pause
        )
        is None
    )
    closed = [(BASE + dt.timedelta(hours=1), BASE + dt.timedelta(hours=5))]
    assert sla.business_deadline(
        hours=ALWAYS_OPEN, start=start, amount=dt.timedelta(hours=2), pauses=closed
    ) == BASE + dt.timedelta(hours=6)


def test_never_open_calendar_has_no_deadline_and_naive_times_are_refused() -> None:
    closed = BusinessHours(time_zone="UTC")
    assert sla.business_deadline(hours=closed, start=BASE, amount=_minutes(1)) is None
    with pytest.raises(ValueError):
        sla.business_time(hours=closed, start=BASE.replace(tzinfo=None), end=BASE)
