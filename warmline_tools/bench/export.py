"""Export round trip: the benchmark's company written by `warmline export` and restored by
`warmline import` into a database created for it, then compared with the original.

    warmline bench --only export          # after core (it exports what is there)

The restore runs as an operator would run it: `warmline migrate` and `warmline import DIR`
as separate processes pointed at a new, empty database (a new SQLite file, or on
PostgreSQL a new database next to the benchmark's, created and dropped by the benchmark),
never the database that was exported. Both databases are then summarised table by table
(`data_digest`: row count and a SHA-256 over every row's identity and main fields, in uuid
order), the restored one by `python -m warmline_tools.bench.export digest` in its own
process; a table whose summary differs is a difference.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

from warmline_tools.bench.registry import BenchLog, BenchOptions, BenchProgress

# table: (model path, fields summarised, ordering); users and teams by their natural keys.
DIGESTED: dict[str, tuple[str, tuple[str, ...], str]] = {
    "teams": ("users.Team", ("name", "time_zone"), "name"),
    "users": ("users.User", ("username", "first_name", "last_name", "email", "role"), "username"),
    "accounts": ("people.Account", ("uuid", "name", "domain", "tier"), "uuid"),
    "contacts": (
        "people.Contact",
        (
            "uuid",
            "first_name",
            "last_name",
            "title",
            "email",
            "phone",
            "stage",
            "owner__username",
            "account__uuid",
            "last_touch_at",
        ),
        "uuid",
    ),
    "personal_facts": ("people.PersonalFact", ("uuid", "contact__uuid", "kind", "text"), "uuid"),
    "important_dates": (
        "people.ImportantDate",
        ("uuid", "contact__uuid", "kind", "label", "date", "month_day"),
        "uuid",
    ),
    "interactions": (
        "timeline.Interaction",
        ("uuid", "contact__uuid", "kind", "outcome", "subject", "occurred_at", "is_personal"),
        "uuid",
    ),
}


def data_digest() -> dict[str, list[Any]]:
    """{table: [rows, sha256]} of what an export carries, on the default database."""
    from django.apps import apps

    out: dict[str, list[Any]] = {}
    for table, (label, fields, order) in DIGESTED.items():
        model = apps.get_model(label)
        digest = hashlib.sha256()
        rows = 0
        for row in model.objects.order_by(order).values_list(*fields).iterator(chunk_size=5000):
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
            rows += 1
        out[table] = [rows, digest.hexdigest()]
    return out


def _plain(value: Any) -> Any:
    """The same value however the database returned it (an aware datetime in UTC)."""
    if hasattr(value, "utcoffset") and value.utcoffset() is not None:
        import datetime as dt

        return value.astimezone(dt.UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if value is not None else None


@contextmanager
def fresh_database(workdir: Path) -> Iterator[dict[str, str]]:
    """A new, empty database for the restore, as the environment a `warmline` process
    needs to use it: a new SQLite file in `workdir`, or a new PostgreSQL database next to
    the benchmark's (created here, dropped on leaving)."""
    if connection.vendor == "sqlite":
        yield {"DATABASE_URL": "", "SQLITE_PATH": str(workdir / "restored.sqlite3")}
        return
    if connection.vendor != "postgresql":
        raise RuntimeError(f"no fresh database for {connection.vendor}")
    import psycopg
    from psycopg import sql

    db = connection.settings_dict
    name = f"{db['NAME']}_restore_{secrets.token_hex(3)}"[:63]
    params: dict[str, Any] = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "dbname": "postgres",
    }
    params.update({k: db[k.upper()] for k in ("user", "password") if db[k.upper()]})
    conninfo = psycopg.conninfo.make_conninfo("", **params)
    with psycopg.connect(conninfo, autocommit=True) as admin:  # not the bench's transaction
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        from warmline_tools.bench.http import database_env

        url = database_env()["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
        yield {"DATABASE_URL": url}
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _warmline(args: list[str], *, env: dict[str, str], timeout: float = 3 * 3600) -> str:
    """Run `warmline ARGS` (a management command) in its own process; its output."""
    done = subprocess.run(  # noqa: S603 - a fixed command
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(args)}` exited with {done.returncode}: "
            f"{(done.stderr or done.stdout)[-2000:]}"
        )
    return done.stdout


def export_round_trip(*, log: BenchLog) -> dict[str, Any]:
    """Export the default database, restore it into a fresh one, compare; the timings."""
    from warmline.people.exporting import export_write_directory

    workdir = Path(tempfile.mkdtemp(prefix="warmline-bench-export-"))
    try:
        log("Summarising the database to export")
        source = data_digest()
        if not source["contacts"][0]:
            raise RuntimeError("nothing to export: run the core section first")
        log(f"Exporting {source['contacts'][0]:,} contacts")
        started = time.perf_counter()
        exported = export_write_directory(directory=workdir / "export")
        export_s = time.perf_counter() - started
        size_mb = sum(f.stat().st_size for f in (workdir / "export").iterdir()) / 2**20
        with fresh_database(workdir) as db_env:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "warmline.settings",
                "WARMLINE_DATA_DIR": str(workdir),
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "0",
                **db_env,
            }
            log("Creating the new database's tables (warmline migrate)")
            started = time.perf_counter()
            _warmline(["-m", "warmline.cli", "migrate", "--no-input"], env=env)
            migrate_s = time.perf_counter() - started
            log("Restoring into it (warmline import)")
            started = time.perf_counter()
            _warmline(["-m", "warmline.cli", "import", str(workdir / "export")], env=env)
            import_s = time.perf_counter() - started
            log("Summarising the restored database")
            restored = json.loads(
                _warmline(["-m", "warmline_tools.bench.export", "digest"], env=env)
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    differing = sorted(t for t in DIGESTED if source[t] != restored.get(t))
    return {
        "source": source,
        "restored": restored,
        "differing": differing,
        "export_s": export_s,
        "migrate_s": migrate_s,
        "import_s": import_s,
        "export_mb": size_mb,
        "counts": exported.counts,
    }


def export_bench_section(
    *, options: BenchOptions, progress: BenchProgress, log: BenchLog
) -> tuple[list[dict[str, object]], str]:
    """`warmline bench`'s export section: the round trip of whatever the database holds
    (the core section's company, with the other sections' rows)."""
    from warmline_tools.bench.core import database_description

    progress.set_total(3)
    result = export_round_trip(log=log)
    progress(3)
    source, restored = result["source"], result["restored"]
    contacts, entries = source["contacts"][0], source["interactions"][0]
    size = f"{contacts:,} contacts, {entries:,} timeline entries ({connection.vendor})"
    where = (
        "a new SQLite file"
        if connection.vendor == "sqlite"
        else "a new PostgreSQL database, created for it and dropped after"
    )
    figures: list[dict[str, object]] = [
        {
            "name": "export_s",
            "value": round(result["export_s"], 1),
            "unit": "s",
            "target": None,
            "size": f"{size}; {result['export_mb']:.0f} MB of CSV and vCard",
        },
        {
            "name": "import_fresh_s",
            "value": round(result["import_s"], 1),
            "unit": "s",
            "target": None,
            "size": f"{size}; `warmline import` into {where}",
        },
        {
            "name": "export_round_trip_differences",
            "value": len(result["differing"]),
            "unit": "tables",
            "target": 0,
            "size": f"{size}; tables whose rows differ after the restore: "
            + (", ".join(result["differing"]) or "none"),
        },
    ]
    rows = "\n".join(
        f"| {table} | {source[table][0]:,} | {restored.get(table, [0])[0]:,} | "
        f"{'same' if source[table] == restored.get(table) else '**differs**'} |"
        for table in DIGESTED
    )
    markdown = f"""## Export round trip ({database_description()})

The company is exported with `export_write_directory` (what `warmline export DIR` runs:
every team, staff member, account, contact, fact, date and timeline entry as CSV, contacts
also as vCard) and restored as an operator would restore it: `warmline migrate` and then
`warmline import DIR`, each in its own process, into {where}, never the database that
was exported. Then every table the export carries is summarised in both databases (row
count and a SHA-256 over each row's identity and main fields in a fixed order; the
restored one by `python -m warmline_tools.bench.export digest` in its own process) and
compared. Export took {result["export_s"]:.1f} s ({result["export_mb"]:.0f} MB), creating
the new database's tables {result["migrate_s"]:.1f} s, the import {result["import_s"]:.1f} s.

| table | rows exported | rows restored | compared |
| --- | ---: | ---: | --- |
{rows}
"""
    return figures, markdown


def main(argv: list[str]) -> int:
    """`python -m warmline_tools.bench.export digest`: the summary of the database the
    environment points at, as JSON."""
    if argv[1:] != ["digest"]:
        print("usage: python -m warmline_tools.bench.export digest", file=sys.stderr)
        return 2
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmline.settings")
    django.setup()
    print(json.dumps(data_digest()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
