"""Log output: refusals are one line, server errors keep their traceback."""

from __future__ import annotations

import logging
import sys

from warmline.core.logging import RefusalsWithoutTraceback


def _record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("nope")
    except PermissionError:
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "x", (), sys.exc_info()
        )
    record.status_code = status
    return record


def test_a_403_is_logged_without_its_traceback_and_a_500_keeps_it():
    refusals = RefusalsWithoutTraceback()
    refused, failed = _record(403), _record(500)
    assert refusals.filter(refused) and refusals.filter(failed)
    assert refused.exc_info is None
    assert failed.exc_info is not None
