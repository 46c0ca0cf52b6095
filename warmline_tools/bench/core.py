"""`warmline bench`: seed a large book and time the pages a rep lives in.

Seeding reuses the demo generator (`warmline_tools.demo.generate.DemoBuilder`) with a fixed
number of timeline entries per contact, then the demo's feature loaders
(`warmline_tools.demo.demo_features_load`: questions, cases, callbacks) once per 400
contacts of a book, so every book holds what a demo rep's does, in proportion. Measuring
is done twice, as a rep whose book is about 1/50 of the data (a rep in a team of fifty):
in process through `django.test.Client` (the server's own time: routing, middleware,
queries and templates), and over HTTP through `warmline serve` with the client in its own
process (`warmline_tools.bench.http`), warm and cold (the first request after a start).

The results go to two files that several benchmarks share:

* `BENCHMARKS.md` for people: one section per benchmark between
  `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` markers; a benchmark rewrites only its
  own section (`bench_write_markdown`).
* `benchmarks.json` for tools: a list of {"name", "value", "unit", "target", "size"};
  entries are merged by name (`bench_write_json`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import django
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from warmline.core.phones import phone_search_digits
from warmline.people.models import Account, Contact, ImportantDate, PersonalFact, Tier
from warmline.timeline.models import Interaction, Kind
from warmline.users.models import Role, User
from warmline_tools.bench.client import panel_urls
from warmline_tools.bench.registry import BenchLog, BenchOptions, BenchProgress
from warmline_tools.demo.generate import NAMED_REPS, DemoBuilder, DemoResult, DemoSize

TARGET_MS = 50.0  # p95 of a page, in process
TARGET_HTTP_MS = 80.0  # p95 of a page over HTTP, client in another process
SECTION = "core"
HX = {"HX-Request": "true"}
MD_HEADER = """# Benchmarks

How fast Warmline is at the size it is built for (100,000 contacts, 2,000,000 timeline
entries, 100,000 open service cases, 1,000 open browser tabs), measured by `warmline bench`
(`make bench`) on SQLite, the default, and on PostgreSQL (+ Redis). Each capability has its
own section below with its method, data sizes, machine and targets; the summary lists every
figure. A time or size *passes* when it is below its target; a count when it does not
exceed it (events lost: 0, keystrokes: ≤ 2).

- What is measured is what users do. Every rep's book holds what a demo rep's does, in
  proportion (open questions, open cases, callbacks due, important dates this week,
  contacts overdue for a touch: the demo's own generator and feature loaders seed it).
  The contact page is timed with the panels it loads; the next card also right after a
  new question or case, when the request rebuilds the rep's queue; the SLA scheduler with
  a backlog of 10,000 cases crossing a step at once; the export restored into a database
  created for it.
- Each page is timed twice. *In process* (Django's test client): the server's own time;
  target p95 < 50 ms (call mode's next card and logged outcome: < 30 ms). *Over HTTP*
  (`_http` in the name): through `warmline serve` with production settings (`DEBUG` off,
  its own `SECRET_KEY`, `ALLOWED_HOSTS` set), the client in a separate process; target
  p95 < 80 ms. *Warm* figures follow warm-up requests; *cold* ones (`_cold` in the name)
  are the first request after a server start, or after a write that invalidates what the
  page reads.
- Run everything: `make bench` (SQLite, in its own file `data/bench.sqlite3`); on
  PostgreSQL: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/warmline_bench
  REDIS_URL=redis://127.0.0.1:6379/13 warmline bench` (the database name must contain
  "bench": the benchmark deletes what is in it). One section: `warmline bench --only NAME`;
  all but one: `--skip NAME`; the sections: `warmline bench --list`.
- Figures measured on PostgreSQL carry a `_postgresql` suffix. `benchmarks.json` holds the
  same figures for tools: a list of `{"name", "value", "unit", "target", "size"}`.
- The machine is shared (2 cores, other test runs alongside): each section notes the load
  average at its start and end. Wall-clock figures taken at a busy moment are higher than
  the software's own cost (the *CPU p95* figures show that cost without the neighbours);
  the HTTP and SSE runs are the most sensitive, as server and client share the two cores.
- The machine's speed also drifts: the same code has measured twice as slow one day as the
  day before, CPU time included. Each section notes a *CPU probe* (a fixed Python loop,
  lower is faster); compare runs of different days with it beside them.

This summary and every section are rewritten by the benchmark; edit the code
(`warmline_tools/bench/`), not this file.
"""


class BenchError(Exception):
    """A page answered something other than 200 while measuring."""


@dataclass(frozen=True)
class BenchConfig:
    contacts: int = 100_000
    entries: int = 20
    requests: int = 200
    seed: int = 4242

    @property
    def reps(self) -> int:
        """Fifty reps at full size (each book ~1/50 of the data); fewer for tiny runs."""
        return max(2, min(50, self.contacts // 20))

    @property
    def books(self) -> int:
        """Each rep's book in demo books (a demo rep has 400 contacts): how many times over
        the demo's questions, cases and callbacks go into every book (5 at full size)."""
        demo = DemoSize()
        return max(1, round(self.contacts / self.reps / (demo.contacts / demo.reps)))

    @property
    def command(self) -> str:
        return (
            f"warmline bench --only core --contacts {self.contacts} --entries {self.entries} "
            f"--requests {self.requests}"
        )

    @property
    def size(self) -> DemoSize:
        return DemoSize(
            accounts=max(self.contacts // 7, 1),
            contacts=self.contacts,
            reps=self.reps,
            entries_per_contact=self.entries,
            seed=self.seed,
            chunk=1000,
        )


@dataclass(frozen=True)
class Timing:
    key: str  # "search", "contact_page", "today", ...
    label: str
    samples_ms: list[float]  # wall clock, what a user waits for
    cpu_ms: list[float]  # this thread's CPU time: the page's own cost, without neighbours
    queries: int
    http: bool = False  # True: over HTTP, timed by the client process
    cold_ms: list[float] = field(default_factory=list)  # HTTP: first request after start

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95_ms(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def cpu_p95_ms(self) -> float | None:
        return percentile(self.cpu_ms, 95) if self.cpu_ms else None

    @property
    def target_ms(self) -> float:
        return TARGET_HTTP_MS if self.http else TARGET_MS

    @property
    def name(self) -> str:
        return f"{self.key}{'_http' if self.http else ''}_p95_ms{engine_suffix()}"

    @property
    def cold_name(self) -> str:
        return f"{self.key}_http_cold_ms{engine_suffix()}"

    @property
    def passed(self) -> bool:
        return self.p95_ms < self.target_ms


def engine_suffix() -> str:
    """SQLite figures carry the plain names (the target is set for SQLite); another
    engine's figures get their own names and section, so both can stand side by side."""
    return "" if connection.vendor == "sqlite" else f"_{connection.vendor}"


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the value below which `pct`% of samples fall)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


# --- Seeding ------------------------------------------------------------------------------


def bench_data_present(*, config: BenchConfig) -> bool:
    """True when the database already holds exactly this benchmark's data (for --reuse):
    the company (contacts with their entries; other sections add their own contacts next to
    it, under their own reps) and the features' rows in the books."""
    from warmline.calls.models import Callback

    reps = User.objects.filter(role=Role.REP).exclude(username__contains="bench")
    company = Contact.objects.exclude(owner__username__contains="bench")
    builder_kinds = Interaction.objects.filter(contact__in=company).exclude(
        kind__in=[Kind.QUESTION, Kind.CASE_OPENED, Kind.CASE_UPDATED, Kind.CASE_RESOLVED]
    )
    return (
        company.count() == config.contacts
        and builder_kinds.count() == config.contacts * config.entries
        and reps.count() == config.reps
        and Callback.objects.filter(rep__in=reps).exists()
    )


def bench_seed(*, config: BenchConfig, progress: Callable[[int], None] | None = None) -> DemoResult:
    """Write the benchmark company into an empty database (chunked transactions)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # 256 MB of page cache while indexes grow
            cursor.execute("PRAGMA cache_size=-262144")
    from warmline_tools.demo import demo_features_load

    now = timezone.now()
    result = DemoBuilder(size=config.size, now=now, progress=progress).run()
    with transaction.atomic():
        demo_features_load(now, books=config.books)
    settle_after_seeding()
    return result


def settle_after_seeding() -> None:
    """Leave the database as a working one would be, not as a bulk load leaves it: on
    PostgreSQL vacuumed and analysed (else autovacuum starts on the new rows while the
    figures are taken, and the first reads of each new row write its hint bits); on SQLite
    the write-ahead log folded back into the file. (After the calls seeding the log held
    76 MB that the first measured writes paid to checkpoint: logging an outcome measured
    26.8 / 36.6 ms median / p95 without this, 17.7 ms p95 with it. A working database
    checkpoints every 1,000 pages.)"""
    in_transaction = connection.in_atomic_block  # (a test's): neither can run inside one
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE" if in_transaction else "VACUUM (ANALYZE)")
        elif connection.vendor == "sqlite" and not in_transaction:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- Measuring ----------------------------------------------------------------------------


def bench_rep() -> User:
    """The rep the benchmark logs in as: the first named demo rep (a 1/50 book)."""
    return User.objects.get(username=NAMED_REPS[0][0])


def search_queries(*, user: User, count: int, rng: random.Random) -> list[str]:
    """What a rep types into search, from their own book: a third each name fragments,
    phone-number fragments and company names."""
    rows = list(
        Contact.objects.filter(owner=user)
        .order_by("id")
        .values_list("first_name", "last_name", "phone", "account__name")
    )
    if not rows:
        raise BenchError(f"{user.username} has no contacts to search for")
    queries: list[str] = []
    while len(queries) < count:
        first, last, phone, company = rng.choice(rows)
        kind = len(queries) % 3
        if kind == 0:
            name = last if len(last) >= 4 else first
            queries.append(name[: rng.randint(3, max(3, min(len(name), 6)))].lower())
        elif kind == 1 and phone:
            digits = phone_search_digits(phone).split()[-1]
            start = rng.randint(0, max(len(digits) - 6, 0))
            queries.append(digits[start : start + 6])
        elif company:
            queries.append(company.split()[0])
        else:
            queries.append(f"{first} {last[:3]}".strip())
    return queries


@dataclass(frozen=True)
class Page:
    """One page a user opens, with the URLs the benchmark opens it at (one per request)."""

    key: str
    label: str
    user: User
    urls: list[str]
    panels: bool = False  # also load the fragments the page loads with htmx on load


def _get(client: Client, url: str, *, hx: bool = False) -> str:
    response = client.get(url, headers=HX if hx else None)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}, not 200")
    return str(response.content.decode())


def _open(client: Client, page: Page, url: str) -> None:
    """What a browser fetches for the page: the page, then (with panels) each fragment the
    page loads with htmx as soon as it is shown, as htmx requests it."""
    html = _get(client, url)
    if page.panels:
        for panel in panel_urls(html):
            _get(client, panel, hx=True)


def _time_open(client: Client, page: Page, url: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of opening the page; anything but 200 stops the benchmark."""
    cpu, started = time.thread_time(), time.perf_counter()
    _open(client, page, url)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, (time.thread_time() - cpu) * 1000


def _count_queries(client: Client, page: Page) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _open(client, page, page.urls[0])
    return len(ctx.captured_queries)


def bench_pages(
    *, user: User, requests: int, seed: int = 7, everyone: User | None = None
) -> list[Page]:
    """The pages a rep lives in, `requests` URLs each: contacts search, a contact page with
    its panels, *Today*, the case list, the call queue; with `everyone` (a user who sees
    every book, e.g. a service agent) also the same searches over the whole company."""
    rng = random.Random(seed)
    book = list(Contact.objects.filter(owner=user).values_list("id", flat=True))
    if not book:
        raise BenchError(f"{user.username} has no contacts")
    search_url = reverse("contact-list")
    searches = [
        f"{search_url}?{urlencode({'q': q})}"
        for q in search_queries(user=user, count=requests, rng=rng)
    ]
    pages = [
        Page("search", "Contacts search", user, searches),
        Page(
            "contact_page",
            "Contact page with its panels",
            user,
            [reverse("contact-detail", args=[rng.choice(book)]) for _ in range(requests)],
            panels=True,
        ),
        Page("today", "Today", user, [reverse("today")] * requests),
        Page(
            "case_list",
            "Case list (open cases of the book)",
            user,
            [reverse("case-list")] * requests,
        ),
        Page("call_queue", "Call queue", user, [reverse("call-queue")] * requests),
    ]
    if everyone is not None:
        label = f"Contacts search, whole company ({everyone.get_role_display().lower()})"
        pages.append(Page("search_all", label, everyone, searches))
    return pages


def bench_measure(
    *,
    user: User,
    requests: int,
    seed: int = 7,
    everyone: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Timing]:
    """Time `requests` opens of each of `bench_pages` in process (Django's test client).

    The pages take turns (search, contact, Today, ...) so that a burst of load from
    elsewhere on the machine spreads over all of them instead of one.
    """
    pages = bench_pages(user=user, requests=requests, seed=seed, everyone=everyone)
    clients: dict[int, Client] = {}
    for page in pages:
        if page.user.pk not in clients:
            clients[page.user.pk] = Client()
            clients[page.user.pk].force_login(page.user)
    for page in pages:
        for url in page.urls[: min(10, len(page.urls))]:  # warm caches, templates, connections
            _open(clients[page.user.pk], page, url)
    # Whatever the process built before (seeding) should not cost collection pauses here.
    gc.collect()
    gc.freeze()
    samples: dict[str, list[tuple[float, float]]] = {page.key: [] for page in pages}
    try:
        for i in range(requests):
            for page in pages:
                samples[page.key].append(_time_open(clients[page.user.pk], page, page.urls[i]))
            if progress is not None:
                progress(1)
    finally:
        gc.unfreeze()
    return [
        Timing(
            key=page.key,
            label=page.label,
            samples_ms=[wall for wall, _ in samples[page.key]],
            cpu_ms=[cpu for _, cpu in samples[page.key]],
            queries=_count_queries(clients[page.user.pk], page),
        )
        for page in pages
    ]


def _http_step(page: Page, url: str, *, timed: bool = True) -> dict[str, object]:
    return {"type": "get", "key": page.key, "url": url, "panels": page.panels, "timed": timed}


def bench_measure_http(
    *,
    user: User,
    requests: int,
    seed: int = 7,
    everyone: User | None = None,
    cold_runs: int = 1,
    queries: dict[str, int] | None = None,
) -> list[Timing]:
    """The same pages over HTTP: `warmline serve` with production settings and the client
    in its own process (`warmline_tools.bench.http`). Warm: one server, 10 warm-up opens
    per page, then `requests` each, the pages taking turns. Cold: for each page and run, a
    new server and that page's first request."""
    from warmline_tools.bench.http import BenchServer, http_cold

    pages = bench_pages(user=user, requests=requests, seed=seed, everyone=everyone)
    by_user: dict[int, list[Page]] = {}
    for page in pages:
        by_user.setdefault(page.user.pk, []).append(page)
    samples: dict[str, list[float]] = {}
    with BenchServer.start() as server:
        for group in by_user.values():
            steps = [_http_step(p, url, timed=False) for p in group for url in p.urls[:10]]
            steps += [_http_step(p, p.urls[i]) for i in range(requests) for p in group]
            samples.update(server.measure(user=group[0].user, steps=steps).samples)
    cold: dict[str, list[float]] = {page.key: [] for page in pages}
    for group in by_user.values() if cold_runs else ():
        cold.update(
            http_cold(
                user=group[0].user,
                pages={p.key: _http_step(p, p.urls[0]) for p in group},
                runs=cold_runs,
            )
        )
    return [
        Timing(
            key=page.key,
            label=page.label,
            samples_ms=samples[page.key],
            cpu_ms=[],
            queries=(queries or {}).get(page.key, 0),
            http=True,
            cold_ms=cold[page.key],
        )
        for page in pages
    ]


def bench_everyone() -> User | None:
    """A user who sees every book: the demo company's service agent."""
    return User.objects.filter(role=Role.AGENT).order_by("id").first()


# --- Reporting ----------------------------------------------------------------------------


def machine_description() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages * page_size / 2**30:.1f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    try:
        load = "load average {:.1f} / {:.1f} / {:.1f} (1/5/15 min)".format(*os.getloadavg())
    except OSError:
        load = ""
    return {
        "load": load,
        "probe": f"{cpu_probe_ms():.0f} ms",
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "ram": ram,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database_description(),
    }


PROBE_LOOPS = 1_000_000


def cpu_probe_ms(rounds: int = 3) -> float:
    """Best of `rounds` timings of a fixed pure-Python loop: how fast this machine runs
    Python right now. A shared VM's speed drifts (runs of the same code a day apart have
    differed twofold here), so figures of different runs compare only with this beside them."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(PROBE_LOOPS):
            total += i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def database_description() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        return f"PostgreSQL {row[0].split()[0] if row else '?'}"
    return connection.vendor


@dataclass(frozen=True)
class DataSizes:
    contacts: int
    accounts: int
    interactions: int
    facts: int
    dates: int
    reps: int
    book: int
    # What the measured rep's book holds besides contacts: what Today and the queue show.
    book_questions: int = 0
    book_cases: int = 0
    book_callbacks: int = 0
    book_callbacks_due: int = 0
    book_dates_week: int = 0
    book_overdue: int = 0

    @classmethod
    def count(cls, *, user: User) -> DataSizes:
        from warmline.calls.models import Callback, CallbackStatus
        from warmline.portal.models import OPEN_STATUSES, Question
        from warmline.service.models import UNRESOLVED, Case

        now = timezone.now()
        book = Contact.objects.filter(owner=user)
        today = timezone.localdate()
        week = [(today + dt.timedelta(days=d)) for d in range(7)]
        callbacks = Callback.objects.filter(rep=user, status=CallbackStatus.OPEN)
        default_days = dt.timedelta(days=settings.WARMLINE_RECONNECT_DAYS)
        key_days = dt.timedelta(days=settings.WARMLINE_RECONNECT_KEY_DAYS)
        overdue = book.filter(reconnect_days__isnull=True, last_touch_at__isnull=False).filter(
            Q(account__tier=Tier.KEY, last_touch_at__lt=now - key_days)
            | (~Q(account__tier=Tier.KEY) & Q(last_touch_at__lt=now - default_days))
        )
        return cls(
            contacts=Contact.objects.count(),
            accounts=Account.objects.count(),
            interactions=Interaction.objects.count(),
            facts=PersonalFact.objects.count(),
            dates=ImportantDate.objects.count(),
            reps=User.objects.filter(role=Role.REP).count(),
            book=book.count(),
            book_questions=Question.objects.filter(
                contact__owner=user, status__in=OPEN_STATUSES
            ).count(),
            book_cases=Case.objects.filter(contact__owner=user, status__in=UNRESOLVED).count(),
            book_callbacks=callbacks.count(),
            book_callbacks_due=callbacks.filter(due_at__lte=now).count(),
            book_dates_week=ImportantDate.objects.filter(
                contact__owner=user, month_day__in=[d.month * 100 + d.day for d in week]
            ).count(),
            book_overdue=overdue.count(),
        )


def size_label(sizes: DataSizes, entries: int) -> str:
    return f"{sizes.contacts} contacts x {entries} timeline entries ({connection.vendor})"


def bench_json_entries(*, timings: Sequence[Timing], size: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for t in timings:
        entries.append(
            {
                "name": t.name,
                "value": round(t.p95_ms, 1),
                "unit": "ms",
                "target": t.target_ms,
                "size": size + (", over HTTP" if t.http else ", in process"),
            }
        )
        if t.http and t.cold_ms:
            entries.append(
                {
                    "name": t.cold_name,
                    "value": round(max(t.cold_ms), 1),
                    "unit": "ms",
                    "target": None,
                    "size": f"{size}, over HTTP, first request after server start "
                    f"(worst of {len(t.cold_ms)})",
                }
            )
    return entries


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def bench_markdown(
    *,
    timings: Sequence[Timing],
    sizes: DataSizes,
    config: BenchConfig,
    user: User,
) -> str:
    local = [t for t in timings if not t.http]
    remote = [t for t in timings if t.http]
    rows = "\n".join(
        f"| {t.label} | {t.median_ms:.1f} ms | {t.p95_ms:.1f} ms | < {t.target_ms:.0f} ms | "
        f"{'pass' if t.passed else '**FAIL**'} | {_fmt(t.cpu_p95_ms)} | {t.queries} | `{t.name}` |"
        for t in local
    )
    http_rows = "\n".join(
        f"| {t.label} | {t.median_ms:.1f} ms | {t.p95_ms:.1f} ms | < {t.target_ms:.0f} ms | "
        f"{'pass' if t.passed else '**FAIL**'} | "
        f"{_fmt(max(t.cold_ms) if t.cold_ms else None)} | `{t.name}`"
        + (f", cold: `{t.cold_name}`" if t.cold_ms else "")
        + " |"
        for t in remote
    )
    share = f"1/{round(sizes.contacts / sizes.book)}" if sizes.book else "none"
    wide = (
        " The whole-company search runs the same queries as a service agent, who sees every book."
        if any(t.key == "search_all" for t in timings)
        else ""
    )
    intro = (
        f"Each page is opened {config.requests} times as the rep `{user.username}`, whose "
        f"book is {sizes.book:,} contacts ({share} of the data). Search mixes name "
        "fragments, phone-number fragments and company names, a third each; contact pages "
        "are random contacts of the book, each opened as a browser opens it: the page, then "
        "every panel it loads with htmx as soon as it is shown (the portal's questions, the "
        "open cases), timed together. *Today*, the case list (the book's open cases) and the "
        "call queue are the rep's own. The pages take turns, after 10 warm-up opens each."
        f"{wide}"
    )
    in_process = (
        "**In process** through Django's test client (no network, no browser): the server's "
        "own time (routing, middleware, session, queries, templates). Median and p95 are "
        "wall-clock times; *CPU p95* is the same requests' CPU time in the measuring thread, "
        "which other load on the machine does not inflate. Target: p95 under "
        f"{TARGET_MS:.0f} ms."
    )
    over_http = (
        "**Over HTTP**: the same pages and URLs through `warmline serve` (uvicorn, one "
        "process, production settings: `DEBUG` off, its own `SECRET_KEY`, `ALLOWED_HOSTS` "
        "set, the connection settings production uses) with the client in a separate "
        "process (`python -m warmline_tools.bench.client`, standard library only, keep-alive, "
        "signed in with a session cookie), timing from the request written to the last byte "
        "read; the contact page's panels are fetched after the page on the same connection. "
        "Client and server share the machine's two cores. *Cold* is a page's first request "
        "after a server start (a deploy or restart; the server has answered its health "
        "check only), each page on its own new server, the worst of "
        f"{max((len(t.cold_ms) for t in remote), default=0)} starts; it has no target. "
        f"Target: p95 under {TARGET_HTTP_MS:.0f} ms."
    )
    data = (
        f"{sizes.contacts:,} contacts at {sizes.accounts:,} accounts, "
        f"{sizes.interactions:,} timeline entries, {sizes.facts:,} personal facts, "
        f"{sizes.dates:,} important dates, {sizes.reps} reps. The book of `{user.username}`: "
        f"{sizes.book_questions} open questions, {sizes.book_cases} open cases, "
        f"{sizes.book_callbacks} open callbacks ({sizes.book_callbacks_due} due by now), "
        f"{sizes.book_dates_week} important dates in the next 7 days, "
        f"{sizes.book_overdue} contacts overdue for a personal touch. Every rep's book has "
        "these in the demo company's proportions: the demo's feature loaders "
        f"(`demo_features_load`) ran {config.books} time(s) over, once per 400 contacts of a "
        "book (a demo rep's book): questions new, acknowledged and answered; cases of every "
        "priority and status, some past their SLA breach; callbacks late, later today and "
        "tomorrow. Dates and cadences come from the demo generator (`DemoBuilder`) with "
        f"{config.entries} timeline entries per contact"
    )
    http_table = (
        f"""

{over_http}

| page | median | p95 | target (p95) | result | cold | name |
| --- | ---: | ---: | ---: | --- | ---: | --- |
{http_rows}
"""
        if remote
        else "\n\nOver HTTP: not measured in this run (the database is not visible to "
        "another process: a test's).\n"
    )
    return f"""## Search, contact page, *Today*, cases and call queue ({database_description()})

{intro}

{in_process}

| page | median | p95 | target (p95) | result | CPU p95 | queries | name |
| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |
{rows}{http_table}
- Data: {data}.
"""


# --- The shared result files ----------------------------------------------------------------

_MARKER = re.compile(r"<!-- bench:([\w.-]+) -->")


def bench_write_markdown(*, path: Path, section: str, body: str) -> None:
    """Replace (or add) one benchmark's section of BENCHMARKS.md, keeping the others. A new
    section goes next to its other-database sibling (`core` / `core-postgresql`) when that
    is there, else at the end."""
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else MD_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    base, _, engine = section.partition("-")
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    elif engine and f"<!-- /bench:{base} -->" in text:  # after the SQLite section
        anchor = f"<!-- /bench:{base} -->"
        text = text.replace(anchor, f"{anchor}\n\n{block}", 1)
    elif not engine and (sibling := re.search(rf"<!-- bench:{re.escape(base)}-[\w.]+ -->", text)):
        text = text[: sibling.start()] + f"{block}\n\n" + text[sibling.start() :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def bench_write_json(*, path: Path, entries: Sequence[dict[str, object]]) -> None:
    """Merge entries into benchmarks.json by name: replace ours in place, keep the rest."""
    existing = bench_read_json(path)
    ours = {str(e["name"]): e for e in entries}
    merged = [ours.pop(str(e.get("name")), e) for e in existing]
    merged.extend(e for e in entries if str(e["name"]) in ours)
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def bench_read_json(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    try:
        loaded = json.loads(path.read_text(encoding="utf-8") or "[]")
    except json.JSONDecodeError as exc:
        raise BenchError(f"{path} is not valid JSON ({exc}); fix or delete it") from exc
    if not isinstance(loaded, list):
        raise BenchError(f"{path} should hold a JSON list of benchmark entries")
    return [e for e in loaded if isinstance(e, dict)]


JSON_KEYS = ("name", "value", "unit", "target", "size")
TABLE_HEAD = "| figure | value | target | result | data |\n| --- | ---: | ---: | --- | --- |\n"


def format_value(value: object, unit: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer() and unit not in ("ms", "s"):
        value = int(value)
    return f"{value:,} {unit}" if isinstance(value, int) else f"{value} {unit}"


def format_target(entry: dict[str, object]) -> str:
    target = entry.get("target")
    if target is None:
        return "—"
    from warmline_tools.bench.registry import bench_target_is_upper_bound

    if isinstance(target, (int, float)) and float(target) == 0:
        return "0"
    sign = "<" if bench_target_is_upper_bound(entry) else "≤"
    if isinstance(target, float):
        return f"{sign} {target:g} {entry.get('unit')}"
    return f"{sign} {format_value(target, entry.get('unit'))}"


def verdict(entry: dict[str, object]) -> str:
    from warmline_tools.bench.registry import bench_entry_passed

    passed = bench_entry_passed(entry)
    return "—" if passed is None else ("pass" if passed else "**FAIL**")


def bench_write_header(*, md_path: Path, json_path: Path) -> None:
    """Rewrite what comes before the first section: the intro and a summary of every figure
    in benchmarks.json (in the order of the sections below)."""
    entries = bench_read_json(json_path)
    text = md_path.read_text(encoding="utf-8") if md_path.exists() else ""
    first = _MARKER.search(text)
    sections = text[first.start() :] if first else ""

    def position(entry: dict[str, object]) -> int:
        """Where the figure is shown below, so the summary follows the sections."""
        at = sections.find(f"`{entry.get('name')}`")
        return at if at >= 0 else len(sections)

    rows = [
        f"| `{e.get('name')}` | {format_value(e.get('value'), e.get('unit'))} | "
        f"{format_target(e)} | {verdict(e)} | {e.get('size')} |"
        for e in sorted(entries, key=position)
    ]
    summary = f"## Summary\n\n{TABLE_HEAD}" + "\n".join(rows) + "\n" if rows else ""
    header = MD_HEADER.rstrip() + "\n\n" + summary
    md_path.write_text(header.rstrip() + "\n\n" + sections.lstrip(), encoding="utf-8")


def section_key(name: str) -> str:
    """The BENCHMARKS.md section of a benchmark on this database: `core`,
    `core-postgresql`, ..."""
    return name + engine_suffix().replace("_", "-")


def with_engine_suffix(entries: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    suffix = engine_suffix()
    renamed = []
    for entry in entries:
        name = str(entry["name"])
        if suffix and not name.endswith(suffix):
            name += suffix
        renamed.append({**entry, "name": name})
    return renamed


def figures_table(entries: Sequence[dict[str, object]]) -> str:
    rows = "\n".join(
        f"| `{e['name']}` | {format_value(e.get('value'), e.get('unit'))} | {format_target(e)} "
        f"| {verdict(e)} | {e.get('size')} |"
        for e in entries
    )
    return f"{TABLE_HEAD}{rows}\n"


def section_footer(
    *,
    machine: dict[str, str],
    when: dt.datetime,
    command: str,
    seconds: float | None,
    load_start: tuple[float, float, float] | None = None,
) -> str:
    took = f", took {seconds / 60:.1f} min" if seconds is not None else ""
    start = (
        "load average {:.1f} / {:.1f} / {:.1f} at the start, ".format(*load_start)
        if (load_start)
        else ""
    )
    return (
        f"- Run: {when:%Y-%m-%d %H:%M} UTC, `{command}`{took}.\n"
        f"- Machine: {machine['cpu']}, {machine['ram']}; {machine['os']}; "
        f"{start}{machine['load']} at the end; CPU probe {machine['probe']} "
        f"(`cpu_probe_ms`: {PROBE_LOOPS:,} turns of a Python loop, best of 3; lower is faster)."
        "\n"
        f"- Software: Python {machine['python']}, Django {machine['django']}, "
        f"{machine['database']}.\n"
    )


def bench_write_section(
    *,
    out_dir: Path,
    name: str,
    title: str,
    entries: Sequence[dict[str, object]],
    markdown: str,
    command: str,
    seconds: float | None = None,
    when: dt.datetime | None = None,
    load_start: tuple[float, float, float] | None = None,
) -> list[dict[str, object]]:
    """Write one section's figures: its part of BENCHMARKS.md (with a heading naming the
    database, a table of any figure the body does not show, and the run, machine and load)
    and its entries in benchmarks.json (names suffixed `_postgresql` off SQLite; only the
    five JSON keys). Returns the entries as written, with their extra keys."""
    entries = with_engine_suffix(entries)
    database = database_description()
    body = markdown.strip()
    if not body.startswith("#"):
        body = f"## {title} ({database})\n\n{body}"
    heading, _, rest = body.partition("\n")
    if database.split()[0] not in heading:
        body = f"{heading} ({database})\n{rest}"
    unshown = [e for e in entries if f"`{e['name']}`" not in body]
    if unshown:
        body += "\n\n" + figures_table(unshown)
    body = body.rstrip()
    body += ("\n" if body.splitlines()[-1].startswith("- ") else "\n\n") + section_footer(
        machine=machine_description(),
        when=(when or timezone.now()).astimezone(dt.UTC),
        command=command,
        seconds=seconds,
        load_start=load_start,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, json_path = out_dir / "BENCHMARKS.md", out_dir / "benchmarks.json"
    bench_write_markdown(path=md_path, section=section_key(name), body=body)
    bench_write_json(path=json_path, entries=[{k: e[k] for k in JSON_KEYS} for e in entries])
    bench_write_header(md_path=md_path, json_path=json_path)
    return entries


def bench_report(
    *,
    timings: Sequence[Timing],
    config: BenchConfig,
    user: User,
    out_dir: Path,
    when: dt.datetime | None = None,
) -> DataSizes:
    """Write core's section of BENCHMARKS.md and its entries in benchmarks.json."""
    sizes = DataSizes.count(user=user)
    bench_write_section(
        out_dir=out_dir,
        name=SECTION,
        title="Search, contact page and Today",
        entries=bench_json_entries(timings=timings, size=size_label(sizes, config.entries)),
        markdown=bench_markdown(timings=timings, sizes=sizes, config=config, user=user),
        command=config.command,
        when=when,
    )
    return sizes


# --- Core's section of `warmline bench` -------------------------------------------------------


def bench_empty() -> None:
    """Start from nothing: a new SQLite file (quicker than deleting 2M rows), or a flushed
    server database. Only ever on the benchmark's own database (the command checks)."""
    from django.core.management import call_command

    path = str(connection.settings_dict["NAME"])
    in_memory = path == ":memory:" or "mode=memory" in path
    if connection.vendor != "sqlite" or in_memory or not Path(path).is_file():
        call_command("flush", interactive=False, verbosity=0)
        return
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def core_bench_section(
    *, options: BenchOptions, progress: BenchProgress, log: BenchLog
) -> tuple[list[dict[str, object]], str]:
    """`warmline bench`'s core section: seed the large company (unless --reuse finds it) and
    time search, the contact page, Today, the case list and the call queue, in process and
    (when a server process can see the database) over HTTP."""
    from warmline_tools.bench.http import http_possible

    config = BenchConfig(
        contacts=options.contacts, entries=options.entries, requests=options.requests
    )
    over_http = http_possible()
    progress.set_total(config.contacts + config.requests)
    if options.reuse and bench_data_present(config=config):
        log(f"Reusing the {config.contacts:,} contacts already seeded")
        progress(config.contacts)
    else:
        log("Emptying the benchmark database")
        bench_empty()
        log(f"Seeding {config.contacts:,} contacts x {config.entries} entries")
        started = time.monotonic()
        result = bench_seed(config=config, progress=progress)
        log(
            f"Seeded {result.contacts:,} contacts, {result.accounts:,} accounts and "
            f"{result.interactions:,} timeline entries in {time.monotonic() - started:.0f} s"
        )
    user = bench_rep()
    everyone = bench_everyone()
    log(f"Measuring in process ({config.requests} requests per page)")
    timings = bench_measure(
        user=user, requests=config.requests, everyone=everyone, progress=progress
    )
    if over_http:
        # Cold: a new server per page and run (3 at full size; none for a test's database,
        # whose section test checks the warm rows: server starts are slow on two cores).
        cold_runs = 0 if options.in_place else (3 if options.full_size else 1)
        log(f"Measuring over HTTP ({config.requests} requests per page, {cold_runs} cold starts)")
        timings += bench_measure_http(
            user=user,
            requests=config.requests,
            everyone=everyone,
            cold_runs=cold_runs,
            queries={t.key: t.queries for t in timings},
        )
    else:
        log("Not measuring over HTTP: a server process cannot see this database")
    sizes = DataSizes.count(user=user)
    entries = bench_json_entries(timings=timings, size=size_label(sizes, config.entries))
    return entries, bench_markdown(timings=timings, sizes=sizes, config=config, user=user)
