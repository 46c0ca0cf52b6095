"""Service-case benchmark: the SLA scheduler at 100,000 open cases (idle, and with a backlog
of 10,000 cases crossing a step at once), the delay from a step's due time to its alert,
and *Today* with 200 open cases in the rep's book.

    from warmline_tools.bench.service import service_bench
    entries = service_bench()            # seeds its own data on the current database

Call it with the default connection already pointed at a benchmark database (it deletes
and re-seeds its own rows only: users named ``svcbench-*``, their contacts and cases with
``external_system="svcbench"``). Returns ``[{"name", "value", "unit", "target", "size"}]``
for benchmarks.json; `today_with_cases_p95_ms` also carries ``queries`` (and
``queries_small_book``, the same page with 5 open cases: they must be equal).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from warmline.people.models import Account, Contact
from warmline.people.services import contacts_delete
from warmline.service.defaults import sla_defaults_ensure
from warmline.service.escalation import sla_pass
from warmline.service.models import (
    UNRESOLVED,
    Case,
    Clock,
    SlaPolicy,
    SlaStepFired,
    Step,
)
from warmline.service.services import SlaLookup, case_step_deadlines
from warmline.users.models import Role, Team, User
from warmline_tools.bench.http import http_measure, http_possible
from warmline_tools.bench.registry import BenchOptions, BenchProgress

SYSTEM = "svcbench"
PREFIX = "svcbench-"
CHUNK = 5000


@dataclass(frozen=True)
class ServiceBenchConfig:
    cases: int = 100_000  # open cases in all
    book_cases: int = 200  # open cases of the measured rep's customers
    small_book_cases: int = 5  # ... and of a second rep, to compare query counts
    due_cases: int = 10_000  # a backlog: cases crossing a step at once, one pass timed
    delay_cases: int = 20  # cases falling due one by one while the scheduler runs
    delay_spread_s: float = 8.0  # over this many seconds
    requests: int = 200  # timed GETs of Today
    reps: int = 50
    seed: int = 4343


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def _ensure_policies() -> None:
    """The shipped SLA defaults (`warmline.service.defaults`, what migration 0002 ships),
    unless the database has active policies already (a flushed benchmark database has
    none; the core section's demo loaders create the same set)."""
    if SlaPolicy.objects.filter(is_active=True).exists():
        return
    if not sla_defaults_ensure():
        raise RuntimeError(
            "the benchmark database has SLA calendars but no active policy; empty it first"
        )


def _clean() -> None:
    from warmline.alerts.models import Alert

    users = User.objects.filter(username__startswith=PREFIX)
    Alert.objects.filter(recipient__in=users).delete()
    SlaStepFired.objects.filter(case__external_system=SYSTEM).delete()
    Case.objects.filter(external_system=SYSTEM).delete()
    contacts_delete(contacts=Contact.objects.filter(owner__in=users))
    Account.objects.filter(name__startswith=PREFIX).delete()
    users.delete()
    Team.objects.filter(name__startswith=PREFIX).delete()


@dataclass
class Seeded:
    rep: User
    small_rep: User
    manager: User


def _urgent_warn_minutes() -> int:
    policy = SlaPolicy.objects.get(is_active=True, priority="urgent", tier="")
    assert policy.first_response_warn_minutes is not None
    return policy.first_response_warn_minutes


def _seed(config: ServiceBenchConfig, progress: Callable[[int], None] | None) -> Seeded:
    rng = random.Random(config.seed)
    now = timezone.now()
    manager = User.objects.create(username=f"{PREFIX}manager", role=Role.MANAGER, email="m@x.test")
    team = Team.objects.create(name=f"{PREFIX}team", manager=manager)
    reps = [
        User(username=f"{PREFIX}rep{i}", role=Role.REP, team=team, email=f"r{i}@bench.test")
        for i in range(config.reps)
    ]
    User.objects.bulk_create(reps)
    reps = list(User.objects.filter(username__startswith=f"{PREFIX}rep").order_by("id"))
    rep, small_rep = reps[0], reps[1]
    account = Account.objects.create(name=f"{PREFIX}account", domain="svcbench.example")

    # One contact per case for the two measured books; five cases per contact elsewhere.
    other_cases = config.cases - config.book_cases - config.small_book_cases
    plan: list[tuple[User, int]] = [(rep, config.book_cases), (small_rep, config.small_book_cases)]
    contacts: list[Contact] = []
    for owner, count in plan:
        contacts += [
            Contact(
                first_name="Book",
                last_name=f"Customer {i}",
                owner=owner,
                account=account,
                phone="+14155550100",
                email=f"{owner.username}.{i}@svcbench.example",
            )
            for i in range(count)
        ]
    shared = max(other_cases // 5, 1)
    others = reps[2:] or reps
    contacts += [
        Contact(
            first_name="Other",
            last_name=f"Customer {i}",
            owner=others[i % len(others)],
            account=account,
        )
        for i in range(shared)
    ]
    for start in range(0, len(contacts), CHUNK):
        Contact.objects.bulk_create(contacts[start : start + CHUNK])
    contact_ids = list(
        Contact.objects.filter(owner__username__startswith=PREFIX)
        .order_by("id")
        .values_list("id", "owner_id")
    )
    book_ids = [cid for cid, owner in contact_ids if owner == rep.pk]
    small_ids = [cid for cid, owner in contact_ids if owner == small_rep.pk]
    other_ids = [cid for cid, owner in contact_ids if owner not in (rep.pk, small_rep.pk)]

    lookup = SlaLookup()
    cache: dict[tuple[str, dt.datetime], dict[tuple[str, str], dt.datetime | None]] = {}
    priorities = ["low", "normal", "normal", "normal", "high", "urgent"]

    def build(contact_id: int, index: int) -> Case:
        priority = rng.choice(priorities)
        opened = (now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 10))).replace(
            second=0, microsecond=0
        )
        case = Case(
            contact_id=contact_id,
            account=account,
            subject=f"Bench case {index}",
            priority=priority,
            status="open" if rng.random() > 0.15 else "pending_customer",
            opened_at=opened,
            external_system=SYSTEM,
            external_id=str(index),
        )
        if case.status == "pending_customer":
            case.sla_pauses = [[(opened + dt.timedelta(minutes=5)).isoformat(), None]]
        key = (priority, opened) if case.status == "open" else ("", opened)
        deadlines = cache.get(key)
        if deadlines is None:
            setup = lookup.setup_for_parts(priority=priority, tier="", team_id=team.pk)
            deadlines = case_step_deadlines(case=case, setup=setup)
            cache[key] = deadlines
        case.sla_policy = lookup.policy_for(priority=priority, tier="")
        # The scheduler has been running: steps already past have fired.
        pending = [d for d in deadlines.values() if d is not None and d > now]
        case.next_step_due_at = min(pending) if pending else None
        case.first_response_due_at = deadlines.get((Clock.FIRST_RESPONSE, Step.BREACH))
        case.resolution_due_at = deadlines.get((Clock.RESOLUTION, Step.BREACH))
        breaches = [d for d in (case.first_response_due_at, case.resolution_due_at) if d]
        case.breach_at = min(breaches) if breaches else None
        return case

    targets = book_ids + small_ids
    targets += [other_ids[i % len(other_ids)] for i in range(other_cases)]
    for start in range(0, len(targets), CHUNK):
        batch = [build(cid, start + i) for i, cid in enumerate(targets[start : start + CHUNK])]
        with transaction.atomic():
            Case.objects.bulk_create(batch)
        if progress:
            progress(len(batch))
    _book_features(now=now, reps=[rep, small_rep])
    return Seeded(rep=rep, small_rep=small_rep, manager=manager)


def _book_features(*, now: dt.datetime, reps: list[User]) -> None:
    """The rest of a rep's book, as a demo rep's (the demo's own loaders): questions from
    customers and callbacks due, for both measured books alike, so *Today* shows every
    section and the two books' query counts compare like with like. Their customers have
    been customers for a while (the loaders pick those)."""
    from warmline_tools.demo import demo_features_load

    Contact.objects.filter(owner__in=reps).update(
        created_at=now - dt.timedelta(days=400), time_zone="America/New_York"
    )
    with transaction.atomic():
        demo_features_load(now, books=1, reps=reps, features=("calls", "portal"))


def _make_due(*, ids: list[int], due_at: list[dt.datetime]) -> None:
    """Turn these cases into urgent, open cases whose first-response warning falls due at
    the given instants (urgent cases run on the 24x7 calendar): one UPDATE per instant."""
    warn = dt.timedelta(minutes=_urgent_warn_minutes())
    policy = SlaPolicy.objects.get(is_active=True, priority="urgent", tier="")
    by_instant: dict[dt.datetime, list[int]] = {}
    for case_id, at in zip(ids, due_at, strict=True):
        by_instant.setdefault(at, []).append(case_id)
    with transaction.atomic():
        for at, group in by_instant.items():
            for start in range(0, len(group), CHUNK):
                chunk = group[start : start + CHUNK]
                Case.objects.filter(pk__in=chunk).update(
                    priority="urgent",
                    status="open",
                    sla_pauses=[],
                    first_response_at=None,
                    opened_at=at - warn,
                    sla_policy=policy,
                    next_step_due_at=at,
                    sla_version=0,
                )
                SlaStepFired.objects.filter(case_id__in=chunk).delete()


@dataclass(frozen=True)
class PassTiming:
    idle_s: float  # median of 5 passes with nothing due
    busy_s: float  # one pass with the backlog due
    cases_due: int
    steps_fired: int
    alerts_raised: int
    outbox_rows: int  # deliveries queued by those alerts (e-mail, SMS, in-app rungs)


def _time_pass(config: ServiceBenchConfig, other_ids: list[int]) -> PassTiming:
    from warmline.alerts.models import OutboxMessage

    idle = []
    for _ in range(5):
        idle_started = time.perf_counter()
        sla_pass()
        idle.append(time.perf_counter() - idle_started)
    idle_s = sorted(idle)[2]  # median
    ids = other_ids[: config.due_cases]
    now = timezone.now()
    _make_due(ids=ids, due_at=[now - dt.timedelta(seconds=30)] * len(ids))
    outbox_before = OutboxMessage.objects.count()
    started = time.perf_counter()
    result = sla_pass()
    busy_s = time.perf_counter() - started
    if result.steps_fired < len(ids):
        raise RuntimeError(f"expected {len(ids)} steps to fire, got {result}")
    return PassTiming(
        idle_s=idle_s,
        busy_s=busy_s,
        cases_due=len(ids),
        steps_fired=result.steps_fired,
        alerts_raised=result.alerts_raised,
        outbox_rows=OutboxMessage.objects.count() - outbox_before,
    )


def _time_delay(config: ServiceBenchConfig, ids: list[int]) -> float:
    """Run the scheduler as the worker does (a pass every SERVICE_SLA_PASS_SECONDS) while
    cases fall due one by one; the delay is alert.created_at - step due time."""
    from warmline.alerts.models import Alert

    start = timezone.now() + dt.timedelta(seconds=1)
    step = config.delay_spread_s / max(len(ids) - 1, 1)
    due = [start + dt.timedelta(seconds=i * step) for i in range(len(ids))]
    _make_due(ids=ids, due_at=due)
    stop = threading.Event()
    interval = float(settings.SERVICE_SLA_PASS_SECONDS)

    def loop() -> None:
        while not stop.is_set():
            close_old_connections()
            sla_pass()
            stop.wait(interval)
        connection.close()

    thread = threading.Thread(target=loop, name="svcbench-scheduler", daemon=True)
    thread.start()
    deadline = time.monotonic() + config.delay_spread_s + interval + 30
    causes = [f"case:{i}:first_response:warn" for i in ids]
    while time.monotonic() < deadline:
        if Alert.objects.filter(cause__in=causes).count() >= len(ids):
            break
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=30)
    delays = []
    fired = {
        s.case_id: s.due_at
        for s in SlaStepFired.objects.filter(case_id__in=ids, step="warn", clock="first_response")
    }
    for alert in Alert.objects.filter(cause__in=causes):
        case_id = int(alert.cause.split(":")[1])
        delays.append((alert.created_at - fired[case_id]).total_seconds())
    if len(delays) < len(ids):
        raise RuntimeError(f"only {len(delays)} of {len(ids)} alerts were raised in time")
    return max(delays)


@dataclass(frozen=True)
class TodayTiming:
    p95_ms: float
    median_ms: float
    cpu_p95_ms: float  # the measuring thread's CPU time: the page's cost without neighbours
    queries: int
    queries_small_book: int


def _today(config: ServiceBenchConfig, seeded: Seeded) -> TodayTiming:
    client = Client()
    url = reverse("today")

    def queries(user: User) -> int:
        client.force_login(user)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"Today answered {response.status_code}")
        return len(ctx.captured_queries)

    small = queries(seeded.small_rep)
    big = queries(seeded.rep)
    for _ in range(10):
        client.get(url)
    samples, cpu = [], []
    for _ in range(config.requests):
        cpu_started, started = time.thread_time(), time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
    return TodayTiming(
        p95_ms=percentile(samples, 95),
        median_ms=percentile(samples, 50),
        cpu_p95_ms=percentile(cpu, 95),
        queries=big,
        queries_small_book=small,
    )


def service_bench(
    *,
    config: ServiceBenchConfig | None = None,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Seed, measure, return benchmarks.json entries. `progress(n)` is told of every n cases
    seeded (total `config.cases`); `log` receives a line per phase."""
    config = config or ServiceBenchConfig()
    say = log or (lambda _msg: None)
    say("Cleaning earlier service-bench rows…")
    _clean()
    _ensure_policies()
    say(f"Seeding {config.cases:,} open cases…")
    seeded = _seed(config, progress)
    with connection.cursor() as cursor:  # fresh statistics, as a maintained database has
        cursor.execute("ANALYZE")
    other_ids = list(
        Case.objects.filter(external_system=SYSTEM, status__in=UNRESOLVED)
        .exclude(contact__owner__in=[seeded.rep, seeded.small_rep])
        .order_by("id")
        .values_list("id", flat=True)[: config.due_cases + config.delay_cases]
    )
    vendor = connection.vendor
    open_total = Case.objects.filter(status__in=UNRESOLVED).count()
    say(f"Timing scheduler passes (idle, then {config.due_cases:,} cases due at once)…")
    passed = _time_pass(config, other_ids)
    say("Measuring escalation delay…")
    delay_s = _time_delay(config, other_ids[config.due_cases :])
    say(f"Timing Today ({config.requests} requests)…")
    today = _today(config, seeded)
    size = f"{open_total:,} open cases ({vendor})"
    http_entries: list[dict[str, Any]] = []
    if http_possible():
        say(f"Timing Today over HTTP ({config.requests} requests)…")
        url = reverse("today")
        steps = [{"type": "get", "key": "warm", "url": url, "timed": False}] * 10
        steps += [{"type": "get", "key": "today", "url": url}] * config.requests
        samples = http_measure(user=seeded.rep, steps=steps).samples["today"]
        http_entries.append(
            {
                "name": "today_with_cases_http_p95_ms",
                "value": round(percentile(samples, 95), 1),
                "unit": "ms",
                "target": 80.0,
                "size": f"{config.book_cases} open cases in the book; {size}; over HTTP",
                "median_ms": round(percentile(samples, 50), 1),
            }
        )
    return [
        {
            "name": "sla_pass_100k_s",
            "value": round(passed.busy_s, 3),
            "unit": "s",
            "target": None,
            "size": f"{size}; a backlog of {passed.cases_due:,} cases due at once: "
            f"{passed.steps_fired:,} steps fired, {passed.alerts_raised:,} alerts raised, "
            f"{passed.outbox_rows:,} outbox rows",
            "steps_fired": passed.steps_fired,
            "alerts_raised": passed.alerts_raised,
            "outbox_rows": passed.outbox_rows,
        },
        {
            "name": "sla_pass_idle_100k_s",
            "value": round(passed.idle_s, 4),
            "unit": "s",
            "target": None,
            "size": f"{size}; none due (median of 5 passes)",
        },
        {
            "name": "escalation_delay_s",
            "value": round(delay_s, 2),
            "unit": "s",
            "target": 5.0,
            "size": (
                f"{size}; max over {config.delay_cases} steps, pass every "
                f"{settings.SERVICE_SLA_PASS_SECONDS} s"
            ),
        },
        {
            "name": "today_with_cases_p95_ms",
            "value": round(today.p95_ms, 1),
            "unit": "ms",
            "target": 50.0,
            "size": f"{config.book_cases} open cases in the book; {size}",
            "queries": today.queries,
            "queries_small_book": today.queries_small_book,
            "median_ms": round(today.median_ms, 1),
            "cpu_p95_ms": round(today.cpu_p95_ms, 1),
        },
        *http_entries,
    ]


def service_bench_config(options: BenchOptions) -> ServiceBenchConfig:
    """Full size at 100,000 contacts; proportionally smaller (tests) below."""
    if options.full_size:
        return ServiceBenchConfig(requests=options.requests)
    return ServiceBenchConfig(
        cases=options.scaled(100_000, minimum=40),
        book_cases=options.scaled(200, minimum=6),
        small_book_cases=options.scaled(5, minimum=2),
        due_cases=options.scaled(10_000, minimum=3),
        delay_cases=options.scaled(20, minimum=2),
        delay_spread_s=max(0.2, round(8.0 * options.scale, 2)),
        requests=options.requests,
        reps=options.scaled(50, minimum=4),
    )


def service_bench_section(
    *, options: BenchOptions, progress: BenchProgress, log: Callable[[str], None]
) -> tuple[list[dict[str, Any]], str]:
    """`warmline bench`'s service section: entries plus a query-count figure (Today must
    run as many queries with 200 open cases in the book as with 5), and its markdown."""
    config = service_bench_config(options)
    progress.set_total(config.cases)
    entries = service_bench(config=config, progress=progress, log=log)
    today = next(e for e in entries if e["name"] == "today_with_cases_p95_ms")
    extra = int(today["queries"]) - int(today["queries_small_book"])
    entries.append(
        {
            "name": "today_cases_extra_queries",
            "value": extra,
            "unit": "queries",
            "target": 0,
            "size": (
                f"Today's queries with {config.book_cases} open cases in the book "
                f"({today['queries']}) minus with {config.small_book_cases} "
                f"({today['queries_small_book']})"
            ),
        }
    )
    suffix = "" if connection.vendor == "sqlite" else f"_{connection.vendor}"
    named = [{**e, "name": f"{e['name']}{suffix}"} for e in entries]
    return named, service_bench_markdown(named, config=config)


def service_bench_markdown(entries: list[dict[str, Any]], *, config: ServiceBenchConfig) -> str:
    from warmline_tools.bench.core import database_description, format_target, format_value, verdict

    by_name = {str(e["name"]).removesuffix(f"_{connection.vendor}"): e for e in entries}
    labels = {
        "sla_pass_100k_s": f"one scheduler pass, a backlog of {config.due_cases:,} cases "
        "crossing a step at once",
        "sla_pass_idle_100k_s": "one scheduler pass, nothing due (median of 5)",
        "escalation_delay_s": "step due to alert raised, worst of "
        f"{config.delay_cases} (scheduler every {settings.SERVICE_SLA_PASS_SECONDS} s)",
        "today_with_cases_p95_ms": f"*Today* p95 with {config.book_cases} open cases in the book",
        "today_cases_extra_queries": f"*Today* queries, {config.book_cases} open cases "
        f"minus {config.small_book_cases}",
        "today_with_cases_http_p95_ms": f"*Today* p95 with {config.book_cases} open cases in "
        "the book, over HTTP (`warmline serve`, production settings, the client in its own "
        "process)",
    }
    rows = "\n".join(
        f"| {labels.get(key, key)} | {format_value(e['value'], e['unit'])} | "
        f"{format_target(e)} | {verdict(e)} | `{e['name']}` |"
        for key, e in by_name.items()
    )
    today = by_name["today_with_cases_p95_ms"]
    open_cases = str(by_name["sla_pass_100k_s"]["size"]).split(" open cases")[0]
    return f"""## Service cases: SLA scheduler and *Today* ({database_description()})

The SLA scheduler (the worker's `service.sla_pass`) must keep up with {open_cases} open
cases, raise a due step's alert within 5 s, and a rep's *Today* must stay under 50 ms (p95)
with many open cases in the book, with the same number of queries however many there are.
The benchmark seeds its own rows next to whatever else is in the database (users
`svcbench-*`, {config.reps} reps, one account, cases with `external_system="svcbench"`:
priorities low/normal/high/urgent, 15 % waiting on the customer, opened over the last 10
days, steps already past marked as fired as a running scheduler leaves them), then runs
`ANALYZE`. The SLA policies are the product's defaults (`warmline.service.defaults`, as
migration 0002 ships them: warnings by e-mail, breaches by e-mail and SMS). It times
scheduler passes with nothing due and one pass with a backlog of {config.due_cases:,}
cases crossing a step at once (their first-response warning fell due 30 s before: a
scheduler back from an outage, or a calendar opening on a Monday); that pass fired
{by_name["sla_pass_100k_s"].get("steps_fired")} steps, raised
{by_name["sla_pass_100k_s"].get("alerts_raised")} alerts and queued
{by_name["sla_pass_100k_s"].get("outbox_rows")} outbox rows (each alert's deliveries).
It runs the scheduler in a thread as the worker does while {config.delay_cases} cases
fall due one by one over {config.delay_spread_s:g} s, and takes the worst delay from a
step's due time to its alert's `created_at`; and times {config.requests} GETs of *Today*
through Django's test client as the rep whose book holds {config.book_cases} open cases
(queries: {today["queries"]}; the same page for a book of {config.small_book_cases}:
{today["queries_small_book"]}); both books also hold what a demo rep's does besides cases
(questions new, acknowledged and answered; callbacks late, later today and tomorrow: the
demo's loaders). *Today*'s median was {today.get("median_ms")} ms; the p95 of
the same requests' CPU time in the measuring thread, which other load on the machine does
not inflate, {today.get("cpu_p95_ms")} ms.

| measure | value | target | result | name |
| --- | ---: | ---: | --- | --- |
{rows}
"""
