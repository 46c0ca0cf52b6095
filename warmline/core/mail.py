"""The default e-mail backend for development and the demo: nothing leaves the machine.

Django's console backend prints every message whole (headers, MIME parts, the HTML
version), so a few escalation e-mails bury the demo's logins and log. This one saves each
message as a file under EMAIL_FILE_PATH (default WARMLINE_DATA_DIR/mail) and logs one line
with its recipients, subject and first link, which is what a person trying Warmline wants
(the sign-in link a customer asked for, the case an alert points at). Production sets
EMAIL_BACKEND to Django's SMTP backend.
"""

from __future__ import annotations

import logging
import re

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
from django.core.mail.message import EmailMessage

logger = logging.getLogger("warmline.mail")

LINK = re.compile(r"https?://[^\s<>\"')]+")


def first_link(message: EmailMessage) -> str:
    """The first URL in the plain-text body (where the action is), or ""."""
    found = LINK.search(str(message.body or ""))
    return found.group(0) if found else ""


class SavedEmailBackend(FileEmailBackend):
    """Saves each e-mail to a file and logs one line about it."""

    def write_message(self, message: EmailMessage) -> None:
        super().write_message(message)
        link = first_link(message)
        logger.info(
            "e-mail to %s: %s%s (saved in %s)",
            ", ".join(message.recipients()),
            message.subject,
            f" · {link}" if link else "",
            getattr(self.stream, "name", self.file_path),
        )
