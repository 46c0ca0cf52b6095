"""Zones and business hours in warmline.core.hours: one zone_get, one business-hours walk
(the portal's answer-by promise and the SLA clock both count with it), safe at the ends of
the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from warmline.core.hours import (
    ALWAYS_OPEN,
    EARLIEST,
    HORIZON,
    LATEST,
    MIDNIGHT,
    BusinessHours,
    WeeklyWindow,
    business_hours_add,
    later_by,
    office_hours,
    open_windows,
    zone_get,
)
from warmline.portal.hours import promise_answer_by
from warmline.service import sla

UTC = dt.UTC
ZONES = ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati", "Etc/GMT+12"]


def test_zone_get_is_none_for_an_empty_or_unknown_name():
    assert zone_get("Europe/Berlin") is not None
    assert zone_get("") is None
    assert zone_get("Not/AZone") is None
    assert zone_get("../etc/passwd") is None


def test_a_calendar_in_an_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        _ = BusinessHours(
            time_zone="Not/AZone", weekly=(WeeklyWindow(0, dt.time(9), MIDNIGHT),)
        ).zone


def test_business_hours_add_over_a_weekend_in_the_calendars_zone():
    hours = office_hours(time_zone="America/New_York")
    friday = dt.datetime(2025, 3, 7, 21, 30, tzinfo=UTC)  # 16:30 in New York
    due = business_hours_add(hours=hours, start=friday, amount=dt.timedelta(hours=2))
    assert due == dt.datetime(2025, 3, 10, 14, 30, tzinfo=UTC)  # Monday 10:30 (EDT)
    assert business_hours_add(hours=BusinessHours(), start=friday, amount=dt.timedelta(1)) is None
    assert business_hours_add(hours=hours, start=friday, amount=dt.timedelta(0)) == friday


def test_the_portal_promise_and_the_sla_clock_agree_without_pauses(settings):
    settings.PORTAL_BUSINESS_HOURS = "09:00-17:00"
    start = dt.datetime(2025, 3, 7, 21, 30, tzinfo=UTC)
    hours = office_hours(time_zone="America/New_York")
    amount = dt.timedelta(hours=3)
    promise = promise_answer_by(start=start, hours=3, tz_name="America/New_York")
    assert promise == sla.business_deadline(hours=hours, start=start, amount=amount)
    assert promise == business_hours_add(hours=hours, start=start, amount=amount)


edge_instants = st.one_of(
    st.integers(0, 60 * 24 * 20).map(lambda m: EARLIEST + dt.timedelta(minutes=m)),
    st.integers(0, 60 * 24 * 20).map(lambda m: LATEST - dt.timedelta(minutes=m)),
)


@st.composite
def edge_calendars(draw: st.DrawFn) -> BusinessHours:
    if draw(st.booleans()) and draw(st.booleans()):
        return ALWAYS_OPEN
    closes = draw(st.sampled_from([dt.time(17), MIDNIGHT]))
    return office_hours(
        time_zone=draw(st.sampled_from(ZONES)),
        opens=dt.time(draw(st.integers(0, 16))),
        closes=closes,
        weekdays=draw(st.sets(st.integers(0, 6), min_size=1)),
    )


@settings(max_examples=200, deadline=None)
@given(hours=edge_calendars(), start=edge_instants, minutes=st.integers(0, 60 * 24 * 30))
@example(  # two hours a week from the year 1: 178 weeks is past the horizon, so None
    hours=office_hours(time_zone="UTC", opens=dt.time(15), closes=dt.time(17), weekdays={0}),
    start=EARLIEST,
    minutes=21359,
)
def test_years_1_and_9999_count_without_overflow(hours, start, minutes):  # type: ignore[no-untyped-def]
    """Near either end of the calendar nothing raises OverflowError: a deadline past the
    search horizon (HORIZON after `start`, or the end of the year 9999) is None, and what is
    found is exact."""
    amount = dt.timedelta(minutes=minutes)
    due = business_hours_add(hours=hours, start=start, amount=amount)
    assert due == sla.business_deadline(hours=hours, start=start, amount=amount)
    end = due if due is not None else later_by(start, HORIZON)
    assert end >= start
    counted = sla.business_time(hours=hours, start=start, end=end)
    if due is not None:
        assert counted == amount
    else:
        assert counted < amount
    for s, e in open_windows(hours, start, end):
        assert start <= s < e <= end


def test_the_portal_promise_at_the_end_of_the_calendar(settings):
    settings.PORTAL_BUSINESS_HOURS = "09:00-17:00"
    last_friday = dt.datetime(9999, 12, 31, 15, 0, tzinfo=UTC)  # a Friday
    assert last_friday.weekday() == 4
    assert promise_answer_by(start=last_friday, hours=1, tz_name="UTC") == last_friday.replace(
        hour=16
    )
    assert promise_answer_by(start=last_friday, hours=8, tz_name="Asia/Kolkata") == LATEST
    first = dt.datetime(1, 1, 1, 0, 0, tzinfo=UTC)  # a Monday
    los_angeles = zone_get("America/Los_Angeles")
    assert promise_answer_by(start=first, hours=1, tz_name="America/Los_Angeles") == dt.datetime(
        1, 1, 1, 10, 0, tzinfo=los_angeles
    )
