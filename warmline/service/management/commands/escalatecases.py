"""`warmline escalatecases`: run the SLA escalation pass once (or keep running it).

The worker runs the same pass as a periodic job; this command is for cron-style set-ups,
for operators, and for tests that run several workers side by side.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from warmline.service.escalation import sla_pass


class Command(BaseCommand):
    help = "Find cases crossing an SLA step and raise their alerts (once per step and case)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Keep running until SIGTERM / Ctrl-C."
        )
        parser.add_argument(
            "--every",
            type=float,
            default=float(settings.SERVICE_SLA_PASS_SECONDS),
            help="Seconds between passes with --loop.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["loop"]:
            self.run_once()
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                self.run_once()
                stop.wait(options["every"])
        except KeyboardInterrupt:
            pass

    def run_once(self) -> None:
        result = sla_pass()
        self.stdout.write(f"SLA pass: {result}")
