"""Log filters."""

from __future__ import annotations

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """Django logs every 403 (a permission refused) with the exception's traceback: a rep
    opening a colleague's case by its id fills the log with stack traces of code that worked
    as meant. Keep the one-line warning, drop the traceback; errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
