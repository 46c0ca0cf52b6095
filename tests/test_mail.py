"""The development/demo e-mail backend: every message is saved to a file and announced in
one log line with its recipients, subject and first link."""

from __future__ import annotations

import logging

from django.core import mail
from django.core.mail import EmailMultiAlternatives


def test_saves_the_message_and_logs_one_line_with_the_link(settings, tmp_path, caplog):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "warmline.core.mail.SavedEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    message = EmailMultiAlternatives(
        "Your sign-in link",
        "Hello Ana,\n\nSign in: http://127.0.0.1:8000/site/identify/abc123\n\nThe link works once.",
        None,
        ["ana@example.com"],
    )
    message.attach_alternative("<p>Sign in: <a href='http://x/'>here</a></p>", "text/html")
    with caplog.at_level(logging.INFO, logger="warmline.mail"):
        assert message.send() == 1

    saved = list((tmp_path / "mail").iterdir())
    assert len(saved) == 1
    text = saved[0].read_text()
    assert "Subject: Your sign-in link" in text and "text/html" in text
    lines = [r.getMessage() for r in caplog.records if r.name == "warmline.mail"]
    assert lines == [
        "e-mail to ana@example.com: Your sign-in link · "
        f"http://127.0.0.1:8000/site/identify/abc123 (saved in {saved[0]})"
    ]


def test_a_message_without_a_link_says_so_plainly(settings, tmp_path, caplog):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "warmline.core.mail.SavedEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    with caplog.at_level(logging.INFO, logger="warmline.mail"):
        mail.send_mail("Weekly digest", "Nothing new.", None, ["a@example.com", "b@example.com"])
    (line,) = [r.getMessage() for r in caplog.records if r.name == "warmline.mail"]
    assert line.startswith("e-mail to a@example.com, b@example.com: Weekly digest (saved in ")
