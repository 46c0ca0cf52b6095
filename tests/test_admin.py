import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import ContactFactory
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
