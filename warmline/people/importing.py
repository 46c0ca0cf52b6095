"""Import an export back: from a directory, a .zip of one, or a plain .vcf of contacts.

Rules (they are what `warmline import --help` promises):

- **Idempotent on uuid.** A row whose uuid is already stored is compared with it: equal
  rows are left alone ("unchanged"), different ones are updated (accounts, contacts,
  facts, dates). Timeline entries are append-only: one that is already in stays as it
  is. Importing the same export twice changes nothing the second time.
- **Staff are never changed.** Missing teams and users are created; users come in
  *inactive* with an unusable password (an admin activates them and they reset their
  password). Existing users and teams are left exactly as they are.
- **Every row is validated before it is written.** Contacts go through the real
  services (`contact_create` / `contact_update`), so e-mails and phones are normalised
  and checked exactly as in the app. A bad row is skipped and reported with its file,
  line and reason; rows that depend on it (a fact of a contact that was refused) are
  reported too. The good rows go in.
- **Nothing half-written.** Rows are written in batches (500 accounts or contacts, 2,000
  facts, dates or timeline entries), each batch in one transaction, each row in its own
  savepoint: a contact is in with all its e-mails, phones and interests, or not at all.
  If a run is interrupted, run it again: finished batches are recognised by uuid.
  `dry_run=True` (`--dry-run`) runs the whole import in one transaction and rolls it
  back, which validates every row of every file and writes nothing.
- Afterwards `Contact.last_touch_at` is the latest personal touch (it only moves
  forward) and `search_text` is rebuilt by the services.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import textwrap
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from warmline.core.phones import phone_normalize, phone_time_zone
from warmline.core.registries.reasons import reasons_changed
from warmline.people.exporting import (
    COLUMNS,
    CSV_FILES,
    MANIFEST_FILE,
    SCHEMA_VERSION,
    count_of,
)
from warmline.people.models import (
    Account,
    Contact,
    DateKind,
    FactKind,
    ImportantDate,
    PersonalFact,
    Stage,
    Tier,
)
from warmline.people.services import (
    ContactData,
    account_save,
    contact_create,
    contact_update,
    email_normalize,
    fact_add,
    important_date_add,
)
from warmline.people.vcard import VCard, vcard_read
from warmline.timeline.models import Direction, Interaction, Kind, Outcome, Source
from warmline.timeline.services import interaction_is_personal
from warmline.users.models import Role, Team, User

ProgressCallback = Callable[[str, int, int], None]
"""Called as (file name, bytes read so far, bytes in the file)."""

ROW_BATCH = 500
BULK_BATCH = 2000
VCARD_BATCH = 200
MAX_CELL = 64 * 1024 * 1024  # long e-mail bodies are legitimate; csv's default is 128 KB

# Columns each file must have; the others may be missing (a hand-trimmed file).
REQUIRED: dict[str, set[str]] = {
    "teams.csv": {"name"},
    "users.csv": {"username"},
    "accounts.csv": {"uuid", "name"},
    "contacts.csv": {"uuid", "first_name"},
    "personal_facts.csv": {"uuid", "contact_uuid", "text"},
    "important_dates.csv": {"uuid", "contact_uuid", "date"},
    "interactions.csv": {"uuid", "contact_uuid", "kind", "occurred_at"},
}
TALLY_KEYS = {
    "teams.csv": "teams",
    "users.csv": "users",
    "accounts.csv": "accounts",
    "contacts.csv": "contacts",
    "personal_facts.csv": "personal_facts",
    "important_dates.csv": "important_dates",
    "interactions.csv": "interactions",
}


class ImportFileError(Exception):
    """The input as a whole cannot be imported (not an export, wrong version, bad header)."""


class _Bad(Exception):
    """One row is invalid; the message says why, in words a person can act on."""


# --- Results ------------------------------------------------------------------------


@dataclass
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.message}"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportResult:
    source: str = ""
    tallies: dict[str, Tally] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def tally(self, key: str) -> Tally:
        return self.tallies.setdefault(key, Tally())

    @property
    def summary(self) -> str:
        """ "2,000 contacts, 300 accounts, 41,233 timeline entries" (rows now in)."""
        parts = []
        for key, singular, plural in (
            ("contacts", "contact", "contacts"),
            ("accounts", "account", "accounts"),
            ("interactions", "timeline entry", "timeline entries"),
        ):
            if key in self.tallies:
                parts.append(count_of(self.tallies[key].total, singular, plural))
        return ", ".join(parts) or "nothing"


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, messages in exc.message_dict.items():
            text = " ".join(messages)
            parts.append(text if name == "__all__" else f"{name.replace('_', ' ')}: {text}")
        return "; ".join(parts)
    return " ".join(exc.messages)


# --- Reading files ------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream, for a progress bar by file size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class ImportSource(Protocol):
    @property
    def label(self) -> str: ...

    def has(self, name: str) -> bool: ...

    def size(self, name: str) -> int: ...

    def open_binary(self, name: str) -> contextlib.AbstractContextManager[IO[bytes]]: ...


@dataclass
class DirectorySource:
    directory: Path

    @property
    def label(self) -> str:
        return str(self.directory)

    def has(self, name: str) -> bool:
        return (self.directory / name).is_file()

    def size(self, name: str) -> int:
        return (self.directory / name).stat().st_size

    @contextlib.contextmanager
    def open_binary(self, name: str) -> Iterator[IO[bytes]]:
        with (self.directory / name).open("rb") as handle:
            yield handle


class ZipSource:
    """Files of an export inside a zip, at the top or in one folder (a re-zipped DIR)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        try:
            self.archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise ImportFileError(f"{path} is not a zip file we can read.") from exc
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in self.archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or info.filename.startswith("__MACOSX/") or not name:
                continue
            self.members.setdefault(name, info)

    def has(self, name: str) -> bool:
        return name in self.members

    def size(self, name: str) -> int:
        return self.members[name].file_size

    @contextlib.contextmanager
    def open_binary(self, name: str) -> Iterator[IO[bytes]]:
        with self.archive.open(self.members[name]) as handle:
            yield handle

    def close(self) -> None:
        self.archive.close()


def _uncell(text: str) -> str:
    # The exporter guards cells a spreadsheet would run as formulas with one apostrophe.
    return text[1:] if text.startswith("'") else text


@dataclass
class _Row:
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def raw(self, name: str) -> str:
        return self.values.get(name, "")


def _read_rows(
    source: ImportSource,
    name: str,
    result: ImportResult,
    progress: ProgressCallback | None,
) -> Iterator[_Row]:
    """Rows of one CSV file with the line each starts on; malformed rows are reported."""
    csv.field_size_limit(MAX_CELL)
    total = source.size(name)
    with source.open_binary(name) as raw:
        counter = _CountingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(f"{name}: the header row cannot be read ({exc}).") from exc
        missing = REQUIRED[name] - set(header)
        if missing:
            raise ImportFileError(
                f"{name} has no column {', '.join(sorted(missing))}. Expected a header like: "
                + ",".join(COLUMNS[name])
            )
        line = reader.line_num + 1
        done = 0
        while True:
            start = line
            try:
                values = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                result.errors.append(RowError(name, start, "the file is not UTF-8 text."))
                result.tally(TALLY_KEYS[name]).rejected += 1
                break
            except csv.Error as exc:
                line = reader.line_num + 1
                result.errors.append(RowError(name, start, f"not a CSV row we can read ({exc})."))
                result.tally(TALLY_KEYS[name]).rejected += 1
                continue
            line = reader.line_num + 1
            done += 1
            if progress and done % 1000 == 0:
                progress(name, counter.count, total)
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                result.errors.append(
                    RowError(
                        name,
                        start,
                        f"has {len(values)} cells but the header has {len(header)}.",
                    )
                )
                result.tally(TALLY_KEYS[name]).rejected += 1
                continue
            yield _Row(start, {h: _uncell(v) for h, v in zip(header, values, strict=True)})
        if progress:
            progress(name, total, total)


def _batches(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


# --- Parsing cells ------------------------------------------------------------------


def _parse_uuid(text: str, column: str = "uuid") -> uuid.UUID:
    if not text:
        raise _Bad(f"{column} is empty.")
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise _Bad(f"{column} “{text}” is not a uuid.") from exc


def _parse_optional_uuid(text: str, column: str) -> uuid.UUID | None:
    return _parse_uuid(text, column) if text else None


def _parse_bool(text: str, column: str, default: bool = False) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    if value in {"true", "yes", "y", "1"}:
        return True
    if value in {"false", "no", "n", "0"}:
        return False
    raise _Bad(f"{column} “{text}” should be true or false.")


def _parse_datetime(text: str, column: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _Bad(
            f"{column} “{text}” is not a date and time (use ISO 8601, e.g. "
            "2024-05-01T09:30:00+00:00)."
        ) from exc
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _parse_date(text: str, column: str) -> dt.date:
    if not text:
        raise _Bad(f"{column} is empty.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _Bad(f"{column} “{text}” is not a date (use YYYY-MM-DD).") from exc


def _parse_int(text: str, column: str) -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError as exc:
        raise _Bad(f"{column} “{text}” is not a whole number.") from exc
    if value < 0:
        raise _Bad(f"{column} cannot be negative.")
    return value


def _parse_choice(text: str, column: str, choices: list[str], default: str) -> str:
    value = text.strip() or default
    if value not in choices:
        raise _Bad(f"{column} “{text}” is not one of: {', '.join(c for c in choices if c)}.")
    return value


def _split_escaped(text: str, separator: str, limit: int = -1) -> list[str]:
    """Split on `separator` where no backslash escapes it; the parts stay escaped."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(char + next(chars, ""))
        elif char == separator and limit != 0:
            parts.append("".join(current))
            current = []
            limit -= 1
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        out.append(next(chars, "") if char == "\\" else char)
    return "".join(out)


def _parse_pairs(text: str, column: str) -> list[tuple[str, str]]:
    """ "work:a@b.com; home:c@d.org" (or bare values) -> [(value, label), ...]."""
    pairs: list[tuple[str, str]] = []
    for part in _split_escaped(text, ";"):
        if not part.strip():
            continue
        pieces = _split_escaped(part, ":", limit=1)
        label, value = (pieces[0], pieces[1]) if len(pieces) == 2 else ("", pieces[0])
        label = _unescape(label.strip())
        if len(label) > 30:
            raise _Bad(f"{column}: the label “{label}” is longer than 30 characters.")
        pairs.append((_unescape(value.strip()), label))
    return pairs


def _parse_list(text: str) -> list[str]:
    return [_unescape(p.strip()) for p in _split_escaped(text, ";") if p.strip()]


class _Staff:
    """username -> user, for owner/author columns. Staff are few, so all of them."""

    def __init__(self) -> None:
        self.users = {u.username: u for u in User.objects.only("id", "username")}

    def add(self, user: User) -> None:
        self.users[user.username] = user

    def user(self, username: str, column: str) -> User | None:
        if not username:
            return None
        if username not in self.users:
            raise _Bad(f"{column} “{username}” is not a Warmline user (add them to users.csv).")
        return self.users[username]

    def get(self, username: str, column: str) -> int | None:
        user = self.user(username, column)
        return user.pk if user else None


# --- The importer -------------------------------------------------------------------


class _DryRun(Exception):
    pass


class _Importer:
    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.staff = _Staff()
        # uuid -> "contacts.csv line N" for rows refused here, to explain what depends on them.
        self.refused: dict[uuid.UUID, str] = {}

    def bad(self, file: str, row: _Row, message: str, row_uuid: uuid.UUID | None = None) -> None:
        self.result.errors.append(RowError(file, row.line, message))
        self.result.tally(TALLY_KEYS[file]).rejected += 1
        if row_uuid is not None:
            self.refused[row_uuid] = f"{file} line {row.line}"

    def missing(self, what: str, key: uuid.UUID, file_hint: str) -> _Bad:
        if key in self.refused:
            return _Bad(f"{what} {key} was not imported (see {self.refused[key]}).")
        return _Bad(f"{what} {key} is neither in Warmline nor in {file_hint}.")

    # Teams and staff -------------------------------------------------------------

    def teams(self, rows: Iterable[_Row]) -> dict[str, str]:
        """Create missing teams; return {team name: manager username} for the new ones."""
        file, tally = "teams.csv", self.result.tally("teams")
        managers: dict[str, str] = {}
        existing = set(Team.objects.values_list("name", flat=True))
        with transaction.atomic():
            for row in rows:
                name = row.get("name")
                if not name:
                    self.bad(file, row, "name is empty.")
                    continue
                if name in existing:
                    tally.unchanged += 1
                    continue
                team = Team(name=name, time_zone=row.get("time_zone") or "UTC")
                try:
                    team.full_clean()
                except ValidationError as exc:
                    self.bad(file, row, _message(exc))
                    continue
                team.save()
                existing.add(name)
                managers[name] = row.get("manager")
                tally.created += 1
        return managers

    def users(self, rows: Iterable[_Row], managers: dict[str, str]) -> None:
        file, tally = "users.csv", self.result.tally("users")
        with transaction.atomic():
            for row in rows:
                username = row.get("username")
                if not username:
                    self.bad(file, row, "username is empty.")
                    continue
                if username in self.staff.users:
                    tally.unchanged += 1
                    continue
                try:
                    role = _parse_choice(row.get("role"), "role", Role.values, Role.REP)
                except _Bad as exc:
                    self.bad(file, row, str(exc))
                    continue
                team = None
                if row.get("team"):
                    team, _ = Team.objects.get_or_create(name=row.get("team"))
                user = User(
                    username=username,
                    email=row.get("email"),
                    first_name=row.get("first_name"),
                    last_name=row.get("last_name"),
                    role=role,
                    team=team,
                    title=row.get("title"),
                    direct_phone=row.get("direct_phone"),
                    mobile_phone=row.get("mobile_phone"),
                    time_zone=row.get("time_zone") or "UTC",
                    is_active=False,
                )
                user.set_unusable_password()
                try:
                    user.full_clean(exclude=["password", "team"])
                except ValidationError as exc:
                    self.bad(file, row, _message(exc))
                    continue
                user.save()
                self.staff.add(user)
                tally.created += 1
            for team_name, manager in managers.items():
                if manager and manager in self.staff.users:
                    Team.objects.filter(name=team_name).update(manager=self.staff.users[manager])

    # Accounts --------------------------------------------------------------------

    def accounts(self, rows: Iterable[_Row]) -> None:
        for batch in _batches(rows, ROW_BATCH):
            with transaction.atomic():
                self._account_batch(batch)

    def _account_batch(self, batch: list[_Row]) -> None:
        file, tally = "accounts.csv", self.result.tally("accounts")
        keys = {}
        for row in batch:
            with contextlib.suppress(_Bad):
                keys[row.line] = _parse_uuid(row.get("uuid"))
        stored = {a.uuid: a for a in Account.objects.filter(uuid__in=keys.values())}
        for row in batch:
            key = keys.get(row.line)
            try:
                key = key or _parse_uuid(row.get("uuid"))  # raises with the reason
                values = self._account_values(row)
                created_at = _parse_datetime(row.get("created_at"), "created_at")
                updated_at = _parse_datetime(row.get("updated_at"), "updated_at")
                account = stored.get(key)
                if account is not None and all(
                    getattr(account, name) == value for name, value in values.items()
                ):
                    tally.unchanged += 1
                    continue
                with transaction.atomic():
                    is_new = account is None
                    if account is None:
                        account = Account(uuid=key)
                    for name, value in values.items():
                        setattr(account, name, value)
                    account_save(account=account)
                    if is_new:
                        stamps = {"created_at": created_at, "updated_at": updated_at}
                        stamps = {k: v for k, v in stamps.items() if v is not None}
                        if stamps:
                            Account.objects.filter(pk=account.pk).update(**stamps)
                stored[key] = account
                if is_new:
                    tally.created += 1
                else:
                    tally.updated += 1
            except _Bad as exc:
                self.bad(file, row, str(exc), key)
            except ValidationError as exc:
                self.bad(file, row, _message(exc), key)
            except DatabaseError as exc:
                self.bad(file, row, f"the database refused the row ({exc}).", key)

    def _account_values(self, row: _Row) -> dict[str, Any]:
        """Normalised as `account_save` would store them, so comparing is meaningful."""
        country = row.get("country").upper()
        phone = row.get("phone")
        if phone:
            try:
                phone = phone_normalize(phone, region=country or None)
            except ValidationError as exc:
                raise _Bad(f"phone: {_message(exc)}") from exc
        return {
            "name": row.get("name"),
            "domain": row.get("domain").lower().removeprefix("www."),
            "industry": row.get("industry"),
            "tier": _parse_choice(row.get("tier"), "tier", Tier.values, Tier.STANDARD),
            "owner_id": self.staff.get(row.get("owner"), "owner"),
            "phone": phone,
            "website": row.get("website"),
            "city": row.get("city"),
            "country": country,
            "notes": row.raw("notes"),
        }

    # Contacts --------------------------------------------------------------------

    def contacts(self, rows: Iterable[_Row]) -> None:
        for batch in _batches(rows, ROW_BATCH):
            with transaction.atomic():
                self._contact_batch(batch)

    def _contact_batch(self, batch: list[_Row]) -> None:
        file = "contacts.csv"
        keys: dict[int, uuid.UUID] = {}
        account_keys: set[uuid.UUID] = set()
        for row in batch:
            with contextlib.suppress(_Bad):
                keys[row.line] = _parse_uuid(row.get("uuid"))
                if row.get("account_uuid"):
                    account_keys.add(_parse_uuid(row.get("account_uuid"), "account_uuid"))
        stored = {
            c.uuid: c
            for c in Contact.objects.filter(uuid__in=keys.values()).prefetch_related(
                "emails", "phones", "interests"
            )
        }
        accounts = {a.uuid: a for a in Account.objects.filter(uuid__in=account_keys)}
        for row in batch:
            key = keys.get(row.line)
            try:
                key = key or _parse_uuid(row.get("uuid"))  # raises with the reason
                self._contact_row(row, key, stored.get(key), accounts)
            except _Bad as exc:
                self.bad(file, row, str(exc), key)
            except ValidationError as exc:
                self.bad(file, row, _message(exc), key)
            except DatabaseError as exc:
                self.bad(file, row, f"the database refused the row ({exc}).", key)

    def _contact_row(
        self,
        row: _Row,
        key: uuid.UUID,
        contact: Contact | None,
        accounts: dict[uuid.UUID, Account],
    ) -> None:
        tally = self.result.tally("contacts")
        account = None
        account_key = _parse_optional_uuid(row.get("account_uuid"), "account_uuid")
        if account_key is not None:
            account = accounts.get(account_key)
            if account is None:
                raise self.missing("account", account_key, "accounts.csv")
        data = ContactData(
            first_name=row.get("first_name"),
            last_name=row.get("last_name"),
            title=row.get("title"),
            account=account,
            owner=self.staff.user(row.get("owner"), "owner"),
            emails=_parse_pairs(row.get("emails"), "emails"),
            phones=_parse_pairs(row.get("phones"), "phones"),
            time_zone=row.get("time_zone"),
            stage=_parse_choice(row.get("stage"), "stage", Stage.values, Stage.PROSPECT),
            interests=_parse_list(row.get("interests")),
            email_opt_in=_parse_bool(row.get("email_opt_in"), "email_opt_in"),
            do_not_call=_parse_bool(row.get("do_not_call"), "do_not_call"),
            reconnect_days=_parse_int(row.get("reconnect_days"), "reconnect_days"),
        )
        opt_in_at = _parse_datetime(row.get("email_opt_in_at"), "email_opt_in_at")
        touched_at = _parse_datetime(row.get("last_touch_at"), "last_touch_at")
        created_at = _parse_datetime(row.get("created_at"), "created_at")
        updated_at = _parse_datetime(row.get("updated_at"), "updated_at")

        if contact is not None and _contact_matches(contact, data, opt_in_at, touched_at):
            tally.unchanged += 1
            return
        is_new = contact is None
        with transaction.atomic():
            fix: dict[str, Any] = {}
            if contact is None:
                contact = contact_create(data=data)
                fix.update(uuid=key)
                if created_at:
                    fix["created_at"] = created_at
                if updated_at:
                    fix["updated_at"] = updated_at
            else:
                contact = contact_update(contact=contact, data=data)
            if opt_in_at:  # kept after an opt-out too: when they had agreed
                fix["email_opt_in_at"] = opt_in_at
            if touched_at and (contact.last_touch_at is None or contact.last_touch_at < touched_at):
                fix["last_touch_at"] = touched_at
            if fix:
                Contact.objects.filter(pk=contact.pk).update(**fix)
        if is_new:
            tally.created += 1
        else:
            tally.updated += 1

    # Facts and dates -------------------------------------------------------------

    def _contact_ids(self, batch: list[_Row]) -> dict[uuid.UUID, int]:
        keys = set()
        for row in batch:
            with contextlib.suppress(_Bad):
                keys.add(_parse_uuid(row.get("contact_uuid"), "contact_uuid"))
        return dict(Contact.objects.filter(uuid__in=keys).values_list("uuid", "id"))

    def _contact_id(self, row: _Row, contacts: dict[uuid.UUID, int]) -> int:
        key = _parse_uuid(row.get("contact_uuid"), "contact_uuid")
        if key not in contacts:
            raise self.missing("contact", key, "contacts.csv")
        return contacts[key]

    def facts(self, rows: Iterable[_Row]) -> None:
        file, tally = "personal_facts.csv", self.result.tally("personal_facts")
        for batch in _batches(rows, BULK_BATCH):
            contacts = self._contact_ids(batch)
            keys = _row_uuids(batch)
            stored = {f.uuid: f for f in PersonalFact.objects.filter(uuid__in=keys)}
            new: list[PersonalFact] = []
            stamps: dict[uuid.UUID, dt.datetime] = {}
            changed: list[PersonalFact] = []
            seen: set[uuid.UUID] = set()
            for row in batch:
                key = None
                try:
                    key = _parse_uuid(row.get("uuid"))
                    if key in seen:
                        raise _Bad(f"uuid {key} appears twice in the file.")
                    fact = PersonalFact(
                        uuid=key,
                        contact_id=self._contact_id(row, contacts),
                        kind=_parse_choice(row.get("kind"), "kind", FactKind.values, "other"),
                        text=row.get("text"),
                        created_by_id=self.staff.get(row.get("created_by"), "created_by"),
                    )
                    created_at = _parse_datetime(row.get("created_at"), "created_at")
                    fact.full_clean(
                        exclude=["contact", "created_by", "uuid"], validate_unique=False
                    )
                except _Bad as exc:
                    self.bad(file, row, str(exc))
                    continue
                except ValidationError as exc:
                    self.bad(file, row, _message(exc))
                    continue
                seen.add(key)
                old = stored.get(key)
                if old is None:
                    new.append(fact)
                    if created_at:
                        stamps[key] = created_at
                    tally.created += 1
                elif (old.contact_id, old.kind, old.text) != (
                    fact.contact_id,
                    fact.kind,
                    fact.text,
                ):
                    old.contact_id, old.kind, old.text = fact.contact_id, fact.kind, fact.text
                    changed.append(old)
                    tally.updated += 1
                else:
                    tally.unchanged += 1
            with transaction.atomic():
                PersonalFact.objects.bulk_create(new, batch_size=500)
                _restore_created_at(PersonalFact, new, stamps)
                PersonalFact.objects.bulk_update(changed, ["contact", "kind", "text"])

    def dates(self, rows: Iterable[_Row]) -> None:
        file, tally = "important_dates.csv", self.result.tally("important_dates")
        fields = ["contact_id", "kind", "label", "date", "recurs_yearly", "month_day"]
        for batch in _batches(rows, BULK_BATCH):
            contacts = self._contact_ids(batch)
            keys = _row_uuids(batch)
            stored = {d.uuid: d for d in ImportantDate.objects.filter(uuid__in=keys)}
            new: list[ImportantDate] = []
            changed: list[ImportantDate] = []
            touched: set[int] = set()  # contacts whose dates change
            seen: set[uuid.UUID] = set()
            for row in batch:
                try:
                    key = _parse_uuid(row.get("uuid"))
                    if key in seen:
                        raise _Bad(f"uuid {key} appears twice in the file.")
                    when = _parse_date(row.get("date"), "date")
                    item = ImportantDate(
                        uuid=key,
                        contact_id=self._contact_id(row, contacts),
                        kind=_parse_choice(row.get("kind"), "kind", DateKind.values, "other"),
                        label=row.get("label"),
                        date=when,
                        recurs_yearly=_parse_bool(
                            row.get("recurs_yearly"), "recurs_yearly", default=True
                        ),
                        month_day=when.month * 100 + when.day,
                    )
                    item.full_clean(exclude=["contact", "uuid"], validate_unique=False)
                except _Bad as exc:
                    self.bad(file, row, str(exc))
                    continue
                except ValidationError as exc:
                    self.bad(file, row, _message(exc))
                    continue
                seen.add(key)
                old = stored.get(key)
                if old is None:
                    new.append(item)
                    tally.created += 1
                elif any(getattr(old, f) != getattr(item, f) for f in fields):
                    touched.add(old.contact_id)  # (a date moved to another contact)
                    for f in fields:
                        setattr(old, f, getattr(item, f))
                    changed.append(old)
                    tally.updated += 1
                else:
                    tally.unchanged += 1
                    continue
                touched.add(item.contact_id)
            with transaction.atomic():
                ImportantDate.objects.bulk_create(new, batch_size=500)
                ImportantDate.objects.bulk_update(changed, [f.removesuffix("_id") for f in fields])
                if touched:  # dates are reasons to call: the owners' call queues
                    reasons_changed(contact_ids=touched)

    # Timeline --------------------------------------------------------------------

    def interactions(self, rows: Iterable[_Row]) -> None:
        deferred: list[_Entry] = []
        for batch in _batches(rows, BULK_BATCH):
            with transaction.atomic():
                deferred.extend(self._interaction_batch(batch))
        # Corrections whose original came later in the file (not in our own exports).
        with transaction.atomic():
            while deferred:
                ready = [e for e in deferred if self._correct_target(e.corrects) is not None]
                if not ready:
                    break
                for entry in ready:
                    entry.obj.corrects_id = self._correct_target(entry.corrects)
                self._insert(ready)
                deferred = [e for e in deferred if e not in ready]
        for entry in deferred:
            assert entry.corrects is not None
            where = self.refused.get(entry.corrects)
            reason = (
                f"corrects {entry.corrects}, which was not imported (see {where})."
                if where
                else f"corrects {entry.corrects}, which is neither in Warmline nor in "
                "interactions.csv."
            )
            self.result.errors.append(RowError("interactions.csv", entry.line, reason))
            tally = self.result.tally("interactions")
            tally.created -= 1
            tally.rejected += 1

    def _correct_target(self, key: uuid.UUID | None) -> int | None:
        if key is None:
            return None
        return Interaction.objects.filter(uuid=key).values_list("id", flat=True).first()

    def _interaction_batch(self, batch: list[_Row]) -> list[_Entry]:
        file, tally = "interactions.csv", self.result.tally("interactions")
        keys = _row_uuids(batch)
        stored = set(Interaction.objects.filter(uuid__in=keys).values_list("uuid", flat=True))
        contact_keys, account_keys, external = set(), set(), set()
        for row in batch:
            with contextlib.suppress(_Bad):
                contact_keys.add(_parse_uuid(row.get("contact_uuid"), "contact_uuid"))
                if row.get("account_uuid"):
                    account_keys.add(_parse_uuid(row.get("account_uuid"), "account_uuid"))
            if row.get("external_id"):
                external.add(row.get("external_id"))
        contacts: dict[uuid.UUID, tuple[int, int | None]] = {
            k: (pk, account_id)
            for k, pk, account_id in Contact.objects.filter(uuid__in=contact_keys).values_list(
                "uuid", "id", "account_id"
            )
        }
        accounts = dict(Account.objects.filter(uuid__in=account_keys).values_list("uuid", "id"))
        taken = {
            (source, ext): str(u)
            for source, ext, u in Interaction.objects.filter(external_id__in=external)
            .exclude(uuid__in=keys)
            .values_list("source", "external_id", "uuid")
        }
        now = timezone.now()
        entries: list[_Entry] = []
        seen: set[uuid.UUID] = set()
        for row in batch:
            key: uuid.UUID | None = None
            try:
                key = _parse_uuid(row.get("uuid"))
                if key in seen:
                    raise _Bad(f"uuid {key} appears twice in the file.")
                if key in stored:
                    seen.add(key)
                    tally.unchanged += 1
                    continue
                entry = self._entry(row, key, contacts, accounts, now)
                pair = (entry.obj.source, entry.obj.external_id)
                if entry.obj.external_id:
                    if pair in taken:
                        raise _Bad(
                            f"an entry from {pair[0]} with external id “{pair[1]}” is already "
                            f"on the timeline (uuid {taken[pair]})."
                        )
                    taken[pair] = str(key)
            except _Bad as exc:
                self.bad(file, row, str(exc), key)
                continue
            seen.add(key)
            entries.append(entry)
            tally.created += 1

        deferred: list[_Entry] = []
        pending: list[_Entry] = []
        pending_keys: set[uuid.UUID] = set()
        for entry in entries:
            if entry.corrects is not None:
                if entry.corrects in pending_keys:
                    self._insert(pending)
                    pending, pending_keys = [], set()
                target = self._correct_target(entry.corrects)
                if target is None:
                    deferred.append(entry)
                    continue
                entry.obj.corrects_id = target
            pending.append(entry)
            pending_keys.add(entry.obj.uuid)
        self._insert(pending)
        return deferred

    def _entry(
        self,
        row: _Row,
        key: uuid.UUID,
        contacts: dict[uuid.UUID, tuple[int, int | None]],
        accounts: dict[uuid.UUID, int],
        now: dt.datetime,
    ) -> _Entry:
        contact_key = _parse_uuid(row.get("contact_uuid"), "contact_uuid")
        if contact_key not in contacts:
            raise self.missing("contact", contact_key, "contacts.csv")
        contact_id, contact_account_id = contacts[contact_key]
        account_id = contact_account_id
        if "account_uuid" in row.values:
            account_key = _parse_optional_uuid(row.get("account_uuid"), "account_uuid")
            account_id = None
            if account_key is not None:
                if account_key not in accounts:
                    raise self.missing("account", account_key, "accounts.csv")
                account_id = accounts[account_key]
        kind = _parse_choice(row.get("kind"), "kind", Kind.values, "")
        outcome = _parse_choice(row.get("outcome"), "outcome", Outcome.values, "")
        author_id = self.staff.get(row.get("author"), "author")
        occurred_at = _parse_datetime(row.get("occurred_at"), "occurred_at")
        if occurred_at is None:
            raise _Bad("occurred_at is empty.")
        if occurred_at > now + dt.timedelta(minutes=5):
            raise _Bad(f"occurred_at {occurred_at.isoformat()} is in the future.")
        subject = row.get("subject")
        external_id = row.get("external_id")
        for column, text in (("subject", subject), ("external_id", external_id)):
            if len(text) > 200:
                raise _Bad(f"{column} is longer than 200 characters.")
        try:
            data = json.loads(row.get("data")) if row.get("data") else {}
        except json.JSONDecodeError as exc:
            raise _Bad(f"data is not valid JSON ({exc.msg}).") from exc
        personal = row.get("is_personal")
        obj = Interaction(
            uuid=key,
            contact_id=contact_id,
            account_id=account_id,
            kind=kind,
            direction=_parse_choice(
                row.get("direction"), "direction", Direction.values, Direction.OUTBOUND
            ),
            outcome=outcome,
            author_id=author_id,
            subject=subject,
            body=row.raw("body"),
            occurred_at=occurred_at,
            source=_parse_choice(row.get("source"), "source", Source.values, Source.IMPORT),
            external_id=external_id,
            is_personal=(
                _parse_bool(personal, "is_personal")
                if personal
                else interaction_is_personal(kind=kind, outcome=outcome, author_id=author_id)
            ),
            data=data,
        )
        return _Entry(
            line=row.line,
            obj=obj,
            corrects=_parse_optional_uuid(row.get("corrects_uuid"), "corrects_uuid"),
            created_at=_parse_datetime(row.get("created_at"), "created_at"),
        )

    def _insert(self, entries: list[_Entry]) -> None:
        if not entries:
            return
        objs = [e.obj for e in entries]
        Interaction.objects.bulk_create(objs, batch_size=500)
        _restore_created_at(
            Interaction, objs, {e.obj.uuid: e.created_at for e in entries if e.created_at}
        )
        touched = {o.contact_id for o in objs if o.is_personal}
        if touched:
            _last_touch_refresh(touched)
            # A personal touch settles a reconnect: the owners' call queues. (The timeline's
            # services announce each entry to the touches registry; this bulk path keeps
            # last_touch_at itself, so it says so itself too.)
            reasons_changed(contact_ids=touched)


@dataclass(eq=False)
class _Entry:
    line: int
    obj: Interaction
    corrects: uuid.UUID | None
    created_at: dt.datetime | None


def _row_uuids(batch: list[_Row]) -> set[uuid.UUID]:
    keys = set()
    for row in batch:
        with contextlib.suppress(_Bad):
            keys.add(_parse_uuid(row.get("uuid")))
    return keys


def _restore_created_at(
    model: type[PersonalFact] | type[Interaction],
    objs: list[Any],
    stamps: dict[uuid.UUID, dt.datetime],
) -> None:
    """bulk_create stamps created_at with now (auto_now_add); put the exported times back.

    One prepared UPDATE run with executemany: the ORM's CASE/WHEN equivalent costs more
    to build than the insert itself at a million rows.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column or "id")
    adapt = connection.ops.adapt_datetimefield_value
    params = [(adapt(stamps[o.uuid]), o.pk) for o in objs if o.uuid in stamps]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET created_at = %s WHERE {pk} = %s",  # noqa: S608 - our names
                params,
            )


def _last_touch_refresh(contact_ids: Iterable[int]) -> None:
    """Move last_touch_at forward to the latest personal entry (never backwards)."""
    latest = (
        Interaction.objects.filter(contact=OuterRef("pk"), is_personal=True)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    Contact.objects.filter(pk__in=list(contact_ids)).filter(
        Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=Subquery(latest))
    ).update(last_touch_at=Subquery(latest))


def _contact_matches(
    contact: Contact,
    data: ContactData,
    opt_in_at: dt.datetime | None,
    touched_at: dt.datetime | None,
) -> bool:
    """Would importing `data` leave `contact` as it is? Values are normalised the way
    the services store them; any value the services would refuse means "no"."""
    region = data.account.country if data.account and data.account.country else None
    try:
        emails = _dedupe((email_normalize(a), label or "work") for a, label in data.emails if a)
        phones = _dedupe(
            (phone_normalize(n, region=region), label or "work") for n, label in data.phones if n
        )
    except ValidationError:
        return False
    time_zone = data.time_zone.strip() or (phone_time_zone(phones[0][0]) if phones else "")
    interests = {n.strip().lower()[:60] for n in data.interests if n.strip()}
    same = (
        contact.first_name == data.first_name.strip()
        and contact.last_name == data.last_name.strip()
        and contact.title == data.title.strip()
        and contact.account_id == (data.account.pk if data.account else None)
        and contact.owner_id == (data.owner.pk if data.owner else None)
        and contact.stage == data.stage
        and contact.email_opt_in == data.email_opt_in
        and contact.do_not_call == data.do_not_call
        and contact.reconnect_days == data.reconnect_days
        and contact.time_zone == time_zone
        and [(e.address, e.label) for e in contact.emails.all()] == emails
        and [(p.number, p.label) for p in contact.phones.all()] == phones
        and {t.name for t in contact.interests.all()} == interests
    )
    if not same:
        return False
    if opt_in_at and contact.email_opt_in_at != opt_in_at:
        return False
    return not (
        touched_at and (contact.last_touch_at is None or contact.last_touch_at < touched_at)
    )


def _dedupe(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for value, label in pairs:
        seen.setdefault(value, label)
    return list(seen.items())


# --- Entry points -------------------------------------------------------------------


def _read_manifest(source: ImportSource) -> None:
    if not source.has(MANIFEST_FILE):
        return
    with source.open_binary(MANIFEST_FILE) as handle:
        try:
            manifest = json.loads(handle.read().decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImportFileError(f"{MANIFEST_FILE} is not valid JSON ({exc}).") from exc
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise ImportFileError(
            f"This export was written by a newer Warmline (schema version {version}); this "
            f"one reads up to version {SCHEMA_VERSION}. Upgrade Warmline, then import again."
        )


def import_from_source(
    *,
    source: ImportSource,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import every export file `source` has, in dependency order."""
    present = [name for name in CSV_FILES if source.has(name)]
    if not present:
        raise ImportFileError(
            f"{source.label} holds none of the export files ({', '.join(CSV_FILES)})."
        )
    _read_manifest(source)
    result = ImportResult(source=source.label, dry_run=dry_run)
    started = time.monotonic()
    importer = _Importer(result)

    def rows(name: str) -> Iterator[_Row]:
        if not source.has(name):
            return iter(())
        return _read_rows(source, name, result, progress)

    try:
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            managers = importer.teams(rows("teams.csv"))
            importer.users(rows("users.csv"), managers)
            importer.accounts(rows("accounts.csv"))
            importer.contacts(rows("contacts.csv"))
            importer.facts(rows("personal_facts.csv"))
            importer.dates(rows("important_dates.csv"))
            importer.interactions(rows("interactions.csv"))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    for name in present:
        result.tally(TALLY_KEYS[name])
    result.seconds = time.monotonic() - started
    return result


def import_path(
    *,
    path: Path,
    owner: User | None = None,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import a directory or .zip written by `warmline export`, or a .vcf of contacts
    (which needs `owner`: the rep whose book the new contacts go into)."""
    if not path.exists():
        raise ImportFileError(f"{path} does not exist.")
    if path.is_dir():
        return import_from_source(source=DirectorySource(path), progress=progress, dry_run=dry_run)
    suffix = path.suffix.lower()
    if suffix in (".vcf", ".vcard"):
        if owner is None:
            raise ImportFileError(
                "Say whose book the contacts go into: --owner USERNAME (a rep or manager)."
            )
        return import_vcards(
            data=path.read_bytes(),
            owner=owner,
            label=path.name,
            progress=progress,
            dry_run=dry_run,
        )
    if suffix == ".zip" or zipfile.is_zipfile(path):
        source = ZipSource(path)
        try:
            return import_from_source(source=source, progress=progress, dry_run=dry_run)
        finally:
            source.close()
    raise ImportFileError(
        f"{path} is not an export directory, a .zip of one, or a .vcf file of contacts."
    )


# --- vCard files --------------------------------------------------------------------

VCARD_NAMESPACE = uuid.UUID("4b1f4f5e-58f4-4c52-9d53-2f2a4c3e8d11")


def vcard_contact_uuid(card: VCard) -> uuid.UUID:
    """The contact uuid for a card: its UID when that is a uuid (our own exports),
    otherwise derived from the UID or, without one, from name, e-mail and phone, so
    importing the same file twice finds the same contacts."""
    uid = card.uid.strip()
    if uid.lower().startswith("urn:uuid:"):
        uid = uid[9:]
    if uid:
        try:
            return uuid.UUID(uid)
        except ValueError:
            return uuid.uuid5(VCARD_NAMESPACE, f"uid:{uid}")
    first_email = card.emails[0][0].lower() if card.emails else ""
    first_phone = "".join(ch for ch in card.phones[0][0] if ch.isdigit()) if card.phones else ""
    return uuid.uuid5(
        VCARD_NAMESPACE, f"card:{card.display_name.lower()}|{first_email}|{first_phone}"
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and "BEGIN:VCARD" not in text.upper():
            continue
        return text
    return data.decode("cp1252", errors="replace")


_FACT_KINDS = {str(label).lower(): value for value, label in FactKind.choices}


def _note_facts(lines: list[str]) -> list[tuple[str, str]]:
    """NOTE lines as (kind, text): "Family: two kids" (as we export them) keeps its kind."""
    facts = []
    for line in lines:
        label, sep, rest = line.partition(": ")
        kind = _FACT_KINDS.get(label.strip().lower()) if sep else None
        text = rest.strip() if kind else line.strip()
        for piece in textwrap.wrap(text, 500) or [text]:
            facts.append((kind or FactKind.OTHER.value, piece))
    return facts


def import_vcards(
    *,
    data: bytes,
    owner: User,
    label: str = "contacts.vcf",
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Contacts from a vCard file (a phone's or an address book's export) into `owner`'s
    book. Cards already imported (same UID) are updated in what a vCard carries (name,
    title, company, e-mails, phones, interests); their owner, stage and consent stay."""
    result = ImportResult(source=label, dry_run=dry_run)
    started = time.monotonic()
    cards = vcard_read(_decode(data))
    tally = result.tally("contacts")
    accounts: dict[str, Account] = {}
    try:
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            for start in range(0, len(cards), VCARD_BATCH):
                with transaction.atomic():
                    for card in cards[start : start + VCARD_BATCH]:
                        _vcard_one(card, owner, accounts, result, label)
                if progress:
                    progress(label, min(start + VCARD_BATCH, len(cards)), len(cards))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    result.tally("accounts")
    tally.rejected = sum(1 for e in result.errors if e.file == label)
    result.seconds = time.monotonic() - started
    return result


def _vcard_one(
    card: VCard, owner: User, accounts: dict[str, Account], result: ImportResult, label: str
) -> None:
    who = card.display_name or "a card without a name"
    if card.errors:
        result.errors.append(RowError(label, card.line, f"{who}: {' '.join(card.errors)}"))
        return
    key = vcard_contact_uuid(card)
    contact = (
        Contact.objects.filter(uuid=key)
        .select_related("account", "owner")
        .prefetch_related("emails", "phones", "interests")
        .first()
    )
    created = changed = False
    try:
        with transaction.atomic():
            account = _vcard_account(card.org, owner, accounts, result) if card.org else None
            if contact is None:
                data = ContactData(
                    first_name=card.first_name or card.last_name,
                    last_name=card.last_name if card.first_name else "",
                    title=card.title,
                    account=account,
                    owner=owner,
                    emails=card.emails,
                    phones=card.phones,
                    interests=card.categories,
                )
                contact = contact_create(data=data)
                Contact.objects.filter(pk=contact.pk).update(uuid=key)
                contact.uuid = key
                created = True
            else:
                data = ContactData(
                    first_name=card.first_name or card.last_name,
                    last_name=card.last_name if card.first_name else "",
                    title=card.title,
                    account=account or contact.account,
                    owner=contact.owner,
                    emails=card.emails,
                    phones=card.phones,
                    time_zone=contact.time_zone,
                    stage=contact.stage,
                    interests=card.categories,
                    email_opt_in=contact.email_opt_in,
                    do_not_call=contact.do_not_call,
                    reconnect_days=contact.reconnect_days,
                )
                if not _contact_matches(contact, data, None, None):
                    contact = contact_update(contact=contact, data=data)
                    changed = True
            changed = _vcard_facts_and_birthday(card, contact, owner) or changed
    except ValidationError as exc:
        result.errors.append(RowError(label, card.line, f"{who}: {_message(exc)}"))
        return
    except DatabaseError as exc:
        result.errors.append(
            RowError(label, card.line, f"{who}: the database refused the card ({exc}).")
        )
        return
    tally = result.tally("contacts")
    if created:
        tally.created += 1
    elif changed:
        tally.updated += 1
    else:
        tally.unchanged += 1


def _vcard_account(
    name: str, owner: User, cache: dict[str, Account], result: ImportResult
) -> Account:
    folded = name.strip().lower()
    if folded not in cache:
        account = Account.objects.filter(name__iexact=name.strip()).order_by("id").first()
        if account is None:
            account = account_save(account=Account(name=name.strip()[:200], owner=owner))
            result.tally("accounts").created += 1
        cache[folded] = account
    return cache[folded]


def _vcard_facts_and_birthday(card: VCard, contact: Contact, owner: User) -> bool:
    """Add NOTE lines as facts and BDAY as a birthday unless the contact has them."""
    added = False
    known = set(PersonalFact.objects.filter(contact=contact).values_list("text", flat=True))
    for kind, text in _note_facts(card.note_lines):
        if text not in known:
            fact_add(contact=contact, kind=kind, text=text, actor=owner)
            known.add(text)
            added = True
    if (
        card.birthday
        and not ImportantDate.objects.filter(
            contact=contact, kind=DateKind.BIRTHDAY, date=card.birthday
        ).exists()
    ):
        important_date_add(contact=contact, kind=DateKind.BIRTHDAY, date=card.birthday)
        added = True
    return added
