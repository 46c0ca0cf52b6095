"""Calling hours in the contact's own time zone, over every time zone there is."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.core.hours import ago_text, calling_hours_status, clock_text, span_text

ZONES = sorted(zoneinfo.available_timezones())
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2060, 1, 1), timezones=st.just(dt.UTC)
)


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES), now=moments, start=st.integers(0, 12), length=st.integers(1, 11)
)
def test_callable_exactly_within_local_hours(zone, now, start, length):
    end = start + length
    status = calling_hours_status(time_zone=zone, now=now, start=start, end=end)
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    assert status.known
    assert status.local == local
    assert status.ok is (start <= local.hour < end)
    if status.ok:
        assert f"{local:%H:%M}" in status.text
    else:
        # says so, with their local time and when to call
        assert f"it is {local:%H:%M}" in status.text
        assert f"from {start}:00 their time" in status.text


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), now=moments)
def test_the_same_instant_reads_the_same_everywhere_it_is_the_same_wall_time(zone, now):
    """Only the contact's wall clock matters, not the server's or the rep's."""
    a = calling_hours_status(time_zone=zone, now=now, start=9, end=18)
    b = calling_hours_status(
        time_zone=zone, now=now.astimezone(zoneinfo.ZoneInfo("Pacific/Kiritimati")), start=9, end=18
    )
    assert a == b


def test_boundaries():
    now = dt.datetime(2026, 6, 1, 7, 0, tzinfo=dt.UTC)  # 09:00 in Berlin (CEST)
    assert calling_hours_status(time_zone="Europe/Berlin", now=now, start=9, end=18).ok
    just_before = now - dt.timedelta(seconds=1)
    status = calling_hours_status(time_zone="Europe/Berlin", now=just_before, start=9, end=18)
    assert not status.ok
    assert status.text == "it is 08:59 in Berlin; call from 9:00 their time"
    closing = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)  # 18:00 in Berlin
    status = calling_hours_status(time_zone="Europe/Berlin", now=closing, start=9, end=18)
    assert not status.ok
    assert "call tomorrow from 9:00" in status.text


def test_unknown_zone_is_not_held_back_but_says_so():
    status = calling_hours_status(time_zone="", now=dt.datetime.now(dt.UTC))
    assert status.ok and not status.known and status.text == "local time unknown"
    status = calling_hours_status(time_zone="Mars/Olympus", now=dt.datetime.now(dt.UTC))
    assert status.ok and not status.known


def test_default_hours_come_from_settings(settings):
    settings.WARMLINE_CALL_HOURS_START = 10
    settings.WARMLINE_CALL_HOURS_END = 12
    at_nine = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    assert not calling_hours_status(time_zone="UTC", now=at_nine).ok
    assert calling_hours_status(time_zone="UTC", now=at_nine + dt.timedelta(hours=1)).ok


def test_phrases():
    now = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
    assert ago_text(now - dt.timedelta(hours=2, minutes=5), now) == "2 h ago"
    assert ago_text(now - dt.timedelta(seconds=20), now) == "just now"
    assert span_text(dt.timedelta(days=212)) == "7 months"
    assert span_text(dt.timedelta(days=1)) == "1 day"
    assert span_text(dt.timedelta(days=800)) == "2 years"
    utc = dt.UTC
    assert clock_text(now.replace(hour=17), zone=utc, now=now) == "17:00"
    assert clock_text(now + dt.timedelta(days=1), zone=utc, now=now) == "tomorrow 15:00"
    assert clock_text(now - dt.timedelta(days=3), zone=utc, now=now) == "Sat 15:00"
    assert clock_text(now + dt.timedelta(days=30), zone=utc, now=now) == "9 Apr 15:00"


def test_zone_labels_read_as_places_or_utc_offsets():
    from warmline.core.hours import zone_label

    assert zone_label("America/New_York") == "New York"
    assert zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires"
    # POSIX Etc zones count the other way round: Etc/GMT-12 is twelve hours ahead of UTC
    assert zone_label("Etc/GMT-12") == "UTC+12"
    assert zone_label("Etc/GMT+5") == "UTC-5"
    assert zone_label("Etc/GMT") == "UTC" and zone_label("Etc/UTC") == "UTC"
    assert zone_label("") == ""
    status = calling_hours_status(
        time_zone="Etc/GMT-12", now=dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)
    )
    assert status.text == "12:30 in UTC+12"
