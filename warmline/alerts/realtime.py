"""Real-time fan-out of live events to open tabs (Server-Sent Events).

Every web process has one `Hub`: a map from user id to the open streams (`Subscriber`s) of that
user in this process, each with its own asyncio queue. Events reach it three ways:

1. in-process: `live_publish` (called on commit by `live_event_publish`) hands the events to
   this process's hub with `loop.call_soon_threadsafe`, which is all the single-process demo
   needs;
2. Redis pub/sub when `REDIS_URL` is set: events are also published on
   "<prefix>:user:<id>" and every web process listens with one pattern subscription, so an
   event raised in any process (web or worker) reaches the tab wherever it is connected;
3. a database backstop: every `ALERT_LIVE_POLL_SECONDS` the hub reads the recent `LiveEvent`
   rows of the users it serves, which catches events from other processes when there is no
   Redis, and anything a dropped Redis connection lost.

A subscriber remembers the ids it has delivered, so the three paths never show an event
twice; the browser also de-duplicates by event id. A reconnecting tab sends Last-Event-ID and
first receives, from the database, every event after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

logger = logging.getLogger("warmline.alerts.realtime")

QUEUE_SIZE = 256  # events waiting for one slow tab before its stream is closed (it replays)
SEEN_SIZE = 512  # ids a subscriber remembers for de-duplication
POLL_CHUNK = 500  # user ids per backstop query


@dataclass(frozen=True)
class LiveMessage:
    id: int
    user_id: int
    event: str
    data: dict[str, Any]
    created_at: dt.datetime

    def envelope(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "data": self.data,
            "at": self.created_at.isoformat(),
        }

    def sse(self) -> str:
        return sse_format(envelope=self.envelope(), event_id=self.id)

    def to_json(self) -> str:
        return json.dumps({"user": self.user_id, **self.envelope()}, cls=DjangoJSONEncoder)

    @classmethod
    def from_json(cls, raw: str | bytes) -> LiveMessage:
        payload = json.loads(raw)
        return cls(
            id=int(payload["id"]),
            user_id=int(payload["user"]),
            event=str(payload["event"]),
            data=payload.get("data") or {},
            created_at=dt.datetime.fromisoformat(payload["at"]),
        )


def sse_format(*, envelope: dict[str, Any], event_id: int | None = None) -> str:
    """One SSE frame. Every frame is an unnamed ("message") event whose data is a JSON
    envelope {id, event, data, at}, so the browser needs one handler for every kind."""
    body = json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {body}\n\n"


class Subscriber:
    """One open stream (one browser tab)."""

    def __init__(self, *, user_id: int, since: dt.datetime, after_id: int | None = None) -> None:
        self.user_id = user_id
        self.since = since
        self.after_id = after_id
        self.queue: asyncio.Queue[LiveMessage] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.overflowed = False
        self._seen: set[int] = set()
        self._order: deque[int] = deque()

    def wants(self, message: LiveMessage) -> bool:
        if message.user_id != self.user_id or message.id in self._seen:
            return False
        if self.after_id is not None:
            return message.id > self.after_id
        return message.created_at >= self.since

    def mark(self, message_id: int) -> None:
        self._seen.add(message_id)
        self._order.append(message_id)
        if len(self._order) > SEEN_SIZE:
            self._seen.discard(self._order.popleft())

    def claim(self, message: LiveMessage) -> bool:
        """True (and remembered) the first time this subscriber sees a wanted message."""
        if not self.wants(message):
            return False
        self.mark(message.id)
        return True

    def offer(self, message: LiveMessage) -> None:
        if self.overflowed or not self.claim(message):
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # The tab is not reading; drop the stream, the browser reconnects and replays.
            self.overflowed = True


class Hub:
    """The open streams of this process, and the background tasks that feed them."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: dict[int, set[Subscriber]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._db_executor: ThreadPoolExecutor | None = None

    # -- in the event loop -------------------------------------------------------------
    def attach(self, subscriber: Subscriber) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self._rebind(loop)
        self.subscribers.setdefault(subscriber.user_id, set()).add(subscriber)

    def detach(self, subscriber: Subscriber) -> None:
        streams = self.subscribers.get(subscriber.user_id)
        if streams is not None:
            streams.discard(subscriber)
            if not streams:
                del self.subscribers[subscriber.user_id]

    def deliver(self, messages: Iterable[LiveMessage]) -> None:
        for message in messages:
            for subscriber in tuple(self.subscribers.get(message.user_id, ())):
                subscriber.offer(message)

    @property
    def connection_count(self) -> int:
        return sum(len(streams) for streams in self.subscribers.values())

    def _rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        """First stream on this loop (or a new loop, as in tests): start the feeders."""
        for task in self._tasks:
            if not task.done() and not task.get_loop().is_closed():
                task.get_loop().call_soon_threadsafe(task.cancel)
        self._tasks = []
        self.subscribers = {}
        self.loop = loop
        # The feeders belong to the process, not to the request that happened to start
        # them, so they run in a fresh context (no request-scoped thread or transaction).
        empty = contextvars.Context()
        if settings.ALERT_LIVE_POLL_SECONDS > 0:
            self._tasks.append(loop.create_task(self._poll_forever(), context=empty))
        if settings.REDIS_URL:
            self._tasks.append(loop.create_task(self._redis_forever(), context=empty))

    async def _db(self, func: Any, *args: Any) -> Any:
        if self._db_executor is None:
            self._db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-db")
        return await sync_to_async(_db_call, thread_sensitive=False, executor=self._db_executor)(
            func, *args
        )

    async def _poll_forever(self) -> None:
        interval = float(settings.ALERT_LIVE_POLL_SECONDS)
        window = dt.timedelta(seconds=max(10.0, 3 * interval))
        while True:
            await asyncio.sleep(interval)
            if not self.subscribers:
                continue
            user_ids = sorted(self.subscribers)
            try:
                messages = await self._db(_recent_messages, user_ids, timezone.now() - window)
            except Exception:
                logger.exception("live events: database backstop poll failed")
                continue
            self.deliver(messages)

    async def _redis_forever(self) -> None:
        import redis.asyncio as aioredis

        pattern = f"{settings.ALERT_REDIS_PREFIX}:user:*"
        backoff = 0.5
        while True:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=5, health_check_interval=30
            )
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe(pattern)
                backoff = 0.5
                task = asyncio.current_task()
                while True:
                    # Polling with a timeout rather than `listen()`: redis-py can swallow a
                    # cancellation inside a blocking read, and the task would then outlive
                    # its event loop (loop shutdown hangs). Checked once a second.
                    if task is not None and task.cancelling():
                        raise asyncio.CancelledError
                    item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if item is None or item.get("type") != "pmessage":
                        continue
                    try:
                        message = LiveMessage.from_json(item["data"])
                    except (ValueError, KeyError, TypeError):
                        logger.warning("live events: ignored a malformed Redis message")
                        continue
                    self.deliver([message])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # redis-py turns a cancellation inside a read into a connection error;
                    # without this the task outlives its loop and loop shutdown hangs.
                    raise asyncio.CancelledError from exc
                logger.warning("live events: Redis subscription lost (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            finally:
                with contextlib.suppress(Exception):  # closing a broken connection
                    await client.aclose()

    # -- from any thread -----------------------------------------------------------------
    def publish_threadsafe(self, messages: list[LiveMessage]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed() or not self.subscribers:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.deliver(messages)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.deliver, messages)


hub = Hub()


def _db_call(func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    finally:
        db_release()


def db_release() -> None:
    """Give back this thread's database connection. A stream lives for minutes; holding a
    connection for each would exhaust PostgreSQL. Inside a transaction (tests) keep it."""
    if not connection.in_atomic_block:
        connection.close()


def _recent_messages(user_ids: list[int], since: dt.datetime) -> list[LiveMessage]:
    from warmline.alerts.selectors import live_event_list_recent

    messages: list[LiveMessage] = []
    for start in range(0, len(user_ids), POLL_CHUNK):
        rows = live_event_list_recent(user_ids=user_ids[start : start + POLL_CHUNK], since=since)
        messages.extend(live_message_from_row(row) for row in rows)
    return messages


def live_message_from_row(row: Any) -> LiveMessage:
    return LiveMessage(
        id=row.pk,
        user_id=row.user_id,
        event=row.event,
        data=row.data,
        created_at=row.created_at,
    )


# -- publishing (called on commit, from any process) --------------------------------------
_redis_client: Any = None
_redis_client_url = ""


def _redis_sync() -> Any:
    global _redis_client, _redis_client_url
    if _redis_client is None or _redis_client_url != settings.REDIS_URL:
        import redis

        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        _redis_client_url = settings.REDIS_URL
    return _redis_client


def redis_channel(user_id: int) -> str:
    return f"{settings.ALERT_REDIS_PREFIX}:user:{user_id}"


def live_publish(messages: list[LiveMessage]) -> None:
    """Fan committed events out: to this process's tabs at once, and through Redis to every
    other process when configured. Never raises: the events are stored, and the database
    backstop (or the tab's replay on reconnect) delivers what a failed publish missed."""
    if not messages:
        return
    try:
        hub.publish_threadsafe(messages)
    except Exception:
        logger.exception("live events: in-process publish failed")
    if settings.REDIS_URL:
        try:
            pipe = _redis_sync().pipeline(transaction=False)
            for message in messages:
                pipe.publish(redis_channel(message.user_id), message.to_json())
            pipe.execute()
        except Exception as exc:
            logger.warning("live events: Redis publish failed (%s); the backstop delivers", exc)


# -- one stream ---------------------------------------------------------------------------
def _stream_open(
    *, user_id: int, after_id: int | None, since: dt.datetime
) -> tuple[list[LiveMessage], int]:
    from warmline.alerts.selectors import alert_count_unacknowledged_for, live_event_list_replay

    try:
        rows = live_event_list_replay(user_id=user_id, after_id=after_id, since=since)
        unread = alert_count_unacknowledged_for(user_id=user_id)
        return [live_message_from_row(row) for row in rows], unread
    finally:
        db_release()


def live_stream_once(*, user_id: int, after_id: int | None, since: dt.datetime) -> Iterator[str]:
    """The stream for a synchronous (WSGI) server, such as `runserver` or a test's live
    server: the replay and the "hello", then the response ends. A WSGI worker thread cannot
    hold a stream open without starving the server, so the browser's EventSource reconnects
    after `retry` with its Last-Event-ID, which turns the stream into a short poll."""
    replay, unread = _stream_open(user_id=user_id, after_id=after_id, since=since)
    yield f"retry: {int(max(1.0, float(settings.ALERT_LIVE_POLL_SECONDS)) * 1000)}\n\n"
    for message in replay:
        yield message.sse()
    yield sse_format(envelope={"id": None, "event": "hello", "data": {"unread": unread}})


async def live_stream(
    *, user_id: int, after_id: int | None, since: dt.datetime
) -> AsyncIterator[str]:
    """The body of GET /alerts/stream: replay, a "hello" with the unread count, then live
    events and a heartbeat comment, until the tab goes away or the stream's lifetime ends
    (the browser then reconnects, which also re-checks the session)."""
    subscriber = Subscriber(user_id=user_id, since=since, after_id=after_id)
    hub.attach(subscriber)  # before the replay query, so nothing falls in between
    try:
        yield "retry: 3000\n\n"
        replay, unread = await sync_to_async(_stream_open)(
            user_id=user_id, after_id=after_id, since=since
        )
        for message in replay:
            if subscriber.claim(message):
                yield message.sse()
        yield sse_format(envelope={"id": None, "event": "hello", "data": {"unread": unread}})
        heartbeat = float(settings.ALERT_LIVE_HEARTBEAT_SECONDS)
        deadline = time.monotonic() + settings.ALERT_LIVE_MAX_STREAM_SECONDS * (
            0.9 + 0.2 * (user_id % 7) / 7
        )
        while not subscriber.overflowed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(min(heartbeat, remaining)):
                    message = await subscriber.queue.get()
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            frames = [message.sse()]
            while not subscriber.queue.empty():
                frames.append(subscriber.queue.get_nowait().sse())
            yield "".join(frames)
    finally:
        hub.detach(subscriber)
