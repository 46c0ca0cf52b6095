"""The demo company (`warmline demo`) and the process commands (`serve`, `worker`)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.validators import validate_email

from tests.factories import ContactFactory
from warmline.core.phones import phone_time_zone
from warmline.people.models import (
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    ImportantDate,
    PersonalFact,
    Tier,
)
from warmline.people.search import search_text_build
from warmline.people.selectors import ContactFilters, contact_list, important_dates_upcoming
from warmline.timeline.models import Interaction, Kind
from warmline.timeline.services import interaction_is_personal
from warmline.users.models import Role, Team, User
from warmline_tools.demo import (
    DEMO_PASSWORD,
    DemoNotEmptyError,
    DemoSize,
    demo_is_loaded,
    demo_load,
    demo_logins,
    demo_wipe,
)
from warmline_tools.management.commands import demo as demo_command

NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)
SMALL = DemoSize(accounts=12, contacts=90, seed=99, chunk=40)
# Timeline kinds only the feature apps' demo extensions write (questions, cases).
EXTENSION_KINDS = (Kind.QUESTION, Kind.CASE_OPENED, Kind.CASE_UPDATED, Kind.CASE_RESOLVED)


@pytest.fixture
def small_demo(db):  # type: ignore[no-untyped-def]
    return demo_load(size=SMALL, now=NOW)


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every demo row by natural key (uuids, usernames), so ids do not matter."""
    from warmline.calls.models import Callback, MessageTemplate
    from warmline.portal.models import Question
    from warmline.service.models import Case, CaseNote

    users = {u.pk: u.username for u in User.objects.all()}
    accounts = {a.pk: str(a.uuid) for a in Account.objects.all()}
    contacts = {c.pk: str(c.uuid) for c in Contact.objects.all()}
    cases = {c.pk: str(c.uuid) for c in Case.objects.all()}
    questions = {q.pk: str(q.uuid) for q in Question.objects.all()}

    def data(values: dict[str, object]) -> list[tuple[str, object]]:
        # Timeline entries of cases and questions name them by id: compare their uuids.
        named = {"case_id": cases, "question_id": questions}
        return sorted(
            (k, named[k].get(v) if k in named and isinstance(v, int) else v)  # type: ignore[call-overload]
            for k, v in values.items()
        )

    return {
        "questions": sorted(
            (
                str(q.uuid),
                contacts[q.contact_id],
                users.get(q.rep_id),
                q.message,
                q.page_path,
                q.preferred_channel,
                q.preferred_time,
                q.status,
                q.created_at,
                q.answer_by,
                q.acknowledged_at,
                q.answered_at,
                q.answer_note,
            )
            for q in Question.objects.all()
        ),
        "cases": sorted(
            (
                str(c.uuid),
                contacts[c.contact_id],
                accounts.get(c.account_id),
                c.subject,
                c.priority,
                c.status,
                c.channel,
                c.external_id,
                c.opened_at,
                c.first_response_at,
                c.resolved_at,
                c.acknowledged_at,
                users.get(c.assigned_agent_id),
                c.sla_policy.name if c.sla_policy else "",
                c.breach_at,
                c.next_step_due_at,
                c.created_at,
            )
            for c in Case.objects.select_related("sla_policy")
        ),
        "case_notes": sorted(
            (cases[n.case_id], users.get(n.author_id), n.body, n.created_at)
            for n in CaseNote.objects.all()
        ),
        "callbacks": sorted(
            (str(b.uuid), users[b.rep_id], contacts[b.contact_id], b.due_at, b.note, b.created_at)
            for b in Callback.objects.all()
        ),
        "scripts": sorted(
            (users[t.owner_id], t.kind, t.body) for t in MessageTemplate.objects.all()
        ),
        "users": sorted(
            (
                u.username,
                u.first_name,
                u.last_name,
                u.role,
                u.title,
                u.email,
                u.team.name if u.team else "",
                u.direct_phone,
                u.mobile_phone,
                u.is_superuser,
            )
            for u in User.objects.select_related("team")
        ),
        "accounts": sorted(
            (
                str(a.uuid),
                a.name,
                a.domain,
                a.industry,
                a.tier,
                users.get(a.owner_id),
                a.phone,
                a.website,
                a.city,
                a.country,
                a.notes,
                a.created_at,
            )
            for a in Account.objects.all()
        ),
        "contacts": sorted(
            (
                str(c.uuid),
                accounts.get(c.account_id),
                users.get(c.owner_id),
                c.first_name,
                c.last_name,
                c.title,
                c.email,
                c.phone,
                c.time_zone,
                c.stage,
                c.email_opt_in,
                c.email_opt_in_at,
                c.do_not_call,
                c.reconnect_days,
                c.last_touch_at,
                c.search_text,
                c.created_at,
                sorted(t.name for t in c.interests.all()),
            )
            for c in Contact.objects.prefetch_related("interests")
        ),
        "emails": sorted(
            (contacts[e.contact_id], e.address, e.label, e.is_primary)
            for e in ContactEmail.objects.all()
        ),
        "phones": sorted(
            (contacts[p.contact_id], p.number, p.label, p.is_primary)
            for p in ContactPhone.objects.all()
        ),
        "facts": sorted(
            (
                str(f.uuid),
                contacts[f.contact_id],
                f.kind,
                f.text,
                users.get(f.created_by_id),
                f.created_at,
            )
            for f in PersonalFact.objects.all()
        ),
        "dates": sorted(
            (
                str(d.uuid),
                contacts[d.contact_id],
                d.kind,
                d.label,
                d.date,
                d.recurs_yearly,
                d.month_day,
            )
            for d in ImportantDate.objects.all()
        ),
        "timeline": sorted(
            (
                str(i.uuid),
                contacts[i.contact_id],
                accounts.get(i.account_id),
                i.kind,
                i.direction,
                i.outcome,
                users.get(i.author_id),
                i.subject,
                i.body,
                i.occurred_at,
                i.created_at,
                i.source,
                i.is_personal,
                data(i.data),
            )
            for i in Interaction.objects.all()
        ),
    }


@pytest.mark.django_db(transaction=True)  # flush (TRUNCATE) cannot run inside a test transaction
def test_two_loads_with_the_same_seed_and_time_are_identical():
    demo_load(size=SMALL, now=NOW)
    first = snapshot()
    demo_wipe()
    assert not Contact.objects.exists()
    demo_load(size=SMALL, now=NOW)
    assert snapshot() == first
    demo_wipe()
    demo_load(size=DemoSize(accounts=12, contacts=90, seed=100), now=NOW)
    assert snapshot()["contacts"] != first["contacts"]


def test_company_has_the_promised_people_and_sizes(small_demo):
    assert (small_demo.accounts, small_demo.contacts) == (12, 90)
    assert Account.objects.count() == 12
    assert Contact.objects.count() == 90
    built = Interaction.objects.exclude(kind__in=EXTENSION_KINDS)
    assert built.count() == small_demo.interactions > 90 * 5
    assert PersonalFact.objects.count() == small_demo.facts > 0
    maria = User.objects.get(username="maria")
    east = Team.objects.get(name="East")
    assert maria.role == Role.MANAGER and east.manager == maria
    reps = User.objects.filter(role=Role.REP)
    assert reps.count() == 5 and {r.team_id for r in reps} == {east.pk}
    assert User.objects.filter(role=Role.MARKETER).count() == 1
    assert User.objects.filter(role=Role.AGENT).count() == 1
    admin = User.objects.get(role=Role.ADMIN)
    assert admin.is_superuser and admin.is_staff
    for login in demo_logins():
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD), login.username
        assert user.role == login.role
    # Every rep has a book; every account has people; some key accounts.
    assert all(Contact.objects.filter(owner=rep).exists() for rep in reps)
    assert not Account.objects.filter(contacts__isnull=True).exists()
    assert demo_is_loaded()


@pytest.mark.django_db
def test_default_size_is_the_issue_s_company():
    size = DemoSize()
    assert (size.accounts, size.contacts, size.reps) == (300, 2000, 5)
    assert size == demo_command.DEMO_SIZE


def test_phones_are_valid_e164_in_several_countries(small_demo):
    regions = set()
    numbers = list(ContactPhone.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)), "phone numbers are unique"
    for number in numbers + list(Account.objects.values_list("phone", flat=True)):
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
        regions.add(phonenumbers.region_code_for_number(parsed))
    assert len(regions) >= 4
    for user in User.objects.all():
        assert phonenumbers.is_valid_number(phonenumbers.parse(user.direct_phone, None))


def test_contact_points_match_what_the_services_store(small_demo):
    primary_emails = dict(
        ContactEmail.objects.filter(is_primary=True).values_list("contact_id", "address")
    )
    primary_phones = dict(
        ContactPhone.objects.filter(is_primary=True).values_list("contact_id", "number")
    )
    emails = defaultdict(list)
    for e in ContactEmail.objects.order_by("-is_primary", "id"):
        emails[e.contact_id].append(e.address)
    phones = defaultdict(list)
    for p in ContactPhone.objects.order_by("-is_primary", "id"):
        phones[p.contact_id].append(p.number)
    for contact in Contact.objects.select_related("account"):
        assert contact.email == primary_emails[contact.pk] == contact.email.lower()
        validate_email(contact.email)
        if contact.account:
            assert contact.email.endswith("@" + contact.account.domain)
        assert contact.phone == primary_phones.get(contact.pk, "")
        assert contact.time_zone == (phone_time_zone(contact.phone) if contact.phone else "")
        assert contact.search_text == search_text_build(
            first_name=contact.first_name,
            last_name=contact.last_name,
            title=contact.title,
            company=contact.account.name if contact.account else "",
            emails=emails[contact.pk],
            phones=phones[contact.pk],
        )
    assert ContactEmail.objects.filter(is_primary=True).count() == 90


def test_search_finds_demo_contacts_by_phone_and_company(small_demo):
    maria = User.objects.get(username="maria")
    contact = Contact.objects.exclude(phone="").exclude(account=None).select_related("account")[0]
    local = phonenumbers.format_number(
        phonenumbers.parse(contact.phone, None), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    found = contact_list(user=maria, filters=ContactFilters(q=local))
    assert contact in found
    found = contact_list(user=maria, filters=ContactFilters(q=contact.account.name.upper()))
    assert contact in found


def test_timeline_is_a_year_and_last_touch_is_the_newest_personal_touch(small_demo):
    newest: dict[int, dt.datetime] = {}
    kinds = set()
    created = dict(Contact.objects.values_list("id", "created_at"))
    entries = list(Interaction.objects.all())
    older = [e for e in entries if e.occurred_at < NOW - dt.timedelta(days=372)]
    # A year of timeline; only a quiet customer's last conversation may be older.
    assert len(older) < len(entries) / 20 and all(e.is_personal for e in older)
    for entry in entries:
        kinds.add(entry.kind)
        assert created[entry.contact_id] <= entry.occurred_at < NOW
        assert entry.created_at >= entry.occurred_at
        assert entry.is_personal == interaction_is_personal(
            kind=entry.kind, outcome=entry.outcome, author_id=entry.author_id
        )
        assert "{" not in entry.body + entry.subject
        if entry.is_personal and entry.occurred_at > newest.get(
            entry.contact_id, NOW.min.replace(tzinfo=dt.UTC)
        ):
            newest[entry.contact_id] = entry.occurred_at
    for contact in Contact.objects.all():
        assert contact.last_touch_at == newest.get(contact.pk), contact
    assert {"call", "voicemail", "meeting", "note", "email", "checkin_note"} <= kinds
    touched = [c.last_touch_at for c in Contact.objects.exclude(last_touch_at=None)]
    assert any(NOW - t < dt.timedelta(days=30) for t in touched)
    assert any(NOW - t > dt.timedelta(days=150) for t in touched)
    assert Contact.objects.filter(last_touch_at=None).exists()


def test_nobody_is_called_without_a_number_or_against_their_wish(small_demo):
    calls = Interaction.objects.filter(kind__in=["call", "voicemail"])
    assert calls.exists()
    assert not calls.filter(contact__phone="").exists()
    assert not calls.filter(contact__do_not_call=True).exists()


def test_reps_call_in_their_own_working_hours(small_demo):
    """A call to Tokyo from New York is logged in New York's working day, not at 02:00."""
    calls = Interaction.objects.filter(
        kind__in=["call", "voicemail", "meeting"], author__role=Role.REP
    ).select_related("author")
    assert calls.exists()
    hours = {c.occurred_at.astimezone(ZoneInfo(c.author.time_zone)).hour for c in calls}
    assert min(hours) >= 8 and max(hours) < 18, sorted(hours)


def test_facts_and_dates_read_like_a_rep_wrote_them(small_demo):
    for fact in PersonalFact.objects.all():
        assert "{" not in fact.text and fact.text[0].isupper()
    for item in ImportantDate.objects.all():
        assert item.month_day == item.date.month * 100 + item.date.day
    assert ImportantDate.objects.filter(kind="customer_anniversary").exists()
    assert Account.objects.filter(tier=Tier.KEY).exists() or SMALL.accounts < 20
    # Some birthdays and anniversaries fall in the next 14 days, so Today shows them.
    upcoming = [
        u
        for rep in User.objects.filter(role=Role.REP)
        for u in important_dates_upcoming(user=rep, today=NOW.date(), days=14)
    ]
    assert upcoming


@pytest.mark.django_db
def test_loading_never_mixes_with_other_data(company):
    ContactFactory(owner=company.rep)
    with pytest.raises(DemoNotEmptyError):
        demo_load(size=SMALL, now=NOW)


@pytest.fixture
def tiny_command_size(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(demo_command, "DEMO_SIZE", DemoSize(accounts=5, contacts=30, chunk=10))


@pytest.mark.django_db(transaction=True)  # --reset flushes the database
def test_demo_command_loads_once_and_reset_reloads(tiny_command_size):
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    text = out.getvalue()
    assert "30 contacts" in text and "warmline-demo" in text and "maria" in text
    uuids = set(Contact.objects.values_list("uuid", flat=True))
    assert len(uuids) == 30

    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "already loaded" in out.getvalue()
    assert set(Contact.objects.values_list("uuid", flat=True)) == uuids

    call_command("demo", "--no-serve", "--reset", stdout=io.StringIO())
    assert Contact.objects.count() == 30
    assert User.objects.filter(username="maria").count() == 1


@pytest.mark.django_db
def test_demo_command_refuses_a_database_with_real_contacts(company, tiny_command_size):
    ContactFactory(owner=company.rep)
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", "--no-serve", stdout=io.StringIO())


def test_demo_command_says_when_the_port_is_taken(tiny_command_size):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"--port {port + 1}"):
            call_command("demo", "--port", str(port), stdout=io.StringIO())


def test_logins_box_lists_every_role_with_the_password():
    from rich.console import Console

    console = Console(file=io.StringIO(), width=100)
    console.print(demo_command.logins_panel(url="http://127.0.0.1:8000"))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "http://127.0.0.1:8000" in text
    for login in demo_logins():
        assert login.username in text
    assert text.count(DEMO_PASSWORD) == len(demo_logins())


# --- serve / worker -------------------------------------------------------------------


@pytest.mark.django_db
def test_serve_runs_uvicorn_with_env_defaults(monkeypatch):
    from warmline.core.management.commands import serve

    calls = []
    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("WARMLINE_HOST", "0.0.0.0")
    monkeypatch.setenv("WARMLINE_PORT", "8123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    call_command("serve", skip_checks=True)
    app, kw = calls[-1]
    assert app == "warmline.asgi:application"
    assert (kw["host"], kw["port"], kw["workers"]) == ("0.0.0.0", 8123, 3)
    call_command("serve", "--port", "9000", "--workers", "2", skip_checks=True)
    assert (calls[-1][1]["port"], calls[-1][1]["workers"]) == (9000, 2)


@pytest.mark.django_db
def test_serve_rejects_a_bad_port(monkeypatch):
    from warmline.core.management.commands import serve

    monkeypatch.setattr(serve.uvicorn, "run", lambda app, **kw: None)
    with pytest.raises(CommandError, match="--port"):
        call_command("serve", "--port", "70000", skip_checks=True)


def test_worker_passes_db_worker_options_through():
    from warmline.core.management.commands.worker import Command

    parser = Command().create_parser("warmline", "worker")
    options = parser.parse_args(
        [
            "--queue-name",
            "default",
            "--interval",
            "0.5",
            "--batch",
            "--max-tasks",
            "3",
            "--worker-id",
            "w1",
            "--no-periodic",
        ]
    )
    assert options.queue_name == "default"
    assert options.interval == 0.5
    assert options.batch and options.max_tasks == 3 and options.worker_id == "w1"
    assert options.periodic is False


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_worker_batch_mode_runs_and_exits():
    out = io.StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out)
    assert "No more tasks" in out.getvalue() or out.getvalue() == ""


# --- What the feature apps add (their demo extensions) --------------------------------


def test_demo_has_recent_questions_new_acknowledged_and_answered(small_demo):
    from warmline.alerts.models import Alert
    from warmline.portal.models import Question, QuestionStatus

    questions = list(Question.objects.select_related("contact", "rep"))
    assert 8 <= len(questions) <= 12
    assert {q.status for q in questions} == set(QuestionStatus.values)
    for q in questions:
        assert q.contact.owner_id == q.rep_id
        assert q.contact.created_at < q.created_at < NOW
        assert q.answer_by > q.created_at
        asked = Interaction.objects.get(source="portal", external_id=f"question:{q.uuid}")
        assert asked.kind == Kind.QUESTION and asked.data["question_id"] == q.pk
        alert = Alert.objects.filter(cause=q.cause, recipient=q.rep).first()
        if q.status == QuestionStatus.ANSWERED:
            assert alert is None and q.answered_at and q.answer_note
        else:
            assert alert is not None and alert.created_at == q.created_at
            assert (alert.acknowledged_at is None) == (q.status == QuestionStatus.NEW)
            # Demo alerts stay in the app: no e-mail or SMS rung to send at start-up.
            assert {m.channel for m in alert.messages.all()} == {"inapp"}
    assert any(NOW - q.created_at < dt.timedelta(hours=1) for q in questions)


def test_demo_has_cases_across_priorities_and_statuses_some_past_their_sla(small_demo):
    from warmline.alerts.models import Alert
    from warmline.service.models import Case, CaseNote, SlaPolicy, SlaStepFired, Status

    assert SlaPolicy.objects.filter(is_active=True).count() == 4
    cases = list(Case.objects.select_related("contact", "sla_policy"))
    assert 30 <= len(cases) <= 45
    assert {c.status for c in cases} == set(Status.values)
    assert {c.priority for c in cases} >= {"low", "normal", "high", "urgent"}
    assert all(c.sla_policy is not None for c in cases)
    open_cases = [c for c in cases if c.status == Status.OPEN]
    breached = [c for c in open_cases if c.breach_at and c.breach_at <= NOW]
    near = [
        c for c in open_cases if c.breach_at and NOW < c.breach_at <= NOW + dt.timedelta(hours=2)
    ]
    assert len(breached) >= 2 and near
    for case in cases:
        assert case.contact.created_at < case.opened_at < NOW
        assert case.created_at == case.opened_at
        opened = Interaction.objects.get(kind=Kind.CASE_OPENED, data__case_id=case.pk)
        assert opened.occurred_at == case.opened_at
        if case.status in (Status.RESOLVED, Status.CLOSED):
            assert case.opened_at < case.resolved_at < NOW and case.breach_at is None
    assert CaseNote.objects.exists()
    # The scheduler ran at the demo's `now`: the breached cases alerted their reps.
    for case in breached:
        assert SlaStepFired.objects.filter(case=case, step="breach").exists()
        assert Alert.objects.filter(
            kind="case_sla", recipient=case.contact.owner, data__case_id=case.pk
        ).exists()
    assert not SlaStepFired.objects.exclude(case__in=open_cases).exists()


def test_demo_has_callbacks_today_and_tomorrow_and_own_voicemail_scripts(small_demo):
    from zoneinfo import ZoneInfo

    from warmline.calls.models import Callback, MessageTemplate
    from warmline.core.hours import calling_hours_status

    reps = User.objects.filter(role=Role.REP)
    callbacks = list(Callback.objects.select_related("contact", "rep"))
    # up to three per rep: only to customers for whom the promised time is in calling hours
    assert 2 * reps.count() <= len(callbacks) <= 3 * reps.count()
    assert {cb.rep_id for cb in callbacks} == set(reps.values_list("id", flat=True))
    for cb in callbacks:
        assert cb.contact.owner_id == cb.rep_id and cb.contact.phone and cb.note
        assert not cb.contact.do_not_call and cb.created_at < NOW
        assert calling_hours_status(time_zone=cb.contact.time_zone, now=cb.due_at).ok
    late = [cb for cb in callbacks if cb.due_at <= NOW]
    later = [cb for cb in callbacks if cb.due_at > NOW]
    assert late and later
    zone = ZoneInfo("America/New_York")
    tomorrow = NOW.astimezone(zone).date() + dt.timedelta(days=1)
    assert any(cb.due_at.astimezone(zone).date() == tomorrow for cb in callbacks)
    scripts = MessageTemplate.objects.filter(kind="voicemail")
    assert set(scripts.values_list("owner__username", flat=True)) == {"rita", "sam", "lena"}


def test_the_demo_reps_call_queue_has_every_kind_of_reason(small_demo):
    from warmline.calls.selectors import call_queue_build

    keys = set()
    for rep in User.objects.filter(role=Role.REP):
        queue = call_queue_build(user=rep, now=NOW, limit=500)
        for item in queue.ready + queue.held + queue.recent:
            keys.update(r.key for r in item.reasons)
    assert {"question", "case", "callback", "reconnect"} <= keys


def test_demo_links_follow_its_port_unless_site_url_is_set(settings, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    settings.SITE_URL = "http://127.0.0.1:8000"
    demo_command.site_url_follow("http://127.0.0.1:8001")
    assert settings.SITE_URL == "http://127.0.0.1:8001"

    monkeypatch.setenv("SITE_URL", "https://warmline.example.com")
    settings.SITE_URL = "https://warmline.example.com"
    demo_command.site_url_follow("http://127.0.0.1:8002")
    assert settings.SITE_URL == "https://warmline.example.com"
