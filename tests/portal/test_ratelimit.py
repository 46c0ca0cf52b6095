from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from warmline.portal.ratelimit import rate_limit_hit, rate_parse, retry_after_text


def test_rate_parse_units():
    assert rate_parse("10/h").count == 10
    assert rate_parse("10/h").seconds == 3600
    assert rate_parse("5/30m").seconds == 1800
    assert rate_parse("1/d").seconds == 86400
    for bad in ("", "ten/h", "10/x", "0/h", "10"):
        with pytest.raises(ImproperlyConfigured):
            rate_parse(bad)


def test_fixed_window_allows_count_then_blocks_until_the_window_ends():
    start = 1_000_000 * 3600.0  # the start of an hour window
    results = [
        rate_limit_hit(scope="t", ident="1.2.3.4", rate="3/h", now=start + i) for i in range(5)
    ]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert results[3].retry_after == 3600 - 3
    # another address and another scope have their own counters
    assert rate_limit_hit(scope="t", ident="5.6.7.8", rate="3/h", now=start).allowed
    assert rate_limit_hit(scope="u", ident="1.2.3.4", rate="3/h", now=start).allowed
    # the next window starts afresh
    assert rate_limit_hit(scope="t", ident="1.2.3.4", rate="3/h", now=start + 3600).allowed


def test_retry_after_text_reads_naturally():
    assert retry_after_text(30) == "a minute"
    assert retry_after_text(600) == "10 minutes"
    assert retry_after_text(3 * 3600) == "3 hours"
