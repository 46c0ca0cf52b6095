"""`warmline import PATH`: bring an export (directory or .zip) or a .vcf of contacts in."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from warmline.people.exporting import count_of
from warmline.people.importing import (
    ImportFileError,
    ImportResult,
    ProgressCallback,
    import_path,
)
from warmline.users.models import User

SHOWN_ERRORS = 50
LABELS = {
    "teams": "teams",
    "users": "staff",
    "accounts": "accounts",
    "contacts": "contacts",
    "personal_facts": "personal facts",
    "important_dates": "important dates",
    "interactions": "timeline entries",
}


class Command(BaseCommand):
    help = (
        "Import PATH: a directory or .zip written by `warmline export`, or a .vcf file of "
        "contacts (with --owner). Rows are matched by uuid, so importing twice changes "
        "nothing the second time. Missing staff are created inactive with no password. Bad "
        "rows are reported with file, line and reason and skipped; every good row goes in, "
        "in batches of one transaction each (run again after an interruption). Use "
        "--dry-run to check everything without saving. Exits with status 1 if any row was "
        "not imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Export directory, .zip of one, or .vcf file.")
        parser.add_argument(
            "--owner",
            metavar="USERNAME",
            help="For a .vcf file: the rep whose book new contacts go into.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate every row and report, but save nothing.",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="Write every rejected row (file, line, reason) to this CSV file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]).expanduser()
        owner = self.owner(options["owner"])
        console = Console(file=cast(IO[str], self.stderr._out), stderr=True)
        show = options["verbosity"] > 0 and console.is_terminal
        try:
            with Progress(
                TextColumn("{task.description:<20}"),
                BarColumn(),
                TaskProgressColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=not show,
            ) as bar:
                result = import_path(
                    path=path,
                    owner=owner,
                    progress=self.progress_callback(bar),
                    dry_run=options["dry_run"],
                )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(self.summary(result, path)))
        self.stdout.write(self.table(result))
        if options["report"]:
            self.write_report(result, Path(options["report"]))
        if result.errors:
            self.stderr.write(self.error_list(result, report=options["report"]))
            rows = count_of(len(result.errors), "row was", "rows were")
            raise CommandError(
                f"{rows} not imported (listed above); "
                + ("nothing was saved (dry run)." if result.dry_run else "every other row is in."),
                returncode=1,
            )

    def owner(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user “{username}”.")
        return user

    def progress_callback(self, bar: Progress) -> ProgressCallback:
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=max(total, 1))
            bar.update(tasks[name], completed=done, total=max(total, done, 1))

        return update

    def summary(self, result: ImportResult, path: Path) -> str:
        verb = "Checked" if result.dry_run else "Imported"
        text = f"{verb} {result.summary} from {path} in {result.seconds:.1f} s."
        if result.dry_run:
            text += " Dry run: nothing was saved."
        return text

    def table(self, result: ImportResult) -> str:
        lines = [f"{'':<18}{'new':>10}{'updated':>10}{'unchanged':>11}{'not imported':>14}"]
        for key, label in LABELS.items():
            if key not in result.tallies:
                continue
            t = result.tallies[key]
            lines.append(
                f"{label:<18}{t.created:>10,}{t.updated:>10,}{t.unchanged:>11,}{t.rejected:>14,}"
            )
        return "\n".join(lines)

    def error_list(self, result: ImportResult, *, report: str | None) -> str:
        lines = ["Rows not imported:"]
        lines.extend(f"  {error}" for error in result.errors[:SHOWN_ERRORS])
        hidden = len(result.errors) - SHOWN_ERRORS
        if hidden > 0:
            where = f"all of them are in {report}" if report else "--report FILE lists them all"
            lines.append(f"  ... and {hidden:,} more ({where}).")
        return "\n".join(lines)

    def write_report(self, result: ImportResult, target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "reason"])
            for error in result.errors:
                writer.writerow([error.file, error.line, error.message])
