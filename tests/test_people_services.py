import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from tests.factories import AccountFactory, ContactFactory
from warmline.people.models import Contact, ImportantDate
from warmline.people.selectors import (
    ContactFilters,
    contact_get,
    contact_list,
    important_dates_upcoming,
)
from warmline.people.services import (
    ContactData,
    contact_create,
    contact_find_duplicates,
    contact_update,
    important_date_add,
)


@pytest.mark.django_db
def test_phone_is_stored_e164_and_time_zone_derived(company):
    contact = ContactFactory(owner=company.rep, phones=[("(415) 555-2671", "work")])
    assert contact.phone == "+14155552671"
    assert contact.time_zone == "America/Los_Angeles"
    german = ContactFactory(owner=company.rep, phones=[("+49 30 901820", "work")])
    assert german.time_zone == "Europe/Berlin"


@pytest.mark.django_db
def test_local_numbers_read_in_the_accounts_country(company):
    account = AccountFactory(country="GB")
    contact = ContactFactory(owner=company.rep, account=account, phones=[("020 7946 0958", "")])
    assert contact.phone == "+442079460958"
    assert contact.time_zone == "Europe/London"


@pytest.mark.django_db
def test_invalid_phone_is_a_clear_error_and_writes_nothing(company):
    with pytest.raises(ValidationError) as exc:
        contact_create(
            data=ContactData(first_name="Ann", owner=company.rep, phones=[("+1 555", "work")])
        )
    assert "phone" in exc.value.message_dict
    assert "not a valid phone number" in exc.value.message_dict["phone"][0]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_update_keeps_old_values_when_new_ones_are_invalid(company):
    contact = ContactFactory(owner=company.rep, first_name="Ann", phones=[("+14155552671", "")])
    with pytest.raises(ValidationError):
        contact_update(
            contact=contact,
            data=ContactData(first_name="Anne", owner=company.rep, emails=[("nope", "")]),
        )
    contact.refresh_from_db()
    assert contact.first_name == "Ann"
    assert contact.phones.get().number == "+14155552671"


@pytest.mark.django_db
def test_duplicates_match_normalised_email_and_phone(company):
    existing = ContactFactory(
        owner=company.outsider_rep,
        emails=[("Dana@Acme.com", "")],
        phones=[("+1 415 555 2671", "")],
    )
    by_email = contact_find_duplicates(emails=["  dana@ACME.com "], phones=[])
    by_phone = contact_find_duplicates(emails=[], phones=["415.555.2671"], region="US")
    assert [m.contact_id for m in by_email] == [existing.pk]
    assert [m.contact_id for m in by_phone] == [existing.pk]
    assert (
        contact_find_duplicates(emails=["dana@acme.com"], phones=[], exclude_id=existing.pk) == []
    )


@pytest.mark.django_db
def test_rep_cannot_read_another_reps_contact_by_id(company):
    theirs = ContactFactory(owner=company.outsider_rep)
    mine = ContactFactory(owner=company.rep)
    assert contact_get(user=company.rep, contact_id=mine.pk) == mine
    with pytest.raises(Http404):
        contact_get(user=company.rep, contact_id=theirs.pk)
    # The manager sees the team's book but not the other team's.
    assert contact_get(user=company.manager, contact_id=mine.pk) == mine
    with pytest.raises(Http404):
        contact_get(user=company.manager, contact_id=theirs.pk)
    assert contact_get(user=company.admin, contact_id=theirs.pk) == theirs
    # Agents read everything but edit nothing.
    assert contact_get(user=company.agent, contact_id=theirs.pk) == theirs
    with pytest.raises(Http404):
        contact_get(user=company.agent, contact_id=theirs.pk, for_edit=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "415 555",
        "(415) 555-26",
        "4155552671",
        "+1 415-555-2671",
        "5552671",
        "DANA",
        "acme",
        "dana acme",
        "dana.k@acme",
        "Kowal",
    ],
)
def test_search_is_partial_case_insensitive_and_format_free(company, query):
    account = AccountFactory(name="Acme Pumps")
    dana = ContactFactory(
        owner=company.rep,
        account=account,
        first_name="Dana",
        last_name="Kowalski",
        emails=[("dana.k@acme.com", "")],
        phones=[("+14155552671", "")],
    )
    ContactFactory(
        owner=company.rep, first_name="Other", last_name="Person", phones=[("+442079460958", "")]
    )
    found = list(contact_list(user=company.rep, filters=ContactFilters(q=query)))
    assert found == [dana]


@pytest.mark.django_db
def test_upcoming_dates_wrap_the_year_and_skip_past_one_offs(company):
    contact = ContactFactory(owner=company.rep)
    today = dt.date(2026, 12, 25)
    important_date_add(contact=contact, kind="birthday", date=dt.date(1980, 1, 2))
    important_date_add(contact=contact, kind="customer_anniversary", date=dt.date(2016, 12, 30))
    important_date_add(
        contact=contact,
        kind="life_event",
        date=dt.date(2026, 12, 1),
        recurs_yearly=False,
        label="Moved house",
    )
    important_date_add(contact=contact, kind="promotion", date=dt.date(2020, 3, 1))
    upcoming = important_dates_upcoming(user=company.rep, today=today, days=14)
    assert [(u.on, u.years) for u in upcoming] == [
        (dt.date(2026, 12, 30), 10),
        (dt.date(2027, 1, 2), 47),
    ]
    assert ImportantDate.objects.count() == 4


@pytest.mark.django_db
def test_a_full_window_over_new_year_keeps_the_soonest_dates(company):
    """More dates than a page in a window that wraps the year: December's come first (an
    ordering by month and day put every January date before them)."""
    today = dt.date(2026, 12, 25)
    for day in range(1, 8):  # plenty of January birthdays
        for _ in range(12):
            important_date_add(
                contact=ContactFactory(owner=company.rep),
                kind="birthday",
                date=dt.date(1980, 1, day),
            )
    soonest = ContactFactory(owner=company.rep, first_name="Soonest")
    important_date_add(contact=soonest, kind="birthday", date=dt.date(1985, 12, 26))
    upcoming = important_dates_upcoming(user=company.rep, today=today, days=14, limit=5)
    assert upcoming[0].item.contact == soonest
    assert [u.on for u in upcoming[1:]] == [dt.date(2027, 1, 1)] * 4


@pytest.mark.django_db
def test_a_leap_day_birthday_is_upcoming_on_the_28th_in_a_common_year(company):
    contact = ContactFactory(owner=company.rep)
    important_date_add(contact=contact, kind="birthday", date=dt.date(1984, 2, 29))
    upcoming = important_dates_upcoming(user=company.rep, today=dt.date(2027, 2, 20), days=8)
    assert [u.on for u in upcoming] == [dt.date(2027, 2, 28)]
    assert important_dates_upcoming(user=company.rep, today=dt.date(2027, 3, 1), days=8) == []


@pytest.mark.django_db
def test_an_account_domain_and_website_must_be_real_addresses(company):
    """The domain routes unknown senders' cases to the account: a garbled one is refused, as
    is a website that is no web address. Both are refused at once; common forms are kept."""
    from warmline.people.models import Account
    from warmline.people.services import account_save

    with pytest.raises(ValidationError) as exc:
        account_save(
            account=Account(
                name="Typo Ltd", owner=company.rep, domain="not a domain!!", website="htp:/bad"
            )
        )
    assert set(exc.value.message_dict) == {"domain", "website"}
    assert "is not an e-mail domain" in exc.value.message_dict["domain"][0]
    assert not Account.objects.filter(name="Typo Ltd").exists()
    saved = account_save(
        account=Account(
            name="Good Ltd", owner=company.rep, domain="@WWW.Good.example", website="good.example"
        )
    )
    assert saved.domain == "good.example"
    saved.website = "https://good.example/about"
    account_save(account=saved)


def test_unknown_account_country_is_a_clear_error(company):
    from warmline.people.models import Account
    from warmline.people.services import account_save

    with pytest.raises(ValidationError) as exc:
        account_save(account=Account(name="Nowhere Ltd", owner=company.rep, country="xx"))
    assert "not a country code we know" in exc.value.message_dict["country"][0]
    assert not Account.objects.filter(name="Nowhere Ltd").exists()
    saved = account_save(account=Account(name="Somewhere Ltd", owner=company.rep, country="gb"))
    assert saved.country == "GB"


@pytest.mark.django_db
def test_an_occasion_reads_as_a_phrase_whatever_its_label(company):
    """Lists once printed "9th customer since" for a labelled anniversary: the kind decides
    the wording, a label names other occasions, and only the rep's lists give an age."""
    contact = ContactFactory(owner=company.rep)
    on = dt.date(2026, 6, 1)
    since = important_date_add(
        contact=contact,
        kind="customer_anniversary",
        date=dt.date(2017, 6, 1),
        label="Customer since",
    )
    work = important_date_add(contact=contact, kind="work_anniversary", date=dt.date(2025, 6, 1))
    born = important_date_add(contact=contact, kind="birthday", date=dt.date(1981, 6, 1))
    promoted = important_date_add(
        contact=contact,
        kind="life_event",
        date=dt.date(2026, 6, 1),
        label="Promotion to VP",
        recurs_yearly=False,
    )
    assert since.occasion(on) == "9th anniversary as our customer"
    assert work.occasion(on) == "1st work anniversary"
    assert born.occasion(on) == "birthday" and born.occasion(on, age=True) == "45th birthday"
    leap = important_date_add(
        contact=contact, kind="birthday", date=dt.date(1984, 2, 29), label="Leap birthday"
    )
    assert leap.occasion(dt.date(2027, 2, 28), age=True) == "43rd leap birthday"  # label kept
    assert promoted.occasion(on, age=True) == "promotion to VP"
    assert since.occasion(dt.date(2017, 6, 1)) == "anniversary with us"
