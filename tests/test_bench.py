"""`warmline bench`: seeding, measuring and the two shared result files."""

from __future__ import annotations

import json
import random
import re

import pytest
from django.db import connection

from warmline.people.models import Contact
from warmline.timeline.models import Interaction
from warmline.users.models import Role, User
from warmline_tools.bench.core import (
    BenchConfig,
    bench_data_present,
    bench_everyone,
    bench_measure,
    bench_rep,
    bench_report,
    bench_seed,
    bench_write_json,
    bench_write_markdown,
    percentile,
    search_queries,
)

TINY = BenchConfig(contacts=60, entries=3, requests=4)
NAMES = {
    "search_p95_ms",
    "contact_page_p95_ms",
    "today_p95_ms",
    "case_list_p95_ms",
    "call_queue_p95_ms",
}
PAGES = ["search", "contact_page", "today", "case_list", "call_queue", "search_all"]


@pytest.fixture
def seeded(db):  # type: ignore[no-untyped-def]
    return bench_seed(config=TINY)


def test_seed_writes_exactly_n_contacts_with_m_entries_each(seeded):
    from warmline.timeline.models import Kind

    features = [Kind.QUESTION, Kind.CASE_OPENED, Kind.CASE_UPDATED, Kind.CASE_RESOLVED]
    assert Contact.objects.count() == 60
    assert Interaction.objects.exclude(kind__in=features).count() == 60 * 3
    assert not Contact.objects.filter(interactions__isnull=True).exists()
    assert User.objects.filter(role=Role.REP).count() == TINY.reps
    assert bench_data_present(config=TINY)
    assert not bench_data_present(config=BenchConfig(contacts=61, entries=3))


def test_seed_gives_every_book_questions_cases_and_callbacks(seeded):
    """Today, the queue and the contact panels have something to show in every book, as
    in the demo company (its feature loaders seed the benchmark's books too)."""
    from warmline.calls.models import Callback, CallbackStatus
    from warmline.portal.models import OPEN_STATUSES, Question
    from warmline.service.models import UNRESOLVED, Case

    for rep in User.objects.filter(role=Role.REP):
        book = Contact.objects.filter(owner=rep)
        assert Question.objects.filter(contact__in=book, status__in=OPEN_STATUSES).exists(), rep
        assert Case.objects.filter(contact__in=book, status__in=UNRESOLVED).exists(), rep
        assert Callback.objects.filter(rep=rep, status=CallbackStatus.OPEN).exists(), rep


def test_books_are_seeded_in_demo_proportions():
    """A demo rep has 400 contacts; a full-size book (2,000) gets the demo's features five
    times over."""
    assert BenchConfig().books == 5
    assert TINY.books == 1


def test_full_size_books_are_one_fiftieth():
    config = BenchConfig()
    assert (config.contacts, config.entries, config.requests, config.reps) == (
        100_000,
        20,
        200,
        50,
    )
    assert config.size.entries_per_contact == 20


def test_search_queries_mix_names_phones_and_companies(seeded):
    rep = bench_rep()
    queries = search_queries(user=rep, count=30, rng=random.Random(1))
    assert len(queries) == 30
    assert any(q.isdigit() and len(q) == 6 for q in queries)
    assert any(q.isalpha() for q in queries)
    assert any(q[:1].isupper() for q in queries)  # company names as typed


def test_bench_writes_both_files_with_the_three_figures(seeded, tmp_path):
    rep = bench_rep()
    timings = bench_measure(user=rep, requests=TINY.requests, everyone=bench_everyone())
    assert [t.key for t in timings] == PAGES
    assert all(len(t.samples_ms) == 4 and t.queries > 0 for t in timings)
    # The contact page is timed with its panels (each a request of its own).
    contact = next(t for t in timings if t.key == "contact_page")
    page_only = next(t for t in timings if t.key == "search")
    assert contact.queries > page_only.queries
    bench_report(timings=timings, config=TINY, user=rep, out_dir=tmp_path)

    entries = json.loads((tmp_path / "benchmarks.json").read_text())
    # SQLite's figures carry the plain names; another engine's get its name as a suffix.
    suffix = "" if connection.vendor == "sqlite" else f"_{connection.vendor}"
    expected = NAMES | {"search_all_p95_ms"}
    assert {e["name"] for e in entries} == {name + suffix for name in expected}
    for entry in entries:
        assert set(entry) == {"name", "value", "unit", "target", "size"}
        assert entry["unit"] == "ms" and entry["target"] == 50
        assert entry["value"] > 0
        assert (
            entry["size"] == f"60 contacts x 3 timeline entries ({connection.vendor}), in process"
        )
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    assert markdown.startswith("# Benchmarks")
    for label in (
        "Contacts search",
        "Contact page with its panels",
        "Today",
        "Case list",
        "Call queue",
        "whole company",
        "median",
        "p95",
    ):
        assert label in markdown
    assert "60 contacts" in markdown and "Python" in markdown and "Django" in markdown


def test_results_merge_with_other_benchmarks(tmp_path):
    md, js = tmp_path / "BENCHMARKS.md", tmp_path / "benchmarks.json"
    js.write_text(
        json.dumps(
            [
                {
                    "name": "alert_latency_p95_ms",
                    "value": 80,
                    "unit": "ms",
                    "target": 1000,
                    "size": "x",
                },
                {"name": "search_p95_ms", "value": 99, "unit": "ms", "target": 50, "size": "old"},
            ]
        )
    )
    md.write_text(
        "# Benchmarks\n\n<!-- bench:alerts -->\n## Alerts\nfast\n<!-- /bench:alerts -->\n\n"
        "<!-- bench:core -->\nold figures\n<!-- /bench:core -->\n"
    )
    three = ["contact_page_p95_ms", "search_p95_ms", "today_p95_ms"]
    ours = [{"name": n, "value": 1.5, "unit": "ms", "target": 50, "size": "new"} for n in three]
    bench_write_json(path=js, entries=ours)
    bench_write_markdown(path=md, section="core", body="## Search\nnew figures")

    merged = json.loads(js.read_text())
    assert [e["name"] for e in merged] == [
        "alert_latency_p95_ms",
        "search_p95_ms",
        "contact_page_p95_ms",
        "today_p95_ms",
    ]
    assert merged[0]["value"] == 80
    assert all(e["size"] == "new" for e in merged[1:])
    text = md.read_text()
    assert "## Alerts\nfast" in text and "new figures" in text and "old figures" not in text
    assert text.count("<!-- bench:core -->") == 1

    # A new section is appended; running again replaces it instead of adding a copy.
    bench_write_markdown(path=md, section="calls", body="## Calls\none")
    bench_write_markdown(path=md, section="calls", body="## Calls\ntwo")
    text = md.read_text()
    assert (
        text.count("## Calls") == 1 and "two" in text and text.index("Alerts") < text.index("Calls")
    )


def test_a_broken_json_file_is_reported_not_overwritten(tmp_path):
    from warmline_tools.bench.core import BenchError

    js = tmp_path / "benchmarks.json"
    js.write_text("{not json")
    with pytest.raises(BenchError, match="not valid JSON"):
        bench_write_json(path=js, entries=[])
    assert js.read_text() == "{not json"


def test_percentile_is_nearest_rank():
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 50) == 50.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([5.0, 1.0], 95) == 5.0


# --- `warmline bench`: the section registry and the command ----------------------------------

SUFFIX_ENGINE = "" if connection.vendor == "sqlite" else f"_{connection.vendor}"
SECTION_ENGINE = SUFFIX_ENGINE.replace("_", "-")
TINY_ARGS = ["--in-place", "--contacts", "60", "--entries", "3", "--requests", "4"]


def fake_section(*, options, progress, log):  # type: ignore[no-untyped-def]
    """A section as an app writes one (registered by the tests below)."""
    progress.set_total(2)
    log("measuring the fake")
    progress(2)
    entries = [
        {"name": "fake_p95_ms", "value": 1.5, "unit": "ms", "target": 10.0, "size": "tiny"},
        {"name": "fake_lost", "value": 1, "unit": "events", "target": 0, "size": "tiny"},
        {
            "name": "fake_rss_mb",
            "value": options.requests,
            "unit": "MB",
            "target": None,
            "size": f"{options.contacts} contacts",
            "detail": "not for the JSON file",
        },
    ]
    return entries, "## A fake capability\n\nMeasured `fake_p95_ms` quickly."


def fake_with_own_arguments(*, contacts, book, requests, progress=None, log=None):  # type: ignore[no-untyped-def]
    """Like calls_bench: its own parameters, mapped from the options by `kwargs`."""
    entry = {"name": "own_args", "value": book, "unit": "n", "target": None, "size": "x"}
    return [entry], f"contacts {contacts}, book {book}, requests {requests}"


def broken_section(*, options, progress, log):  # type: ignore[no-untyped-def]
    raise RuntimeError("the fake broke")


@pytest.fixture
def fake_sections():  # type: ignore[no-untyped-def]
    from warmline_tools.bench.registry import bench_section_register, bench_section_unregister

    added = {
        "fake": {"title": "Fake", "run": "tests.test_bench:fake_section"},
        "own": {
            "title": "Own arguments",
            "run": "tests.test_bench:fake_with_own_arguments",
            "kwargs": lambda o: {
                "contacts": o.contacts,
                "book": o.contacts // 20,
                "requests": o.requests,
            },
        },
        "broken": {"title": "Broken", "run": "tests.test_bench:broken_section"},
        "absent": {"title": "Not written yet", "run": "warmline.nosuchapp.bench:bench"},
        "nofunc": {"title": "No function yet", "run": "tests.test_bench:no_such_function"},
    }
    for name, fields in added.items():
        bench_section_register(name=name, **fields)  # type: ignore[arg-type]
    yield
    for name in added:
        bench_section_unregister(name)


def run_bench(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bench", *args, stdout=out)
    return out.getvalue()


def test_apps_register_their_sections_and_core_runs_first():
    from warmline_tools.bench.registry import bench_section_list

    names = [s.name for s in bench_section_list()]
    assert names[0] == "core"
    assert {"core", "alerts", "service", "calls"} <= set(names)
    assert "alerts" in run_bench("--list") and "warmline_tools.bench.calls" in run_bench("--list")


def test_verdicts_times_below_target_counts_up_to_it():
    from warmline_tools.bench.registry import bench_entry_passed

    assert bench_entry_passed({"value": 49.9, "unit": "ms", "target": 50.0}) is True
    assert bench_entry_passed({"value": 50.0, "unit": "ms", "target": 50.0}) is False
    assert bench_entry_passed({"value": 0, "unit": "events", "target": 0}) is True
    assert bench_entry_passed({"value": 1, "unit": "events", "target": 0}) is False
    assert bench_entry_passed({"value": 2, "unit": "keys", "target": 2}) is True
    assert bench_entry_passed({"value": 1, "unit": "ms", "target": None}) is None
    assert bench_entry_passed({"value": 0, "unit": "n", "target": 0, "passed": False}) is False


def test_a_section_missing_a_dependency_is_an_error_not_a_skip(monkeypatch):
    import importlib

    from warmline_tools.bench.registry import BenchSection, BenchSectionMissing

    with pytest.raises(BenchSectionMissing):
        BenchSection(name="x", title="x", run="warmline.nosuchapp.bench:f").load()
    with pytest.raises(BenchSectionMissing):
        BenchSection(name="x", title="x", run="warmline.calls.nosuchmodule:f").load()

    def import_module(name: str):  # type: ignore[no-untyped-def]
        # the section's module is there, but something it imports is not
        raise ModuleNotFoundError("No module named 'somedependency'", name="somedependency")

    monkeypatch.setattr(importlib, "import_module", import_module)
    with pytest.raises(ModuleNotFoundError):
        BenchSection(name="x", title="x", run="warmline_tools.bench.calls:calls_bench").load()


def test_only_and_skip_choose_sections_and_unknown_names_are_refused(fake_sections, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no benchmark section named nope"):
        run_bench(*TINY_ARGS, "--only", "fake,nope", "--output-dir", str(tmp_path))
    with pytest.raises(CommandError, match="left no section"):
        run_bench(*TINY_ARGS, "--only", "fake", "--skip", "fake", "--output-dir", str(tmp_path))
    assert not (tmp_path / "BENCHMARKS.md").exists()


def test_command_writes_each_section_skips_absent_ones_and_reports_failures(
    db, fake_sections, tmp_path
):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="failed: broken"):
        run_bench(
            *TINY_ARGS, "--only", "fake,own,broken,absent,nofunc", "--output-dir", str(tmp_path)
        )
    entries = {e["name"]: e for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    assert set(entries) == {
        f"fake_p95_ms{SUFFIX_ENGINE}",
        f"fake_lost{SUFFIX_ENGINE}",
        f"fake_rss_mb{SUFFIX_ENGINE}",
        f"own_args{SUFFIX_ENGINE}",
    }
    assert all(set(e) == {"name", "value", "unit", "target", "size"} for e in entries.values())
    assert entries[f"fake_rss_mb{SUFFIX_ENGINE}"]["value"] == 4  # the options reach it
    assert entries[f"own_args{SUFFIX_ENGINE}"]["value"] == 3  # kwargs: book = contacts / 20

    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert md.startswith("# Benchmarks") and "## Summary" in md
    fake = md.split(f"<!-- bench:fake{SECTION_ENGINE} -->")[1].split("<!-- /bench:")[0]
    assert fake.startswith("\n## A fake capability (")  # the database is named
    # figures the body does not show get a table, with targets and verdicts
    assert f"| `fake_lost{SUFFIX_ENGINE}` | 1 events | 0 | **FAIL** |" in fake
    assert f"`fake_rss_mb{SUFFIX_ENGINE}`" in fake and "- Machine:" in fake
    assert "load average" in fake and "--only fake" in fake
    assert re.search(r"CPU probe \d+ ms", fake)  # the machine's speed at the time
    assert f"<!-- bench:own{SECTION_ENGINE} -->" in md
    assert "## Own arguments" in md and "contacts 60, book 3, requests 4" in md
    for absent in ("broken", "absent", "nofunc"):
        assert f"bench:{absent}" not in md
    summary = md.split("## Summary")[1].split("<!-- bench:")[0]
    assert f"| `fake_p95_ms{SUFFIX_ENGINE}` | 1.5 ms | < 10 ms | pass | tiny |" in summary


def test_a_new_database_section_goes_next_to_its_sibling(tmp_path):
    md = tmp_path / "BENCHMARKS.md"
    for section in ("core", "alerts", "core-postgresql", "service-postgresql", "service"):
        bench_write_markdown(path=md, section=section, body=f"## {section}")
    order = [line for line in md.read_text().splitlines() if line.startswith("## ")]
    assert order == [
        "## core",
        "## core-postgresql",
        "## alerts",
        "## service",
        "## service-postgresql",
    ]


def test_core_section_through_the_command(db, tmp_path):
    run_bench(*TINY_ARGS, "--only", "core", "--output-dir", str(tmp_path))
    names = {e["name"] for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    # Inside a test's transaction no server process sees the rows: in process only.
    assert names == {name + SUFFIX_ENGINE for name in NAMES | {"search_all_p95_ms"}}
    assert Contact.objects.count() == 60
    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## Search, contact page, *Today*, cases and call queue" in md
    assert "- Data: 60 contacts" in md and "Over HTTP: not measured" in md


@pytest.mark.django_db(transaction=True)
def test_core_section_over_http_has_a_row_per_page(tmp_path):
    """Every page also over HTTP (`warmline serve`, production settings, the client in its
    own process), warm p95 against 80 ms and cold after a server start. PostgreSQL only
    here: the test SQLite database lives in this process's memory."""
    if connection.vendor != "postgresql":
        pytest.skip("the server process cannot open an in-memory SQLite database")
    run_bench(*TINY_ARGS, "--only", "core", "--output-dir", str(tmp_path))
    entries = {e["name"]: e for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    for page in PAGES:
        warm = entries[f"{page}_http_p95_ms{SUFFIX_ENGINE}"]
        assert warm["target"] == 80.0 and warm["value"] > 0
        assert entries[f"{page}_p95_ms{SUFFIX_ENGINE}"]["target"] == 50.0
    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert "**Over HTTP**" in md and "`warmline serve`" in md

    # Cold (left out of the command's run on a test's database, for time): a new
    # `warmline serve` per page and run, one timed request each.
    from django.urls import reverse

    from warmline_tools.bench.http import http_cold

    step = {"type": "get", "url": reverse("today")}
    cold = http_cold(user=bench_rep(), pages={"today": step}, runs=1)
    assert list(cold) == ["today"] and len(cold["today"]) == 1 and cold["today"][0] > 0


def test_service_section_through_the_command(transactional_db, tmp_path, settings):
    from warmline_tools.bench.registry import BenchOptions
    from warmline_tools.bench.service import service_bench_config

    settings.SERVICE_SLA_PASS_SECONDS = 0.1  # the escalation-delay phase waits for passes
    run_bench(*TINY_ARGS, "--only", "service", "--output-dir", str(tmp_path))
    entries = {e["name"]: e for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    names = {
        "sla_pass_100k_s",
        "sla_pass_idle_100k_s",
        "escalation_delay_s",
        "today_with_cases_p95_ms",
        "today_cases_extra_queries",
    }
    if connection.vendor == "postgresql":  # committed rows a server process can read
        names.add("today_with_cases_http_p95_ms")
    assert set(entries) == {name + SUFFIX_ENGINE for name in names}
    # The timed pass works through a backlog of the configured size, all at once.
    due = service_bench_config(BenchOptions(contacts=60, requests=4)).due_cases
    backlog = entries["sla_pass_100k_s" + SUFFIX_ENGINE]["size"]
    assert f"a backlog of {due} cases due at once: {due} steps fired" in backlog
    assert "outbox rows" in backlog
    # The measured books hold questions and callbacks too, as a demo rep's does.
    from warmline.calls.models import Callback
    from warmline.portal.models import Question

    for username in ("svcbench-rep0", "svcbench-rep1"):
        assert Question.objects.filter(contact__owner__username=username).exists(), username
        assert Callback.objects.filter(rep__username=username).exists(), username
    assert entries["escalation_delay_s" + SUFFIX_ENGINE]["target"] == 5.0
    assert entries["today_cases_extra_queries" + SUFFIX_ENGINE]["value"] == 0
    md = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## Service cases: SLA scheduler" in md and "60 open" in md


def test_alerts_section_through_the_command(db, tmp_path, monkeypatch):
    """The wiring, sizes and report of the SSE section. The load run itself (a uvicorn
    server, a fresh database and real streams: ~5 s even at 10 streams) is what
    `warmline bench --only alerts` does; here a stand-in returns what it would."""
    from warmline_tools.bench import alerts as alerts_bench

    calls: list[dict[str, object]] = []

    def sse_bench(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        kwargs["progress"](kwargs["connections"])
        size = f"{kwargs['connections']} SSE connections"
        details = {
            "expected": 100,
            "events": 10,
            "misrouted": 0,
            "post_p99_ms": 9.0,
            "server_cpu_pct": 7,
            "questions": 10,
            "questions_verified": 10,
            "alerts": 10,
            "alerts_with_email_and_sms": 10,
            "sent": {"email:recipient": 10, "sms:recipient": 9, "email:manager": 8},
            "emails_received": 18,
            "sms_logged": 9,
        }
        return [
            {
                "name": "ask_to_tab_p99_ms",
                "value": 12.5,
                "unit": "ms",
                "target": 250.0,
                "size": size,
                "details": details,
            },
            {"name": "ask_to_tab_p50_ms", "value": 3.0, "unit": "ms", "target": None, "size": size},
            {"name": "ask_events_lost", "value": 0, "unit": "events", "target": 0, "size": size},
            {
                "name": "sse_server_rss_mb",
                "value": 80.0,
                "unit": "MB",
                "target": None,
                "size": size,
            },
        ]

    monkeypatch.setattr(alerts_bench, "sse_bench", sse_bench)
    run_bench(*TINY_ARGS, "--only", "alerts", "--output-dir", str(tmp_path))
    (kwargs,) = calls
    assert kwargs["connections"] == 10 and kwargs["rate"] == 20.0
    assert kwargs["duration"] == 0.5 and kwargs["users"] == 1
    assert kwargs["customers_per_rep"] == 3
    # On PostgreSQL the server shares the benchmark's database; on SQLite it gets its own.
    assert bool(kwargs["database_url"]) == (connection.vendor != "sqlite")
    entries = {e["name"]: e for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    assert set(entries) == {
        name + SUFFIX_ENGINE
        for name in (
            "ask_to_tab_p99_ms",
            "ask_to_tab_p50_ms",
            "ask_events_lost",
            "sse_server_rss_mb",
        )
    }
    assert all(set(e) == {"name", "value", "unit", "target", "size"} for e in entries.values())
    md = (tmp_path / "BENCHMARKS.md").read_text()
    section = md.split(f"<!-- bench:alerts{SECTION_ENGINE} -->")[1]
    assert "## Live alerts" in section and "10 SSE connections" in section
    assert f"| 12.5 ms | < 250 ms | pass | `ask_to_tab_p99_ms{SUFFIX_ENGINE}` |" in section
    assert "Overall: pass" in section
    # It says what is measured: real questions through the public form, to the tab.
    assert "`POST /site/ask/`" in section and "magic link" in section
    assert "PORTAL_RATE_ASK_IP" in section and "`warmline worker`" in section
    assert "10 e-mails and\n  9 SMS to reps, 8 e-mails to" in section


def test_sse_full_size_is_1000_streams_at_20_per_second_for_a_minute(monkeypatch):
    from warmline_tools.bench import alerts as alerts_bench
    from warmline_tools.bench.registry import BenchOptions

    captured: dict[str, object] = {}

    class Stop(Exception):
        pass

    def sse_bench(**kwargs):  # type: ignore[no-untyped-def]
        captured.update(kwargs)
        raise Stop

    monkeypatch.setattr(alerts_bench, "sse_bench", sse_bench)
    with pytest.raises(Stop):
        alerts_bench.sse_bench_section(
            options=BenchOptions(), progress=_NoProgress(), log=lambda _: None
        )
    assert (captured["connections"], captured["users"], captured["rate"]) == (1000, 100, 20.0)
    assert captured["duration"] == 60.0 and captured["customers_per_rep"] == 3


def test_sse_bench_asks_real_questions_that_raise_alerts_with_email_and_sms():
    """The real run at a tiny size: its own server, worker, SMTP sink and SQLite database.
    Every question is a Question row from an identified customer, with the rep's alert
    and e-mail and SMS rungs that the worker sent to the sink and the SMS console."""
    from warmline_tools.bench.alerts import sse_bench

    entries = sse_bench(
        connections=4,
        users=2,
        customers_per_rep=2,
        rate=10.0,
        duration=0.5,
        log=lambda _line: None,
        settle_seconds=30.0,
    )
    by_name = {e["name"]: e for e in entries}
    details = by_name["ask_to_tab_p99_ms"]["details"]
    questions = details["events"]
    assert questions == 5 and details["post_failed"] == 0
    assert by_name["ask_events_lost"]["value"] == 0 and details["misrouted"] == 0
    assert details["deliveries"] == questions * 2  # each rep has two tabs open
    assert details["customers"] == 4
    assert details["questions"] == details["questions_verified"] == questions
    assert details["alerts"] == details["alerts_with_email_and_sms"] == questions
    rows = {(r["channel"], r["audience"]): r for r in details["outbox"] if r["status"] == "sent"}
    assert set(rows) == {
        ("inapp", "recipient"),
        ("email", "recipient"),
        ("sms", "recipient"),
        ("email", "manager"),
    }
    assert all(r["n"] == questions for r in rows.values())
    assert details["emails_received"] == 2 * questions  # the rep's and the manager's
    assert details["sms_logged"] == questions
    assert 0 < by_name["ask_to_tab_p50_ms"]["value"] <= by_name["ask_to_tab_p99_ms"]["value"]


class _NoProgress:
    def __call__(self, advance: int) -> None:
        pass

    def set_total(self, total: int) -> None:
        pass


def test_service_full_size_is_100k_cases():
    from warmline_tools.bench.registry import BenchOptions
    from warmline_tools.bench.service import ServiceBenchConfig, service_bench_config

    assert service_bench_config(BenchOptions()) == ServiceBenchConfig()
    assert ServiceBenchConfig().due_cases == 10_000  # a backlog crossing a step at once
    tiny = service_bench_config(BenchOptions(contacts=60, requests=4))
    assert tiny.cases > tiny.book_cases + tiny.small_book_cases + tiny.due_cases
    assert tiny.book_cases > tiny.small_book_cases


def test_calls_section_through_the_command(db, tmp_path):
    pytest.importorskip("warmline_tools.bench.calls")  # written alongside; skipped until it exists
    run_bench(*TINY_ARGS, "--only", "calls", "--output-dir", str(tmp_path))
    entries = {e["name"]: e for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    assert {"next_card_p95_ms", "log_outcome_p95_ms", "keys_voicemail_next"} <= {
        name.removesuffix(SUFFIX_ENGINE) for name in entries
    }
    keys = entries["keys_voicemail_next" + SUFFIX_ENGINE]
    assert (keys["value"], keys["target"]) == (2, 2)
    md = (tmp_path / "BENCHMARKS.md").read_text()
    section = md.split(f"<!-- bench:calls{SECTION_ENGINE} -->")[1]
    assert section.startswith("\n## Calls: queue and call mode (")  # heading added
    assert f"| `keys_voicemail_next{SUFFIX_ENGINE}` | 2 keys | ≤ 2 keys | pass |" in section
    assert "book 20 of 60 contacts" in section  # at least 20: cards for every request


def test_export_round_trip_restores_into_a_database_created_for_it(seeded, tmp_path):
    """`warmline migrate` and `warmline import` in their own processes, into a new SQLite
    file or a new PostgreSQL database (dropped after), then both compared table by table."""
    run_bench(*TINY_ARGS, "--only", "export", "--output-dir", str(tmp_path))
    entries = {e["name"]: e for e in json.loads((tmp_path / "benchmarks.json").read_text())}
    differences = entries["export_round_trip_differences" + SUFFIX_ENGINE]
    assert (differences["value"], differences["target"]) == (0, 0)
    assert "60 contacts" in differences["size"]
    assert entries["import_fresh_s" + SUFFIX_ENGINE]["value"] > 0
    md = (tmp_path / "BENCHMARKS.md").read_text()
    section = md.split(f"<!-- bench:export{SECTION_ENGINE} -->")[1]
    assert "| contacts | 60 | 60 | same |" in section
    assert ("a new SQLite file" if connection.vendor == "sqlite" else "dropped after") in section
    if connection.vendor == "postgresql":  # the restore database is gone again
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%_restore_%'")
            assert cursor.fetchone() == (0,)
