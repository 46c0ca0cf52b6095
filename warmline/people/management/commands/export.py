"""`warmline export DIR`: everything the company knows about its customers, as files."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from warmline.people.exporting import (
    CSV_FILES,
    MANIFEST_FILE,
    ExportResult,
    ProgressCallback,
    count_of,
    export_write_directory,
    export_write_zip,
)


class Command(BaseCommand):
    help = (
        "Export every account, contact, personal fact, important date and timeline entry "
        "(plus the staff and teams they name) to CSV files, contacts also to contacts.vcf "
        "(vCard 3.0), with a manifest.json. TARGET is a directory (created if missing) or a "
        "file name ending in .zip. Import it back with `warmline import TARGET`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="Directory to write into, or a path ending in .zip.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Write into a directory that already holds other files (ours are replaced).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["target"]).expanduser()
        self.check_target(target, force=options["force"])
        console = Console(file=cast(IO[str], self.stderr._out), stderr=True)
        show = options["verbosity"] > 0 and console.is_terminal
        with Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
        ) as bar:
            result = self.export(target, self.progress_callback(bar))
        self.stdout.write(self.style.SUCCESS(self.summary(result, target)))
        if options["verbosity"] > 1:
            self.stdout.write(self.details(result))

    def check_target(self, target: Path, *, force: bool) -> None:
        if target.suffix.lower() == ".zip":
            if target.is_dir():
                raise CommandError(f"{target} is a directory; give a file name for the zip.")
            if not target.parent.exists():
                raise CommandError(f"The folder {target.parent} does not exist.")
            return
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} is a file; give a directory (or a name ending .zip).")
        if target.is_dir() and not force:
            ours = {*CSV_FILES, "contacts.vcf", MANIFEST_FILE}
            others = sorted(p.name for p in target.iterdir() if p.name not in ours)
            if others and not (target / MANIFEST_FILE).exists():
                raise CommandError(
                    f"{target} already holds other files ({', '.join(others[:3])}"
                    f"{', ...' if len(others) > 3 else ''}). Choose a new or empty directory, "
                    "or pass --force."
                )

    def export(self, target: Path, progress: ProgressCallback | None) -> ExportResult:
        if target.suffix.lower() == ".zip":
            return export_write_zip(target=target, progress=progress)
        return export_write_directory(directory=target, progress=progress)

    def progress_callback(self, bar: Progress) -> ProgressCallback:
        tasks: dict[str, Any] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, done, 1))

        return update

    def summary(self, result: ExportResult, target: Path) -> str:
        return f"Exported {result.summary} to {target} in {result.seconds:.1f} s."

    def details(self, result: ExportResult) -> str:
        c = result.counts
        return (
            f"Also {c.get('users', 0):,} staff, {count_of(c.get('teams', 0), 'team')}, "
            f"{count_of(c.get('personal_facts', 0), 'personal fact')} and "
            f"{count_of(c.get('important_dates', 0), 'important date')}; contacts are in "
            "contacts.vcf too."
        )
