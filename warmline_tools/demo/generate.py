"""Build the demo company (or the benchmark's large book) straight into the database.

The rows are exactly what the services would store — E.164 phones, lower-case e-mails,
ContactEmail/ContactPhone rows with one primary, `search_text` from `search_text_build`,
`ImportantDate.month_day`, `Interaction.is_personal` from `interaction_is_personal` and
`Contact.last_touch_at` equal to the newest personal touch — but written in bulk, in
chunks: accounts and contacts with `bulk_create` (their ids are needed), the rows that hang
off them with one `executemany` per table (`fastinsert.rows_insert`). 100,000 contacts with
two million timeline entries take minutes instead of hours.

Everything random comes from one `random.Random(seed)` and seeded Faker instances, and every
date is relative to `now`: the same seed and `now` give the same rows (uuids included).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from faker import Faker

from warmline.core.phones import phone_time_zone
from warmline.people.models import (
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    DateKind,
    ImportantDate,
    PersonalFact,
    Stage,
    Tag,
    Tier,
)
from warmline.people.search import search_text_build, unaccented
from warmline.timeline.models import Direction, Interaction, Kind, Outcome, Source
from warmline.timeline.services import interaction_is_personal
from warmline.users.models import Role, Team, User
from warmline_tools.demo import vocab
from warmline_tools.demo.fastinsert import rows_insert
from warmline_tools.demo.phones import PhoneMaker

DEMO_PASSWORD = "warmline-demo"
STAFF_DOMAIN = "northwind.example"
UTC = dt.UTC

ProgressFn = Callable[[int], None]


@dataclass(frozen=True)
class DemoSize:
    """How big a company to build. The defaults are the demo company of `warmline demo`."""

    accounts: int = 300
    contacts: int = 2000
    reps: int = 5
    # None: a realistic year that varies per contact; a number: exactly that many each.
    entries_per_contact: int | None = None
    seed: int = 1729
    chunk: int = 500  # contacts written per transaction


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    name: str


@dataclass
class DemoResult:
    users: int = 0
    accounts: int = 0
    contacts: int = 0
    interactions: int = 0
    facts: int = 0
    dates: int = 0
    logins: list[Login] = field(default_factory=list)


# (username, first name, last name, role, title) of the named staff.
MANAGER = ("maria", "Maria", "Lindqvist", Role.MANAGER, "Sales Manager, East")
NAMED_REPS = (
    ("rita", "Rita", "Okafor", Role.REP, "Account Executive"),
    ("ravi", "Ravi", "Patel", Role.REP, "Account Executive"),
    ("sam", "Sam", "Whitaker", Role.REP, "Senior Account Executive"),
    ("lena", "Lena", "Hoffmann", Role.REP, "Account Executive"),
    ("tomas", "Tomás", "Ortega", Role.REP, "Account Executive"),
)
OTHER_STAFF = (
    ("mark", "Mark", "Dubois", Role.MARKETER, "Marketing Manager"),
    ("agnes", "Agnes", "Berg", Role.AGENT, "Service Desk Agent"),
)
ADMIN = ("ada", "Ada", "Kowalczyk", Role.ADMIN, "Administrator")
MARKER_USERNAME = MANAGER[0]


def demo_reps() -> list[User]:
    """Every active rep, by username: whose books the feature loaders fill by default."""
    return list(User.objects.filter(role=Role.REP, is_active=True).order_by("username"))


def demo_rep_parts(reps: list[User]) -> dict[int, str]:
    """Which named demo rep's part each rep plays in the feature loaders (questions, cases,
    callbacks): a named rep plays their own; the others (a benchmark's bigger company)
    take the named reps' parts in turn, so every book gets the same mix."""
    named = [spec[0] for spec in NAMED_REPS]
    parts: dict[int, str] = {}
    others = 0
    for rep in reps:
        if rep.username in named:
            parts[rep.pk] = rep.username
        else:
            parts[rep.pk] = named[others % len(named)]
            others += 1
    return parts


FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")

# Timeline kinds with their weights in a normal year; "quiet" contacts only get the ones
# that are not a personal touch.
_KIND_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("call_connected", 18),
    ("call_no_answer", 8),
    ("call_busy", 2),
    ("call_wrong", 1),
    ("voicemail", 10),
    ("meeting", 6),
    ("note", 9),
    ("email_out", 13),
    ("email_in", 6),
    ("checkin", 4),
    ("newsletter_sent", 8),
    ("newsletter_opened", 5),
    ("newsletter_clicked", 2),
    ("page_viewed", 6),
)
_PERSONAL = {"call_connected", "meeting", "email_out", "checkin"}
_CALLS = {"call_connected", "call_no_answer", "call_busy", "call_wrong", "voicemail"}
_NEWSLETTER = {"newsletter_sent", "newsletter_opened", "newsletter_clicked"}
PROFILES = ("active", "steady", "drifting", "quiet")


def _cumulative(weights: list[int]) -> list[int]:
    return list(itertools.accumulate(weights))


_ALL_KINDS = [k for k, _ in _KIND_WEIGHTS]
_ALL_CUM = _cumulative([w for _, w in _KIND_WEIGHTS])
_QUIET_KINDS = [k for k, _ in _KIND_WEIGHTS if k not in _PERSONAL]
_QUIET_CUM = _cumulative([w for k, w in _KIND_WEIGHTS if k not in _PERSONAL])


def ascii_slug(text: str) -> str:
    """ "Müller-Lüdenscheidt GmbH" -> "mullerludenscheidtgmbh" (for e-mail local parts)."""
    return "".join(ch for ch in unaccented(text.lower()) if ch.isascii() and ch.isalnum())


@contextmanager
def explicit_timestamps() -> Iterator[None]:
    """Let the loader set created_at/updated_at itself (a year of history is not "now").

    Only for the single-threaded loaders in this package: it switches off auto_now and
    auto_now_add on the models it writes, and restores them afterwards.
    """
    switched: list[tuple[models.DateTimeField, bool, bool]] = []
    for model in (Account, Contact):
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                switched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in switched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class _Account:
    pk: int
    name: str
    domain: str
    market: vocab.Market
    city: str
    industry: str
    owner_id: int | None
    is_customer: bool
    is_key: bool
    customer_since: dt.date | None


class _Entry(NamedTuple):
    """One timeline entry waiting for its contact's id (columns of INTERACTION_FIELDS)."""

    uuid: uuid.UUID
    account_id: int | None
    kind: str
    direction: str
    outcome: str
    author_id: int | None
    subject: str
    body: str
    occurred_at: dt.datetime
    created_at: dt.datetime
    source: str
    is_personal: bool
    data: dict[str, str]


INTERACTION_FIELDS = (
    "uuid",
    "contact",
    "account",
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
    "corrects",
    "data",
)
FACT_FIELDS = ("uuid", "contact", "kind", "text", "created_by", "created_at")
DATE_FIELDS = ("uuid", "contact", "kind", "label", "date", "recurs_yearly", "month_day")


@dataclass
class _Person:
    """A contact being built, with the rows that hang off it."""

    contact: Contact
    account: _Account | None
    market: vocab.Market
    is_first: bool
    emails: list[tuple[str, str]]
    phones: list[tuple[str, str]]
    tag_ids: list[int]
    slots: dict[str, object]
    entries: list[_Entry] = field(default_factory=list)


def _safe_date(year: int, month: int, day: int) -> dt.date:
    """29 February only exists in leap years; use the 28th otherwise."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, 28)


NAME_POOL = 400


def _plausible(last_name: str) -> bool:
    """Faker's de_DE list has a few joke entries ("auch Schlauchin"); leave those out."""
    return not last_name.startswith("auch ") and " auch " not in last_name


class DemoBuilder:
    """Writes one company. Call `run()` once; `result` has the counts."""

    def __init__(self, *, size: DemoSize, now: dt.datetime, progress: ProgressFn | None = None):
        self.size = size
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.progress = progress or (lambda n: None)
        self.rng = random.Random(size.seed)
        self.phones = PhoneMaker(random.Random(size.seed + 1))
        # Faker's weighted name lists are slow to draw from (~0.1 ms a name), so each
        # locale's names are drawn once into pools and picked with the seeded generator.
        self.first_names: dict[str, list[str]] = {}
        self.last_names: dict[str, list[str]] = {}
        for i, market in enumerate(vocab.MARKETS):
            fake = Faker(market.locale)
            fake.seed_instance(size.seed + 100 + i)
            self.first_names[market.locale] = [fake.first_name() for _ in range(NAME_POOL)]
            self.last_names[market.locale] = [
                name for name in (fake.last_name() for _ in range(NAME_POOL)) if _plausible(name)
            ]
        self.market_cum = _cumulative([m.weight for m in vocab.MARKETS])
        self.result = DemoResult()
        self.offsets: dict[tuple[str, dt.date], dt.timedelta] = {}
        self.used_domains: set[str] = set()
        self.used_emails: set[str] = set()
        self.tag_ids: list[int] = []
        self.rep_ids: list[int] = []
        self.rep_zones: dict[int, str] = {}

    # --- helpers ---------------------------------------------------------------------

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _market(self) -> vocab.Market:
        return self.rng.choices(vocab.MARKETS, cum_weights=self.market_cum)[0]

    def _days_ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def _first(self, locale: str) -> str:
        return self.rng.choice(self.first_names[locale])

    def _last(self, locale: str) -> str:
        return self.rng.choice(self.last_names[locale])

    def _utc_offset(self, zone_name: str, day: dt.date) -> dt.timedelta:
        """The zone's UTC offset at noon on `day` (summer time included)."""
        key = (zone_name, day)
        if key not in self.offsets:
            noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            offset = noon.astimezone(ZoneInfo(zone_name)).utcoffset() if zone_name else None
            self.offsets[key] = offset or dt.timedelta(0)
        return self.offsets[key]

    def _business_time(
        self, days_ago: float, zone: str, rep_zone: str | None = None
    ) -> dt.datetime:
        """A moment in the contact's office hours (8:00-18:00, weekdays) about `days_ago`
        days back, and in the rep's too where the two overlap (else in the rep's: nobody
        logs a call at 02:00)."""
        day = (self.now - dt.timedelta(days=days_ago)).date()
        weekday = day.weekday()
        if weekday >= 5:
            day -= dt.timedelta(days=weekday - 4)
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)

        def office(zone_name: str) -> tuple[dt.datetime, dt.datetime]:
            opens = midnight + dt.timedelta(hours=8) - self._utc_offset(zone_name, day)
            return opens, opens + dt.timedelta(hours=10)

        start, end = office(zone)
        if rep_zone is not None:
            rep_start, rep_end = office(rep_zone)
            start, end = max(start, rep_start), min(end, rep_end)
            if end - start < dt.timedelta(minutes=30):
                start, end = rep_start, rep_end
        minutes = int((end - start).total_seconds() // 60)
        when = start + dt.timedelta(minutes=self.rng.randrange(0, minutes, 5))
        if when >= self.now:
            when = self.now - dt.timedelta(hours=self.rng.randint(20, 60))
        return when

    # --- run ---------------------------------------------------------------------------

    def run(self) -> DemoResult:
        with explicit_timestamps():
            with transaction.atomic():
                self._users()
                self._tags()
                accounts = self._accounts()
            self._contacts(accounts)
        return self.result

    # --- staff -------------------------------------------------------------------------

    def _users(self) -> None:
        password = make_password(DEMO_PASSWORD)
        joined = self._days_ago(720)
        east = Team.objects.create(name="East", time_zone="America/New_York")

        def add(spec: tuple[str, str, str, str, str], team: Team | None, **extra: object) -> User:
            username, first, last, role, title = spec
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{STAFF_DOMAIN}",
                role=role,
                title=title,
                team=team,
                password=password,
                date_joined=joined,
                time_zone=team.time_zone if team else "America/New_York",
                direct_phone=self.phones.office("US", "Charlotte"),
                mobile_phone=self.phones.mobile("US", "Charlotte"),
                **extra,
            )
            user.save()
            self.result.logins.append(Login(role=role, username=username, name=str(user)))
            return user

        maria = add(MANAGER, east)
        east.manager = maria
        east.save()
        reps = [add(spec, east) for spec in NAMED_REPS[: self.size.reps]]
        # A bigger company (the benchmark) gets more teams of five, each with a manager.
        us = "en_US"
        team: Team | None = None
        for i in range(len(reps), self.size.reps):
            if (i - len(NAMED_REPS)) % 5 == 0 or team is None:
                number = (i - len(NAMED_REPS)) // 5 + 2
                team = Team.objects.create(name=f"Team {number}", time_zone="America/Chicago")
                manager = add(
                    (
                        f"manager{number:02d}",
                        self._first(us),
                        self._last(us),
                        Role.MANAGER,
                        "Sales Manager",
                    ),
                    team,
                )
                team.manager = manager
                team.save()
            reps.append(
                add(
                    (
                        f"rep{i + 1:03d}",
                        self._first(us),
                        self._last(us),
                        Role.REP,
                        "Account Executive",
                    ),
                    team,
                )
            )
        for spec in OTHER_STAFF:
            add(spec, None)
        add(ADMIN, None, is_staff=True, is_superuser=True)
        self.rep_ids = [r.pk for r in reps]
        self.rep_zones = {r.pk: r.time_zone for r in reps}
        self.result.users = User.objects.count()

    def _tags(self) -> None:
        Tag.objects.bulk_create([Tag(name=name) for name in vocab.TAGS], ignore_conflicts=True)
        by_name = dict(Tag.objects.filter(name__in=vocab.TAGS).values_list("name", "id"))
        self.tag_ids = [by_name[name] for name in vocab.TAGS]

    # --- accounts ----------------------------------------------------------------------

    def _company_name(self, market: vocab.Market, city: str) -> str:
        locale = market.locale
        suffix = self.rng.choice(market.legal_suffixes)
        pattern = self.rng.random()
        if pattern < 0.45:
            return f"{self._last(locale)} {self.rng.choice(vocab.COMPANY_WORDS)} {suffix}"
        if pattern < 0.7:
            return f"{self._last(locale)} & {self._last(locale)} {suffix}"
        if pattern < 0.85:
            return f"{city} {self.rng.choice(vocab.COMPANY_WORDS)} {suffix}"
        return f"{self._last(locale)} {suffix}"

    def _domain(self, name: str, market: vocab.Market) -> str:
        words = [w for w in (ascii_slug(w) for w in name.replace("&", " ").split()) if w]
        stem = "".join(words[:2])[:30] or "company"
        tld = self.rng.choice(market.tlds)
        domain = f"{stem}.{tld}"
        n = 2
        while domain in self.used_domains:
            domain = f"{stem}{n}.{tld}"
            n += 1
        self.used_domains.add(domain)
        return domain

    def _accounts(self) -> list[_Account]:
        rows: list[Account] = []
        infos: list[_Account] = []
        for _ in range(self.size.accounts):
            market = self._market()
            city = self.rng.choice(market.cities)
            name = self._company_name(market, city)
            domain = self._domain(name, market)
            is_key = self.rng.random() < 0.12
            is_customer = is_key or self.rng.random() < 0.72
            owner_id = self.rng.choice(self.rep_ids) if self.rng.random() > 0.01 else None
            created = self._days_ago(self.rng.randint(400, 3200))
            since = None
            if is_customer:
                since = dt.date(self.rng.randint(2008, self.today.year - 1), 1, 1) + dt.timedelta(
                    days=self.rng.randint(0, 364)
                )
            industry = self.rng.choice(vocab.INDUSTRIES)
            notes = ""
            if is_key:
                notes = (
                    f"Key account. Framework agreement until {self.today.year + 1}; "
                    f"{self.rng.randint(2, 9)} sites."
                )
            rows.append(
                Account(
                    uuid=self._uuid(),
                    name=name,
                    domain=domain,
                    industry=industry,
                    tier=Tier.KEY if is_key else Tier.STANDARD,
                    owner_id=owner_id,
                    phone=self.phones.office(market.country, city),
                    website=f"https://www.{domain}",
                    city=city,
                    country=market.country,
                    notes=notes,
                    created_at=created,
                    updated_at=created,
                )
            )
            infos.append(
                _Account(
                    pk=0,
                    name=name,
                    domain=domain,
                    market=market,
                    city=city,
                    industry=industry,
                    owner_id=owner_id,
                    is_customer=is_customer,
                    is_key=is_key,
                    customer_since=since,
                )
            )
        Account.objects.bulk_create(rows, batch_size=1000)
        for row, info in zip(rows, infos, strict=True):
            info.pk = row.pk
        self.result.accounts = len(rows)
        return infos

    # --- contacts ----------------------------------------------------------------------

    def _contact_plan(self, accounts: list[_Account]) -> list[_Account | None]:
        """Which account each contact works at: every account gets one, key accounts more,
        and about 2% are web leads without a company."""
        total = self.size.contacts
        leads = max(total // 50, 1) if total >= 50 else 0
        at_accounts = total - leads
        plan: list[_Account | None] = []
        if accounts and at_accounts > 0:
            counts = [1 if i < at_accounts else 0 for i in range(len(accounts))]
            weights = [(4.0 if a.is_key else 1.0) * self.rng.uniform(0.4, 1.6) for a in accounts]
            cum = list(itertools.accumulate(weights))
            for index in self.rng.choices(
                range(len(accounts)), cum_weights=cum, k=max(at_accounts - len(accounts), 0)
            ):
                counts[index] += 1
            for account, count in zip(accounts, counts, strict=True):
                plan.extend([account] * count)
        plan.extend([None] * (total - len(plan)))
        return plan

    def _contacts(self, accounts: list[_Account]) -> None:
        plan = self._contact_plan(accounts)
        first_at: set[int] = set()
        for start in range(0, len(plan), self.size.chunk):
            chunk = plan[start : start + self.size.chunk]
            with transaction.atomic():
                self._write_chunk(chunk, first_at)
            self.progress(len(chunk))

    def _email(self, first: str, last: str, domain: str) -> str:
        f, last_slug = ascii_slug(first) or "contact", ascii_slug(last)
        candidates = [
            f"{f}.{last_slug}" if last_slug else f,
            f"{f[:1]}.{last_slug}",
            f"{f}{last_slug}",
        ]
        for local in candidates:
            address = f"{local}@{domain}"
            if address not in self.used_emails:
                break
        n = 2
        while address in self.used_emails:
            address = f"{candidates[0]}{n}@{domain}"
            n += 1
        self.used_emails.add(address)
        return address

    def _write_chunk(self, chunk: list[_Account | None], first_at: set[int]) -> None:
        people = [self._person(account, first_at) for account in chunk]
        Contact.objects.bulk_create([p.contact for p in people])

        emails: list[tuple[object, ...]] = []
        phones: list[tuple[object, ...]] = []
        interests: list[tuple[object, ...]] = []
        facts: list[tuple[object, ...]] = []
        dates: list[tuple[object, ...]] = []
        entries: list[tuple[object, ...]] = []
        for person in people:
            pk = person.contact.pk
            emails.extend(
                (pk, address, label, i == 0) for i, (address, label) in enumerate(person.emails)
            )
            phones.extend(
                (pk, number, label, i == 0) for i, (number, label) in enumerate(person.phones)
            )
            interests.extend((pk, tag_id) for tag_id in person.tag_ids)
            facts.extend(self._facts(person))
            dates.extend(self._dates(person))
            entries.extend(
                (
                    e.uuid,
                    pk,
                    e.account_id,
                    e.kind,
                    e.direction,
                    e.outcome,
                    e.author_id,
                    e.subject,
                    e.body,
                    e.occurred_at,
                    e.created_at,
                    e.source,
                    "",
                    e.is_personal,
                    None,
                    e.data,
                )
                for e in person.entries
            )
        point = ("contact", "label", "is_primary")
        rows_insert(ContactEmail, (point[0], "address", *point[1:]), emails)
        rows_insert(ContactPhone, (point[0], "number", *point[1:]), phones)
        rows_insert(Contact.interests.through, ("contact", "tag"), interests)
        rows_insert(PersonalFact, FACT_FIELDS, facts)
        rows_insert(ImportantDate, DATE_FIELDS, dates)
        rows_insert(Interaction, INTERACTION_FIELDS, entries)
        self.result.contacts += len(people)
        self.result.facts += len(facts)
        self.result.dates += len(dates)
        self.result.interactions += len(entries)

    def _person(self, account: _Account | None, first_at: set[int]) -> _Person:
        rng = self.rng
        market = account.market if account else self._market()
        first, last = self._first(market.locale), self._last(market.locale)
        is_first = account is not None and account.pk not in first_at
        if account is not None:
            first_at.add(account.pk)

        # The relationship stage follows the company: a customer's people are customers.
        if account is None:
            stage = Stage.LEAD
        elif account.is_customer:
            stage = Stage.CUSTOMER if rng.random() < 0.93 else Stage.FORMER
        else:
            stage = rng.choices((Stage.PROSPECT, Stage.OPPORTUNITY, Stage.LEAD), weights=(5, 3, 2))[
                0
            ]

        if account is None:
            owner_id = rng.choice(self.rep_ids) if rng.random() < 0.5 else None
        elif account.owner_id is not None and rng.random() < 0.97:
            owner_id = account.owner_id
        else:
            owner_id = rng.choice(self.rep_ids) if rng.random() < 0.7 else None

        domain = account.domain if account else rng.choice(FREE_MAIL)
        emails = [(self._email(first, last, domain), "work" if account else "personal")]
        if account is not None and rng.random() < 0.05:
            emails.append((self._email(first, last, rng.choice(FREE_MAIL)), "personal"))
        city = account.city if account else rng.choice(market.cities)
        phones: list[tuple[str, str]] = []
        if rng.random() < 0.88:
            phones.append((self.phones.office(market.country, city), "work"))
        if rng.random() < 0.5:
            phones.append((self.phones.mobile(market.country, city), "mobile"))
        primary_phone = phones[0][0] if phones else ""

        is_key = account is not None and account.is_key
        title = "Head of Procurement" if is_first and is_key else rng.choice(vocab.TITLES)
        opt_in = rng.random() < (0.75 if stage == Stage.CUSTOMER else 0.45)
        if stage in (Stage.CUSTOMER, Stage.FORMER):
            created = self._days_ago(rng.randint(380, 2400))
        else:
            created = self._days_ago(rng.randint(20, 700))
        contact = Contact(
            uuid=self._uuid(),
            account_id=account.pk if account else None,
            owner_id=owner_id,
            first_name=first,
            last_name=last,
            title=title,
            email=emails[0][0],
            phone=primary_phone,
            time_zone=phone_time_zone(primary_phone) if primary_phone else "",
            stage=stage,
            email_opt_in=opt_in,
            email_opt_in_at=created + dt.timedelta(days=rng.randint(0, 30)) if opt_in else None,
            do_not_call=rng.random() < 0.03,
            reconnect_days=rng.choice((30, 60, 90)) if is_key and rng.random() < 0.4 else None,
            search_text=search_text_build(
                first_name=first,
                last_name=last,
                title=title,
                company=account.name if account else "",
                emails=[e for e, _ in emails],
                phones=[p for p, _ in phones],
            ),
            created_at=created,
            updated_at=created,
        )
        industry = account.industry if account else rng.choice(vocab.INDUSTRIES)
        person = _Person(
            contact=contact,
            account=account,
            market=market,
            is_first=is_first,
            emails=emails,
            phones=phones,
            tag_ids=rng.sample(self.tag_ids, rng.randint(1, 4)) if self.tag_ids else [],
            slots={
                "first": first,
                "city": city,
                "industry": industry.lower(),
                "competitor": rng.choice(vocab.COMPETITORS),
                "fair": rng.choice(vocab.FAIRS),
                "ride": market.ride,
                "marathon": market.marathon,
                "team": market.team,
                "currency": market.currency,
            },
        )
        person.entries = self._timeline(person)
        personal = [e.occurred_at for e in person.entries if e.is_personal]
        contact.last_touch_at = max(personal) if personal else None
        if person.entries:
            contact.updated_at = max(created, person.entries[-1].occurred_at)
        return person

    # --- personal facts and important dates --------------------------------------------

    def _facts(self, person: _Person) -> list[tuple[object, ...]]:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]
        if not count:
            return []
        contact, market = person.contact, person.market
        locale = market.locale
        slots = dict(person.slots)
        rows: list[tuple[object, ...]] = []
        for kind, template in rng.sample(vocab.FACTS, count):
            age1 = rng.randint(5, 14)
            slots.update(
                kid1=self._first(locale),
                kid2=self._first(locale),
                age1=age1,
                age2=max(age1 - rng.randint(2, 4), 1),
                partner=self._first(locale),
                month=rng.choice(vocab.MONTHS),
                pet=rng.choice(vocab.PETS),
                amount=f"{rng.choice((10, 25, 50))},000 {market.currency}",
            )
            written = max(contact.created_at, self._days_ago(rng.randint(3, 700)))
            text = template.format_map(slots)
            rows.append((self._uuid(), contact.pk, kind, text, contact.owner_id, written))
        return rows

    def _soon_or_any(self, chance_soon: float) -> tuple[int, int]:
        """(month, day) either within the next 14 days (with `chance_soon`) or any day."""
        if self.rng.random() < chance_soon:
            day = self.today + dt.timedelta(days=self.rng.randint(0, 13))
        else:
            day = dt.date(2001, 1, 1) + dt.timedelta(days=self.rng.randint(0, 364))
        return day.month, day.day

    def _dates(self, person: _Person) -> list[tuple[object, ...]]:
        rng = self.rng
        contact, account = person.contact, person.account
        rows: list[tuple[object, ...]] = []

        def add(kind: str, date: dt.date, label: str = "", recurs: bool = True) -> None:
            month_day = date.month * 100 + date.day
            rows.append((self._uuid(), contact.pk, kind, label, date, recurs, month_day))

        if rng.random() < 0.55:
            month, day = self._soon_or_any(0.06)
            add(DateKind.BIRTHDAY, _safe_date(rng.randint(1962, 1998), month, day))
        if person.is_first and account is not None and account.customer_since is not None:
            since = account.customer_since
            if rng.random() < 0.08:
                soon = self.today + dt.timedelta(days=rng.randint(0, 13))
                since = _safe_date(since.year, soon.month, soon.day)
            add(DateKind.CUSTOMER_ANNIVERSARY, since, "Customer since")
        if rng.random() < 0.05:
            month, day = self._soon_or_any(0.05)
            year = rng.randint(2005, self.today.year - 1)
            add(DateKind.WORK_ANNIVERSARY, _safe_date(year, month, day), "Work anniversary")
        if rng.random() < 0.03:
            when = self.today - dt.timedelta(days=rng.randint(30, 600))
            add(DateKind.PROMOTION, when, f"Promoted to {contact.title}", recurs=False)
        if rng.random() < 0.02:
            label = rng.choice(vocab.LIFE_EVENTS).format_map(person.slots)
            when = self.today + dt.timedelta(days=rng.randint(1, 40))
            add(DateKind.LIFE_EVENT, when, label, recurs=False)
        return rows

    # --- timeline ----------------------------------------------------------------------

    def _timeline(self, person: _Person) -> list[_Entry]:
        """A year of touches. Each contact has a rhythm: active ones were spoken to
        recently, others drift, a few were never spoken to at all."""
        rng = self.rng
        contact = person.contact
        if contact.stage == Stage.LEAD:
            profile, count, personal_after = "lead", rng.randint(1, 5), 0.0
        else:
            profile = rng.choices(PROFILES, weights=(35, 30, 25, 10))[0]
            count, personal_after = {
                "active": (rng.randint(18, 36), 0.0),
                "steady": (rng.randint(10, 20), rng.uniform(20, 90)),
                "drifting": (rng.randint(5, 12), rng.uniform(150, 320)),
                "quiet": (rng.randint(2, 6), 0.0),
            }[profile]
        fixed = self.size.entries_per_contact
        if fixed is not None:
            count = fixed
        quiet = profile in ("quiet", "lead")
        oldest = max(min((self.now - contact.created_at).days, 365), 1)
        author_id = contact.owner_id or (rng.choice(self.rep_ids) if self.rep_ids else None)
        zone, rep_zone = contact.time_zone, self.rep_zones.get(author_id) if author_id else None
        # A few sets of words per contact (products, quantities, days) keep entries varied.
        variants = [
            dict(
                person.slots,
                product=rng.choice(vocab.PRODUCTS),
                qty=rng.choice((2, 4, 6, 8, 12, 20, 40)),
                weekday=rng.choice(vocab.WEEKDAYS),
                month=rng.choice(vocab.MONTHS),
            )
            for _ in range(3)
        ]
        can_call = bool(contact.phone) and not contact.do_not_call
        age = (self.now - contact.created_at).days
        # Quiet customers of long standing were last spoken to before this year.
        old_touch = profile == "quiet" and age > 400 and rng.random() < 0.95
        entries: list[_Entry] = []
        for i in range(count):
            if quiet:
                key = rng.choices(_QUIET_KINDS, cum_weights=_QUIET_CUM)[0]
            else:
                key = rng.choices(_ALL_KINDS, cum_weights=_ALL_CUM)[0]
            if key in _CALLS and not can_call:
                key = "note" if quiet else "email_out"
            if key in _NEWSLETTER and not contact.email_opt_in:
                key = "page_viewed"
            days_ago = rng.uniform(0.5, oldest)
            if key in _PERSONAL and days_ago < personal_after:
                if personal_after < oldest:
                    days_ago = rng.uniform(personal_after, oldest)
                else:  # no personal touch fits this contact's rhythm
                    key = "voicemail" if can_call else "note"
            if i == 0 and old_touch:
                key = "call_connected" if can_call and rng.random() < 0.5 else "meeting"
                days_ago = rng.uniform(380, min(age, 900))
            when = self._business_time(days_ago, zone, rep_zone)
            if when < contact.created_at:  # moved off a weekend to before they were added
                when = contact.created_at + dt.timedelta(hours=rng.randint(1, 8))
            entries.append(self._entry(key, contact, author_id, when, variants))
        if contact.do_not_call and not quiet and fixed is None:
            when = max(
                self._business_time(rng.uniform(1, oldest), zone, rep_zone), contact.created_at
            )
            entries.append(self._entry("dnc_note", contact, author_id, when, variants))
        entries.sort(key=lambda e: e.occurred_at)
        return entries

    def _entry(
        self,
        key: str,
        contact: Contact,
        author_id: int | None,
        when: dt.datetime,
        variants: list[dict[str, object]],
    ) -> _Entry:
        rng = self.rng
        values = rng.choice(variants)
        kind, outcome, direction, source = Kind.CALL, "", Direction.OUTBOUND, Source.WEB
        subject, body, data, author = "", "", {}, author_id
        if key == "call_connected":
            outcome = Outcome.CONNECTED
            body = rng.choice(vocab.CALL_CONNECTED)
            if rng.random() < 0.12:
                direction = Direction.INBOUND
        elif key in ("call_no_answer", "call_busy", "call_wrong"):
            outcome = {"call_no_answer": "no_answer", "call_busy": "busy"}.get(key, "wrong_number")
            body = rng.choice(vocab.CALL_OTHER[outcome])
        elif key == "voicemail":
            kind, outcome, body = Kind.VOICEMAIL, Outcome.VOICEMAIL, rng.choice(vocab.VOICEMAILS)
        elif key == "meeting":
            kind = Kind.MEETING
            subject, body = rng.choice(vocab.MEETINGS)
        elif key in ("note", "dnc_note"):
            kind, direction = Kind.NOTE, Direction.INTERNAL
            body = (
                "Asked not to be called any more; e-mail only."
                if key == "dnc_note"
                else rng.choice(vocab.NOTES)
            )
        elif key == "email_out":
            kind = Kind.EMAIL
            subject, body = rng.choice(vocab.EMAILS_OUT)
        elif key == "email_in":
            kind, direction, source, author = Kind.EMAIL, Direction.INBOUND, Source.EMAIL, None
            subject, body = rng.choice(vocab.EMAILS_IN)
        elif key == "checkin":
            kind, body = Kind.CHECKIN_NOTE, rng.choice(vocab.CHECKIN_NOTES)
        elif key in _NEWSLETTER:
            author, source = None, Source.SYSTEM
            subject = rng.choice(vocab.NEWSLETTERS)
            index = rng.randrange(len(vocab.PRODUCT_SLUGS))
            data = {"edition": subject.format_map(values)}
            if key == "newsletter_sent":
                kind = Kind.NEWSLETTER_SENT
            elif key == "newsletter_opened":
                kind, direction = Kind.NEWSLETTER_OPENED, Direction.INBOUND
            else:
                kind, direction = Kind.NEWSLETTER_CLICKED, Direction.INBOUND
                data["url"] = f"/news/{vocab.PRODUCT_SLUGS[index]}/"
        else:  # page_viewed
            index = rng.randrange(len(vocab.PRODUCT_SLUGS))
            kind, direction, source, author = (
                Kind.PAGE_VIEWED,
                Direction.INBOUND,
                Source.PORTAL,
                None,
            )
            subject = vocab.PRODUCTS[index]
            data = {"path": f"/products/{vocab.PRODUCT_SLUGS[index]}/"}
        return _Entry(
            uuid=self._uuid(),
            account_id=contact.account_id,
            kind=kind,
            direction=direction,
            outcome=outcome,
            author_id=author,
            subject=subject.format_map(values)[:200],
            body=body.format_map(values),
            occurred_at=when,
            created_at=min(when + dt.timedelta(minutes=rng.randint(0, 15)), self.now),
            source=source,
            is_personal=interaction_is_personal(kind=kind, outcome=outcome, author_id=author),
            data=data,
        )
