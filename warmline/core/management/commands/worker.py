"""`warmline worker`: run background jobs.

It is django-tasks-db's `db_worker` (every option passes through: --queue-name,
--interval, --batch, --max-tasks, --worker-id, ...) plus the periodic jobs apps register
in `warmline.core.periodic` (alert escalations, outbox delivery, reminders). Run as many
workers as the load needs: every job claims its rows, so two never do the same work.
Stops cleanly on Ctrl+C / SIGTERM (a running task is finished first).
"""

from __future__ import annotations

import os
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from warmline.core.periodic import periodic_start_thread
from warmline.core.secret_key import secret_key_refusal


class Command(db_worker.Command):
    help = (
        "Run Warmline's background jobs: queued tasks (django-tasks-db's db_worker; all its "
        "options work) and the periodic jobs (escalations, outbox, reminders)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="Only run queued tasks, not the periodic jobs.",
        )

    def execute(self, *args: Any, **options: Any) -> str | None:
        refusal = secret_key_refusal()  # before the system checks talk
        if refusal:
            raise CommandError(refusal)
        return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        periodic = options.pop("periodic", True)
        # With --reload the parent process only watches files; the child does the work.
        is_reloader_parent = (
            options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        stop = threading.Event()
        thread = None
        if periodic and not options.get("batch") and not is_reloader_parent:
            thread = periodic_start_thread(stop=stop)
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=30)
