"""`warmline demo`: try Warmline in one command.

Migrates the database (SQLite under WARMLINE_DATA_DIR unless DATABASE_URL is set), loads
the demo company once (`--reset` wipes and reloads), then serves it on
http://127.0.0.1:8000 with the background worker in the same process and prints who can
log in. Ctrl+C or SIGTERM stops the web server and the worker cleanly.
"""

from __future__ import annotations

import os
import socket
import time
from argparse import ArgumentParser
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from warmline.core.runtime import (
    ASGI_APP,
    default_host,
    default_port,
    rich_console,
    serve_with_background_work,
)
from warmline.core.secret_key import secret_key_keep
from warmline.users.models import Role
from warmline_tools.demo import (
    DEMO_PASSWORD,
    DemoNotEmptyError,
    DemoSize,
    demo_is_loaded,
    demo_load,
    demo_logins,
    demo_wipe,
)

DEMO_SIZE = DemoSize()  # tests swap in a smaller company

ROLE_LABELS: dict[str, str] = {
    Role.MANAGER: "Manager (team East)",
    Role.REP: "Sales rep",
    Role.MARKETER: "Marketer",
    Role.AGENT: "Service agent",
    Role.ADMIN: "Admin (also /admin/)",
}


def logins_panel(*, url: str | None) -> Panel:
    """The box `warmline demo` prints: where to go and who to log in as."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("Role")
    table.add_column("Username", style="bold cyan")
    table.add_column("Password")
    table.add_column("Name", style="dim")
    for login in demo_logins():
        table.add_row(
            ROLE_LABELS.get(login.role, login.role), login.username, DEMO_PASSWORD, login.name
        )
    lines: list[Any] = []
    if url:
        lines.append(Text.assemble("Open ", (url, "bold underline green"), " and log in as:"))
    else:
        lines.append(Text("Log in with:"))
    lines += [Text(""), table, Text("")]
    lines.append(
        Text(
            "Every demo user has the same password. Start with rita (a rep) or maria "
            "(her manager).",
            style="dim",
        )
    )
    if url:
        lines.append(Text("Press Ctrl+C to stop.", style="dim"))
    return Panel(Group(*lines), title="Warmline demo", border_style="green", expand=False)


def site_url_follow(url: str) -> None:
    """Links in e-mails (sign-in links, alerts, password resets) point at the demo's own
    address when SITE_URL is not set, so `warmline demo --port 8001` sends working links."""
    if "SITE_URL" not in os.environ:
        settings.SITE_URL = url


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = (
        "Try Warmline: migrate, load the demo company (once), serve it on "
        "http://127.0.0.1:8000 with a background worker, and print the logins."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=default_host(), help="Default %(default)s.")
        parser.add_argument("--port", type=int, default=default_port(), help="Default %(default)s.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete EVERYTHING in the database and load the demo company afresh.",
        )
        parser.add_argument(
            "--no-serve",
            action="store_false",
            dest="serve",
            help="Only migrate and load the demo data, then exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret_key_keep()  # no SECRET_KEY needed: one is kept in the data directory
        console = rich_console(self.stdout)
        host, port = options["host"], options["port"]
        url = f"http://{host}:{port}"
        if options["serve"] and not port_is_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is already in use. Stop whatever runs there, or pick "
                f"another port: warmline demo --port {port + 1}"
            )
        if options["serve"]:  # before loading: the demo's alerts are written with links
            site_url_follow(url)
        with console.status("Preparing the database…"):
            call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            with console.status("Wiping the database…"):
                demo_wipe()
        if demo_is_loaded():
            console.print("The demo company is already loaded (use --reset to start over).")
        else:
            self.load(console)
        if not options["serve"]:
            console.print(logins_panel(url=None))
            return
        self.serve(console, host=host, port=port, url=url)

    def load(self, console: Console) -> None:
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        started = time.monotonic()
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Loading the demo company", total=DEMO_SIZE.contacts)
            try:
                result = demo_load(size=DEMO_SIZE, progress=lambda n: progress.advance(task, n))
            except DemoNotEmptyError as exc:
                raise CommandError(
                    f"{exc} Run `warmline demo --reset` to wipe it (everything in it is "
                    "deleted), or use another data directory: WARMLINE_DATA_DIR=/tmp/demo "
                    "warmline demo"
                ) from exc
        console.print(
            f"Loaded the demo company: {result.users} staff, {result.accounts:,} accounts, "
            f"{result.contacts:,} contacts, {result.facts:,} personal facts, "
            f"{result.dates:,} important dates, {result.interactions:,} timeline entries "
            f"in {time.monotonic() - started:.1f} s."
        )

    def serve(self, console: Console, *, host: str, port: int, url: str) -> None:
        config = uvicorn.Config(
            ASGI_APP,
            host=host,
            port=port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            server_header=False,
        )
        serve_with_background_work(config, on_started=lambda: console.print(logins_panel(url=url)))
        console.print("Warmline demo stopped.")
