"""The calls benchmark runs end to end at a tiny size and reports what it measured."""

from __future__ import annotations

import pytest

from warmline.calls.keys import keymap_json
from warmline.calls.models import CallLog
from warmline.people.models import Contact
from warmline.users.models import User
from warmline_tools.bench.calls import (
    FILLER,
    REP,
    CallsBenchError,
    calls_bench,
    keys_for_flow_served,
)

pytestmark = pytest.mark.django_db


def test_calls_bench_at_a_tiny_size():
    ticks: list[tuple[int, int]] = []
    lines: list[str] = []
    entries, markdown = calls_bench(
        contacts=400,
        book=120,
        requests=8,
        cold_requests=3,
        progress=lambda done, total: ticks.append((done, total)),
        log=lines.append,
    )
    by_name = {e["name"]: e for e in entries}
    assert set(by_name) == {
        "next_card_p95_ms",
        "next_card_cold_p95_ms",
        "log_outcome_p95_ms",
        "queue_rebuild_p95_ms",
        "keys_voicemail_next",
    }
    # Cold: every timed next card came right after a new question or case, and rebuilt
    # the queue inside the request.
    cold = by_name["next_card_cold_p95_ms"]
    assert cold["target"] == 50.0 and float(cold["value"]) > 0  # type: ignore[arg-type]
    assert "3 of 3 rebuilt the queue" in str(cold["size"])
    assert float(by_name["queue_rebuild_p95_ms"]["value"]) > 0  # type: ignore[arg-type]
    assert by_name["queue_rebuild_p95_ms"]["target"] is None  # informative: off the requests
    for entry in entries:
        assert set(entry) >= {"name", "value", "unit", "target", "size"}
    assert by_name["next_card_p95_ms"]["unit"] == "ms"
    assert float(by_name["next_card_p95_ms"]["value"]) > 0  # type: ignore[arg-type]
    assert float(by_name["log_outcome_p95_ms"]["value"]) > 0  # type: ignore[arg-type]
    assert by_name["next_card_p95_ms"]["size"] == "book 120 of 400 contacts"
    # The book has questions and cases from the demo's loaders, as a demo rep's book has.
    from warmline.portal.models import Question
    from warmline.service.models import Case

    rep_ = User.objects.get(username=REP)
    # four seeded (a demo rep's), two written before cold next cards (a case the third)
    assert Question.objects.filter(contact__owner=rep_).count() == 4 + 2
    assert Case.objects.filter(contact__owner=rep_).exists()
    assert by_name["keys_voicemail_next"]["value"] == 2
    # the database has the asked size; the book is the rep's
    rep = User.objects.get(username=REP)
    assert Contact.objects.count() == 400
    assert Contact.objects.filter(owner=rep).count() == 120
    assert Contact.objects.filter(owner__username__startswith=FILLER).count() == 280
    # every timed outcome (plus the one that counted queries) was really logged
    assert CallLog.objects.filter(rep=rep).count() == 9
    assert ticks[-1] == (19, 19)
    assert "| next card" in markdown and "Keystrokes" in markdown and "book" in markdown
    assert lines

    # a second run replaces its own rows and keeps the size
    calls_bench(contacts=400, book=120, requests=3)
    assert Contact.objects.count() == 400
    assert CallLog.objects.filter(rep__username=REP).count() == 4


def test_keystrokes_come_from_the_served_key_map():
    import json

    def page(bindings):  # type: ignore[no-untyped-def]
        return f'<script id="call-keymap" type="application/json">{json.dumps(bindings)}</script>'

    assert keys_for_flow_served(page(keymap_json()), "voicemail_next") == ["v", "Enter"]
    assert keys_for_flow_served(page(keymap_json()), "no_answer_callback_tomorrow") == [
        "n",
        "2",
        "Enter",
    ]
    # a key map without a save key cannot do the flow: the benchmark says so, not "2"
    without_save = [b for b in keymap_json() if b["action"] != "save"]
    with pytest.raises(CallsBenchError):
        keys_for_flow_served(page(without_save), "voicemail_next")


@pytest.mark.django_db(transaction=True)
def test_calls_bench_over_http_through_a_real_server():
    """The HTTP rows: a uvicorn process reads the same (committed) database; PostgreSQL only
    here, as the test SQLite database lives in this process's memory."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the server process cannot open an in-memory SQLite database")
    entries, markdown = calls_bench(
        contacts=300, book=100, requests=3, http_requests=4, cold_requests=2
    )
    by_name = {e["name"]: e for e in entries}
    for name in ("next_card_http_p95_ms", "log_outcome_http_p95_ms", "next_card_cold_http_p95_ms"):
        assert float(by_name[name]["value"]) > 0  # type: ignore[arg-type]
        assert by_name[name]["target"] == 80.0
    assert "2 of 2 rebuilt the queue" in str(by_name["next_card_cold_http_p95_ms"]["size"])
    assert "next card over HTTP" in markdown and "`warmline serve`" in markdown
    # 1 counted + 3 timed in process, 4 over HTTP
    assert CallLog.objects.filter(rep__username=REP).count() == 8
