"""SSE fan-out benchmark: from "a customer posts a question" to "the alert is in the rep's tab".

`sse_bench()` builds a throw-away SQLite database (or uses the benchmark's PostgreSQL
database), with reps in teams that have a manager and customers each rep owns; starts its own
uvicorn server on 127.0.0.1 (one process, production settings, DEBUG off), a `warmline worker`
beside it and a local SMTP sink for its e-mails; identifies every customer the way a customer
is identified (it follows the magic link the product made for them: GET, then POST with the
form's CSRF token, which sets the signed visitor cookie); opens `connections` Server-Sent
Events streams spread over the reps (so each rep has several tabs); then posts `rate`
questions a second for `duration` seconds through the public form (`POST /site/ask/`, as an
identified customer, with the form's CSRF token) for random customers. Each question does
what it does for a customer: question, timeline entry, the rep's alert with its whole
escalation ladder (in-app at once, then e-mail and SMS to the rep and an e-mail to the
manager, rendered when the alert is raised and sent by the worker when due) and live events,
in one transaction, published on commit. The portal's rate limits are raised for the run
(PORTAL_RATE_ASK_IP / PORTAL_RATE_ASK_CONTACT), since every question comes from 127.0.0.1.

It measures, per (question, tab) pair, the time from just before the POST is written to the
moment the tab has parsed the "alert" event; it counts pairs that never arrive (lost) and
alerts that arrive at another rep's tab (misrouted), reads the server's resident memory with
every stream open, and afterwards counts in the database what the questions left behind
(questions, alerts, outbox rows by channel and status) and what the sink and the SMS console
received.

The load generator is plain asyncio streams (no HTTP library needed) in this process.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from warmline_tools.bench.http import signed_in_session
from warmline_tools.bench.registry import BenchOptions, BenchProgress
from warmline_tools.net import free_port, stop_process, wait_http_ok

P99_TARGET_MS = 250.0
HOST = "127.0.0.1"


# -- a minimal SSE client over asyncio streams --------------------------------------------
@dataclass
class SseEvent:
    id: int | None
    envelope: dict[str, Any]

    @property
    def event(self) -> str:
        return str(self.envelope.get("event", ""))

    @property
    def data(self) -> dict[str, Any]:
        data = self.envelope.get("data")
        return data if isinstance(data, dict) else {}


class SseError(Exception):
    pass


class SseConnection:
    """One GET /alerts/stream over HTTP/1.1 (chunked or not), yielding parsed frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.chunked = False
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""

    @classmethod
    async def open(
        cls,
        *,
        port: int,
        session: str,
        host: str = HOST,
        path: str = "/alerts/stream",
        last_event_id: int | None = None,
    ) -> SseConnection:
        reader, writer = await asyncio.open_connection(host, port)
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Accept: text/event-stream",
            "Cache-Control: no-cache",
            f"Cookie: sessionid={session}",
        ]
        if last_event_id is not None:
            lines.append(f"Last-Event-ID: {last_event_id}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        status = (await reader.readline()).decode("latin-1").strip()
        if " 200 " not in f"{status} ":
            writer.close()
            raise SseError(f"stream answered {status!r}")
        conn = cls(reader, writer)
        while True:
            line = (await reader.readline()).decode("latin-1").strip()
            if not line:
                return conn
            name, _, value = line.partition(":")
            if name.lower() == "transfer-encoding" and "chunked" in value.lower():
                conn.chunked = True

    async def _read(self) -> bytes:
        if not self.chunked:
            return await self.reader.read(65536)
        size_line = await self.reader.readline()
        if not size_line:
            return b""
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return b""
        data = await self.reader.readexactly(size)
        await self.reader.readexactly(2)
        return data

    async def events(self) -> AsyncIterator[SseEvent]:
        while True:
            while "\n\n" in self._buffer:
                frame, self._buffer = self._buffer.split("\n\n", 1)
                event = _parse_frame(frame)
                if event is not None:
                    yield event
            chunk = await self._read()
            if not chunk:
                return
            self._buffer += self._decoder.decode(chunk)

    async def next_event(self, *, timeout: float) -> SseEvent:
        async def first() -> SseEvent:
            async for event in self.events():
                return event
            raise SseError("stream ended")

        return await asyncio.wait_for(first(), timeout)

    async def wait_for(self, predicate: Callable[[SseEvent], bool], *, timeout: float) -> SseEvent:
        deadline = time.monotonic() + timeout
        while True:
            event = await self.next_event(timeout=max(deadline - time.monotonic(), 0.001))
            if predicate(event):
                return event

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the socket may be gone already
            self.writer.close()


def _parse_frame(frame: str) -> SseEvent | None:
    event_id: int | None = None
    data: list[str] = []
    for line in frame.split("\n"):
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            event_id = int(value) if value.isdigit() else None
        elif name == "data":
            data.append(value)
    if not data:
        return None
    return SseEvent(id=event_id, envelope=json.loads("\n".join(data)))


async def http_post(
    *,
    port: int,
    path: str,
    body: bytes,
    headers: dict[str, str],
    content_type: str = "application/x-www-form-urlencoded",
    host: str = HOST,
) -> tuple[int, bytes]:
    """A one-shot HTTP/1.1 POST (Connection: close); returns (status, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        status = 0
    return status, rest.partition(b"\r\n\r\n")[2]


# -- the public site, as a customer's browser uses it ---------------------------------------
class PortalError(Exception):
    pass


_FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VISITOR_COOKIE = "wl_visitor"  # warmline.portal.identity.VISITOR_COOKIE


@dataclass
class PortalVisitor:
    """A customer's browser on the public site (/site/): it keeps its cookies, is identified
    by following the magic link the product made for it (GET shows "Continue", POST with the
    page's CSRF token uses the link and sets the signed visitor cookie) and asks questions
    through the form (`POST /site/ask/`) with that token, as the page does."""

    port: int
    host: str = HOST
    cookies: dict[str, str] = field(default_factory=dict)
    form_token: str = ""

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """One request; returns (status, body or redirect location) and keeps the cookies."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            headers = {"Cookie": self.cookie_header()} if self.cookies else {}
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                pair = header.split(";", 1)[0]
                name, _, value = pair.partition("=")
                if value in ('""', "") or "max-age=0" in header.lower():
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            return response.status, response.getheader("Location") or text
        finally:
            conn.close()

    @property
    def identified(self) -> bool:
        return VISITOR_COOKIE in self.cookies

    def follow_magic_link(self, token: str) -> None:
        path = f"/site/m/{token}/"
        status, page = self.request("GET", path)
        found = _FORM_TOKEN.search(page)
        if status != 200 or found is None:
            raise PortalError(f"GET {path} answered {status} without a form")
        self.form_token = found.group(1)
        status, _ = self.request("POST", path, {"csrfmiddlewaretoken": self.form_token})
        if status != 302 or not self.identified:
            raise PortalError(f"POST {path} answered {status} and identified nobody")

    def ask_form(self, message: str) -> dict[str, str]:
        """The fields the ask page posts for an identified customer."""
        return {
            "csrfmiddlewaretoken": self.form_token,
            "message": message,
            "page": "",
            "preferred_channel": "email",
            "preferred_time": "anytime",
            "phone": "",
            "website": "",  # the honeypot, left empty by people
        }

    def ask(self, message: str) -> int:
        """Post a question and return the status (302 to the "sent" page when it worked)."""
        status, _ = self.request("POST", "/site/ask/", self.ask_form(message))
        return status

    async def ask_async(self, message: str) -> int:
        """The same POST over asyncio streams (for a load generator's event loop)."""
        status, _ = await http_post(
            port=self.port,
            host=self.host,
            path="/site/ask/",
            body=urlencode(self.ask_form(message)).encode(),
            headers={"Cookie": self.cookie_header()},
        )
        return status


# -- processes --------------------------------------------------------------------------------
def raise_open_files_limit(wanted: int = 8192) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc (Linux)."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def start_server(
    *,
    env: dict[str, str],
    port: int,
    log_path: Path,
    app: str = "warmline.asgi:application",
    extra_args: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "4096",
        *extra_args,
    ]
    proc = subprocess.Popen(  # noqa: S603 - fixed command
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=raise_open_files_limit,  # noqa: PLW1509 - only sets a resource limit
    )
    log.close()
    return proc


def _server_log_tail(path: Path, log: Callable[[str], None], lines: int = 40) -> None:
    """What the server said before a failed run (its log goes with the run's directory)."""
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return
    log("The server's log ended with:\n" + "\n".join(tail))


# -- setup inside the bench database ----------------------------------------------------------
REPS_PER_TEAM = 10


def _setup_main(users: int, *, customers: int, migrate: bool = False) -> None:
    """`python -m warmline_tools.bench.alerts setup N --customers C [--migrate]`: (migrate,
    then) N reps with an e-mail address and a mobile number, in teams of ten that each have a
    manager; each rep signed in once and owning C customers, each with a fresh magic link
    made by the product's service (prints JSON; the caller follows the links)."""
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    from faker import Faker

    from warmline.people.models import ContactEmail
    from warmline.people.services import ContactData, contact_create
    from warmline.portal.services import magic_link_create
    from warmline.users.models import Role, Team, User

    fake = Faker("en_US")
    fake.seed_instance(4242)
    teams = []
    for number in range((users + REPS_PER_TEAM - 1) // REPS_PER_TEAM):
        manager, _ = User.objects.get_or_create(
            username=f"bench-manager-{number:03d}",
            defaults={"first_name": "Bench", "last_name": f"Manager {number}"},
        )
        manager.role, manager.email = Role.MANAGER, f"bench-manager-{number:03d}@warmline.test"
        manager.save()
        team, _ = Team.objects.get_or_create(name=f"Bench team {number:03d}")
        team.manager = manager
        team.save()
        teams.append(team)
    out = []
    for index in range(users):
        user, _ = User.objects.get_or_create(
            username=f"bench-rep-{index:04d}",
            defaults={"first_name": "Bench", "last_name": f"Rep {index}"},
        )
        user.role, user.team = Role.REP, teams[index // REPS_PER_TEAM]
        user.email = f"bench-rep-{index:04d}@warmline.test"
        user.mobile_phone = f"+1415555{index % 10000:04d}"
        user.save()
        links = []
        for number in range(customers):
            email = f"bench-customer-{index:04d}-{number:02d}@customer.test"
            known = ContactEmail.objects.filter(address=email).select_related("contact").first()
            contact = (
                known.contact
                if known is not None
                else contact_create(
                    data=ContactData(
                        first_name=fake.first_name(),
                        last_name=fake.last_name(),
                        owner=user,
                        emails=[(email, "work")],
                    )
                )
            )
            _link, token = magic_link_create(contact=contact, email=email)
            links.append({"contact_id": contact.pk, "token": token})
        out.append({"user_id": user.pk, "session": signed_in_session(user), "customers": links})
    print(json.dumps(out))


def _report_main(run_id: str) -> None:
    """`python -m warmline_tools.bench.alerts report RUN`: what the run's questions left in
    the database (prints JSON): questions, their alerts and the alerts' outbox rows."""
    import django

    django.setup()
    from django.db.models import Count

    from warmline.alerts.models import Alert, OutboxMessage
    from warmline.portal.models import Question

    questions = list(
        Question.objects.filter(message__startswith=question_marker(run_id)).only(
            "uuid", "verified"
        )
    )
    alerts = Alert.objects.filter(cause__in=[q.cause for q in questions], kind="question")
    rows = (
        OutboxMessage.objects.filter(alert__in=alerts)
        .values("channel", "audience", "status")
        .annotate(n=Count("id"))
        .order_by("channel", "audience", "status")
    )
    with_both = (
        alerts.filter(messages__channel="email").filter(messages__channel="sms").distinct().count()
    )
    print(
        json.dumps(
            {
                "questions": len(questions),
                "verified": sum(1 for q in questions if q.verified),
                "alerts": alerts.count(),
                "alerts_with_email_and_sms": with_both,
                "outbox": list(rows),
            }
        )
    )


# -- the run ------------------------------------------------------------------------------------
def question_marker(run_id: str) -> str:
    """How every question of a run begins (the report finds them by it)."""
    return f"Bench {run_id} question "


QUESTION_TEXT = (
    "{marker}{seq}: do you have the X200 retrofit kit in stock for a March install, and "
    "could someone call me about shipping to our Leeds site?"
)


@dataclass
class Customer:
    visitor: PortalVisitor
    rep: int  # index into BenchRun.users


@dataclass
class BenchRun:
    connections: int
    rate: float
    duration: float
    users: list[dict[str, Any]]
    customers: list[Customer]
    port: int
    posted: dict[int, float] = field(default_factory=dict)  # seq -> perf_counter before POST
    post_failed: int = 0
    post_ms: list[float] = field(default_factory=list)  # POST sent to its response read
    expected: dict[int, set[int]] = field(default_factory=dict)  # seq -> tab indexes
    arrivals: dict[tuple[int, int], float] = field(default_factory=dict)  # (seq, tab) -> t
    misrouted: int = 0
    duplicates: int = 0
    connect_seconds: float = 0.0
    rss: tuple[float, float] = (0.0, 0.0)
    server_cpu_share: float = 0.0  # of one core, while posting
    worker_cpu_share: float = 0.0
    worker_pid: int = 0
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    progress: Callable[[int], None] = field(default=lambda _n: None)

    def __post_init__(self) -> None:
        self.marker = re.compile(re.escape(question_marker(self.run_id)) + r"(\d+):")

    def message(self, seq: int) -> str:
        return QUESTION_TEXT.format(marker=question_marker(self.run_id), seq=seq)


async def _tab(run: BenchRun, index: int, ready: asyncio.Event, opened: list[int]) -> None:
    user = run.users[index % len(run.users)]
    conn = await SseConnection.open(port=run.port, session=user["session"])
    try:
        async for event in conn.events():
            if event.event == "hello":
                opened[0] += 1
                run.progress(1)
                if opened[0] >= run.connections:
                    ready.set()
                continue
            if event.event != "alert":
                continue
            now = time.perf_counter()
            found = run.marker.search(str(event.data.get("body", "")))
            if found is None:
                continue
            seq = int(found.group(1))
            if index not in run.expected.get(seq, ()):
                run.misrouted += 1
            elif (seq, index) in run.arrivals:
                run.duplicates += 1
            else:
                run.arrivals[(seq, index)] = now
    finally:
        conn.close()


async def _post(run: BenchRun, seq: int, customer: Customer) -> None:
    run.posted[seq] = time.perf_counter()
    try:
        status = await customer.visitor.ask_async(run.message(seq))
    except OSError:
        status = 0
    run.post_ms.append((time.perf_counter() - run.posted[seq]) * 1000)
    if status != 302:  # the ask page redirects to "sent" when the question is in
        run.post_failed += 1


async def _drive(run: BenchRun, server_pid: int, log: Callable[[str], None]) -> None:
    ready = asyncio.Event()
    opened = [0]
    started = time.perf_counter()
    tabs: list[asyncio.Task[None]] = []
    for index in range(run.connections):
        tabs.append(asyncio.create_task(_tab(run, index, ready, opened)))
        if index % 50 == 49:
            await asyncio.sleep(0.02)  # open in waves, as tabs would
    try:
        await asyncio.wait_for(ready.wait(), timeout=120)
    except TimeoutError:
        failed = [t for t in tabs if t.done() and t.exception()]
        detail = f"; first error: {failed[0].exception()!r}" if failed else ""
        raise RuntimeError(
            f"only {opened[0]} of {run.connections} streams opened{detail}"
        ) from None
    run.connect_seconds = time.perf_counter() - started
    log(
        f"{run.connections} streams open in {run.connect_seconds:.1f} s; posting "
        f"{run.rate:g} questions/s for {run.duration:g} s"
    )

    tabs_of: dict[int, set[int]] = defaultdict(set)
    for index in range(run.connections):
        tabs_of[index % len(run.users)].add(index)
    rng = random.Random(42)
    total = int(run.rate * run.duration)
    posts: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    cpu_start = cpu_seconds(server_pid)
    worker_cpu_start = cpu_seconds(run.worker_pid) if run.worker_pid else 0.0
    for seq in range(total):
        delay = start + seq / run.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        customer = run.customers[rng.randrange(len(run.customers))]
        run.expected[seq] = tabs_of[customer.rep]
        posts.append(asyncio.create_task(_post(run, seq, customer)))
        run.progress(1)
        if seq == total // 2:
            run.rss = rss_mb(server_pid)
    await asyncio.gather(*posts)
    elapsed = time.perf_counter() - start
    run.server_cpu_share = (cpu_seconds(server_pid) - cpu_start) / elapsed
    if run.worker_pid:
        run.worker_cpu_share = (cpu_seconds(run.worker_pid) - worker_cpu_start) / elapsed
    want = sum(len(t) for t in run.expected.values())
    deadline = time.perf_counter() + 10
    while len(run.arrivals) < want and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    current, peak = rss_mb(server_pid)
    run.rss = (max(run.rss[0], current), peak)
    for task in tabs:
        task.cancel()
    await asyncio.gather(*tabs, return_exceptions=True)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# The escalation ladder of the run's alerts: the product's rungs (in-app to the rep at once,
# then e-mail and SMS to the rep, then an e-mail to the rep's manager), brought forward from
# minutes to seconds so the worker sends them while the questions keep coming.
BENCH_LADDER_SECONDS = {"inapp": 0, "email": 2, "sms": 4, "manager": 6}
BENCH_RATE_LIMIT = "1000000/h"  # every question comes from 127.0.0.1


def _bench_env(
    *, workdir: Path, database_url: str, redis_url: str, smtp_port: int
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "TASKS_BACKEND"}
        and not k.startswith(("ALERT_", "PORTAL_RATE_", "EMAIL_", "SMS_"))
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(
        DJANGO_SETTINGS_MODULE="warmline.settings",
        WARMLINE_DATA_DIR=str(workdir),
        # The run's own key, shared by its processes: sessions and magic links are signed
        # with it in the setup and checked with it in the server.
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
        # Identified customers ask through the form; the limits are per IP and per contact.
        PORTAL_RATE_ASK_IP=BENCH_RATE_LIMIT,
        PORTAL_RATE_ASK_CONTACT=BENCH_RATE_LIMIT,
        ALERT_INAPP_AFTER_SECONDS=str(BENCH_LADDER_SECONDS["inapp"]),
        ALERT_EMAIL_AFTER_SECONDS=str(BENCH_LADDER_SECONDS["email"]),
        ALERT_SMS_AFTER_SECONDS=str(BENCH_LADDER_SECONDS["sms"]),
        ALERT_MANAGER_AFTER_SECONDS=str(BENCH_LADDER_SECONDS["manager"]),
        ALERT_MANAGER_CHANNEL="email",
        ALERT_DISPATCH_EVERY_SECONDS="1",
        # E-mail over SMTP to the local sink; SMS through the console provider, to a file.
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=HOST,
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        SMS_PROVIDER="console",
        SMS_CONSOLE_PATH=str(workdir / "sms.log"),
    )
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _run_json(args: list[str], env: dict[str, str]) -> Any:
    done = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-m", "warmline_tools.bench.alerts", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _start_helper(
    args: list[str], *, env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    proc = subprocess.Popen(  # noqa: S603 - fixed command
        [sys.executable, "-m", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    return proc


def _lines(path: Path) -> int:
    try:
        return sum(1 for _ in path.open(encoding="utf-8", errors="replace"))
    except OSError:
        return 0


def _identify(
    port: int, accounts: list[dict[str, Any]], progress: Callable[[int], None]
) -> list[Customer]:
    """Every customer follows their magic link through the server (a few at a time)."""

    def one(rep: int, link: dict[str, Any]) -> Customer:
        visitor = PortalVisitor(port=port)
        visitor.follow_magic_link(link["token"])
        progress(1)
        return Customer(visitor=visitor, rep=rep)

    jobs = [(rep, link) for rep, account in enumerate(accounts) for link in account["customers"]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda job: one(*job), jobs))


def sse_bench(
    *,
    connections: int = 1000,
    users: int = 100,
    rate: float = 20.0,
    duration: float = 60.0,
    customers_per_rep: int = 3,
    app: str = "warmline.asgi:application",
    log: Callable[[str], None] = print,
    progress: Callable[[int], None] | None = None,
    database_url: str = "",
    redis_url: str = "",
    settle_seconds: float = 30.0,
) -> list[dict[str, object]]:
    """Run the benchmark; returns benchmarks.json entries ({name, value, unit, target, size})
    and, as extra keys of the first entry, the details BENCHMARKS.md shows.

    By default the server gets a fresh SQLite database of its own (the embedded/demo
    configuration: in-process fan-out). With `database_url` (already migrated) and
    `redis_url` it runs as a server deployment does: PostgreSQL, and live events published
    through Redis pub/sub as well as in process. After the questions, it waits up to
    `settle_seconds` for the worker to send every rung that fell due, then counts."""
    raise_open_files_limit(connections * 2 + 512)
    users = max(1, min(users, connections))
    workdir = Path(tempfile.mkdtemp(prefix="warmline-sse-bench-"))
    smtp_port = free_port()
    env = _bench_env(
        workdir=workdir, database_url=database_url, redis_url=redis_url, smtp_port=smtp_port
    )
    tick = progress or (lambda _n: None)
    procs: list[subprocess.Popen[bytes]] = []
    report: dict[str, Any] = {}
    try:
        fresh = [] if database_url else ["--migrate"]
        log(
            f"{'Migrating a fresh SQLite database; s' if fresh else 'S'}etting up {users} reps "
            f"with {customers_per_rep} customers each"
        )
        accounts = _run_json(
            ["setup", str(users), "--customers", str(customers_per_rep), *fresh], env
        )
        sink = _start_helper(
            ["warmline_tools.bench.smtp_sink", str(smtp_port), str(workdir / "mail.log")],
            env=env,
            log_path=workdir / "smtp.log",
        )
        procs.append(sink)
        port = free_port()
        server = start_server(env=env, port=port, log_path=workdir / "server.log", app=app)
        procs.append(server)
        worker = _start_helper(
            ["warmline.cli", "worker", "--interval", "0.5", "--no-startup-delay", "--no-reload"],
            env=env,
            log_path=workdir / "worker.log",
        )
        procs.append(worker)
        wait_http_ok(f"http://{HOST}:{port}/healthz", proc=server)
        started = time.perf_counter()
        log(f"Identifying {users * customers_per_rep} customers by their magic links")
        try:
            customers = _identify(port, accounts, tick)
        except PortalError:
            _server_log_tail(workdir / "server.log", log)
            raise
        identify_seconds = time.perf_counter() - started
        run = BenchRun(
            connections=connections,
            rate=rate,
            duration=duration,
            users=accounts,
            customers=customers,
            port=port,
            worker_pid=worker.pid,
            progress=tick,
        )
        log(f"Opening {connections} streams")
        try:
            asyncio.run(_drive(run, server.pid, log))
        except RuntimeError:
            _server_log_tail(workdir / "server.log", log)
            raise
        deadline = time.monotonic() + settle_seconds
        while True:
            report = _run_json(["report", run.run_id], env)
            waiting = sum(r["n"] for r in report["outbox"] if r["status"] in ("pending", "sending"))
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        if worker.poll() is not None:
            _server_log_tail(workdir / "worker.log", log)
        report["emails_received"] = _lines(workdir / "mail.log")
        report["sms_logged"] = _lines(workdir / "sms.log")
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        shutil.rmtree(workdir, ignore_errors=True)

    latencies = [
        (arrived - run.posted[seq]) * 1000 for (seq, _tab), arrived in run.arrivals.items()
    ]
    want = sum(len(tabs) for tabs in run.expected.values())
    lost = want - len(run.arrivals)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    backend = "PostgreSQL + Redis" if database_url else "SQLite, in-process fan-out"
    if database_url and not redis_url:
        backend = "PostgreSQL, no Redis"
    size = (
        f"{connections} SSE connections ({users} reps x {connections // users} tabs), "
        f"{len(run.customers)} identified customers asking {rate:g} questions/s for "
        f"{duration:g} s, one uvicorn process and one worker, {backend}"
    )
    log(
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, lost {lost} of {want}, misrouted {run.misrouted}, "
        f"failed posts {run.post_failed}, server RSS {run.rss[0]} MB (peak {run.rss[1]} MB); "
        f"{report.get('questions')} questions, {report.get('alerts')} alerts, "
        f"{report.get('emails_received')} e-mails at the sink, "
        f"{report.get('sms_logged')} SMS on the console"
    )
    sent: dict[str, int] = defaultdict(int)
    for row in report.get("outbox", []):
        if row["status"] == "sent":
            sent[f"{row['channel']}:{row['audience']}"] += row["n"]
    details = {
        "p50_ms": round(p50, 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "deliveries": len(run.arrivals),
        "expected": want,
        "events": len(run.expected),
        "post_failed": run.post_failed,
        "post_p50_ms": round(percentile(run.post_ms, 50), 1),
        "post_p99_ms": round(percentile(run.post_ms, 99), 1),
        "over_target": sum(1 for v in latencies if v >= P99_TARGET_MS),
        "misrouted": run.misrouted,
        "duplicates": run.duplicates,
        "connect_seconds": round(run.connect_seconds, 2),
        "identify_seconds": round(identify_seconds, 2),
        "customers": len(run.customers),
        "rss_peak_mb": run.rss[1],
        "server_cpu_pct": round(run.server_cpu_share * 100),
        "worker_cpu_pct": round(run.worker_cpu_share * 100),
        "ladder": dict(BENCH_LADDER_SECONDS),
        "questions": report.get("questions"),
        "questions_verified": report.get("verified"),
        "alerts": report.get("alerts"),
        "alerts_with_email_and_sms": report.get("alerts_with_email_and_sms"),
        "outbox": report.get("outbox"),
        "sent": dict(sent),
        "emails_received": report.get("emails_received"),
        "sms_logged": report.get("sms_logged"),
    }
    return [
        {
            "name": "ask_to_tab_p99_ms",
            "value": round(p99, 1),
            "unit": "ms",
            "target": P99_TARGET_MS,
            "size": size,
            "details": details,
        },
        {
            "name": "ask_to_tab_p50_ms",
            "value": round(p50, 1),
            "unit": "ms",
            "target": None,
            "size": size,
        },
        {"name": "ask_events_lost", "value": lost, "unit": "events", "target": 0, "size": size},
        {
            "name": "sse_server_rss_mb",
            "value": run.rss[0],
            "unit": "MB",
            "target": None,
            "size": size,
        },
    ]


def sse_bench_markdown(entries: list[dict[str, object]], *, server: str = "SQLite") -> str:
    """The BENCHMARKS.md section for `sse_bench`'s entries (names as given: with a
    database suffix when the caller added one); `server` names the server's database."""
    by_name = {str(e["name"]).removesuffix("_postgresql"): e for e in entries}
    first = by_name["ask_to_tab_p99_ms"]
    details: dict[str, Any] = first.get("details") or {}  # type: ignore[assignment]
    p50 = by_name["ask_to_tab_p50_ms"]
    p99 = float(first["value"])  # type: ignore[arg-type]
    lost_entry, rss_entry = by_name["ask_events_lost"], by_name["sse_server_rss_mb"]
    lost = int(lost_entry["value"])  # type: ignore[call-overload]
    misrouted = int(details.get("misrouted") or 0)
    ok = p99 < P99_TARGET_MS and lost == 0 and not misrouted
    verdict_p99 = "pass" if p99 < P99_TARGET_MS else "**FAIL**"
    verdict_lost = "pass" if lost == 0 else "**FAIL**"
    verdict_misrouted = "pass" if not misrouted else "**FAIL**"
    rows = "\n".join(
        [
            f"| p50, question posted to alert parsed in the tab | {p50['value']} ms | | "
            f"| `{p50['name']}` |",
            f"| p99, question posted to alert parsed in the tab | {p99} ms "
            f"| < {P99_TARGET_MS:.0f} ms | {verdict_p99} | `{first['name']}` |",
            f"| (event, tab) pairs lost, of {details.get('expected')} | {lost} | 0 "
            f"| {verdict_lost} | `{lost_entry['name']}` |",
            f"| alerts delivered to another rep's tab | {misrouted} | 0 | {verdict_misrouted} | |",
            f"| server resident memory, every stream open | {rss_entry['value']} MB | | "
            f"| `{rss_entry['name']}` |",
        ]
    )
    ladder = details.get("ladder") or BENCH_LADDER_SECONDS
    sent = details.get("sent") or {}
    return f"""## Live alerts: a customer's question reaches the rep's open tabs over SSE ({server})

A question a customer asks on the public site must show up in every tab its rep has open
within 250 ms (p99), and none may be lost. Setup: {first["size"]}.

What is measured: identified customers post questions through the public form,
`POST /site/ask/` (the same form fields and CSRF token the page sends, with the signed
visitor cookie they got by following a magic link the product made for them; the
portal's rate limits raised for the run by `PORTAL_RATE_ASK_IP` and
`PORTAL_RATE_ASK_CONTACT`, since every question comes from 127.0.0.1), at a steady rate,
for random customers of random reps. Each question does its real work in the server: the
question, its timeline entry, the rep's alert with the whole escalation ladder (in-app at
once, e-mail to the rep after {ladder.get("email")} s, SMS to the rep after
{ladder.get("sms")} s, e-mail to the manager after {ladder.get("manager")} s: the product's
rungs brought forward from minutes to seconds, their messages rendered when the alert is
raised) and live events, in one transaction, published on commit. A `warmline worker`
beside the server (its dispatcher every second) sends the rungs as they fall due, over SMTP
to a local sink and through the console SMS provider, on the same two cores. Latency is
per (question, tab) pair, from just before the POST is written to the "alert" event being
parsed in that tab: the HTTP request, the form, the transaction and the fan-out. The load
script (plain asyncio streams, in the benchmark's process on the same machine) opens every
stream and waits for each one's `hello` before the first question.

| measure | value | target | result | name |
| --- | ---: | ---: | --- | --- |
{rows}

- Questions posted: {details.get("events")}; failed posts: {details.get("post_failed")};
  in the database afterwards: {details.get("questions")} questions
  ({details.get("questions_verified")} from identified customers), {details.get("alerts")}
  alerts, {details.get("alerts_with_email_and_sms")} of them with e-mail and SMS rungs.
  Sent by the worker by the end: {sent.get("email:recipient", 0)} e-mails and
  {sent.get("sms:recipient", 0)} SMS to reps, {sent.get("email:manager", 0)} e-mails to
  managers; the sink received {details.get("emails_received")} e-mails and the SMS
  console logged {details.get("sms_logged")}.
- Deliveries: {details.get("deliveries")} of {details.get("expected")}; duplicates:
  {details.get("duplicates")}. Overall: {"pass" if ok else "**FAIL**"}.
- Latency mean {details.get("mean_ms")} ms, max {details.get("max_ms")} ms;
  {details.get("over_target")} deliveries took 250 ms or more.
- Where the time goes: the POST itself (request, transaction, response) took p50
  {details.get("post_p50_ms")} ms, p99 {details.get("post_p99_ms")} ms; the event reaches
  the tabs about when the response does. While the questions were posted the server used
  {details.get("server_cpu_pct")} % of one core and the worker
  {details.get("worker_cpu_pct")} %.
- {details.get("customers")} customers identified through their magic links in
  {details.get("identify_seconds")} s; all streams opened in
  {details.get("connect_seconds")} s; peak server memory {details.get("rss_peak_mb")} MB.
"""


def sse_bench_section(
    *,
    options: BenchOptions,
    progress: BenchProgress,
    log: Callable[[str], None],
) -> tuple[list[dict[str, object]], str]:
    """`warmline bench`'s alerts section: 1,000 streams of 100 reps (3 customers each),
    20 questions/s for 60 s at full size (fewer streams and a shorter run for smaller
    `options`). On PostgreSQL the server shares the benchmark database and fans out through
    Redis (REDIS_URL)."""
    from django.conf import settings
    from django.db import connection

    connections = options.scaled(1000, minimum=10)
    duration = 60.0 if options.full_size else max(0.5, round(60 * options.scale, 1))
    rate = 20.0
    users = max(1, connections // 10)
    customers_per_rep = 3
    progress.set_total(users * customers_per_rep + connections + int(rate * duration))
    database_url = ""
    if connection.vendor != "sqlite":
        database_url = database_url_of(connection.settings_dict)
    entries = sse_bench(
        connections=connections,
        users=users,
        customers_per_rep=customers_per_rep,
        rate=rate,
        duration=duration,
        log=log,
        progress=progress,
        database_url=database_url,
        redis_url=str(settings.REDIS_URL or "") if database_url else "",
    )
    suffix = "" if connection.vendor == "sqlite" else f"_{connection.vendor}"
    named = [{**e, "name": f"{e['name']}{suffix}"} for e in entries]
    lost = next(e for e in named if str(e["name"]).startswith("ask_events_lost"))
    details: dict[str, Any] = entries[0].get("details") or {}  # type: ignore[assignment]
    lost["passed"] = lost["value"] == 0 and not details.get("misrouted")
    from warmline_tools.bench.core import database_description

    if database_url:
        server = f"{database_description()}{' + Redis' if settings.REDIS_URL else ''}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}, in-process fan-out"
    return named, sse_bench_markdown(named, server=server)


def database_url_of(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for the server subprocess: the database this process uses."""
    from urllib.parse import quote

    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(str(settings_dict['NAME']), safe='')}"


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "setup":
        customers = 1
        if "--customers" in sys.argv:
            customers = int(sys.argv[sys.argv.index("--customers") + 1])
        _setup_main(int(sys.argv[2]), customers=customers, migrate="--migrate" in sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        _report_main(sys.argv[2])
    else:
        print(
            "usage: python -m warmline_tools.bench.alerts setup N [--customers C] [--migrate]"
            " | report RUN",
            file=sys.stderr,
        )
        sys.exit(2)
