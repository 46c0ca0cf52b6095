"""`warmline bench`: measure every capability at full size; write BENCHMARKS.md and
benchmarks.json.

    warmline bench                       # every section, SQLite file data/bench.sqlite3
    warmline bench --only service,calls  # some sections; --skip alerts: all but one
    warmline bench --list                # the sections
    warmline bench --reuse               # core: measure again without re-seeding
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmline_bench \\
        REDIS_URL=redis://127.0.0.1:6379/13 warmline bench

Core's section (search, contact page, Today over 100,000 contacts) runs first, then every
section the apps registered (`warmline_tools.bench.registry`). On SQLite the benchmark uses
its own file (WARMLINE_DATA_DIR/bench.sqlite3, or --sqlite), never the real database. With
DATABASE_URL the database's name must contain "bench", because seeding deletes everything
in it; figures measured there are named with a `_postgresql` suffix. Each section writes its
own part of BENCHMARKS.md and its entries of benchmarks.json in the current directory (or
--output-dir) as soon as it is done; a section that fails is reported and the others run.
"""

from __future__ import annotations

import os
import time
import traceback
from argparse import SUPPRESS, ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connections
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from warmline.core.runtime import rich_console
from warmline.core.secret_key import secret_key_keep
from warmline_tools.bench.core import bench_write_section, format_target, format_value
from warmline_tools.bench.registry import (
    BenchOptions,
    BenchSection,
    BenchSectionMissing,
    bench_entry_passed,
    bench_section_list,
)


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


class SectionProgress:
    """The `progress` a section gets: advances its bar; `set_total` sizes it."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    def __call__(self, advance: int) -> None:
        self.progress.advance(self.task, advance)

    def set_total(self, total: int) -> None:
        self.progress.update(self.task, total=total)


class Command(BaseCommand):
    help = (
        "Measure every capability (core: 100,000 contacts x 20 timeline entries in its own "
        "SQLite file WARMLINE_DATA_DIR/bench.sqlite3; then each app's section) and write "
        "BENCHMARKS.md and benchmarks.json. --only/--skip choose sections, --list shows them. "
        "For PostgreSQL: DATABASE_URL=postgres://user@host:5432/warmline_bench warmline bench "
        "(the database name must contain 'bench': seeding empties it)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--contacts",
            type=positive_int,
            default=100_000,
            help="Contacts seeded by core (default 100,000); the other sections scale their "
            "data with it (100,000 is full size).",
        )
        parser.add_argument(
            "--entries", type=positive_int, default=20, help="Timeline entries per contact."
        )
        parser.add_argument(
            "--requests", type=positive_int, default=200, help="Timed requests per page."
        )
        parser.add_argument(
            "--only",
            type=names,
            default=[],
            metavar="NAME[,NAME]",
            help="Run only these sections (see --list).",
        )
        parser.add_argument(
            "--skip",
            type=names,
            action="extend",
            default=[],
            metavar="NAME[,NAME]",
            help="Leave these sections out (repeatable).",
        )
        parser.add_argument("--list", action="store_true", help="List the sections and stop.")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Core: skip seeding when the database already holds this size of data.",
        )
        parser.add_argument(
            "--sqlite",
            default="",
            help="SQLite file to use (default WARMLINE_DATA_DIR/bench.sqlite3). "
            "Ignored when DATABASE_URL is set.",
        )
        parser.add_argument(
            "--in-place",
            action="store_true",
            help=SUPPRESS,  # tests: measure in the test database the connection already uses
        )
        parser.add_argument(
            "--output-dir",
            default=".",
            help="Where BENCHMARKS.md and benchmarks.json go (default: current directory).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret_key_keep()  # the servers it starts refuse the public development key
        console = rich_console(self.stdout)
        sections = self.chosen_sections(only=options["only"], skip=options["skip"])
        if options["list"]:
            for section in bench_section_list():
                mark = "" if section in sections else "  (not chosen)"
                console.print(f"{section.name:<10} {section.title} [dim]{section.run}[/]{mark}")
            return
        bench_options = BenchOptions(
            contacts=options["contacts"],
            entries=options["entries"],
            requests=options["requests"],
            reuse=options["reuse"],
            in_place=options["in_place"],
        )
        sqlite_path = self.use_bench_database(options["sqlite"], in_place=options["in_place"])
        db = connections["default"]
        where = str(sqlite_path or f"{db.vendor} database {db.settings_dict['NAME']}")
        console.print(
            f"Benchmark database: {where}; sections: {', '.join(s.name for s in sections)}"
        )
        with console.status("Migrating…"):
            call_command("migrate", interactive=False, verbosity=0)

        out_dir = Path(options["output_dir"]).resolve()
        failed: list[str] = []
        skipped: list[str] = []
        for section in sections:
            outcome = self.run_section(
                console, section, bench_options, out_dir, self.command_line(section, options)
            )
            if isinstance(outcome, Exception):
                failed.append(f"{section.name} ({outcome!r})")
            elif outcome == "skipped":
                skipped.append(section.name)
        done = len(sections) - len(failed) - len(skipped)
        console.print(
            f"Wrote {done} section(s) to {out_dir / 'BENCHMARKS.md'} and "
            f"{out_dir / 'benchmarks.json'}"
            + (f"; skipped {', '.join(skipped)}" if skipped else "")
            + "."
        )
        if failed:
            raise CommandError(f"benchmark section(s) failed: {'; '.join(failed)}")

    def chosen_sections(self, *, only: list[str], skip: list[str]) -> list[BenchSection]:
        sections = bench_section_list()
        known = {s.name for s in sections}
        unknown = sorted((set(only) | set(skip)) - known)
        if unknown:
            raise CommandError(
                f"no benchmark section named {', '.join(unknown)}; "
                f"the sections are {', '.join(s.name for s in sections)}"
            )
        chosen = [s for s in sections if (not only or s.name in only) and s.name not in skip]
        if not chosen:
            raise CommandError("--only/--skip left no section to run")
        return chosen

    @staticmethod
    def command_line(section: BenchSection, options: dict[str, Any]) -> str:
        """How to run this section again (the database named, never a password)."""
        db = connections["default"]
        parts = []
        if db.vendor == "postgresql":
            d = db.settings_dict
            user = f"{d.get('USER')}@" if d.get("USER") else ""
            port = f":{d.get('PORT')}" if d.get("PORT") else ""
            parts.append(f"DATABASE_URL=postgres://{user}{d.get('HOST')}{port}/{d.get('NAME')}")
            if settings.REDIS_URL and section.name == "alerts":
                parts.append(f"REDIS_URL={settings.REDIS_URL}")
        parts += ["warmline bench", "--only", section.name]
        for option, default in (("contacts", 100_000), ("entries", 20), ("requests", 200)):
            if options[option] != default or section.name == "core":
                parts += [f"--{option}", str(options[option])]
        return " ".join(parts)

    def run_section(
        self,
        console: Console,
        section: BenchSection,
        options: BenchOptions,
        out_dir: Path,
        command: str,
    ) -> str | Exception:
        """Run one section and write its figures: "done", "skipped" or the error."""
        columns = (
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[section]}[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        started = time.monotonic()
        load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
        console.rule(f"{section.name}: {section.title}")
        try:
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("starting", total=None, section=section.name)

                def log(line: str) -> None:
                    progress.update(task, description=line)
                    progress.console.print(f"  [dim]{line}[/]")

                entries, markdown = section.call(
                    options=options, progress=SectionProgress(progress, task), log=log
                )
        except BenchSectionMissing as exc:
            console.print(f"[yellow]Skipped {section.name}:[/] {exc}.")
            return "skipped"
        except Exception as exc:
            console.print(
                f"[bold red]{section.name} failed:[/] {exc!r}\n"
                + "".join(traceback.format_exception(exc)[-6:])
            )
            return exc
        seconds = time.monotonic() - started
        written = bench_write_section(
            out_dir=out_dir,
            name=section.name,
            title=section.title,
            entries=entries,
            markdown=markdown,
            command=command,
            seconds=seconds,
            load_start=load_start,
        )
        table = Table(title=f"{section.title} ({seconds / 60:.1f} min)")
        for column in ("figure", "value", "target", "result", "data"):
            table.add_column(column, justify="right" if column in ("value", "target") else "left")
        for entry in written:
            passed = bench_entry_passed(entry)
            table.add_row(
                str(entry["name"]),
                format_value(entry.get("value"), entry.get("unit")),
                format_target(entry),
                "—" if passed is None else ("[green]pass[/]" if passed else "[bold red]FAIL[/]"),
                str(entry.get("size")),
            )
        console.print(table)
        return "done"

    def use_bench_database(self, sqlite_path: str, *, in_place: bool = False) -> Path | None:
        """Point the default connection at the benchmark database: the SQLite file it uses,
        or None for a server database (whose name must say it is for benchmarks)."""
        db = connections["default"]
        if in_place:
            name = str(db.settings_dict.get("NAME") or "")
            if not (Path(name).name.startswith("test") or "memory" in name):
                raise CommandError(f"--in-place is for test databases, not “{name}”")
            return None
        if db.vendor != "sqlite":
            name = str(db.settings_dict.get("NAME") or "")
            if "bench" not in name:
                raise CommandError(
                    f"`warmline bench` deletes everything in the database it seeds, and "
                    f"DATABASE_URL points at “{name}”. Use a database whose name contains "
                    f"“bench”, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmline_bench"
                )
            try:
                db.ensure_connection()
            except OperationalError as exc:
                raise CommandError(
                    f"Cannot open the benchmark database “{name}” ({exc}). Create it first, "
                    f"e.g. `createdb {name}`."
                ) from exc
            return None
        path = Path(sqlite_path or Path(settings.DATA_DIR) / "bench.sqlite3").resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        db.close()
        db.settings_dict["NAME"] = str(path)
        settings.DATABASES["default"]["NAME"] = str(path)
        return path
