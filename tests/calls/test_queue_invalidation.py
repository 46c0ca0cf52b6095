"""Every write that changes a call-queue reason marks the owner's snapshot stale, in its own
transaction: the people services say so (`reasons_changed`), the bulk writers (imports,
many-contact deletes) too, and personal touches reach the queue through the touches
registry. No model signals: `.update()` and bulk writes are covered the same way."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from tests.calls.conftest import make_overdue
from tests.factories import AccountFactory, ContactFactory
from warmline.calls.models import QueueSnapshot
from warmline.calls.queue import queue_snapshot_build
from warmline.calls.services import call_outcome_log, contact_cadence_set
from warmline.people.exporting import export_write_directory
from warmline.people.importing import import_path
from warmline.people.models import Account, Contact, ImportantDate, Tier
from warmline.people.services import (
    ContactData,
    account_save,
    contact_update,
    contacts_delete,
    important_date_add,
    important_date_remove,
)
from warmline.people.vcard import VCard, vcard_build
from warmline.timeline.models import Interaction, Kind
from warmline.timeline.services import interaction_create, meeting_log, note_add

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


def stale(user) -> bool:  # type: ignore[no-untyped-def]
    snap = QueueSnapshot.objects.get(rep=user)
    return snap.version > snap.built_version


def build(*users) -> None:  # type: ignore[no-untyped-def]
    for user in users:
        queue_snapshot_build(user=user, now=NOW)
        assert not stale(user)


@pytest.fixture
def ada(company):  # type: ignore[no-untyped-def]
    """A contact in the rep's book, at a standard-tier account, overdue for a call; both
    reps' snapshots freshly built."""
    account = AccountFactory(owner=company.rep, tier=Tier.STANDARD)
    contact = ContactFactory(
        owner=company.rep,
        account=account,
        first_name="Ada",
        phones=[("+1 212 555 0100", "work")],
        time_zone="America/New_York",
    )
    contact = make_overdue(contact, days=400, now=NOW)
    build(company.rep, company.rep2)
    return contact


def _data(contact: Contact, **changes) -> ContactData:  # type: ignore[no-untyped-def]
    values = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "account": contact.account,
        "owner": contact.owner,
        "phones": [(contact.phone, "work")],
        "time_zone": contact.time_zone,
        "stage": contact.stage,
        "do_not_call": contact.do_not_call,
        "reconnect_days": contact.reconnect_days,
    }
    values.update(changes)
    return ContactData(**values)


# --- Contacts -------------------------------------------------------------------------


def test_contact_form_save(rep_client, company, ada):
    response = rep_client.post(
        reverse("contact-edit", args=[ada.pk]),
        {
            "first_name": "Ada",
            "last_name": ada.last_name,
            "email": ada.email,
            "phone": ada.phone,
            "stage": "customer",
            "owner": company.rep.pk,
            "account": ada.account_id,
            "reconnect_days": "30",
        },
    )
    assert response.status_code == 302
    assert Contact.objects.get(pk=ada.pk).reconnect_days == 30
    assert stale(company.rep)
    assert not stale(company.rep2)


def test_a_new_contact(company, ada):
    ContactFactory(owner=company.rep, stage="lead")
    assert stale(company.rep)


@pytest.mark.parametrize(
    "change",
    [
        {"stage": "lead"},
        {"do_not_call": True},
        {"reconnect_days": 30},
        {"phones": [("+1 212 555 0199", "work")]},
    ],
)
def test_contact_update(company, ada, change):
    contact_update(contact=ada, data=_data(ada, **change))
    assert stale(company.rep)


def test_a_contact_moved_to_another_rep_makes_both_queues_stale(company, ada):
    contact_update(contact=ada, data=_data(ada, owner=company.rep2))
    assert stale(company.rep)
    assert stale(company.rep2)


def test_cadence_set_by_a_bulk_update(company, ada):
    contact_cadence_set(contact=ada, days=90)
    assert stale(company.rep)


def test_contacts_deleted(company, ada):
    contacts_delete(contacts=Contact.objects.filter(pk=ada.pk))
    assert not Contact.objects.filter(pk=ada.pk).exists()
    assert stale(company.rep)
    assert not stale(company.rep2)


def test_contacts_deleted_in_the_admin(client, company, ada):
    client.force_login(company.admin)
    response = client.post(
        reverse("admin:people_contact_changelist"),
        {"action": "delete_selected", "_selected_action": [ada.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=ada.pk).exists()
    assert stale(company.rep)


# --- Accounts -------------------------------------------------------------------------


def test_account_tier_change(company, ada):
    account = Account.objects.get(pk=ada.account_id)
    account.tier = Tier.KEY
    account_save(account=account)
    assert stale(company.rep)


def test_an_account_renamed_leaves_the_queue_alone(company, ada):
    account = Account.objects.get(pk=ada.account_id)
    account.name = "Renamed Inc."
    account_save(account=account)
    assert not stale(company.rep)


def test_account_tier_changed_in_the_admin(client, company, ada):
    account = Account.objects.get(pk=ada.account_id)
    client.force_login(company.admin)
    fields = ["name", "domain", "industry", "phone", "website", "city", "country", "notes"]
    data = {name: getattr(account, name) for name in fields}
    data.update(tier=Tier.KEY, owner=company.rep.pk)
    response = client.post(reverse("admin:people_account_change", args=[account.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Account.objects.get(pk=account.pk).tier == Tier.KEY
    assert stale(company.rep)


# --- Important dates ------------------------------------------------------------------


def test_date_added(company, ada):
    important_date_add(contact=ada, kind="birthday", date=dt.date(1980, 3, 11))
    assert stale(company.rep)


def test_date_added_and_removed_through_the_contact_page(rep_client, company, ada):
    url = reverse("contact-date-add", args=[ada.pk])
    response = rep_client.post(url, {"date-kind": "birthday", "date-date": "1980-03-11"}, **HTMX)
    assert response.status_code == 200
    assert stale(company.rep)
    build(company.rep)
    item = ImportantDate.objects.get(contact=ada)
    remove = reverse("contact-date-remove", args=[ada.pk, item.pk])
    assert rep_client.post(remove, **HTMX).status_code == 200
    assert stale(company.rep)


def test_date_removed(company, ada):
    item = important_date_add(contact=ada, kind="birthday", date=dt.date(1980, 3, 11))
    build(company.rep)
    important_date_remove(item=item)
    assert stale(company.rep)


# --- Personal touches -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["meeting", "email"])
def test_a_personal_touch(company, ada, kind):
    if kind == "meeting":
        meeting_log(contact=ada, author=company.rep, subject="Lunch", occurred_at=NOW)
    else:
        interaction_create(contact=ada, kind=Kind.EMAIL, author=company.rep, subject="Hello")
    assert stale(company.rep)
    assert not stale(company.rep2)


def test_a_note_or_a_call_attempt_leaves_the_queue_alone(company, ada):
    """A note is not a personal touch; a call attempt is read live by the queue."""
    note_add(contact=ada, author=company.rep, body="Likes golf")
    call_outcome_log(rep=company.rep, contact=ada, outcome="no_answer", now=NOW)
    assert not stale(company.rep)


def test_do_not_call_from_call_mode_marks_the_queue_stale(company, ada):
    """The outcome sets do-not-call with an UPDATE: the ready/held counts must follow."""
    call_outcome_log(rep=company.rep, contact=ada, outcome="do_not_call", now=NOW)
    assert stale(company.rep)


# --- Imports --------------------------------------------------------------------------


def _export_then_forget(tmp_path: Path, *, keep: set[str]) -> Path:
    out = tmp_path / "out"
    export_write_directory(directory=out)
    for path in out.iterdir():
        if path.name not in keep:
            path.unlink()
    return out


def test_dates_imported_in_bulk(company, ada, tmp_path):
    """Dates come in through bulk_create: no model signal ever saw them."""
    important_date_add(contact=ada, kind="birthday", date=dt.date(1980, 3, 11))
    out = _export_then_forget(tmp_path, keep={"contacts.csv", "important_dates.csv"})
    ImportantDate.objects.filter(contact=ada).delete()
    build(company.rep)

    result = import_path(path=out)

    assert result.tally("important_dates").created == 1
    assert result.tally("contacts").unchanged == 1  # the contact itself was not saved
    assert stale(company.rep)


def test_personal_touches_imported_in_bulk(company, ada, tmp_path):
    meeting_log(contact=ada, author=company.rep, subject="Lunch", occurred_at=NOW)
    out = _export_then_forget(tmp_path, keep={"interactions.csv"})
    with (out / "interactions.csv").open(newline="", encoding="utf-8-sig") as handle:
        assert [row["kind"] for row in csv.DictReader(handle)] == ["meeting"]
    entries = Interaction.objects.filter(contact=ada)
    entries._raw_delete(entries.db)  # (append-only through the app; gone for this test)
    make_overdue(ada, days=400, now=NOW)
    build(company.rep)

    result = import_path(path=out)

    assert result.tally("interactions").created == 1
    assert Contact.objects.get(pk=ada.pk).last_touch_at == NOW
    assert stale(company.rep)


def test_vcard_import_with_a_birthday(company, ada, tmp_path):
    card = VCard(first_name="Bea", last_name="Birthday", birthday=dt.date(1985, 3, 12))
    path = tmp_path / "cards.vcf"
    path.write_text(vcard_build(card), encoding="utf-8")
    build(company.rep)

    import_path(path=path, owner=company.rep)

    assert ImportantDate.objects.filter(contact__first_name="Bea").exists()
    assert stale(company.rep)
