"""Real processes: `warmline worker` killed mid-delivery, several workers at once, and live
events crossing web processes (Redis pub/sub, or the database backstop without Redis).

These run against a database of their own (see `proc_db` in conftest.py): a SQLite file, or a
fresh PostgreSQL database when the suite runs with DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.alerts.conftest import ProcDb, SmsServer, redis_url_answering, wait_until
from tests.smtp import SmtpServer
from warmline_tools.bench.alerts import PortalVisitor, SseConnection, SseEvent
from warmline_tools.net import free_port, stop_process, wait_http_ok


def _delivery_env(smtp: SmtpServer, sms: SmsServer) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "SMS_PROVIDER": "twilio",
        "SMS_API_URL": sms.url,
        "SMS_ACCOUNT_SID": sms.sid,
        "SMS_AUTH_TOKEN": sms.token,
        "SMS_FROM": "+15005550006",
        "ALERT_CLAIM_TIMEOUT_SECONDS": "1",
        "ALERT_DISPATCH_EVERY_SECONDS": "0.2",
    }


def _all_sent(proc_db: ProcDb, cause: str) -> list[dict]:  # type: ignore[type-arg]
    rows = proc_db.run("status", cause)
    return rows if all(r["status"] == "sent" for r in rows) else []


def _kill_when_held(
    proc_db: ProcDb, env: dict[str, str], servers: dict[str, SmtpServer | SmsServer], log: str
) -> str:
    """Start a worker and SIGKILL it while one of the servers (armed by the caller) holds its
    request; then let the servers go. Returns the channel ("email"/"sms") that was held."""
    worker = proc_db.worker(extra_env=env, log=log)
    try:
        held = wait_until(
            lambda: [name for name, s in servers.items() if s.hold.holding.is_set()], timeout=30
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    except BaseException:
        print(proc_db.log_text())
        raise
    finally:
        stop_process(worker)
        for server in servers.values():
            server.hold.release()
    assert len(held) == 1, held  # one worker, one delivery at a time
    return held[0]


@pytest.mark.django_db(transaction=True)
def test_worker_killed_between_claim_and_send_delivers_exactly_once_after_restart(
    proc_db: ProcDb, smtp_server: SmtpServer, sms_server: SmsServer
):
    env = _delivery_env(smtp_server, sms_server)
    proc_db.run("user", "kate", "--mobile", "+14155550123")
    cause = f"question:claim-{uuid.uuid4().hex[:8]}"
    proc_db.run("raise", "kate", cause, "email@0,sms@0")

    # Whichever message the worker takes first, its server holds it before accepting: the
    # row is claimed, nothing has been sent, and the worker dies waiting.
    smtp_server.hold.arm("before")
    sms_server.hold.arm("before")
    channel = _kill_when_held(
        proc_db, env, {"email": smtp_server, "sms": sms_server}, log="claimed.log"
    )
    assert smtp_server.messages == []
    assert sms_server.requests == []
    before = {r["channel"]: r for r in proc_db.run("status", cause)}
    assert before[channel]["status"] == "sending"  # claimed by the dead worker
    held = before[channel]["pk"]

    worker = proc_db.worker(extra_env=env, log="restart.log")
    try:
        rows = wait_until(lambda: _all_sent(proc_db, cause), timeout=30, interval=0.3)
    except AssertionError:
        print(proc_db.log_text())
        raise
    finally:
        stop_process(worker)

    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["X-Envelope-To"] == "kate@warmline.test"
    assert len(sms_server.requests) == 1
    assert sms_server.messages[0]["To"] == "+14155550123"
    by_pk = {r["pk"]: r for r in rows}
    assert by_pk[held]["attempts"] == 2  # the dead worker's claim, then the new one


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_worker_killed_between_send_and_mark_resends_with_the_same_key(
    proc_db: ProcDb, smtp_server: SmtpServer, sms_server: SmsServer, channel: str
):
    env = _delivery_env(smtp_server, sms_server)
    proc_db.run("user", "ken", "--mobile", "+14155550124")
    cause = f"question:mark-{channel}-{uuid.uuid4().hex[:8]}"
    proc_db.run("raise", "ken", cause, f"{channel}@0")

    # The provider records the message, then holds its answer: the worker dies before it
    # can mark the row sent.
    server: SmtpServer | SmsServer = smtp_server if channel == "email" else sms_server
    server.hold.arm("after")
    assert _kill_when_held(proc_db, env, {channel: server}, log=f"sent-{channel}.log") == channel
    assert proc_db.run("status", cause)[0]["status"] == "sending"

    worker = proc_db.worker(extra_env=env, log="restart.log")
    try:
        rows = wait_until(lambda: _all_sent(proc_db, cause), timeout=30, interval=0.3)
    finally:
        stop_process(worker)
    if channel == "sms":
        # Sent, crashed before marking, sent again: the provider saw the same idempotency
        # key twice and kept one message (Twilio's I-Twilio-Idempotency-Token).
        assert len(sms_server.requests) == 2
        assert len({r["key"] for r in sms_server.requests}) == 1
        assert len(sms_server.messages) == 1
        assert rows[0]["provider_id"] == sms_server.messages[0]["sid"]
    else:
        # SMTP has no idempotency: the mail server got it twice, with one Message-ID, which
        # is what mail clients and servers de-duplicate on. Nothing was lost.
        assert len(smtp_server.messages) == 2
        assert len({m["Message-ID"] for m in smtp_server.messages}) == 1
        assert rows[0]["provider_id"] == smtp_server.messages[0]["Message-ID"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_worker_processes_never_both_send(
    proc_db: ProcDb, smtp_server: SmtpServer, sms_server: SmsServer, tmp_path: Path
):
    env = _delivery_env(smtp_server, sms_server)
    proc_db.run("user", "lou")
    prefix = f"question:race-{uuid.uuid4().hex[:8]}-"
    proc_db.run("raise-many", "lou", prefix, "15", "email@0")
    go = tmp_path / "go"
    procs = [
        proc_db.spawn(
            [
                sys.executable,
                "-m",
                "tests.alerts.scenario",
                "deliver",
                prefix,
                f"racer-{i}",
                str(go),
            ],
            extra_env=env,
            log=f"racer-{i}.log",
        )
        for i in range(3)
    ]
    try:
        # Start all three at once, when each has loaded Django and listed the rows.
        wait_until(
            lambda: all(Path(f"{go}.ready-racer-{i}").exists() for i in range(3)), timeout=60
        )
        go.touch()
        for proc in procs:
            assert proc.wait(timeout=60) == 0, proc_db.log_text()
    finally:
        for proc in procs:
            stop_process(proc)
    outcomes: Counter[str] = Counter()
    for i in range(3):
        line = (proc_db.workdir / f"racer-{i}.log").read_text().strip().splitlines()[-1]
        outcomes.update(__import__("json").loads(line))
    assert outcomes["sent"] == 15
    assert outcomes["skipped"] == 30
    assert len(smtp_server.messages) == 15
    assert len({m["Subject"] for m in smtp_server.messages}) == 15


# -- live events across web processes -------------------------------------------------------
async def _step(label: str, awaitable):  # type: ignore[no-untyped-def]
    try:
        return await awaitable
    except TimeoutError:
        raise AssertionError(f"timed out: {label}") from None


def _question_seq(event: SseEvent) -> str:
    """The number a test question carries in its text ("" for other events)."""
    found = re.search(r"Fan-out question (\d+):", str(event.data.get("body", "")))
    return found.group(1) if found and event.event == "alert" else ""


async def _fanout(port_a: int, port_b: int, lena: dict, omar: dict) -> dict:  # type: ignore[type-arg]
    def is_alert(seq: str):  # type: ignore[no-untyped-def]
        return lambda e: _question_seq(e) == seq

    replayed: list = []  # type: ignore[type-arg]

    async def opened(port: int, session: str, **kwargs: object) -> SseConnection:
        """Open a stream and read up to its "hello" (replayed events come before it)."""
        conn = await SseConnection.open(port=port, session=session, **kwargs)  # type: ignore[arg-type]
        replayed.clear()
        while (event := await conn.next_event(timeout=10)).event != "hello":
            replayed.append(event)
        return conn

    lena_b = await opened(port_b, lena["session"])
    lena_a = await opened(port_a, lena["session"])
    omar_b = await opened(port_b, omar["session"])

    async def ask(seq: str, user: dict) -> float:  # type: ignore[type-arg]
        """Their customer asks a question on web process A, as a customer does."""
        visitor: PortalVisitor = user["customer"]
        started = time.perf_counter()
        status = await visitor.ask_async(f"Fan-out question {seq}: is the X200 kit in stock?")
        assert status == 302, status  # to the "sent" page
        return started

    started = await ask("1", lena)
    on_b = await _step("lena's tab on B", lena_b.wait_for(is_alert("1"), timeout=5))
    latency = time.perf_counter() - started
    await _step("lena's tab on A", lena_a.wait_for(is_alert("1"), timeout=5))
    await ask("2", omar)
    first_for_omar = await _step(
        "omar's tab", omar_b.wait_for(lambda e: e.event == "alert", timeout=5)
    )

    # A tab that was away gets what it missed when it comes back with Last-Event-ID.
    lena_b.close()
    await ask("3", lena)
    await _step("lena's tab on A, 3", lena_a.wait_for(is_alert("3"), timeout=5))
    back = await opened(port_b, lena["session"], last_event_id=on_b.id)
    missed = next(e for e in replayed if e.event == "alert")
    for conn in (lena_a, omar_b, back):
        conn.close()
    return {
        "latency": latency,
        "omar_first": _question_seq(first_for_omar),
        "missed_seq": _question_seq(missed),
        "missed_id": missed.id,
        "last_id": on_b.id,
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["redis", "database"])
def test_live_events_reach_tabs_on_another_web_process(proc_db: ProcDb, mode: str):
    """A customer's question posted to web process A raises the rep's alert there; the rep's
    tabs on A get it in process, the tabs on B through Redis (or the database backstop)."""
    env = {
        "ALERT_REDIS_PREFIX": f"wltest-{uuid.uuid4().hex[:8]}",
        # Rate limits count in Redis across runs of this test: not what is tested here.
        "PORTAL_RATE_ASK_IP": "1000/m",
        "PORTAL_RATE_ASK_CONTACT": "1000/m",
    }
    if mode == "redis":
        # No database backstop: only Redis can carry the event from A to B in time.
        env.update(REDIS_URL=redis_url_answering(), ALERT_LIVE_POLL_SECONDS="0")
    else:
        env.update(REDIS_URL="", ALERT_LIVE_POLL_SECONDS="0.2")
    lena = proc_db.run("user", f"lena{mode}")
    omar = proc_db.run("user", f"omar{mode}")
    links = {
        "lena": proc_db.run("customer", f"lena{mode}", "Dana", "Kowalski")["token"],
        "omar": proc_db.run("customer", f"omar{mode}", "Priya", "Nair")["token"],
    }
    port_a, port_b = free_port(), free_port()
    servers = [
        proc_db.server(port=port_a, extra_env=env, log=f"web-a-{mode}.log"),
        proc_db.server(port=port_b, extra_env=env, log=f"web-b-{mode}.log"),
    ]
    try:
        for port, server in zip((port_a, port_b), servers, strict=True):
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", proc=server)
        for name, user in (("lena", lena), ("omar", omar)):
            user["customer"] = PortalVisitor(port=port_a)
            user["customer"].follow_magic_link(links[name])
        result = asyncio.run(_fanout(port_a, port_b, lena, omar))
    except BaseException:
        print(proc_db.log_text())
        raise
    finally:
        for server in servers:
            stop_process(server)
    assert result["latency"] < 1.0, result
    assert result["omar_first"] == "2"  # omar's tab never saw lena's event
    assert result["missed_seq"] == "3"
    assert result["missed_id"] > result["last_id"]
