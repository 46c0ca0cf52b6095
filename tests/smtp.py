"""A real SMTP server for tests (aiosmtpd on 127.0.0.1): what Django sends arrives as
parsed messages, with the envelope recipients in X-Envelope-To. The `smtp_server` and
`smtp_settings` fixtures in tests/conftest.py run it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from warmline_tools.net import free_port


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} e-mails, got {len(self.messages)}")


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.original_content or envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.server.lock:
            self.server.messages.append(msg)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server_running(host: str = "127.0.0.1") -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    state = SmtpServer(host=host, port=free_port(host))
    controller = Controller(_Handler(state), hostname=state.host, port=state.port)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()
