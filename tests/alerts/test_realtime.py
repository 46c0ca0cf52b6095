"""The per-process hub and one stream, in process (no server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from warmline.alerts import realtime
from warmline.alerts.models import LiveEvent
from warmline.alerts.realtime import Hub, LiveMessage, Subscriber, live_stream
from warmline.alerts.services import live_event_publish

NOW = timezone.now()


def _msg(n: int, user: int = 1, at: dt.datetime = NOW) -> LiveMessage:
    return LiveMessage(id=n, user_id=user, event="alert", data={"n": n}, created_at=at)


def test_message_round_trips_through_json_and_sse():
    message = _msg(7, user=3)
    assert LiveMessage.from_json(message.to_json()) == message
    frame = message.sse()
    assert frame.startswith("id: 7\ndata: ")
    assert frame.endswith("\n\n")
    assert json.loads(frame.split("data: ", 1)[1])["data"] == {"n": 7}


def test_subscriber_takes_each_wanted_message_once():
    sub = Subscriber(user_id=1, since=NOW)
    assert sub.claim(_msg(1))
    assert not sub.claim(_msg(1))  # the same event by another path
    assert not sub.claim(_msg(2, user=2))  # someone else's
    assert not sub.claim(_msg(3, at=NOW - dt.timedelta(seconds=1)))  # before the page
    after = Subscriber(user_id=1, since=NOW, after_id=10)
    assert not after.claim(_msg(10))
    assert after.claim(_msg(11, at=NOW - dt.timedelta(days=1)))  # Last-Event-ID wins


def test_a_tab_that_does_not_read_is_dropped_not_waited_for():
    async def run() -> Subscriber:
        sub = Subscriber(user_id=1, since=NOW)
        for n in range(realtime.QUEUE_SIZE + 5):
            sub.offer(_msg(n + 1))
        return sub

    sub = asyncio.run(run())
    assert sub.overflowed
    assert sub.queue.qsize() == realtime.QUEUE_SIZE


def test_publish_from_another_thread_reaches_the_right_subscribers(settings):
    settings.ALERT_LIVE_POLL_SECONDS = 0
    settings.REDIS_URL = ""
    hub = Hub()

    async def run() -> tuple[list[int], int]:
        mine, other = Subscriber(user_id=1, since=NOW), Subscriber(user_id=2, since=NOW)
        hub.attach(mine)
        hub.attach(other)
        thread = threading.Thread(target=hub.publish_threadsafe, args=([_msg(1), _msg(2)],))
        thread.start()
        got = [(await asyncio.wait_for(mine.queue.get(), 2)).id for _ in range(2)]
        thread.join()
        hub.detach(mine)
        hub.detach(other)
        return got, other.queue.qsize()

    got, other_count = asyncio.run(run())
    assert got == [1, 2]
    assert other_count == 0
    assert hub.connection_count == 0


@pytest.mark.django_db(transaction=True)
def test_stream_delivers_a_committed_event_within_a_second(people, settings):
    settings.ALERT_LIVE_POLL_SECONDS = 0  # in-process only
    settings.REDIS_URL = ""

    async def run() -> tuple[list[dict], float]:  # type: ignore[type-arg]
        stream = live_stream(user_id=people.rep.pk, after_id=None, since=timezone.now())
        assert (await stream.__anext__()).startswith("retry:")
        hello = json.loads((await stream.__anext__()).split("data: ", 1)[1])
        started = asyncio.get_running_loop().time()
        await sync_to_async(live_event_publish)(
            user_ids=[people.rep.pk], event="question", data={"question_id": 5}
        )
        frame = await asyncio.wait_for(stream.__anext__(), 1)
        elapsed = asyncio.get_running_loop().time() - started
        await stream.aclose()
        return [hello, json.loads(frame.split("data: ", 1)[1])], elapsed

    (hello, event), elapsed = async_to_sync(run)()
    assert hello["event"] == "hello"
    assert event["event"] == "question"
    assert event["data"] == {"question_id": 5}
    assert event["id"] == LiveEvent.objects.get().pk
    assert elapsed < 1
    assert realtime.hub.connection_count == 0  # closing the stream unsubscribed it


@pytest.mark.django_db(transaction=True)
def test_database_backstop_delivers_events_from_other_processes(people, settings):
    settings.ALERT_LIVE_POLL_SECONDS = 0.05
    settings.REDIS_URL = ""

    async def run() -> dict:  # type: ignore[type-arg]
        stream = live_stream(user_id=people.rep.pk, after_id=None, since=timezone.now())
        await stream.__anext__()
        await stream.__anext__()
        # Written by "another process": stored, never published to this hub.
        await sync_to_async(LiveEvent.objects.create)(user=people.rep, event="alert", data={"x": 1})
        frame = await asyncio.wait_for(stream.__anext__(), 3)
        await stream.aclose()
        return json.loads(frame.split("data: ", 1)[1])

    event = async_to_sync(run)()
    assert event["data"] == {"x": 1}


@pytest.mark.django_db(transaction=True)
def test_an_idle_stream_sends_heartbeats(people, settings):
    settings.ALERT_LIVE_POLL_SECONDS = 0
    settings.ALERT_LIVE_HEARTBEAT_SECONDS = 0.05

    async def run() -> str:
        stream = live_stream(user_id=people.rep.pk, after_id=None, since=timezone.now())
        await stream.__anext__()
        await stream.__anext__()
        beat = await asyncio.wait_for(stream.__anext__(), 2)
        await stream.aclose()
        return beat

    assert async_to_sync(run)() == ": keep-alive\n\n"
