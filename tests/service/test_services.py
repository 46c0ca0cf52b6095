"""Case services: timeline entries for every change, SLA timing, pauses, contacts for
incoming e-mail addresses, validation that writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import AccountFactory, UserFactory
from tests.service.conftest import Book
from warmline.people.models import Contact
from warmline.service.models import Case, SlaPolicy, Status
from warmline.service.services import (
    CaseData,
    case_acknowledge,
    case_call_log,
    case_contact_resolve,
    case_create,
    case_note_add,
    case_update,
    sla_retime_open_cases,
)
from warmline.timeline.models import Interaction, Kind


def _open(book: Book, minutes_ago: int = 0, **kwargs) -> Case:  # type: ignore[no-untyped-def]
    data = CaseData(
        subject=kwargs.pop("subject", "Pump leaking"),
        opened_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **kwargs,
    )
    return case_create(contact=book.dana, data=data, actor=book.company.agent)


def test_create_writes_case_timeline_entry_and_sla_deadlines(book: Book) -> None:
    case = _open(book, minutes_ago=5, description="Water on the floor")
    entry = Interaction.objects.get(contact=book.dana, kind=Kind.CASE_OPENED)
    assert entry.data["case_id"] == case.pk
    assert entry.subject == "Case opened: Pump leaking"
    assert entry.body == "Water on the floor"
    assert case.account == book.account
    assert case.sla_policy is not None and case.sla_policy.name == "Normal"
    assert case.first_response_due_at == case.opened_at + dt.timedelta(minutes=20)
    assert case.resolution_due_at == case.opened_at + dt.timedelta(minutes=120)
    assert case.breach_at == case.first_response_due_at
    assert case.next_step_due_at == case.opened_at + dt.timedelta(minutes=10)


def test_every_change_is_a_timeline_entry_and_no_change_writes_nothing(book: Book) -> None:
    case = _open(book)
    agent = book.company.agent
    change = case_update(case=case, changes={"priority": "high"}, actor=agent)
    assert change.changed["priority"] == ("Normal", "High")
    assert Interaction.objects.filter(kind=Kind.CASE_UPDATED, data__case_id=case.pk).count() == 1

    again = case_update(case=case, changes={"priority": "high"}, actor=agent)
    assert not again.changed
    assert Interaction.objects.filter(contact=book.dana).count() == 2

    done = case_update(case=case, changes={"status": "resolved"}, actor=agent)
    resolved = Interaction.objects.get(kind=Kind.CASE_RESOLVED)
    assert resolved.data["case_id"] == case.pk
    assert done.case.resolved_at is not None
    assert done.case.first_response_at is not None  # resolving answers the customer too
    assert done.case.next_step_due_at is None and done.case.breach_at is None


def test_pending_customer_pauses_both_clocks_and_reopening_resumes(book: Book) -> None:
    now = timezone.now()
    case = _open(book, minutes_ago=60)
    opened = case.opened_at
    agent = book.company.agent
    change = case_update(
        case=case,
        changes={"status": Status.PENDING_CUSTOMER},
        actor=agent,
        when=now - dt.timedelta(minutes=50),
    )
    paused = change.case
    assert paused.first_response_at == now - dt.timedelta(minutes=50)
    assert paused.resolution_due_at is None and paused.next_step_due_at is None
    change = case_update(
        case=paused,
        changes={"status": Status.OPEN},
        actor=agent,
        when=now - dt.timedelta(minutes=20),
    )
    resumed = change.case
    # 30 minutes waiting on the customer do not count against the 120-minute resolution.
    assert resumed.resolution_due_at == opened + dt.timedelta(minutes=150)
    assert resumed.next_step_due_at == opened + dt.timedelta(minutes=90)  # resolution warn
    assert resumed.sla_pauses[0][1] is not None


def test_acknowledge_note_and_call_are_on_the_timeline(book: Book) -> None:
    case = _open(book)
    rep = book.company.rep
    case_acknowledge(case=case, user=rep)
    case_acknowledge(case=case, user=rep)  # idempotent
    note = case_note_add(case=case, author=rep, body="Customer is a key account, please hurry")
    case_call_log(case=case, author=rep, outcome="connected", body="Promised a visit")
    kinds = list(
        Interaction.objects.filter(data__case_id=case.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [Kind.CASE_OPENED, Kind.CASE_UPDATED, Kind.CASE_UPDATED, Kind.CALL]
    case.refresh_from_db()
    assert case.acknowledged_by == rep
    assert note.case == case
    with pytest.raises(ValidationError):
        case_note_add(case=case, author=rep, body="   ")


def test_invalid_case_writes_nothing(book: Book) -> None:
    with pytest.raises(ValidationError) as exc:
        case_create(
            contact=book.dana,
            data=CaseData(
                subject=" ",
                priority="critical",
                opened_at=timezone.now() + dt.timedelta(days=1),
            ),
            actor=None,
        )
    assert set(exc.value.message_dict) == {"subject", "priority", "opened_at"}
    assert not Case.objects.exists()
    assert not Interaction.objects.exists()


def test_unknown_email_creates_contact_under_matching_account(book: Book) -> None:
    contact, created = case_contact_resolve(email="Pat.Jones@ACME.example", name="")
    assert created
    assert contact.account == book.account and contact.owner == book.company.rep
    assert (contact.first_name, contact.last_name) == ("Pat", "Jones")
    assert contact.email == "pat.jones@acme.example"

    again, created_again = case_contact_resolve(email="pat.jones@acme.example")
    assert again == contact and not created_again

    sub, _ = case_contact_resolve(email="ops@support.acme.example", name="Ops Team")
    assert sub.account == book.account and sub.first_name == "Ops"


def test_unknown_domain_goes_to_the_unassigned_queue(book: Book) -> None:
    contact, created = case_contact_resolve(email="someone@nowhere.example", name="Sam Someone")
    assert created and contact.owner is None and contact.account is None
    ownerless = AccountFactory(name="Initech", domain="initech.example", owner=None)
    contact, _ = case_contact_resolve(email="bill@initech.example")
    assert contact.account == ownerless and contact.owner is None


def test_bad_email_is_a_field_error(book: Book) -> None:
    with pytest.raises(ValidationError) as exc:
        case_contact_resolve(email="not-an-address")
    assert "contact_email" in exc.value.message_dict
    assert Contact.objects.count() == 2


def test_tier_policy_wins_and_retime_follows_policy_edits(book: Book) -> None:
    case = _open(book)
    assert case.first_response_due_at == case.opened_at + dt.timedelta(minutes=20)
    book.account.tier = "key"
    book.account.save()
    SlaPolicy.objects.create(
        name="Key accounts", priority="normal", tier="key", first_response_breach_minutes=5
    )
    assert sla_retime_open_cases() == 1
    case.refresh_from_db()
    assert case.sla_policy is not None and case.sla_policy.tier == "key"
    assert case.first_response_due_at == case.opened_at + dt.timedelta(minutes=5)
    assert case.resolution_due_at is None


def test_only_agents_may_be_assigned(book: Book) -> None:
    rep = book.company.rep
    with pytest.raises(ValidationError) as exc:
        _open(book, assigned_agent=rep)
    assert "assigned_agent" in exc.value.message_dict
    inactive = UserFactory(username="gone", role="agent", is_active=False)
    with pytest.raises(ValidationError):
        _open(book, assigned_agent=inactive)
