"""Export and import: the company owns its data and can take it away and bring it back.

The round trip builds a realistic small company through the real services, exports it,
wipes every people/timeline/users row (a fresh database), imports the export back and
compares everything by uuid, field by field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, ContactFactory, UserFactory
from warmline.people.exporting import export_write_directory
from warmline.people.importing import import_path, import_vcards
from warmline.people.models import Account, Contact, ImportantDate, PersonalFact, Tag
from warmline.people.search import search_text_build
from warmline.people.selectors import ContactFilters, contact_list
from warmline.people.services import (
    ContactData,
    account_save,
    contact_create,
    contact_update,
    fact_add,
    important_date_add,
)
from warmline.people.vcard import VCard, vcard_build, vcard_fold, vcard_read
from warmline.timeline.models import Interaction, Kind
from warmline.timeline.services import (
    call_log,
    interaction_correct,
    interaction_create,
    meeting_log,
    note_add,
)
from warmline.users.models import Role, Team, User

NOW = timezone.now().replace(microsecond=0)


# --- A small, realistic company --------------------------------------------------------


def build_dataset(company: Any) -> dict[str, Any]:
    """Two teams' books with every kind of row, including awkward text."""
    acme = account_save(
        account=Account(
            name="Acme, Inc.",
            domain="www.Acme.com",
            industry="Pumps",
            tier="key",
            owner=company.rep,
            phone="030 901820",
            country="DE",
            city="Berlin",
            notes='Line one\nLine two, with "quotes" and ; semicolons',
        )
    )
    west_co = AccountFactory(name="Westwind GmbH", owner=company.outsider_rep, country="US")
    dana = contact_create(
        data=ContactData(
            first_name="Dana",
            last_name="Müller-Świątek",
            title="Head of Purchasing",
            account=acme,
            owner=company.rep,
            emails=[("Dana@Acme.com", "work"), ("dana.m@gmail.com", "home")],
            phones=[
                ("030 901820", "work"),
                ("+49 151 23456789", "mobile"),
                ("+14155552671", "assistant"),
            ],
            stage="customer",
            interests=["Pumps", "sustainability"],
            email_opt_in=True,
            do_not_call=False,
            reconnect_days=45,
        )
    )
    formula = ContactFactory(
        first_name='=HYPERLINK("http://evil")',
        last_name="-Smith",
        owner=company.rep2,
        emails=[("eve@example.com", "work;other")],
        phones=[("(415) 555-0133", "")],
        interests=["a, b"],
        do_not_call=True,
    )
    unassigned = ContactFactory(first_name="Una", last_name="Signed", owner=None, email_opt_in=True)
    # Opted in, then out: when she had agreed is kept.
    contact_update(
        contact=unassigned,
        data=ContactData(first_name="Una", last_name="Signed", emails=[("una@example.com", "")]),
    )
    assert unassigned.email_opt_in_at is not None and not unassigned.email_opt_in
    west = ContactFactory(
        first_name="Wes", last_name="Tern", owner=company.outsider_rep, account=west_co
    )
    fact_add(contact=dana, kind="family", text="Two kids, Maya and Leo", actor=company.rep)
    fact_add(contact=dana, kind="hobby", text="Runs marathons; did Berlin twice", actor=company.rep)
    fact_add(contact=west, kind="other", text="Prefers mornings", actor=company.outsider_rep)
    important_date_add(contact=dana, kind="birthday", date=dt.date(1980, 4, 12))
    important_date_add(
        contact=dana,
        kind="customer_anniversary",
        date=dt.date(2015, 9, 1),
        label="Customer since",
    )
    important_date_add(
        contact=west, kind="promotion", date=dt.date(2024, 1, 5), recurs_yearly=False
    )
    note = note_add(
        contact=dana,
        author=company.rep,
        body='Met at the fair.\nAsked about the ÜX-200, pricing "soon"',
        occurred_at=NOW - dt.timedelta(days=40),
    )
    call_log(
        contact=dana,
        author=company.rep,
        outcome="connected",
        body="Good call",
        occurred_at=NOW - dt.timedelta(days=3),
    )
    call_log(
        contact=formula,
        author=company.rep2,
        outcome="voicemail",
        occurred_at=NOW - dt.timedelta(days=2),
    )
    meeting_log(
        contact=west,
        author=company.outsider_rep,
        subject="Lunch",
        occurred_at=NOW - dt.timedelta(days=10),
    )
    interaction_create(
        contact=dana,
        kind=Kind.CASE_OPENED,
        source="service_desk",
        external_id="ZD-42",
        subject="Pump leaking",
        direction="inbound",
        data={"priority": "high", "tags": ["leak", "urgent"], "n": 3},
        occurred_at=NOW - dt.timedelta(days=1),
    )
    interaction_correct(original=note, author=company.rep, body="It was the spring fair")
    return {"dana": dana, "formula": formula, "unassigned": unassigned, "west": west}


def snapshot() -> dict[str, Any]:
    """Everything the export promises to carry, keyed by uuid (users by username)."""

    def stamp(value: dt.datetime | None) -> str | None:
        return value.astimezone(dt.UTC).isoformat() if value else None

    users = {
        u.username: (
            u.email,
            u.first_name,
            u.last_name,
            u.role,
            u.team.name if u.team else "",
            u.title,
            u.direct_phone,
            u.mobile_phone,
            u.time_zone,
        )
        for u in User.objects.select_related("team")
    }
    teams = {
        t.name: (t.manager.username if t.manager else "", t.time_zone)
        for t in Team.objects.select_related("manager")
    }
    accounts = {
        str(a.uuid): (
            a.name,
            a.domain,
            a.industry,
            a.tier,
            a.owner.username if a.owner else "",
            a.phone,
            a.website,
            a.city,
            a.country,
            a.notes,
            stamp(a.created_at),
            stamp(a.updated_at),
        )
        for a in Account.objects.select_related("owner")
    }
    contacts = {
        str(c.uuid): {
            "names": (c.first_name, c.last_name, c.title),
            "account": str(c.account.uuid) if c.account else "",
            "owner": c.owner.username if c.owner else "",
            "email": c.email,
            "phone": c.phone,
            "emails": [(e.address, e.label, e.is_primary) for e in c.emails.all()],
            "phones": [(p.number, p.label, p.is_primary) for p in c.phones.all()],
            "interests": sorted(t.name for t in c.interests.all()),
            "consent": (c.email_opt_in, stamp(c.email_opt_in_at), c.do_not_call),
            "cadence": c.reconnect_days,
            "time_zone": c.time_zone,
            "stage": c.stage,
            "last_touch_at": stamp(c.last_touch_at),
            "search_text": c.search_text,
            "created_at": stamp(c.created_at),
            "updated_at": stamp(c.updated_at),
        }
        for c in Contact.objects.select_related("account", "owner").prefetch_related(
            "emails", "phones", "interests"
        )
    }
    facts = {
        str(f.uuid): (
            str(f.contact.uuid),
            f.kind,
            f.text,
            f.created_by.username if f.created_by else "",
            stamp(f.created_at),
        )
        for f in PersonalFact.objects.select_related("contact", "created_by")
    }
    dates = {
        str(d.uuid): (str(d.contact.uuid), d.kind, d.label, d.date, d.recurs_yearly, d.month_day)
        for d in ImportantDate.objects.select_related("contact")
    }
    interactions = {
        str(i.uuid): (
            str(i.contact.uuid),
            str(i.account.uuid) if i.account else "",
            i.kind,
            i.direction,
            i.outcome,
            i.author.username if i.author else "",
            i.subject,
            i.body,
            stamp(i.occurred_at),
            stamp(i.created_at),
            i.source,
            i.external_id,
            i.is_personal,
            str(i.corrects.uuid) if i.corrects else "",
            i.data,
        )
        for i in Interaction.objects.select_related("contact", "account", "author", "corrects")
    }
    return {
        "users": users,
        "teams": teams,
        "accounts": accounts,
        "contacts": contacts,
        "facts": facts,
        "dates": dates,
        "interactions": interactions,
    }


def wipe() -> None:
    """A fresh database. Interaction.delete() refuses, but QuerySet.delete() does not call
    it; corrections go first because `corrects` is PROTECT."""
    Interaction.objects.exclude(corrects=None).delete()
    Interaction.objects.all().delete()
    ImportantDate.objects.all().delete()
    PersonalFact.objects.all().delete()
    Contact.objects.all().delete()
    Account.objects.all().delete()
    Tag.objects.all().delete()
    Team.objects.all().delete()
    User.objects.all().delete()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- Round trip ------------------------------------------------------------------------


@pytest.mark.django_db
def test_round_trip_export_fresh_db_import_is_equal(company, tmp_path):
    people = build_dataset(company)
    before = snapshot()
    assert len(before["interactions"]) == 6
    assert before["contacts"][str(people["dana"].uuid)]["last_touch_at"] is not None

    exported = export_write_directory(directory=tmp_path / "out")
    assert exported.counts["contacts"] == 4
    assert exported.counts["interactions"] == 6

    wipe()
    assert not Contact.objects.exists() and not User.objects.exists()

    result = import_path(path=tmp_path / "out")
    assert result.errors == []
    after = snapshot()
    for key in ("teams", "accounts", "contacts", "facts", "dates", "interactions"):
        assert after[key] == before[key], key
    assert after["users"] == before["users"]
    # Staff come back inactive and without a usable password.
    assert not User.objects.filter(is_active=True).exists()
    assert not any(u.has_usable_password() for u in User.objects.all())
    assert result.tallies["contacts"].created == 4
    assert result.tallies["interactions"].created == 6
    assert result.summary == "4 contacts, 2 accounts, 6 timeline entries"
    # Search finds the imported contacts by name, company and any phone formatting.
    admin = User.objects.get(username="ada")
    for q in ("müller", "acme", "0151 23456789"):
        found = contact_list(user=admin, filters=ContactFilters(q=q))
        assert [c.uuid for c in found] == [people["dana"].uuid], q


@pytest.mark.django_db
def test_reimport_changes_nothing_and_creates_no_duplicates(company, tmp_path):
    build_dataset(company)
    export_write_directory(directory=tmp_path / "out")
    before = snapshot()
    first = import_path(path=tmp_path / "out")
    second = import_path(path=tmp_path / "out")
    for result in (first, second):
        assert result.errors == []
        for tally in result.tallies.values():
            assert tally.created == tally.updated == 0
    assert second.tallies["contacts"].unchanged == 4
    assert second.tallies["interactions"].unchanged == 6
    assert snapshot() == before
    updated = {c.uuid: c.updated_at for c in Contact.objects.all()}
    import_path(path=tmp_path / "out")
    assert {c.uuid: c.updated_at for c in Contact.objects.all()} == updated


@pytest.mark.django_db
def test_import_updates_changed_rows_and_keeps_history_append_only(company, tmp_path):
    people = build_dataset(company)
    export_write_directory(directory=tmp_path / "out")
    dana = people["dana"]
    contacts_csv = tmp_path / "out" / "contacts.csv"
    rows = read_csv(contacts_csv)
    for row in rows:
        if row["uuid"] == str(dana.uuid):
            row["title"] = "VP Purchasing"
            row["phones"] = "work:+49 30 901820; mobile:+49 151 99999999"
    with contacts_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    result = import_path(path=tmp_path / "out")

    assert result.errors == []
    assert result.tallies["contacts"].updated == 1
    assert result.tallies["contacts"].unchanged == 3
    dana.refresh_from_db()
    assert dana.title == "VP Purchasing"
    assert list(dana.phones.values_list("number", flat=True)) == ["+4930901820", "+4915199999999"]
    assert "4915199999999" in dana.search_text
    assert Contact.objects.count() == 4


@pytest.mark.django_db
def test_last_touch_and_search_text_are_rebuilt(company, tmp_path):
    people = build_dataset(company)
    export_write_directory(directory=tmp_path / "out")
    # A hand-made file that says nothing about last_touch_at: the timeline decides.
    contacts_csv = tmp_path / "out" / "contacts.csv"
    rows = read_csv(contacts_csv)
    for row in rows:
        row["last_touch_at"] = ""
    with contacts_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    wipe()

    import_path(path=tmp_path / "out")

    dana = Contact.objects.get(uuid=people["dana"].uuid)
    # The connected call 3 days ago is the latest personal touch (the case is not one).
    assert dana.last_touch_at == NOW - dt.timedelta(days=3)
    assert Contact.objects.get(uuid=people["formula"].uuid).last_touch_at is None  # voicemail
    assert dana.search_text == search_text_build(
        first_name=dana.first_name,
        last_name=dana.last_name,
        title=dana.title,
        company="Acme, Inc.",
        emails=dana.emails.values_list("address", flat=True),
        phones=dana.phones.values_list("number", flat=True),
    )
    assert "acme, inc." in dana.search_text and "dana@acme.com" in dana.search_text


# --- The files ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_files_are_readable_and_complete(company, tmp_path):
    people = build_dataset(company)
    out = tmp_path / "out"
    export_write_directory(directory=out)

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == 1
    assert manifest["counts"]["contacts"] == 4
    assert manifest["counts"]["interactions"] == 6
    assert manifest["created_at"]

    users = read_csv(out / "users.csv")
    assert {u["username"] for u in users} == set(User.objects.values_list("username", flat=True))
    assert all("password" not in key for key in users[0])
    assert not any("md5$" in v for u in users for v in u.values())

    contacts = {r["uuid"]: r for r in read_csv(out / "contacts.csv")}
    dana = contacts[str(people["dana"].uuid)]
    assert dana["emails"] == "work:dana@acme.com; home:dana.m@gmail.com"
    assert dana["phones"] == "work:+4930901820; mobile:+4915123456789; assistant:+14155552671"
    assert dana["interests"] == "pumps; sustainability"
    assert dana["owner"] == "rita"
    assert dana["account_name"] == "Acme, Inc."
    assert dana["email_opt_in"] == "true" and dana["email_opt_in_at"]
    assert dana["reconnect_days"] == "45"
    # Cells a spreadsheet would run as a formula are guarded with one apostrophe.
    formula = contacts[str(people["formula"].uuid)]
    assert formula["first_name"] == '\'=HYPERLINK("http://evil")'
    assert formula["last_name"] == "'-Smith"
    assert formula["emails"] == "work\\;other:eve@example.com"

    entries = read_csv(out / "interactions.csv")
    case = next(e for e in entries if e["external_id"] == "ZD-42")
    assert json.loads(case["data"]) == {"priority": "high", "tags": ["leak", "urgent"], "n": 3}
    correction = next(e for e in entries if e["kind"] == "correction")
    original = next(e for e in entries if e["uuid"] == correction["corrects_uuid"])
    assert entries.index(original) < entries.index(correction)
    call = next(e for e in entries if e["kind"] == "call")
    assert call["outcome"] == "connected" and call["is_personal"] == "true"
    assert call["author"] == "rita" and call["contact_uuid"] == str(people["dana"].uuid)

    cards = {c.uid: c for c in vcard_read((out / "contacts.vcf").read_text(encoding="utf-8"))}
    card = cards[str(people["dana"].uuid)]
    assert card.org == "Acme, Inc."
    assert card.birthday == dt.date(1980, 4, 12)
    assert card.categories == ["pumps", "sustainability"]
    assert card.phones[2] == ("+14155552671", "assistant")
    assert "Family: Two kids, Maya and Leo" in card.note_lines


@pytest.mark.django_db
def test_export_streams_with_a_bounded_number_of_queries(
    company, tmp_path, django_assert_max_num_queries
):
    def export_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            export_write_directory(directory=tmp_path / f"q{Contact.objects.count()}")
        return len(ctx.captured_queries)

    contact = ContactFactory(owner=company.rep)
    note_add(contact=contact, author=company.rep, body="one")
    few = export_queries()
    for n in range(20):
        c = ContactFactory(owner=company.rep, phones=[(f"+1415555{n:04d}", "work")])
        fact_add(contact=c, kind="hobby", text="golf", actor=company.rep)
        note_add(contact=c, author=company.rep, body=f"note {n}")
    many = export_queries()
    assert many == few


# --- Importing bad rows ------------------------------------------------------------------


@pytest.mark.django_db
def test_bad_phone_is_reported_and_good_rows_go_in(company, tmp_path):
    people = build_dataset(company)
    out = tmp_path / "out"
    export_write_directory(directory=out)
    wipe()
    lines = (out / "contacts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    dana_uuid = str(people["dana"].uuid)
    # Every text row of this file is one CSV row (Dana has no line breaks in her cells).
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith(dana_uuid))
    lines[number - 1] = lines[number - 1].replace("mobile:+4915123456789", "mobile:555")
    (out / "contacts.csv").write_text("".join(lines), encoding="utf-8")

    result = import_path(path=out)

    messages = [str(e) for e in result.errors]
    assert messages[0].startswith(f"contacts.csv line {number}: phone: “555” is not a valid")
    assert result.tallies["contacts"].created == 3
    assert result.tallies["contacts"].rejected == 1
    assert not Contact.objects.filter(uuid=dana_uuid).exists()
    assert Contact.objects.count() == 3
    # What hangs off Dana is reported too, pointing at the row that was refused.
    assert any(
        m.startswith("personal_facts.csv line 2: contact")
        and f"was not imported (see contacts.csv line {number})" in m
        for m in messages
    )
    assert result.tallies["interactions"].rejected == 4  # note, call, case, correction
    assert Interaction.objects.count() == 2
    assert result.tallies["important_dates"].created == 1


@pytest.mark.django_db
def test_bad_cells_are_reported_with_line_and_reason(company, tmp_path):
    company.rep  # noqa: B018 - staff exist
    out = tmp_path / "in"
    out.mkdir()
    (out / "accounts.csv").write_text(
        "uuid,name,tier,owner,country\n"
        "not-a-uuid,Broken Ltd,standard,,\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0a001,Good Ltd,standard,rita,GB\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0a002,Bad Tier,golden,,\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0a003,Ghost owner,standard,nobody,\n",
        encoding="utf-8",
    )
    (out / "contacts.csv").write_text(
        "uuid,first_name,owner,account_uuid,stage,email_opt_in\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b001,Ann,rita,6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0a001,customer,yes\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b002,,rita,,customer,\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b003,Bo,rita,,customer,maybe\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b004,Cy,rita,6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0a002,customer,\n",
        encoding="utf-8",
    )
    (out / "interactions.csv").write_text(
        "uuid,contact_uuid,kind,occurred_at\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0c001,6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b001,note,2024-05-01T10:00:00Z\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0c002,6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b001,gossip,2024-05-01\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0c003,6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b001,note,2999-01-01T00:00:00Z\n",
        encoding="utf-8",
    )

    result = import_path(path=out)

    messages = [str(e) for e in result.errors]
    assert messages == [
        "accounts.csv line 2: uuid “not-a-uuid” is not a uuid.",
        "accounts.csv line 4: tier “golden” is not one of: standard, key.",
        "accounts.csv line 5: owner “nobody” is not a Warmline user (add them to users.csv).",
        "contacts.csv line 3: first name: Enter the contact's first name.",
        "contacts.csv line 4: email_opt_in “maybe” should be true or false.",
        "contacts.csv line 5: account 6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0a002 was not imported "
        "(see accounts.csv line 4).",
        "interactions.csv line 3: kind “gossip” is not one of: call, voicemail, email, meeting, "
        "note, question, case_opened, case_updated, case_resolved, newsletter_sent, "
        "newsletter_opened, newsletter_clicked, page_viewed, checkin_note, correction.",
        "interactions.csv line 4: occurred_at 2999-01-01T00:00:00+00:00 is in the future.",
    ]
    ann = Contact.objects.get(first_name="Ann")
    assert ann.account.name == "Good Ltd" and ann.email_opt_in
    assert ann.interactions.get().source == "import"


@pytest.mark.django_db
def test_dry_run_validates_everything_and_saves_nothing(company, tmp_path):
    build_dataset(company)
    export_write_directory(directory=tmp_path / "out")
    wipe()
    result = import_path(path=tmp_path / "out", dry_run=True)
    assert result.errors == []
    assert result.tallies["interactions"].created == 6  # facts and timeline found their contacts
    assert not Contact.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_a_correction_before_its_original_is_still_linked(company, tmp_path):
    build_dataset(company)
    out = tmp_path / "out"
    export_write_directory(directory=out)
    text = (out / "interactions.csv").read_text(encoding="utf-8")
    header, *rows = list(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(reversed(rows))  # corrections now come first
    (out / "interactions.csv").write_text(buffer.getvalue(), encoding="utf-8")
    before = snapshot()
    wipe()

    result = import_path(path=out)

    assert result.errors == []
    assert snapshot()["interactions"] == before["interactions"]


# --- vCard -------------------------------------------------------------------------------


def test_vcard_escapes_and_folds_per_rfc():
    card = VCard(
        uid="0c7e3c2a-1b1f-4a39-9d6d-5b3a9c5f7e11",
        first_name="Zoë",
        last_name="O'Brien; Jr",
        org="Smith, Jones & Co.",
        title="Ünïcode " * 12,
        emails=[("zoe@example.com", "work"), ("z@home.example", "home")],
        phones=[("+14155550123", "mobile"), ("+14155550124", "assistant")],
        birthday=dt.date(1990, 2, 28),
        note_lines=["Family: two kids", "Likes: coffee, tea\\milk"],
        categories=["pumps", "a,b"],
    )
    text = vcard_build(card)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCARD" and lines[1] == "VERSION:3.0"
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "N:O'Brien\\; Jr;Zoë;;;" in lines
    assert "ORG:Smith\\, Jones & Co." in lines
    assert "EMAIL;TYPE=INTERNET,WORK,PREF:zoe@example.com" in lines
    assert "TEL;TYPE=CELL,PREF:+14155550123" in lines
    assert "item1.TEL:+14155550124" in lines and "item1.X-ABLabel:assistant" in lines
    assert "BDAY:1990-02-28" in lines
    assert "NOTE:Family: two kids\\nLikes: coffee\\, tea\\\\milk" in lines
    assert "CATEGORIES:pumps,a\\,b" in lines

    (back,) = vcard_read(text)
    assert back.errors == []
    assert (back.first_name, back.last_name) == ("Zoë", "O'Brien; Jr")
    assert back.org == "Smith, Jones & Co."
    assert back.title == card.title.strip()
    assert back.emails == [("zoe@example.com", "work"), ("z@home.example", "home")]
    assert back.phones == [("+14155550123", "mobile"), ("+14155550124", "assistant")]
    assert back.birthday == dt.date(1990, 2, 28)
    assert back.note_lines == card.note_lines
    assert back.categories == ["pumps", "a,b"]
    assert back.uid == card.uid


def test_vcard_folding_never_splits_a_character():
    line = "NOTE:" + "€" * 60
    folded = vcard_fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join([pieces[0], *(p[1:] for p in pieces[1:])]) == line


def test_vcard_build_folds_by_octets_not_characters():
    # 40 characters but 120 octets: a writer that counts characters leaves it whole.
    text = vcard_build(VCard(first_name="Yui", note_lines=["€" * 40]))
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    (back,) = vcard_read(text)
    assert back.note_lines == ["€" * 40]


IPHONE_CARD = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "N:Appleseed;Johnny;;;\r\n"
    "FN:Johnny Appleseed\r\n"
    "ORG:Apple Inc.;Sales\r\n"
    "TITLE:Account Manager\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:johnny@example.com\r\n"
    "EMAIL;type=INTERNET;type=WORK:j.appleseed@apple.example\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:(415) 555-0100\r\n"
    "item1.TEL:+44 20 7946 0958\r\n"
    "item1.X-ABLabel:_$!<Other>!$_\r\n"
    "item2.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;United States\r\n"
    "item2.X-ABADR:us\r\n"
    "NOTE:Met at WWDC\\, loves\r\n"
    "  hiking\r\n"
    "BDAY:1976-04-01\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQ\r\n"
    " oHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkF\r\n"
    "END:VCARD\r\n"
)

ANDROID_CARD = (
    "BEGIN:VCARD\n"
    "VERSION:2.1\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4D=C3=BC=6C=6C=65=72;J=C3=BC=72=67=65=6E;;;\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BC=72=67=65=6E =4D=C3=BC=6C=6C=65=72\n"
    "TEL;CELL;PREF:+49 151 23456789\n"
    "TEL;WORK:+49 30 901820\n"
    "EMAIL;HOME:juergen@example.de\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Lange Notiz, die =C3=BCber zwei Zeilen =\n"
    "geht\n"
    "END:VCARD\n"
)


def test_vcard_reads_what_phones_export():
    iphone, android = vcard_read(IPHONE_CARD + ANDROID_CARD)
    assert iphone.errors == []
    assert (iphone.first_name, iphone.last_name) == ("Johnny", "Appleseed")
    assert iphone.org == "Apple Inc."
    assert iphone.title == "Account Manager"
    assert iphone.emails == [("johnny@example.com", "home"), ("j.appleseed@apple.example", "work")]
    assert iphone.phones == [("(415) 555-0100", "mobile"), ("+44 20 7946 0958", "other")]
    assert iphone.note_lines == ["Met at WWDC, loves hiking"]
    assert iphone.birthday == dt.date(1976, 4, 1)
    assert iphone.line == 1

    assert android.errors == []
    assert (android.first_name, android.last_name) == ("Jürgen", "Müller")
    assert android.full_name == "Jürgen Müller"
    assert android.phones == [("+49 151 23456789", "mobile"), ("+49 30 901820", "work")]
    assert android.emails == [("juergen@example.de", "home")]
    assert android.note_lines == ["Lange Notiz, die über zwei Zeilen geht"]
    assert android.line == 21


def test_vcard_reader_reports_broken_cards_and_keeps_the_others():
    text = (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ok Person\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Bad Date\nBDAY:someday\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nTITLE:Nobody\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Cut Short\n"
    )
    ok, bad_date, nameless, cut = vcard_read(text)
    assert ok.errors == [] and (ok.first_name, ok.last_name) == ("Ok", "Person")
    assert bad_date.errors == ["line 8: BDAY “someday” is not a date we can read (use YYYY-MM-DD)."]
    assert nameless.errors == ["the card has no name (N or FN)."]
    assert cut.errors == ["the card has no END:VCARD (is the file cut short?)."]


def test_vcard_reader_counts_lines_across_blank_lines_and_keeps_unescaped_commas():
    text = (
        "\n"
        "BEGIN:VCARD\nVERSION:2.1\nFN:First Card\n\nBDAY:never\nEND:VCARD\n"
        "\n\n"
        "BEGIN:VCARD\nVERSION:2.1\nN:Doe;Jane\nTITLE:Sales, EMEA\nNOTE:a, b\\, c\nEND:VCARD\n"
    )
    first, second = vcard_read(text)
    assert first.line == 2
    assert first.errors == ["line 6: BDAY “never” is not a date we can read (use YYYY-MM-DD)."]
    assert second.line == 10 and second.errors == []
    assert second.title == "Sales, EMEA" and second.note_lines == ["a, b, c"]


@pytest.mark.django_db
def test_vcf_import_into_a_reps_book_is_idempotent(company, tmp_path):
    bad = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wrong Number\r\nTEL:555\r\nEND:VCARD\r\n"
    path = tmp_path / "phone.vcf"
    path.write_text(IPHONE_CARD + bad + ANDROID_CARD, encoding="utf-8")

    result = import_path(path=path, owner=company.rep)

    assert [str(e) for e in result.errors] == [
        "phone.vcf line 21: Wrong Number: phone: “555” is not a valid phone number for US. "
        "Check the digits, or add the country code (e.g. +49 …)."
    ]
    assert result.tallies["contacts"].created == 2
    johnny = Contact.objects.get(last_name="Appleseed")
    assert johnny.owner == company.rep
    assert johnny.account.name == "Apple Inc."
    assert johnny.phone == "+14155550100"
    assert johnny.email == "johnny@example.com"
    assert johnny.facts.get().text == "Met at WWDC, loves hiking"
    assert johnny.dates.get().date == dt.date(1976, 4, 1)
    jurgen = Contact.objects.get(last_name="Müller")
    assert jurgen.phone == "+4915123456789" and jurgen.time_zone == "Europe/Berlin"

    again = import_path(path=path, owner=company.rep)
    assert again.tallies["contacts"].unchanged == 2
    assert again.tallies["contacts"].created == 0
    assert Contact.objects.count() == 2
    assert PersonalFact.objects.count() == 2 and ImportantDate.objects.count() == 1


@pytest.mark.django_db
def test_own_vcf_export_imports_back_with_the_same_uuids(company, tmp_path):
    people = build_dataset(company)
    export_write_directory(directory=tmp_path / "out")
    data = (tmp_path / "out" / "contacts.vcf").read_bytes()
    wipe()
    owner = UserFactory(username="newrep", role=Role.REP)

    result = import_vcards(data=data, owner=owner)

    assert result.errors == []
    dana = Contact.objects.get(uuid=people["dana"].uuid)
    assert dana.owner == owner
    assert [(e.address, e.label) for e in dana.emails.all()] == [
        ("dana@acme.com", "work"),
        ("dana.m@gmail.com", "home"),
    ]
    assert [(p.number, p.label) for p in dana.phones.all()] == [
        ("+4930901820", "work"),
        ("+4915123456789", "mobile"),
        ("+14155552671", "assistant"),
    ]
    assert {(f.kind, f.text) for f in dana.facts.all()} == {
        ("family", "Two kids, Maya and Leo"),
        ("hobby", "Runs marathons; did Berlin twice"),
    }
    assert sorted(dana.interests.values_list("name", flat=True)) == ["pumps", "sustainability"]
    assert dana.dates.get().date == dt.date(1980, 4, 12)


# --- The UI --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rep_gets_no_export(client, company):
    build_dataset(company)
    client.force_login(company.rep)
    page = client.get(reverse("export"))
    assert page.status_code == 403
    assert "Export is for managers and administrators" in page.content.decode()
    download = client.post(reverse("export-download"))
    assert download.status_code == 403
    assert download["Content-Type"].startswith("text/html")


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.post(reverse("export-download"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def zip_rows(response: Any, name: str) -> list[dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    member = next(n for n in archive.namelist() if n.endswith("/" + name))
    return list(csv.DictReader(io.TextIOWrapper(archive.open(member), encoding="utf-8")))


@pytest.mark.django_db
def test_managers_zip_holds_only_their_teams_book(client, company):
    people = build_dataset(company)
    client.force_login(company.manager)

    page = client.get(reverse("export"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<strong>3</strong> contacts" in text  # rita's, ravi's and the unassigned one
    assert "warmline-export-" in text

    response = client.post(reverse("export-download"))
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="warmline-export-{today}.zip"'
    )
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = set(archive.namelist())
    assert f"warmline-export-{today}/contacts.vcf" in names
    assert f"warmline-export-{today}/manifest.json" in names

    def rows(name: str) -> list[dict[str, str]]:
        member = f"warmline-export-{today}/{name}"
        return list(csv.DictReader(io.TextIOWrapper(archive.open(member), encoding="utf-8")))

    contacts = {r["uuid"] for r in rows("contacts.csv")}
    assert contacts == {
        str(people["dana"].uuid),
        str(people["formula"].uuid),
        str(people["unassigned"].uuid),
    }
    assert (
        str(people["west"].uuid)
        not in archive.read(f"warmline-export-{today}/contacts.vcf").decode()
    )
    assert {r["name"] for r in rows("accounts.csv")} == {"Acme, Inc."}
    assert "Westwind GmbH" not in body.decode("latin-1")
    assert {r["contact_uuid"] for r in rows("interactions.csv")} <= contacts
    assert len(rows("interactions.csv")) == 5  # not Wes's lunch
    assert {r["text"] for r in rows("personal_facts.csv")} == {
        "Two kids, Maya and Leo",
        "Runs marathons; did Berlin twice",
    }
    usernames = {r["username"] for r in rows("users.csv")}
    assert {"maria", "rita", "ravi"} <= usernames
    assert "olga" not in usernames

    manifest = json.loads(archive.read(f"warmline-export-{today}/manifest.json"))
    assert manifest["scope"] == "visible to maria"
    assert manifest["counts"]["contacts"] == 3


@pytest.mark.django_db
def test_admin_download_holds_everything(client, company):
    build_dataset(company)
    client.force_login(company.admin)
    assert client.get(reverse("export")).status_code == 200
    response = client.post(reverse("export-download"))
    assert len(zip_rows(response, "contacts.csv")) == 4


@pytest.mark.django_db
def test_export_page_query_count_does_not_grow(client, company, django_assert_max_num_queries):
    client.force_login(company.manager)
    ContactFactory(owner=company.rep)
    with django_assert_max_num_queries(15) as few:
        assert client.get(reverse("export")).status_code == 200
    for n in range(15):
        contact = ContactFactory(owner=company.rep2)
        note_add(contact=contact, author=company.rep2, body=f"note {n}")
    with django_assert_max_num_queries(15) as many:
        assert client.get(reverse("export")).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The CLI -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cli_export_and_import(company, tmp_path):
    build_dataset(company)
    out = io.StringIO()
    call_command("export", str(tmp_path / "dump"), stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith(
        f"Exported 4 contacts, 2 accounts, 6 timeline entries to {tmp_path / 'dump'} in "
    )
    call_command("export", str(tmp_path / "dump.zip"), stdout=io.StringIO())
    assert zipfile.is_zipfile(tmp_path / "dump.zip")
    wipe()

    out = io.StringIO()
    call_command("import", str(tmp_path / "dump.zip"), stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "Imported 4 contacts, 2 accounts, 6 timeline entries from" in text
    assert "contacts                   4         0          0             0" in text
    assert Contact.objects.count() == 4 and Interaction.objects.count() == 6

    out = io.StringIO()
    call_command("import", str(tmp_path / "dump"), stdout=out, stderr=io.StringIO())
    assert "contacts                   0         0          4             0" in out.getvalue()


@pytest.mark.django_db
def test_cli_import_reports_bad_rows_and_fails(company, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "uuid,first_name,owner,phones\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b001,Ann,rita,+1 415 555 0100\n"
        "6b8c39b3-7f7e-4e1e-8c57-d9a3f6e0b002,Bo,rita,mobile:12\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="1 row was not imported"):
        call_command(
            "import", str(folder), "--report", str(report), stdout=io.StringIO(), stderr=err
        )
    assert "contacts.csv line 3: phone: “12” is not a valid phone number" in err.getvalue()
    assert Contact.objects.get().first_name == "Ann"
    assert read_csv(report)[0]["line"] == "3"


@pytest.mark.django_db
def test_cli_refuses_what_it_cannot_import(company, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import", str(tmp_path / "nope"))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CommandError, match="holds none of the export files"):
        call_command("import", str(tmp_path))
    (tmp_path / "cards.vcf").write_text(IPHONE_CARD)
    with pytest.raises(CommandError, match="--owner USERNAME"):
        call_command("import", str(tmp_path / "cards.vcf"))
    with pytest.raises(CommandError, match="already holds other files"):
        call_command("export", str(tmp_path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import", str(tmp_path / "cards.vcf"), "--owner", "rita", stdout=out)
    assert "Imported 1 contact, 1 account from" in out.getvalue()
    (tmp_path / "newer").mkdir()
    (tmp_path / "newer" / "manifest.json").write_text('{"schema_version": 99}')
    (tmp_path / "newer" / "teams.csv").write_text("name\n")
    with pytest.raises(CommandError, match="newer Warmline"):
        call_command("import", str(tmp_path / "newer"))
