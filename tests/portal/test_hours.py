from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from warmline.portal.hours import promise_answer_by

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (dt.datetime(2025, 3, 4, 10, 0, tzinfo=NY), dt.datetime(2025, 3, 4, 12, 0, tzinfo=NY)),
        # late afternoon: 30 minutes today, 90 tomorrow morning
        (dt.datetime(2025, 3, 4, 16, 30, tzinfo=NY), dt.datetime(2025, 3, 5, 10, 30, tzinfo=NY)),
        # before opening: the clock starts at 9
        (dt.datetime(2025, 3, 4, 6, 0, tzinfo=NY), dt.datetime(2025, 3, 4, 11, 0, tzinfo=NY)),
        # Friday evening and Saturday roll over to Monday
        (dt.datetime(2025, 3, 7, 18, 0, tzinfo=NY), dt.datetime(2025, 3, 10, 11, 0, tzinfo=NY)),
        (dt.datetime(2025, 3, 8, 12, 0, tzinfo=NY), dt.datetime(2025, 3, 10, 11, 0, tzinfo=NY)),
    ],
)
def test_two_business_hours(start, expected, settings):
    settings.PORTAL_BUSINESS_HOURS = "09:00-17:00"
    got = promise_answer_by(start=start, hours=2, tz_name="America/New_York")
    assert got == expected


def test_counts_in_the_reps_zone_and_unknown_zone_falls_back_to_utc(settings):
    settings.PORTAL_BUSINESS_HOURS = "09:00-17:00"
    start = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
    assert promise_answer_by(start=start, hours=2, tz_name="America/New_York") == dt.datetime(
        2025, 3, 4, 17, 0, tzinfo=dt.UTC
    )
    later = start + dt.timedelta(hours=1)  # 16:00 UTC: one hour today, one tomorrow
    assert promise_answer_by(start=later, hours=2, tz_name="Not/AZone") == dt.datetime(
        2025, 3, 5, 10, 0, tzinfo=dt.UTC
    )
