"""SSE fan-out benchmark: from "a question is posted" to "the event is in the right tab".

`sse_bench()` builds a throw-away SQLite database, starts its own uvicorn server on
127.0.0.1 (one process, the embedded/demo configuration: in-process fan-out), opens
`connections` Server-Sent Events streams spread over `users` signed-in reps (so each rep has
several tabs), then posts `rate` events a second for `duration` seconds to the server's
benchmark trigger (POST /bench/publish, enabled only by ALERT_BENCH_TOKEN, which
raises an in-app alert through `alert_raise` exactly as a feature app does: alert row, outbox
row and live event in one transaction, published on commit). It measures, per (event, tab)
pair, the time from just before the POST is written to the moment the tab has parsed the
event; it counts pairs that never arrive (lost) and events that arrive at another rep's tab
(misrouted), and reads the server's resident memory with every stream open.

The load generator is plain asyncio streams (no HTTP library needed) in this process.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import random
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


async def http_post_json(
    *, port: int, path: str, payload: dict[str, Any], headers: dict[str, str], host: str = HOST
) -> tuple[int, bytes]:
    """A one-shot HTTP/1.1 POST (Connection: close); returns (status, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    body = json.dumps(payload).encode()
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
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
def _setup_main(users: int, *, migrate: bool = False) -> None:
    """`python -m warmline_tools.bench.alerts setup N [--migrate]`: (migrate, then) N reps, each
    signed in once (prints JSON)."""
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    from warmline.users.models import Role, User

    out = []
    for index in range(users):
        user, _ = User.objects.get_or_create(
            username=f"bench-rep-{index:04d}",
            defaults={"first_name": "Bench", "last_name": f"Rep {index}", "role": Role.REP},
        )
        out.append({"user_id": user.pk, "session": signed_in_session(user)})
    print(json.dumps(out))


def signed_in_session(user: Any) -> str:
    """The key of a new database session signed in as `user`, for a benchmark's HTTP client
    (a server with Redis sessions finds it in the database too)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


# -- the run ------------------------------------------------------------------------------------
@dataclass
class BenchRun:
    connections: int
    rate: float
    duration: float
    users: list[dict[str, Any]]
    port: int
    token: str
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
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    progress: Callable[[int], None] = field(default=lambda _n: None)


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
            payload = event.data.get("data") or {}
            if payload.get("run") != run.run_id:
                continue
            seq = int(payload.get("seq", -1))
            if int(payload.get("user_id", -1)) != user["user_id"]:
                run.misrouted += 1
            elif (seq, index) in run.arrivals:
                run.duplicates += 1
            else:
                run.arrivals[(seq, index)] = now
    finally:
        conn.close()


async def _post(run: BenchRun, seq: int, user: dict[str, Any]) -> None:
    run.posted[seq] = time.perf_counter()
    try:
        status, _ = await http_post_json(
            port=run.port,
            path="/bench/publish",
            payload={"user_id": user["user_id"], "seq": seq, "run": run.run_id},
            headers={"X-Bench-Token": run.token},
        )
    except OSError:
        status = 0
    run.post_ms.append((time.perf_counter() - run.posted[seq]) * 1000)
    if status != 201:
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
        f"{run.rate:g} events/s for {run.duration:g} s"
    )

    tabs_of: dict[int, set[int]] = defaultdict(set)
    for index in range(run.connections):
        tabs_of[index % len(run.users)].add(index)
    rng = random.Random(42)
    total = int(run.rate * run.duration)
    posts: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    cpu_start = cpu_seconds(server_pid)
    for seq in range(total):
        delay = start + seq / run.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        slot = rng.randrange(len(run.users))
        run.expected[seq] = tabs_of[slot]
        posts.append(asyncio.create_task(_post(run, seq, run.users[slot])))
        run.progress(1)
        if seq == total // 2:
            run.rss = rss_mb(server_pid)
    await asyncio.gather(*posts)
    run.server_cpu_share = (cpu_seconds(server_pid) - cpu_start) / (time.perf_counter() - start)
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


def sse_bench(
    *,
    connections: int = 1000,
    users: int = 100,
    rate: float = 20.0,
    duration: float = 60.0,
    app: str = "warmline.asgi:application",
    log: Callable[[str], None] = print,
    progress: Callable[[int], None] | None = None,
    database_url: str = "",
    redis_url: str = "",
) -> list[dict[str, object]]:
    """Run the benchmark; returns benchmarks.json entries ({name, value, unit, target, size})
    and, as extra keys of the first entry, the details BENCHMARKS.md shows.

    By default the server gets a fresh SQLite database of its own (the embedded/demo
    configuration: in-process fan-out). With `database_url` (already migrated) and
    `redis_url` it runs as a server deployment does: PostgreSQL, and live events published
    through Redis pub/sub as well as in process."""
    raise_open_files_limit(connections * 2 + 512)
    users = max(1, min(users, connections))
    workdir = Path(tempfile.mkdtemp(prefix="warmline-sse-bench-"))
    token = secrets.token_urlsafe(16)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "TASKS_BACKEND"}
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(
        DJANGO_SETTINGS_MODULE="warmline_tools.bench.settings",
        WARMLINE_DATA_DIR=str(workdir),
        ALERT_BENCH_TOKEN=token,
        SECRET_KEY=secrets.token_urlsafe(50),  # the throw-away server's own
        LOG_LEVEL="WARNING",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    server: subprocess.Popen[bytes] | None = None
    try:
        fresh = [] if database_url else ["--migrate"]
        log(f"{'Migrating a fresh SQLite database, s' if fresh else 'S'}igning in {users} reps")
        made = subprocess.run(  # noqa: S603 - fixed command
            [sys.executable, "-m", "warmline_tools.bench.alerts", "setup", str(users), *fresh],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        accounts = json.loads(made.stdout.strip().splitlines()[-1])
        port = free_port()
        server = start_server(env=env, port=port, log_path=workdir / "server.log", app=app)
        wait_http_ok(f"http://{HOST}:{port}/healthz", proc=server)
        run = BenchRun(
            connections=connections,
            rate=rate,
            duration=duration,
            users=accounts,
            port=port,
            token=token,
        )
        if progress is not None:
            run.progress = progress
        log(f"Opening {connections} streams")
        try:
            asyncio.run(_drive(run, server.pid, log))
        except RuntimeError:
            _server_log_tail(workdir / "server.log", log)
            raise
    finally:
        if server is not None:
            stop_process(server)
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
        f"{rate:g} events/s for {duration:g} s, one uvicorn process, {backend}"
    )
    log(
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, lost {lost} of {want}, misrouted {run.misrouted}, "
        f"failed posts {run.post_failed}, server RSS {run.rss[0]} MB (peak {run.rss[1]} MB)"
    )
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
        "rss_peak_mb": run.rss[1],
        "server_cpu_pct": round(run.server_cpu_share * 100),
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
            f"| p50, question posted to event parsed in the tab | {p50['value']} ms | | "
            f"| `{p50['name']}` |",
            f"| p99, question posted to event parsed in the tab | {p99} ms "
            f"| < {P99_TARGET_MS:.0f} ms | {verdict_p99} | `{first['name']}` |",
            f"| (event, tab) pairs lost, of {details.get('expected')} | {lost} | 0 "
            f"| {verdict_lost} | `{lost_entry['name']}` |",
            f"| events delivered to another rep's tab | {misrouted} | 0 | {verdict_misrouted} | |",
            f"| server resident memory, every stream open | {rss_entry['value']} MB | | "
            f"| `{rss_entry['name']}` |",
        ]
    )
    return f"""## Live alerts: a question reaches the rep's open tabs over SSE ({server})

A question from the portal must show up in every tab its rep has open within 250 ms (p99),
and none may be lost. Setup: {first["size"]}. The load script (plain asyncio streams, in
the benchmark's process on the same machine, so it shares the two cores with the server)
opens every stream and waits for each one's `hello`, then posts events at a steady rate to
`POST /bench/publish`, which raises an in-app alert through `alert_raise` exactly as
"Ask my rep" does (alert, outbox row and live event in one transaction, published on
commit) for a random rep. Latency is per (event, tab) pair, from just before the POST is
written to the event being parsed in that tab: the HTTP request, the database transaction
and the fan-out.

| measure | value | target | result | name |
| --- | ---: | ---: | --- | --- |
{rows}

- Events: {details.get("events")}; deliveries: {details.get("deliveries")} of
  {details.get("expected")}; failed posts: {details.get("post_failed")}; duplicates:
  {details.get("duplicates")}. Overall: {"pass" if ok else "**FAIL**"}.
- Latency mean {details.get("mean_ms")} ms, max {details.get("max_ms")} ms;
  {details.get("over_target")} deliveries took 250 ms or more.
- Where the time goes: the POST itself (request, transaction, response) took p50
  {details.get("post_p50_ms")} ms, p99 {details.get("post_p99_ms")} ms; the event reaches
  the tabs about when the response does. The server used {details.get("server_cpu_pct")} %
  of one core while the questions were posted.
- All streams opened in {details.get("connect_seconds")} s; peak server memory
  {details.get("rss_peak_mb")} MB.
"""


def sse_bench_section(
    *,
    options: BenchOptions,
    progress: BenchProgress,
    log: Callable[[str], None],
) -> tuple[list[dict[str, object]], str]:
    """`warmline bench`'s alerts section: 1,000 streams of 100 reps, 20 questions/s for 60 s
    at full size (fewer streams and a shorter run for smaller `options`). On PostgreSQL the
    server shares the benchmark database and fans out through Redis (REDIS_URL)."""
    from django.conf import settings
    from django.db import connection

    connections = options.scaled(1000, minimum=10)
    duration = 60.0 if options.full_size else max(0.5, round(60 * options.scale, 1))
    rate = 20.0
    progress.set_total(connections + int(rate * duration))
    database_url = ""
    if connection.vendor != "sqlite":
        database_url = database_url_of(connection.settings_dict)
    entries = sse_bench(
        connections=connections,
        users=max(1, connections // 10),
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
        _setup_main(int(sys.argv[2]), migrate="--migrate" in sys.argv[3:])
    else:
        print("usage: python -m warmline_tools.bench.alerts setup N", file=sys.stderr)
        sys.exit(2)
