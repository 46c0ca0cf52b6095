from __future__ import annotations

import datetime as dt
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from tests.queries import session_queries
from warmline.alerts.models import Alert, LiveEvent
from warmline.alerts.services import Step, alert_acknowledge, alert_raise

pytestmark = pytest.mark.django_db

NOW = [Step(after=dt.timedelta(0), channel="inapp")]
LADDER = [
    Step(after=dt.timedelta(0), channel="inapp"),
    Step(after=dt.timedelta(minutes=5), channel="email"),
    Step(after=dt.timedelta(minutes=30), channel="email", to="manager"),
]


def _alert(user, n: int = 1, **kwargs) -> Alert:  # type: ignore[no-untyped-def]
    return alert_raise(
        recipient=user,
        kind="question",
        title=f"Dana asked question {n}",
        body="About X200",
        url="/",
        cause=f"question:{user.pk}:{n}",
        ladder=kwargs.pop("ladder", LADDER),
        **kwargs,
    )


# -- list -------------------------------------------------------------------------------------
def test_list_shows_my_waiting_alerts_only(people, rep_client):
    mine = _alert(people.rep, 1)
    done = _alert(people.rep, 2)
    alert_acknowledge(alert=done, user=people.rep)
    _alert(people.rep2, 3)
    response = rep_client.get(reverse("alerts:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert mine.title in html
    assert done.title not in html
    assert "question 3" not in html
    assert "1 waiting for you to acknowledge" in html

    everything = rep_client.get(reverse("alerts:list") + "?show=all").content.decode()
    assert done.title in everything and "Acknowledged" in everything


def test_list_query_count_does_not_grow_with_alerts(people, rep_client, django_assert_num_queries):
    for n in range(3):
        _alert(people.rep, n)
    # session (unless it is read from Redis), user, count for the paginator, the page of
    # alerts, their ladder rows, unread
    expected = 5 + session_queries()
    with django_assert_num_queries(expected):
        assert rep_client.get(reverse("alerts:list") + "?show=all").status_code == 200
    for n in range(3, 30):
        _alert(people.rep, n)
    with django_assert_num_queries(expected):
        assert rep_client.get(reverse("alerts:list") + "?show=all").status_code == 200


def test_manager_sees_alerts_escalated_to_them(people, client):
    alert = _alert(people.rep, 1)
    client.force_login(people.manager)
    assert alert.title in client.get(reverse("alerts:list")).content.decode()
    page = client.get(alert.get_absolute_url())
    assert page.status_code == 200
    assert "escalated from" not in page.content.decode()  # (that tag is on list items)
    client.force_login(people.other_manager)
    assert alert.title not in client.get(reverse("alerts:list")).content.decode()
    assert client.get(alert.get_absolute_url()).status_code == 404


# -- detail and acknowledge -------------------------------------------------------------------
def test_detail_shows_the_ladder(people, rep_client):
    alert = _alert(people.rep, 1)
    html = rep_client.get(alert.get_absolute_url()).content.decode()
    assert "Escalation" in html
    assert "At once" in html and "After 5" in html and "After 30" in html
    assert "(manager)" in html
    assert "Acknowledge and open" in html


def test_other_reps_get_404(people, client):
    alert = _alert(people.rep, 1)
    client.force_login(people.outsider_rep)
    assert client.get(alert.get_absolute_url()).status_code == 404
    assert client.post(reverse("alerts:ack", args=[alert.uuid])).status_code == 404
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is None


def test_ack_by_form_goes_on_to_the_alert(people, rep_client):
    alert = _alert(people.rep, 1)
    response = rep_client.post(reverse("alerts:ack", args=[alert.uuid]), {"next": "/contacts/"})
    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    alert.refresh_from_db()
    assert alert.acknowledged_by == people.rep
    # An off-site `next` is ignored.
    other = _alert(people.rep, 2)
    response = rep_client.post(
        reverse("alerts:ack", args=[other.uuid]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("alerts:list")


def test_ack_by_htmx_returns_the_card(people, rep_client):
    alert = _alert(people.rep, 1)
    response = rep_client.post(reverse("alerts:ack", args=[alert.uuid]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="alert-{alert.uuid}"' in html
    assert "✓ Acknowledged" in html
    assert "<html" not in html


def test_ack_by_fetch_returns_json_with_the_unread_count(people, rep_client):
    first, second = _alert(people.rep, 1), _alert(people.rep, 2)
    response = rep_client.post(
        reverse("alerts:ack", args=[first.uuid]), HTTP_ACCEPT="application/json"
    )
    body = response.json()
    assert body["uuid"] == str(first.uuid)
    assert body["unread"] == 1
    assert second.uuid


def test_ack_needs_post_and_login(people, rep_client, client):
    alert = _alert(people.rep, 1)
    assert rep_client.get(reverse("alerts:ack", args=[alert.uuid])).status_code == 405
    client.logout()
    response = client.post(reverse("alerts:ack", args=[alert.uuid]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_pages_include_the_live_script_for_signed_in_staff(people, rep_client, client):
    html = rep_client.get(reverse("alerts:list")).content.decode()
    assert 'src="/static/alerts/live.js"' in html
    assert 'data-stream="/alerts/stream"' in html
    assert "data-alerts-badge" in html
    assert 'id="wl-toasts"' in html
    client.logout()
    assert "alerts/live.js" not in client.get(reverse("login")).content.decode()


# -- the stream --------------------------------------------------------------------------------
async def _read_stream(
    client: AsyncClient, path: str, frames: int, headers: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    response = await client.get(path, headers=headers or {})
    if not response.streaming:
        return response.status_code, [response.content.decode()]
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache, no-transform"
    out: list[str] = []
    iterator = response.streaming_content.__aiter__()
    while len(out) < frames:
        chunk = await iterator.__anext__()
        out.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    await iterator.aclose()
    return response.status_code, out


def _envelopes(frames: list[str]) -> list[dict]:  # type: ignore[type-arg]
    found = []
    for frame in frames:
        for line in frame.splitlines():
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
    return found


@pytest.mark.django_db(transaction=True)
def test_stream_refuses_anonymous_visitors():
    status, body = async_to_sync(_read_stream)(AsyncClient(), reverse("alerts:stream"), 1)
    assert status == 403
    assert "Sign in" in body[0]


@pytest.mark.django_db(transaction=True)
def test_stream_replays_after_last_event_id_then_says_hello(people):
    first = _alert(people.rep, 1, ladder=NOW)
    second = _alert(people.rep, 2, ladder=NOW)
    _alert(people.rep2, 3, ladder=NOW)
    first_event = LiveEvent.objects.get(user=people.rep, data__uuid=str(first.uuid))
    client = AsyncClient()
    client.force_login(people.rep)
    status, frames = async_to_sync(_read_stream)(
        client, reverse("alerts:stream"), 3, {"Last-Event-ID": str(first_event.pk)}
    )
    assert status == 200
    assert frames[0].startswith("retry: 3000")
    replayed, hello = _envelopes(frames)
    assert replayed["event"] == "alert"
    assert replayed["data"]["uuid"] == str(second.uuid)
    assert f"id: {replayed['id']}\n" in frames[1]
    assert hello == {"id": None, "event": "hello", "data": {"unread": 2}}


@pytest.mark.django_db(transaction=True)
def test_stream_replays_since_the_page_was_rendered(people):
    old = _alert(people.rep, 1, ladder=NOW)
    LiveEvent.objects.filter(data__uuid=str(old.uuid)).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    rendered = timezone.now() - dt.timedelta(seconds=1)
    new = _alert(people.rep, 2, ladder=NOW)
    client = AsyncClient()
    client.force_login(people.rep)
    _, frames = async_to_sync(_read_stream)(
        client, f"{reverse('alerts:stream')}?since={rendered.timestamp()}", 3
    )
    replayed, hello = _envelopes(frames)
    assert replayed["data"]["uuid"] == str(new.uuid)
    assert hello["event"] == "hello"
