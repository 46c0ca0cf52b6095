"""Export the relationship memory: the company owns its data and can take all of it away.

An export is a set of CSV files (one per kind of row, keyed by uuid so they can be
imported back; see `importing.py`), `contacts.vcf` for address books and phones, and
`manifest.json` saying what is in it. It goes to a directory (`warmline export DIR`) or
to a zip (`warmline export FILE.zip`, and the manager's download in the UI).

Scope: with `user=None` everything is exported; with a user, exactly what that user may
read (`contact_scope`, `account_scope`) and the staff, teams, facts, dates and timeline
entries hanging off it, so a manager's file holds their team's book and nothing else.

Memory stays flat however large the timeline is: rows stream from the database with
`.iterator(chunk_size=2000)` (joins for the related uuids/usernames are done by the
query, prefetches per chunk) straight into the CSV writers.

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) are
written with a leading apostrophe, and so is a cell that starts with an apostrophe;
`warmline import` removes exactly one, so the round trip is exact.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from warmline.people.models import (
    Account,
    Contact,
    DateKind,
    FactKind,
    ImportantDate,
    PersonalFact,
)
from warmline.people.selectors import account_scope, contact_scope
from warmline.people.vcard import VCard, vcard_build
from warmline.timeline.models import Interaction
from warmline.users.models import Team, User
from warmline.users.selectors import user_owner_ids_visible

SCHEMA_VERSION = 1
CHUNK_SIZE = 2000

COLUMNS: dict[str, list[str]] = {
    "teams.csv": ["name", "manager", "time_zone"],
    "users.csv": [
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "team",
        "title",
        "direct_phone",
        "mobile_phone",
        "time_zone",
        "is_active",
    ],
    "accounts.csv": [
        "uuid",
        "name",
        "domain",
        "industry",
        "tier",
        "owner",
        "phone",
        "website",
        "city",
        "country",
        "notes",
        "created_at",
        "updated_at",
    ],
    "contacts.csv": [
        "uuid",
        "first_name",
        "last_name",
        "title",
        "account_uuid",
        "account_name",
        "owner",
        "emails",
        "phones",
        "time_zone",
        "stage",
        "interests",
        "email_opt_in",
        "email_opt_in_at",
        "do_not_call",
        "reconnect_days",
        "last_touch_at",
        "created_at",
        "updated_at",
    ],
    "personal_facts.csv": ["uuid", "contact_uuid", "kind", "text", "created_by", "created_at"],
    "important_dates.csv": ["uuid", "contact_uuid", "kind", "label", "date", "recurs_yearly"],
    "interactions.csv": [
        "uuid",
        "contact_uuid",
        "account_uuid",
        "kind",
        "direction",
        "outcome",
        "author",
        "subject",
        "body",
        "occurred_at",
        "created_at",
        "source",
        "external_id",
        "is_personal",
        "corrects_uuid",
        "data",
    ],
}

# The order files are written and imported in: everything a row points at comes first.
CSV_FILES = list(COLUMNS)
VCARD_FILE = "contacts.vcf"
MANIFEST_FILE = "manifest.json"

# What the emails/phones/interests cells look like: "work:dana@acme.com; home:d@x.org".
LIST_SEPARATOR = "; "
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

ProgressCallback = Callable[[str, int, int], None]
"""Called as (step, rows done so far in the step, rows in the step)."""


def count_of(number: int, singular: str, plural: str = "") -> str:
    """ "1 contact", "2,000 contacts"."""
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


# --- Cells --------------------------------------------------------------------------


def cell(value: Any) -> str:
    """One CSV cell: booleans as true/false, times as ISO 8601 in UTC, text guarded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _escape(text: str, special: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in special:
        text = text.replace(char, "\\" + char)
    return text


def labelled_list(pairs: Iterable[tuple[str, str]]) -> str:
    """(value, label) pairs as "label:value; label:value". A backslash escapes any ; or :
    inside a label (and any ; inside a value), so every label survives the round trip."""
    return LIST_SEPARATOR.join(
        f"{_escape(label, ';:')}:{_escape(value, ';')}" if label else _escape(value, ";")
        for value, label in pairs
    )


def plain_list(items: Iterable[str]) -> str:
    """Interests as "pumps; sustainability" (a ; inside a name is escaped)."""
    return LIST_SEPARATOR.join(_escape(item, ";") for item in items)


# --- Where the files go -------------------------------------------------------------


class ExportSink(Protocol):
    def open_text(self, name: str) -> contextlib.AbstractContextManager[IO[str]]: ...


@dataclass
class DirectorySink:
    directory: Path

    @contextlib.contextmanager
    def open_text(self, name: str) -> Iterator[IO[str]]:
        with (self.directory / name).open("w", encoding="utf-8", newline="") as handle:
            yield handle


@dataclass
class ZipSink:
    """Files inside a zip. A zip takes one writer at a time and contacts.vcf is written
    alongside contacts.csv, so each file is spooled (to disk past 8 MB) and copied in
    when it is closed."""

    archive: zipfile.ZipFile
    folder: str = ""

    @contextlib.contextmanager
    def open_text(self, name: str) -> Iterator[IO[str]]:
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            handle = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            yield handle
            handle.flush()
            spool.seek(0)
            info = zipfile.ZipInfo(f"{self.folder}{name}", date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with self.archive.open(info, "w", force_zip64=True) as target:
                shutil.copyfileobj(spool, target, 1024 * 1024)
            handle.detach()


# --- What is exported ---------------------------------------------------------------


@dataclass
class ExportScope:
    """Querysets for one export. `label` says whose view it is, for the manifest."""

    label: str
    users: QuerySet[User]
    teams: QuerySet[Team]
    accounts: QuerySet[Account]
    contacts: QuerySet[Contact]
    facts: QuerySet[PersonalFact]
    dates: QuerySet[ImportantDate]
    interactions: QuerySet[Interaction]


def export_scope_build(*, user: User | None) -> ExportScope:
    """Everything (user=None, the CLI) or exactly what `user` may see (the UI download)."""
    if user is None or user_owner_ids_visible(user=user) is None:
        return ExportScope(
            label="everything" if user is None else f"everything visible to {user.username}",
            users=User.objects.all(),
            teams=Team.objects.all(),
            accounts=Account.objects.all(),
            contacts=Contact.objects.all(),
            facts=PersonalFact.objects.all(),
            dates=ImportantDate.objects.all(),
            interactions=Interaction.objects.all(),
        )
    contacts = contact_scope(user=user)
    interactions = Interaction.objects.filter(contact__in=contacts.values("id"))
    # Accounts the user may see, plus any their contacts or history point at, so that
    # every uuid in the files resolves on import.
    accounts = Account.objects.filter(
        Q(id__in=account_scope(user=user).values("id"))
        | Q(id__in=contacts.exclude(account=None).values("account_id"))
        | Q(id__in=interactions.exclude(account=None).values("account_id"))
    )
    facts = PersonalFact.objects.filter(contact__in=contacts.values("id"))
    # Staff are few: collect the ids of everyone a row names, then their teams' managers.
    user_ids: set[int] = set(user_owner_ids_visible(user=user) or [])
    user_ids.add(user.pk)
    user_ids.update(contacts.exclude(owner=None).values_list("owner_id", flat=True).distinct())
    user_ids.update(accounts.exclude(owner=None).values_list("owner_id", flat=True).distinct())
    user_ids.update(
        interactions.exclude(author=None).values_list("author_id", flat=True).distinct()
    )
    user_ids.update(
        facts.exclude(created_by=None).values_list("created_by_id", flat=True).distinct()
    )
    team_ids = set(
        User.objects.filter(id__in=user_ids).exclude(team=None).values_list("team_id", flat=True)
    )
    user_ids.update(
        Team.objects.filter(id__in=team_ids)
        .exclude(manager=None)
        .values_list("manager_id", flat=True)
    )
    return ExportScope(
        label=f"visible to {user.username}",
        users=User.objects.filter(id__in=user_ids),
        teams=Team.objects.filter(id__in=team_ids),
        accounts=accounts,
        contacts=contacts,
        facts=facts,
        dates=ImportantDate.objects.filter(contact__in=contacts.values("id")),
        interactions=interactions,
    )


# --- Writing ------------------------------------------------------------------------


@dataclass
class ExportResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    scope: str = ""

    @property
    def summary(self) -> str:
        """ "2,000 contacts, 300 accounts, 41,233 timeline entries"."""
        c = self.counts
        return (
            f"{count_of(c.get('contacts', 0), 'contact')}, "
            f"{count_of(c.get('accounts', 0), 'account')}, "
            f"{count_of(c.get('interactions', 0), 'timeline entry', 'timeline entries')}"
        )


class _Writer:
    def __init__(self, sink: ExportSink, progress: ProgressCallback | None) -> None:
        self.sink = sink
        self.progress = progress
        self.counts: dict[str, int] = {}

    def table(
        self, name: str, step: str, total: int, rows: Iterable[list[Any]], count_as: str
    ) -> None:
        done = 0
        with self.sink.open_text(name) as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(COLUMNS[name])
            for row in rows:
                writer.writerow([cell(v) for v in row])
                done += 1
                if self.progress and done % 500 == 0:
                    self.progress(step, done, total)
        if self.progress:
            self.progress(step, done, total)
        self.counts[count_as] = done


def _team_rows(teams: QuerySet[Team]) -> Iterator[list[Any]]:
    for team in teams.select_related("manager").order_by("name"):
        yield [team.name, team.manager.username if team.manager else "", team.time_zone]


def _user_rows(users: QuerySet[User]) -> Iterator[list[Any]]:
    for u in users.select_related("team").order_by("username").iterator(chunk_size=CHUNK_SIZE):
        yield [
            u.username,
            u.email,
            u.first_name,
            u.last_name,
            u.role,
            u.team.name if u.team else "",
            u.title,
            u.direct_phone,
            u.mobile_phone,
            u.time_zone,
            u.is_active,
        ]


def _account_rows(accounts: QuerySet[Account]) -> Iterator[list[Any]]:
    qs = accounts.select_related("owner").order_by("id")
    for a in qs.iterator(chunk_size=CHUNK_SIZE):
        yield [
            a.uuid,
            a.name,
            a.domain,
            a.industry,
            a.tier,
            a.owner.username if a.owner else "",
            a.phone,
            a.website,
            a.city,
            a.country,
            a.notes,
            a.created_at,
            a.updated_at,
        ]


def _fact_line(fact: PersonalFact) -> str:
    return (
        f"{FactKind(fact.kind).label}: {fact.text}" if fact.kind in FactKind.values else fact.text
    )


def _contact_rows(contacts: QuerySet[Contact], vcf: IO[str]) -> Iterator[list[Any]]:
    """contacts.csv rows; the same pass writes each contact's vCard to `vcf`."""
    qs = (
        contacts.select_related("owner", "account")
        .prefetch_related(
            "emails",
            "phones",
            "interests",
            "facts",
            Prefetch(
                "dates",
                queryset=ImportantDate.objects.filter(kind=DateKind.BIRTHDAY).order_by("id"),
                to_attr="birthdays",
            ),
        )
        .order_by("id")
    )
    for c in qs.iterator(chunk_size=CHUNK_SIZE):
        emails = [(e.address, e.label) for e in c.emails.all()]
        phones = [(p.number, p.label) for p in c.phones.all()]
        interests = [t.name for t in c.interests.all()]
        birthdays: list[ImportantDate] = c.birthdays
        vcf.write(
            vcard_build(
                VCard(
                    uid=str(c.uuid),
                    first_name=c.first_name,
                    last_name=c.last_name,
                    org=c.account.name if c.account else "",
                    title=c.title,
                    emails=emails,
                    phones=phones,
                    birthday=birthdays[0].date if birthdays else None,
                    note_lines=[_fact_line(f) for f in c.facts.all()],
                    categories=interests,
                    revised_at=c.updated_at,
                )
            )
        )
        yield [
            c.uuid,
            c.first_name,
            c.last_name,
            c.title,
            c.account.uuid if c.account else "",
            c.account.name if c.account else "",
            c.owner.username if c.owner else "",
            labelled_list(emails),
            labelled_list(phones),
            c.time_zone,
            c.stage,
            plain_list(interests),
            c.email_opt_in,
            c.email_opt_in_at,
            c.do_not_call,
            c.reconnect_days,
            c.last_touch_at,
            c.created_at,
            c.updated_at,
        ]


def _fact_rows(facts: QuerySet[PersonalFact]) -> Iterator[list[Any]]:
    rows = facts.order_by("id").values_list(
        "uuid", "contact__uuid", "kind", "text", "created_by__username", "created_at"
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield list(row)


def _date_rows(dates: QuerySet[ImportantDate]) -> Iterator[list[Any]]:
    rows = dates.order_by("id").values_list(
        "uuid", "contact__uuid", "kind", "label", "date", "recurs_yearly"
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield list(row)


def _interaction_rows(interactions: QuerySet[Interaction]) -> Iterator[list[Any]]:
    # By id, so an entry always comes before the corrections that point at it.
    rows = interactions.order_by("id").values_list(
        "uuid",
        "contact__uuid",
        "account__uuid",
        "kind",
        "direction",
        "outcome",
        "author__username",
        "subject",
        "body",
        "occurred_at",
        "created_at",
        "source",
        "external_id",
        "is_personal",
        "corrects__uuid",
        "data",
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        values = list(row)
        values[-1] = json.dumps(values[-1], ensure_ascii=False, sort_keys=True, default=str)
        yield values


def export_write(
    *, sink: ExportSink, user: User | None = None, progress: ProgressCallback | None = None
) -> ExportResult:
    """Write every file of an export into `sink` (see the module docstring for scope)."""
    started = time.monotonic()
    scope = export_scope_build(user=user)
    writer = _Writer(sink, progress)
    writer.table("teams.csv", "teams", scope.teams.count(), _team_rows(scope.teams), "teams")
    writer.table("users.csv", "staff", scope.users.count(), _user_rows(scope.users), "users")
    writer.table(
        "accounts.csv",
        "accounts",
        scope.accounts.count(),
        _account_rows(scope.accounts),
        "accounts",
    )
    with sink.open_text(VCARD_FILE) as vcf:
        writer.table(
            "contacts.csv",
            "contacts",
            scope.contacts.count(),
            _contact_rows(scope.contacts, vcf),
            "contacts",
        )
    writer.table(
        "personal_facts.csv",
        "personal facts",
        scope.facts.count(),
        _fact_rows(scope.facts),
        "personal_facts",
    )
    writer.table(
        "important_dates.csv",
        "important dates",
        scope.dates.count(),
        _date_rows(scope.dates),
        "important_dates",
    )
    writer.table(
        "interactions.csv",
        "timeline",
        scope.interactions.count(),
        _interaction_rows(scope.interactions),
        "interactions",
    )
    result = ExportResult(
        counts=writer.counts, seconds=time.monotonic() - started, scope=scope.label
    )
    manifest = {
        "format": "warmline-export",
        "schema_version": SCHEMA_VERSION,
        "created_at": timezone.now().astimezone(dt.UTC).isoformat(),
        "company": settings.WARMLINE_COMPANY_NAME,
        "scope": scope.label,
        "exported_by": user.username if user else "",
        "counts": writer.counts,
        "files": [*CSV_FILES, VCARD_FILE],
        "notes": (
            "CSV files are UTF-8, comma-separated, with a header row; times are ISO 8601 "
            "in UTC. E-mails and phones are 'label:value' separated by '; ', interests by "
            "'; '. A cell starting with = + - @ or ' has an extra leading ' so spreadsheets "
            "treat it as text. Import back with: warmline import PATH"
        ),
    }
    with sink.open_text(MANIFEST_FILE) as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return result


def export_write_directory(
    *, directory: Path, user: User | None = None, progress: ProgressCallback | None = None
) -> ExportResult:
    directory.mkdir(parents=True, exist_ok=True)
    return export_write(sink=DirectorySink(directory), user=user, progress=progress)


def export_write_zip(
    *,
    target: IO[bytes] | Path,
    user: User | None = None,
    progress: ProgressCallback | None = None,
    folder: str = "",
) -> ExportResult:
    """Write the export as a zip into a path or an open binary file (left open)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        return export_write(sink=ZipSink(archive, folder), user=user, progress=progress)
