"""The rep's contact and account pages: permissions, search, forms, htmx partials and the
number of queries each page costs (which must not grow with the book or the history)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, ContactFactory
from tests.queries import session_queries
from warmline.people.models import Contact, ImportantDate, PersonalFact
from warmline.people.services import fact_add, important_date_add
from warmline.timeline.models import Interaction, Kind, Outcome
from warmline.timeline.services import interaction_correct, note_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def dana(company):
    account = AccountFactory(name="Acme Pumps", domain="acme.com", country="US")
    return ContactFactory(
        owner=company.rep,
        account=account,
        first_name="Dana",
        last_name="Kowalski",
        title="Head of Purchasing",
        emails=[("dana@acme.com", "work")],
        phones=[("+1 415 555 2671", "work")],
        interests=["pumps"],
    )


@pytest.fixture
def olgas_contact(company):
    return ContactFactory(
        owner=company.outsider_rep,
        first_name="Oscar",
        last_name="Outside",
        emails=[("oscar@elsewhere.com", "work")],
        phones=[("+1 303 555 0199", "work")],
    )


def _bulk_contacts(owner, n, *, account=None, prefix="Bulk"):
    Contact.objects.bulk_create(
        Contact(
            owner=owner,
            account=account,
            first_name=f"{prefix}{i:04d}",
            last_name="Person",
            phone=f"+1212555{i:04d}",
            search_text=f"{prefix.lower()}{i:04d} person 1212555{i:04d}",
        )
        for i in range(n)
    )


def _bulk_interactions(contact, author, n):
    start = timezone.now() - dt.timedelta(days=n + 1)
    Interaction.objects.bulk_create(
        Interaction(
            contact=contact,
            account_id=contact.account_id,
            kind=Kind.CALL if i % 2 else Kind.NOTE,
            outcome=Outcome.CONNECTED if i % 2 else "",
            author=author,
            body=f"Entry {i}",
            occurred_at=start + dt.timedelta(days=i),
        )
        for i in range(n)
    )


# --- Permissions ----------------------------------------------------------------------


def test_owner_sees_contact_pages(rep_client, dana):
    for name in ("contact-detail", "contact-edit", "contact-timeline"):
        response = rep_client.get(reverse(name, args=[dana.pk]))
        assert response.status_code == 200, name
    assert rep_client.get(reverse("contact-list")).status_code == 200
    assert rep_client.get(reverse("contact-create")).status_code == 200


def test_another_reps_contact_is_a_404_everywhere(rep_client, olgas_contact):
    pk = olgas_contact.pk
    fact = fact_add(contact=olgas_contact, kind="family", text="Two kids", actor=None)
    date = important_date_add(contact=olgas_contact, kind="birthday", date=dt.date(1980, 5, 4))
    gets = ["contact-detail", "contact-edit", "contact-timeline", "contact-log"]
    for name in gets:
        assert rep_client.get(reverse(name, args=[pk])).status_code == 404, name
    posts = [
        (reverse("contact-edit", args=[pk]), {"first_name": "Hacked"}),
        (reverse("contact-log", args=[pk]), {"kind": "note", "note-body": "hi"}),
        (reverse("contact-fact-add", args=[pk]), {"fact-kind": "other", "fact-text": "x"}),
        (reverse("contact-fact-remove", args=[pk, fact.pk]), {}),
        (reverse("contact-date-add", args=[pk]), {"date-kind": "other", "date-date": "2020-01-01"}),
        (reverse("contact-date-remove", args=[pk, date.pk]), {}),
    ]
    for url, data in posts:
        assert rep_client.post(url, data).status_code == 404, url
    olgas_contact.refresh_from_db()
    assert olgas_contact.first_name == "Oscar"
    assert PersonalFact.objects.filter(pk=fact.pk).exists()
    assert ImportantDate.objects.filter(pk=date.pk).exists()
    assert not Interaction.objects.filter(contact=olgas_contact).exists()


def test_anonymous_is_sent_to_login(client, dana):
    response = client.get(reverse("contact-detail", args=[dana.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_read_only_agent_may_log_but_not_edit(client, company, dana):
    client.force_login(company.agent)
    page = client.get(reverse("contact-detail", args=[dana.pk]))
    assert page.status_code == 200
    assert reverse("contact-edit", args=[dana.pk]) not in page.content.decode()
    assert reverse("contact-fact-add", args=[dana.pk]) not in page.content.decode()
    response = client.post(
        reverse("contact-log", args=[dana.pk]), {"kind": "note", "note-body": "Customer called"}
    )
    assert response.status_code == 302
    assert Interaction.objects.filter(contact=dana, author=company.agent).count() == 1
    fact_url = reverse("contact-fact-add", args=[dana.pk])
    assert client.post(fact_url, {"fact-text": "x"}).status_code == 404
    assert client.get(reverse("contact-edit", args=[dana.pk])).status_code == 404
    assert client.get(reverse("contact-create")).status_code == 403


def test_manager_sees_team_contact_and_can_edit(client, company, dana):
    client.force_login(company.manager)
    page = client.get(reverse("contact-detail", args=[dana.pk]))
    assert page.status_code == 200
    assert reverse("contact-edit", args=[dana.pk]) in page.content.decode()
    client.force_login(company.other_manager)
    assert client.get(reverse("contact-detail", args=[dana.pk])).status_code == 404


# --- Contact list and search ----------------------------------------------------------


def test_list_shows_only_my_book(rep_client, dana, olgas_contact):
    body = rep_client.get(reverse("contact-list")).content.decode()
    assert "Dana Kowalski" in body
    assert "Acme Pumps" in body
    assert "+1 415-555-2671" in body  # display format
    assert 'href="tel:+14155552671"' in body
    assert "Oscar" not in body
    assert "never" in body  # no personal touch yet


def test_search_by_phone_fragment_through_the_view(rep_client, company, dana):
    for i in range(5):
        ContactFactory(
            owner=company.rep, first_name=f"Other{i}", phones=[(f"+1 212 555 01{i:02d}", "")]
        )
    response = rep_client.get(reverse("contact-list"), {"q": "555 26"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # the results partial only
    assert "Dana Kowalski" in body
    assert "Other1" not in body
    assert "HX-Request" in response["Vary"]
    # The same URL without htmx is the full, shareable page with the query filled in.
    full = rep_client.get(reverse("contact-list"), {"q": "(415) 555-26"}).content.decode()
    assert "<html" in full and "Dana Kowalski" in full and "Other1" not in full
    assert 'value="(415) 555-26"' in full


def test_search_by_name_email_and_company(rep_client, dana):
    for q in ("kowal", "dana@acme", "acme pumps", "DANA"):
        body = rep_client.get(reverse("contact-list"), {"q": q}, **HTMX).content.decode()
        assert "Dana Kowalski" in body, q
    body = rep_client.get(reverse("contact-list"), {"q": "zzz"}, **HTMX).content.decode()
    assert "No contacts match" in body


def test_filters_stage_tag_owner(client, company, dana):
    ContactFactory(owner=company.rep2, first_name="Ravis", last_name="Lead", stage="lead")
    client.force_login(company.manager)
    url = reverse("contact-list")
    body = client.get(url, {"stage": "lead"}).content.decode()
    assert "Ravis Lead" in body and "Dana Kowalski" not in body
    body = client.get(url, {"tag": "pumps"}).content.decode()
    assert "Dana Kowalski" in body and "Ravis Lead" not in body
    body = client.get(url, {"owner": company.rep2.pk}).content.decode()
    assert "Ravis Lead" in body and "Dana Kowalski" not in body
    # Nonsense filter values are ignored, not errors.
    assert client.get(url, {"owner": "x", "stage": "nope", "page": "-3"}).status_code == 200


def test_a_manager_lists_the_contacts_nobody_owns(client, company, dana):
    """Unassigned contacts (from a rep who left, or new from the service desk) are the
    manager's to hand out: the owner filter finds them. A rep has no such choice, and asking
    for it anyway shows their own book unfiltered, never someone else's contacts."""
    ContactFactory(owner=None, first_name="Nobodys", last_name="Customer")
    url = reverse("contact-list")
    client.force_login(company.manager)
    page = client.get(url).content.decode()
    assert '<option value="none">Unassigned</option>' in page
    body = client.get(url, {"owner": "none"}).content.decode()
    assert "Nobodys Customer" in body and "Dana Kowalski" not in body
    client.force_login(company.rep)
    assert 'value="none"' not in client.get(url).content.decode()
    body = client.get(url, {"owner": "none"}).content.decode()
    assert "Nobodys Customer" not in body and "Dana Kowalski" in body


def test_pagination_without_count(rep_client, company):
    _bulk_contacts(company.rep, 30)
    first = rep_client.get(reverse("contact-list")).content.decode()
    assert "1–25" in first
    assert "?page=2" in first
    assert "Bulk0024" in first and "Bulk0025" not in first
    second = rep_client.get(reverse("contact-list"), {"page": 2}).content.decode()
    assert "26–30" in second
    assert "Bulk0025" in second and "Bulk0029" in second
    assert "?page=1" in second


def test_contact_list_query_count_does_not_grow(rep_client, company, django_assert_num_queries):
    _bulk_contacts(company.rep, 10)
    # 1 session, 2 user, 3 page of contacts (26 rows, account + owner joined),
    # 4 owners for the filter, 5 interests (tags) for the filter
    with django_assert_num_queries(4 + session_queries()):
        rep_client.get(reverse("contact-list"))
    _bulk_contacts(company.rep, 490, prefix="More")
    with django_assert_num_queries(4 + session_queries()):
        response = rep_client.get(reverse("contact-list"))
    assert "1–25" in response.content.decode()
    # The htmx partial needs only the page: 1 session, 2 user, 3 page of contacts
    with django_assert_num_queries(2 + session_queries()):
        rep_client.get(reverse("contact-list"), {"q": "more"}, **HTMX)


# --- Contact page ---------------------------------------------------------------------


def test_contact_page_shows_the_header(rep_client, company, dana):
    fact_add(contact=dana, kind="family", text="Two kids, Maya and Leo", actor=company.rep)
    body = rep_client.get(reverse("contact-detail", args=[dana.pk])).content.decode()
    assert "Dana Kowalski" in body
    assert "Head of Purchasing" in body
    assert reverse("account-detail", args=[dana.account_id]) in body
    assert 'href="tel:+14155552671"' in body
    assert 'href="mailto:dana@acme.com"' in body
    assert "No e-mail consent" in body
    assert "America/Los_Angeles" in body  # local time zone
    assert "pumps" in body
    assert "Two kids, Maya and Leo" in body


def test_do_not_call_and_opt_in_badges(rep_client, company):
    contact = ContactFactory(
        owner=company.rep, do_not_call=True, email_opt_in=True, phones=[("+14155550100", "")]
    )
    body = rep_client.get(reverse("contact-detail", args=[contact.pk])).content.decode()
    assert "Do not call" in body
    assert "E-mail opt-in" in body


def test_timeline_is_escaped_newest_first_and_shows_corrections(rep_client, company, dana):
    first = note_add(contact=dana, author=company.rep, body="<script>alert(1)</script>\nline two")
    interaction_correct(original=first, author=company.rep, body="It was Tuesday, not Monday.")
    body = rep_client.get(reverse("contact-detail", args=[dana.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two" in body
    assert "Correction to the note of" in body
    assert body.index("It was Tuesday") < body.index("&lt;script&gt;")


def test_timeline_pages_with_show_older(rep_client, company, dana):
    _bulk_interactions(dana, company.rep, 25)
    body = rep_client.get(reverse("contact-detail", args=[dana.pk])).content.decode()
    assert "Entry 24" in body and "Entry 5" in body and "Entry 4<" not in body
    assert "Show older" in body
    start = body.index("?before=") + len("?before=")
    cursor = body[start : body.index('"', start)]
    older = rep_client.get(
        reverse("contact-timeline", args=[dana.pk]) + "?before=" + cursor, **HTMX
    ).content.decode()
    assert "<html" not in older
    for i in range(5):
        assert f"Entry {i}<" in older
    assert "Entry 5<" not in older
    assert "Show older" not in older
    bad = rep_client.get(reverse("contact-timeline", args=[dana.pk]), {"before": "garbage"})
    assert bad.status_code == 400


def test_contact_page_query_count_does_not_grow(
    rep_client, company, dana, django_assert_num_queries
):
    fact_add(contact=dana, kind="family", text="Two kids", actor=company.rep)
    important_date_add(contact=dana, kind="birthday", date=dt.date(1980, 5, 4))
    _bulk_interactions(dana, company.rep, 10)
    url = reverse("contact-detail", args=[dana.pk])
    # 1 session, 2 user, 3 contact (+ account, owner), 4 e-mails, 5 phones, 6 interests,
    # 7 timeline page (+ author, corrected entry), 8 facts, 9 dates
    with django_assert_num_queries(8 + session_queries()):
        rep_client.get(url)
    _bulk_interactions(dana, company.rep, 490)
    _bulk_contacts(company.rep, 500)
    with django_assert_num_queries(8 + session_queries()):
        response = rep_client.get(url)
    assert "Show older" in response.content.decode()


# --- Logging touches ------------------------------------------------------------------


def test_log_note_without_js_redirects(rep_client, company, dana):
    url = reverse("contact-log", args=[dana.pk])
    response = rep_client.post(url, {"kind": "note", "note-body": "Asked about the X200"})
    assert response.status_code == 302
    entry = Interaction.objects.get(contact=dana)
    assert entry.kind == Kind.NOTE and entry.author == company.rep
    assert entry.body == "Asked about the X200"
    page = rep_client.get(response["Location"]).content.decode()
    assert "Note added." in page and "Asked about the X200" in page


def test_log_call_with_htmx_returns_panel_and_new_entry(rep_client, dana):
    url = reverse("contact-log", args=[dana.pk])
    response = rep_client.post(
        url, {"kind": "call", "call-outcome": "connected", "call-body": "Happy"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="log-panel"' in body
    assert 'hx-swap-oob="afterbegin:#timeline-entries"' in body
    assert "Connected" in body and "Happy" in body
    assert 'id="last-touch" hx-swap-oob="true"' in body
    dana.refresh_from_db()
    assert dana.last_touch_at is not None


def test_log_error_keeps_what_was_typed(rep_client, dana):
    url = reverse("contact-log", args=[dana.pk])
    body = rep_client.post(
        url, {"kind": "call", "call-outcome": "", "call-body": "Talked about pumps"}, **HTMX
    ).content.decode()
    assert "Pick how the call went." in body
    assert "Talked about pumps" in body
    assert not Interaction.objects.filter(contact=dana).exists()
    # Without JS the whole page comes back with the call tab open and the text kept.
    page = rep_client.post(url, {"kind": "call", "call-body": "Talked about pumps"})
    assert page.status_code == 200
    assert "Pick how the call went." in page.content.decode()
    assert "Talked about pumps" in page.content.decode()


def test_log_meeting_in_the_future_is_refused(rep_client, dana):
    url = reverse("contact-log", args=[dana.pk])
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    body = rep_client.post(
        url,
        {"kind": "meeting", "meeting-subject": "Site visit", "meeting-when": when},
        **HTMX,
    ).content.decode()
    assert "cannot be logged in the future" in body
    assert 'value="Site visit"' in body
    past = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    rep_client.post(url, {"kind": "meeting", "meeting-subject": "Site visit", "meeting-when": past})
    assert Interaction.objects.get(contact=dana).kind == Kind.MEETING


def test_log_tab_switch(rep_client, dana):
    url = reverse("contact-log", args=[dana.pk])
    body = rep_client.get(url, {"kind": "meeting"}, **HTMX).content.decode()
    assert "Log meeting" in body and 'name="meeting-when"' in body
    response = rep_client.get(url, {"kind": "call"})
    assert response.status_code == 302 and "log=call" in response["Location"]
    page = rep_client.get(reverse("contact-detail", args=[dana.pk]), {"log": "call"})
    assert "Log call" in page.content.decode()
    assert rep_client.post(url, {"kind": "email"}).status_code == 400


# --- Facts and dates ------------------------------------------------------------------


def test_facts_add_and_remove(rep_client, dana):
    url = reverse("contact-fact-add", args=[dana.pk])
    body = rep_client.post(
        url, {"fact-kind": "hobby", "fact-text": "Runs marathons"}, **HTMX
    ).content.decode()
    assert 'id="facts"' in body and "Runs marathons" in body and "<html" not in body
    fact = PersonalFact.objects.get(contact=dana)
    body = rep_client.post(url, {"fact-kind": "hobby", "fact-text": "  "}, **HTMX).content.decode()
    assert "Write the fact down first." in body
    remove = reverse("contact-fact-remove", args=[dana.pk, fact.pk])
    response = rep_client.post(remove)
    assert response.status_code == 302 and response["Location"].endswith("#facts")
    assert not PersonalFact.objects.filter(pk=fact.pk).exists()
    assert rep_client.post(remove).status_code == 404


def test_dates_add_shows_next_occurrence(rep_client, dana):
    today = timezone.localdate()
    offset = 3 if (today + dt.timedelta(days=3)).strftime("%m%d") != "0229" else 4
    on = today + dt.timedelta(days=offset)
    anniversary = on.replace(year=on.year - 10)
    url = reverse("contact-date-add", args=[dana.pk])
    body = rep_client.post(
        url,
        {
            "date-kind": "customer_anniversary",
            "date-date": anniversary.isoformat(),
            "date-recurs_yearly": "on",
        },
        **HTMX,
    ).content.decode()
    assert "10th anniversary as our customer" in body
    assert f"in {offset} days" in body
    bad = rep_client.post(url, {"date-kind": "birthday", "date-date": "31/31/2020"}, **HTMX)
    assert "Enter the date as YYYY-MM-DD." in bad.content.decode()
    assert 'value="31/31/2020"' in bad.content.decode()
    item = ImportantDate.objects.get(contact=dana)
    response = rep_client.post(reverse("contact-date-remove", args=[dana.pk, item.pk]), **HTMX)
    assert response.status_code == 200
    assert not ImportantDate.objects.filter(pk=item.pk).exists()


# --- Create and edit ------------------------------------------------------------------


def _contact_post(**overrides):
    data = {
        "first_name": "Nina",
        "last_name": "Novak",
        "title": "Plant manager",
        "email": "nina@novak.example",
        "other_emails": "",
        "phone": "(415) 555-0142",
        "mobile": "",
        "other_phones": "",
        "time_zone": "",
        "stage": "prospect",
        "interests": "pumps, Sustainability",
        "reconnect_days": "",
    }
    data.update(overrides)
    return data


def test_create_contact(rep_client, company):
    response = rep_client.post(
        reverse("contact-create"), _contact_post(owner=company.rep.pk, email_opt_in="on")
    )
    assert response.status_code == 302
    contact = Contact.objects.get(first_name="Nina")
    assert response["Location"] == contact.get_absolute_url()
    assert contact.owner == company.rep
    assert contact.phone == "+14155550142"
    assert contact.time_zone == "America/Los_Angeles"
    assert contact.email_opt_in
    assert sorted(t.name for t in contact.interests.all()) == ["pumps", "sustainability"]


def test_rep_cannot_give_a_contact_to_someone_else(rep_client, company):
    response = rep_client.post(reverse("contact-create"), _contact_post(owner=company.rep2.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Contact.objects.filter(first_name="Nina").exists()


def test_form_error_keeps_typed_values(rep_client, company):
    response = rep_client.post(
        reverse("contact-create"),
        _contact_post(
            owner=company.rep.pk,
            phone="+1 555",
            other_emails="nina.private@example.com\nnot-an-email",
            time_zone="Mars/Olympus",
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Nina"' in body and 'value="Novak"' in body
    assert 'value="+1 555"' in body
    assert "not a valid phone number" in body
    assert "“not-an-email” is not a valid e-mail address." in body
    assert "nina.private@example.com\nnot-an-email" in body
    assert "is not a time zone we know" in body
    assert not Contact.objects.filter(first_name="Nina").exists()


def test_every_problem_shows_in_one_round(rep_client, company):
    """The form's own checks (a missing name, an unknown stage) and the service's (phone,
    e-mail, time zone) come back together, not one batch after the other."""
    body = rep_client.post(
        reverse("contact-create"),
        _contact_post(
            owner=company.rep.pk,
            first_name="",
            stage="nonsense",
            phone="+1 555",
            email="nina-at-novak",
            time_zone="Mars/Olympus",
        ),
    ).content.decode()
    assert "This field is required." in body
    assert "Select a valid choice" in body
    assert "“+1 555” is not a valid phone number" in body
    assert "“nina-at-novak” is not a valid e-mail address." in body
    assert "is not a time zone we know" in body
    assert not Contact.objects.filter(last_name="Novak").exists()


def test_service_error_lands_on_the_field_that_caused_it(rep_client, company):
    body = rep_client.post(
        reverse("contact-create"),
        _contact_post(owner=company.rep.pk, mobile="+1 555 12"),
    ).content.decode()
    mobile_at = body.index('name="mobile"')
    error_at = body.index("“+1 555 12” is not a valid phone number")
    assert error_at > mobile_at
    assert error_at < body.index('name="other_phones"')


def test_duplicate_warning_while_typing(rep_client, company, dana, olgas_contact):
    url = reverse("contact-duplicates")
    body = rep_client.get(url, {"email": "DANA@acme.com"}, **HTMX).content.decode()
    assert "Dana Kowalski" in body
    assert f"owned by {company.rep}" in body
    assert "has this e-mail" in body
    assert reverse("contact-detail", args=[dana.pk]) in body
    # Someone else's contact is named (so nobody double-books a customer) but not linked.
    body = rep_client.get(url, {"phone": "303-555-0199"}, **HTMX).content.decode()
    assert "Oscar Outside" in body and "has this phone" in body
    assert reverse("contact-detail", args=[olgas_contact.pk]) not in body
    # Editing Dana herself is not a duplicate of Dana.
    body = rep_client.get(url, {"email": "dana@acme.com", "exclude": dana.pk}).content.decode()
    assert "Dana" not in body


def test_duplicate_on_create_needs_a_tick(rep_client, company, dana):
    url = reverse("contact-create")
    data = _contact_post(owner=company.rep.pk, email="dana@acme.com", phone="")
    response = rep_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Already in Warmline?" in body and "Dana Kowalski" in body
    assert 'name="create_anyway"' in body
    assert Contact.objects.filter(first_name="Nina").count() == 0
    response = rep_client.post(url, {**data, "create_anyway": "on"})
    assert response.status_code == 302
    assert Contact.objects.filter(first_name="Nina").count() == 1


def test_edit_contact_prefills_and_saves(rep_client, company, dana):
    url = reverse("contact-edit", args=[dana.pk])
    body = rep_client.get(url).content.decode()
    assert 'value="Dana"' in body and 'value="dana@acme.com"' in body
    assert 'value="+1 415-555-2671"' in body
    assert "pumps" in body
    assert 'name="create_anyway"' not in body
    response = rep_client.post(
        url,
        _contact_post(
            first_name="Dana",
            last_name="Kowalska",
            email="dana@acme.com",
            phone="+1 415-555-2671",
            owner=company.rep.pk,
            account=dana.account_id,
            stage="customer",
            do_not_call="on",
        ),
    )
    assert response.status_code == 302
    dana.refresh_from_db()
    assert dana.last_name == "Kowalska" and dana.do_not_call and dana.stage == "customer"


# --- Accounts -------------------------------------------------------------------------


def test_account_list_search_and_permissions(rep_client, company, dana, olgas_contact):
    AccountFactory(name="Hidden Corp", domain="hidden.example")
    body = rep_client.get(reverse("account-list")).content.decode()
    assert "Acme Pumps" in body and "Hidden Corp" not in body
    body = rep_client.get(reverse("account-list"), {"q": "acme.com"}, **HTMX).content.decode()
    assert "Acme Pumps" in body and "<html" not in body


def test_account_detail_shows_visible_people_and_their_touches(rep_client, company, dana):
    other = ContactFactory(owner=company.outsider_rep, account=dana.account, first_name="Ola")
    note_add(contact=dana, author=company.rep, body="Dana liked the demo")
    note_add(contact=other, author=company.outsider_rep, body="Secret note of Olga")
    body = rep_client.get(reverse("account-detail", args=[dana.account_id])).content.decode()
    assert "Dana Kowalski" in body and "Dana liked the demo" in body
    assert "Ola" not in body and "Secret note of Olga" not in body
    hidden = AccountFactory(name="Hidden Corp")
    assert rep_client.get(reverse("account-detail", args=[hidden.pk])).status_code == 404
    assert rep_client.get(reverse("account-edit", args=[hidden.pk])).status_code == 404


def test_account_create_and_edit(rep_client, company):
    data = {
        "name": "Globex",
        "domain": "www.Globex.com",
        "industry": "Utilities",
        "tier": "key",
        "owner": company.rep.pk,
        "phone": "030 901820",
        "website": "globex.com",
        "city": "Berlin",
        "country": "de",
        "notes": "",
    }
    response = rep_client.post(reverse("account-create"), data)
    assert response.status_code == 302
    from warmline.people.models import Account

    account = Account.objects.get(name="Globex")
    assert account.domain == "globex.com" and account.country == "DE"
    assert account.phone == "+4930901820"
    page = rep_client.get(account.get_absolute_url()).content.decode()
    assert 'href="https://globex.com"' in page and "Key account" in page
    bad = rep_client.post(reverse("account-edit", args=[account.pk]), {**data, "phone": "12"})
    assert bad.status_code == 200
    assert 'value="12"' in bad.content.decode()
    assert "not a" in bad.content.decode()


def test_account_page_query_count_does_not_grow(
    rep_client, company, dana, django_assert_num_queries
):
    url = reverse("account-detail", args=[dana.account_id])
    with CaptureQueriesContext(connection) as few:
        rep_client.get(url)
    _bulk_contacts(company.rep, 100, account=dana.account)
    _bulk_interactions(dana, company.rep, 100)
    with CaptureQueriesContext(connection) as many:
        rep_client.get(url)
    # session, user, account, its contacts (one page), its recent touches
    assert len(few) == len(many) == 4 + session_queries()


def test_a_nul_in_the_query_string_is_a_400_not_a_server_error(rep_client, dana):
    # PostgreSQL refuses NUL in text; a search for one must not reach the database.
    for params in ({"q": "kow\x00al"}, {"tag": "pu\x00mps"}):
        response = rep_client.get(reverse("contact-list"), params, **HTMX)
        assert response.status_code == 400, params
    assert rep_client.get(reverse("contact-list"), {"q": "kowal"}).status_code == 200
