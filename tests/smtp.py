"""A real SMTP server for tests (aiosmtpd on 127.0.0.1): what Django sends arrives as
parsed messages, with the envelope recipients in X-Envelope-To. The `smtp_server` and
`smtp_settings` fixtures in tests/conftest.py run it. A `ServerHold` lets a test stop one
request inside a server (this one, or the SMS server of tests/alerts) at a known point."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from warmline_tools.net import free_port

HOLD_SECONDS = 60.0  # a held request gives up after this (the test releases it long before)


@dataclass
class ServerHold:
    """Holds one request inside a test server's handler, so that a test can kill the client
    (a worker) at a known point of a delivery: "before" the server accepts the message (the
    worker has claimed the row and waits for an answer; nothing is recorded, and the held
    request is refused when released) or "after" the server recorded it but before it
    answers (the provider has the message; the worker never learns it was sent)."""

    when: str = ""  # "", "before" or "after"
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, when: str) -> None:
        assert when in {"before", "after"}, when
        self.when = when

    def take(self, when: str) -> bool:
        """True for the first request that reaches `when` on an armed server (only one is
        ever held); the others go through."""
        with self.lock:
            if self.when != when or self.holding.is_set():
                return False
            self.holding.set()
            return True

    def release(self) -> None:
        """Let the held request (if any) go, and hold nothing more."""
        with self.lock:
            self.when = ""
        self.released.set()

    async def wait_released(self) -> None:
        deadline = time.monotonic() + HOLD_SECONDS
        while not self.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: ServerHold = field(default_factory=ServerHold)

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
        hold = self.server.hold
        if hold.take("before"):
            await hold.wait_released()
            return "451 4.3.0 Held by the test and not accepted"
        msg = message_from_bytes(envelope.original_content or envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.server.lock:
            self.server.messages.append(msg)
        if hold.take("after"):
            await hold.wait_released()
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
