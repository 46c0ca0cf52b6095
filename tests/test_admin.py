import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import AccountFactory, ContactFactory
from warmline.people.models import Contact
from warmline.timeline.services import note_add


@pytest.mark.django_db
def test_every_model_has_a_working_admin_page(client, company):
    contact = ContactFactory(owner=company.rep, phones=[("+14155552671", "work")])
    note_add(contact=contact, author=company.rep, body="hello")
    client.force_login(company.admin)
    for model, _ in admin.site._registry.items():
        meta = model._meta
        if meta.app_label not in {"users", "people", "timeline"}:
            continue
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    change = reverse("admin:people_contact_change", args=[contact.pk])
    assert client.get(change).status_code == 200


@pytest.mark.django_db
def test_timeline_is_read_only_in_admin(client, company):
    contact = ContactFactory(owner=company.rep)
    entry = note_add(contact=contact, author=company.rep, body="hello")
    client.force_login(company.admin)
    assert client.get(reverse("admin:timeline_interaction_add")).status_code == 403
    delete = reverse("admin:timeline_interaction_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


# -- contacts' e-mails and phones go through the app's checks and services ------------------
def _inline(prefix: str, rows: list[dict[str, object]], *, parent: int | None) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        if parent is not None:
            data[f"{prefix}-{i}-contact"] = str(parent)
        for key, value in row.items():
            if value is True:
                data[f"{prefix}-{i}-{key}"] = "on"
            elif value not in (False, None):
                data[f"{prefix}-{i}-{key}"] = str(value)
    return data


def _contact_post(contact, *, emails=(), phones=(), **fields):  # type: ignore[no-untyped-def]
    """The admin's change (or add) form for `contact` as a browser would post it."""
    data = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "account": contact.account_id or "",
        "owner": contact.owner_id or "",
        "time_zone": contact.time_zone,
        "stage": contact.stage,
        "reconnect_days": "",
        "email_opt_in_at_0": "",
        "email_opt_in_at_1": "",
    }
    data.update(fields)
    parent = contact.pk
    data |= _inline("emails", list(emails), parent=parent)
    data |= _inline("phones", list(phones), parent=parent)
    data |= _inline("facts", [], parent=parent)
    data |= _inline("dates", [], parent=parent)
    return data


def _rows(contact, name):  # type: ignore[no-untyped-def]
    related = getattr(contact, name)
    field = "address" if name == "emails" else "number"
    return [
        {"id": row.pk, field: getattr(row, field), "label": row.label, "is_primary": row.is_primary}
        for row in related.all()
    ]


@pytest.mark.django_db
def test_admin_refuses_a_phone_the_app_would_refuse(client, company):
    contact = ContactFactory(owner=company.rep, phones=[("+14155552671", "work")])
    before = contact.search_text
    client.force_login(company.admin)
    phones = [*_rows(contact, "phones"), {"number": "555 1234 (call after 5)", "label": "cell"}]
    response = client.post(
        reverse("admin:people_contact_change", args=[contact.pk]),
        _contact_post(contact, emails=_rows(contact, "emails"), phones=phones),
    )
    assert response.status_code == 200  # the form again, with the error
    assert "is not a valid phone number" in response.content.decode()
    assert list(contact.phones.values_list("number", flat=True)) == ["+14155552671"]
    contact.refresh_from_db()
    assert contact.phone == "+14155552671"
    assert contact.search_text == before


@pytest.mark.django_db
def test_admin_stores_a_phone_in_e164_and_refreshes_the_contact(client, company):
    contact = ContactFactory(owner=company.rep, emails=[], phones=[])
    client.force_login(company.admin)
    response = client.post(
        reverse("admin:people_contact_change", args=[contact.pk]),
        _contact_post(contact, phones=[{"number": "(415) 555-2671", "label": "work"}]),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    phone = contact.phones.get()
    assert (phone.number, phone.is_primary) == ("+14155552671", True)
    contact.refresh_from_db()
    assert contact.phone == "+14155552671"
    assert contact.time_zone == "America/Los_Angeles"  # derived, as the app does
    assert "14155552671" in contact.search_text


@pytest.mark.django_db
def test_admin_reads_local_phones_in_the_accounts_country(client, company):
    account = AccountFactory(name="Berliner Pumpen", country="DE")
    contact = ContactFactory(owner=company.rep, account=account, phones=[])
    client.force_login(company.admin)
    response = client.post(
        reverse("admin:people_contact_change", args=[contact.pk]),
        _contact_post(
            contact,
            emails=_rows(contact, "emails"),
            phones=[{"number": "030 901820", "label": "work"}],
        ),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+4930901820"
    assert contact.time_zone == "Europe/Berlin"


@pytest.mark.django_db
def test_admin_normalises_e_mails_and_moves_the_primary(client, company):
    contact = ContactFactory(owner=company.rep, emails=[("old@example.com", "work")])
    client.force_login(company.admin)
    emails = _rows(contact, "emails")
    emails[0]["DELETE"] = True
    emails.append({"address": "  Ada.New@Example.COM ", "label": "work"})
    response = client.post(
        reverse("admin:people_contact_change", args=[contact.pk]),
        _contact_post(contact, emails=emails),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.email == "ada.new@example.com"
    assert contact.emails.get().is_primary
    assert "ada.new@example.com" in contact.search_text
    assert "old@example.com" not in contact.search_text


@pytest.mark.django_db
def test_admin_refuses_a_bad_e_mail_and_two_primaries(client, company):
    contact = ContactFactory(owner=company.rep, emails=[("a@example.com", "work")])
    client.force_login(company.admin)
    url = reverse("admin:people_contact_change", args=[contact.pk])
    bad = [*_rows(contact, "emails"), {"address": "not an address", "label": "work"}]
    response = client.post(url, _contact_post(contact, emails=bad))
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()  # the field's own

    two = [*_rows(contact, "emails"), {"address": "b@example.com", "is_primary": True}]
    response = client.post(url, _contact_post(contact, emails=two))
    assert response.status_code == 200
    assert "Mark only one e-mail address as primary." in response.content.decode()
    assert list(contact.emails.values_list("address", flat=True)) == ["a@example.com"]


@pytest.mark.django_db
def test_admin_refuses_the_same_number_typed_twice(client, company):
    contact = ContactFactory(owner=company.rep, phones=[])
    client.force_login(company.admin)
    phones = [{"number": "+1 415 555 2671"}, {"number": "(415) 555-2671"}]
    response = client.post(
        reverse("admin:people_contact_change", args=[contact.pk]),
        _contact_post(contact, emails=_rows(contact, "emails"), phones=phones),
    )
    assert response.status_code == 200
    assert not contact.phones.exists()


@pytest.mark.django_db
def test_admin_adds_a_contact_through_the_same_checks(client, company):
    client.force_login(company.admin)
    new = Contact(first_name="Nora", last_name="Neu", owner=company.rep, stage="prospect")
    response = client.post(
        reverse("admin:people_contact_add"),
        _contact_post(
            new,
            emails=[{"address": "Nora@Example.com"}],
            phones=[{"number": "+44 20 7946 0958", "label": "work"}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    contact = Contact.objects.get(first_name="Nora")
    assert (contact.email, contact.phone) == ("nora@example.com", "+442079460958")
    assert "nora@example.com" in contact.search_text and "442079460958" in contact.search_text


@pytest.mark.django_db
def test_admin_refuses_an_unknown_time_zone(client, company):
    contact = ContactFactory(owner=company.rep)
    client.force_login(company.admin)
    response = client.post(
        reverse("admin:people_contact_change", args=[contact.pk]),
        _contact_post(contact, emails=_rows(contact, "emails"), time_zone="Mars/Olympus"),
    )
    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()


# -- accounts: the app's account checks, and contacts' search text on a new name ------------
def _account_post(account, **fields):  # type: ignore[no-untyped-def]
    data = {
        "name": account.name,
        "domain": account.domain,
        "industry": account.industry,
        "tier": account.tier,
        "owner": account.owner_id or "",
        "phone": account.phone,
        "website": account.website,
        "city": account.city,
        "country": account.country,
        "notes": account.notes,
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_admin_account_phone_and_domain_are_checked_and_normalised(client, company):
    account = AccountFactory(name="Acme", country="GB")
    client.force_login(company.admin)
    url = reverse("admin:people_account_change", args=[account.pk])
    response = client.post(url, _account_post(account, phone="555 1234 (call after 5)"))
    assert response.status_code == 200
    assert "phone number" in response.content.decode()
    response = client.post(url, _account_post(account, domain="not a domain"))
    assert response.status_code == 200
    assert "is not an e-mail domain" in response.content.decode()

    response = client.post(
        url, _account_post(account, phone="020 7946 0958", domain="@WWW.Acme.co.uk")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.phone, account.domain) == ("+442079460958", "acme.co.uk")


@pytest.mark.django_db
def test_admin_account_rename_refreshes_its_contacts_search_text(client, company):
    account = AccountFactory(name="Acme")
    contact = ContactFactory(owner=company.rep, account=account)
    client.force_login(company.admin)
    response = client.post(
        reverse("admin:people_account_change", args=[account.pk]),
        _account_post(account, name="Globex"),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert "globex" in contact.search_text and "acme" not in contact.search_text


@pytest.mark.django_db
def test_user_admin_checks_staff_phones_and_time_zone(company):
    """A rep's mobile receives SMS alerts: the admin stores it in E.164 or refuses it."""
    from django.forms import modelform_factory

    from warmline.users.admin import StaffChangeForm
    from warmline.users.models import User

    form_class = modelform_factory(
        User,
        form=StaffChangeForm,
        fields=["username", "direct_phone", "mobile_phone", "time_zone"],
    )
    rep = company.rep
    data = {"username": rep.username, "time_zone": "Europe/Berlin"}
    bad = form_class(
        instance=rep, data={**data, "mobile_phone": "555 1234 (call after 5)", "time_zone": "Mars"}
    )
    assert not bad.is_valid()
    assert "is not a valid phone number" in bad.errors["mobile_phone"][0]
    assert "not a time zone we know" in bad.errors["time_zone"][0]

    good = form_class(
        instance=rep, data={**data, "mobile_phone": "+1 415 555 0123", "direct_phone": ""}
    )
    assert good.is_valid(), good.errors
    good.save()
    rep.refresh_from_db()
    assert rep.mobile_phone == "+14155550123"
    assert rep.direct_phone == ""
