"""`warmline serve`: the production web server (uvicorn running warmline.asgi:application).

    warmline serve --host 0.0.0.0 --port 8000 --workers 4

Defaults come from WARMLINE_HOST (127.0.0.1), WARMLINE_PORT (8000) and WEB_CONCURRENCY (1).
Background jobs run in separate `warmline worker` processes, or, with `--with-worker`
(embedded mode, a single web process), in threads of this one.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandError

from warmline.core.env import env_bool, env_int, env_str
from warmline.core.runtime import (
    ASGI_APP,
    default_host,
    default_port,
    default_workers,
    serve_with_background_work,
)
from warmline.core.secret_key import secret_key_refusal


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Serve Warmline over HTTP with uvicorn (ASGI). Run `warmline worker` beside it."
    requires_migrations_checks = True  # warn when `warmline migrate` has not been run

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host",
            default=default_host(),
            help="Address to listen on (env WARMLINE_HOST, default %(default)s).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=default_port(),
            help="Port to listen on (env WARMLINE_PORT, default %(default)s).",
        )
        parser.add_argument(
            "--workers",
            type=positive_int,
            default=default_workers(),
            help="Web processes (env WEB_CONCURRENCY, default %(default)s).",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=env_int("WARMLINE_GRACEFUL_TIMEOUT", 10),
            help="Seconds to let open requests (and live streams) finish on shutdown "
            "(env WARMLINE_GRACEFUL_TIMEOUT, default %(default)s).",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            default=env_bool("WARMLINE_EMBEDDED_WORKER", False),
            help="Embedded mode: also run the background worker and periodic jobs in this "
            "process (one web process only; env WARMLINE_EMBEDDED_WORKER).",
        )
        parser.add_argument(
            "--log-level",
            default=env_str("LOG_LEVEL", "info").lower(),
            choices=["critical", "error", "warning", "info", "debug", "trace"],
            help="uvicorn's log level (env LOG_LEVEL, default %(default)s).",
        )

    def execute(self, *args: Any, **options: Any) -> str | None:
        refusal = secret_key_refusal()  # before the system and migration checks talk
        if refusal:
            raise CommandError(refusal)
        return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {options['port']}.")
        settings = {
            "host": options["host"],
            "port": options["port"],
            "lifespan": "off",  # Django has no ASGI lifespan handlers
            "log_level": options["log_level"],
            "timeout_graceful_shutdown": options["graceful_timeout"],
            "server_header": False,
        }
        if options["with_worker"]:
            if options["workers"] != 1:
                raise CommandError(
                    "--with-worker runs the worker inside the web process, so it needs "
                    "--workers 1. For several web processes run `warmline worker` beside them."
                )
            serve_with_background_work(uvicorn.Config(ASGI_APP, **settings))
            return
        uvicorn.run(ASGI_APP, workers=options["workers"], **settings)
