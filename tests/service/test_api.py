"""Case ingestion over the API and the service-desk webhook: create or update by external
id, idempotent replays, out-of-order updates ignored, field errors, nothing half-written."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.service.conftest import Book, bearer
from warmline.api.models import ApiRejection
from warmline.api.services import api_token_create
from warmline.people.models import Contact
from warmline.service.models import Case
from warmline.timeline.models import Interaction, Kind


def post(client: Client, url: str, token: str, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **bearer(token))


WEBHOOK = "/api/service/webhook"
CASES = "/api/service/cases"


def ticket(**overrides: Any) -> dict[str, Any]:
    body = {
        "external_system": "zendesk",
        "external_id": "ZD-1001",
        "contact_email": "dana@acme.example",
        "subject": "Pump leaking",
        "description": "Water on the floor",
        "priority": "high",
        "status": "open",
        "channel": "phone",
        "opened_at": "2025-03-01T09:00:00Z",
        "updated_at": "2025-03-01T09:00:00Z",
    }
    body.update(overrides)
    return body


def test_webhook_replay_is_idempotent(client: Client, book: Book, agent_token: str) -> None:
    first = post(client, WEBHOOK, agent_token, ticket())
    assert first.status_code == 200, first.content
    assert first.json()["result"] == "created"
    case = Case.objects.get()
    assert case.contact == book.dana and case.priority == "high"
    entries = Interaction.objects.count()

    for _ in range(2):
        again = post(client, WEBHOOK, agent_token, ticket())
        assert again.status_code == 200
        assert again.json() == {"result": "unchanged", "case_id": case.pk}
    assert Case.objects.count() == 1
    assert Interaction.objects.count() == entries
    case.refresh_from_db()
    assert case.sla_version == 0


def test_update_applies_and_older_updates_are_ignored(
    client: Client, book: Book, agent_token: str
) -> None:
    post(client, WEBHOOK, agent_token, ticket())
    newer = ticket(status="resolved", updated_at="2025-03-01T11:00:00Z")
    assert post(client, WEBHOOK, agent_token, newer).json()["result"] == "updated"
    case = Case.objects.get()
    assert case.status == "resolved"
    assert Interaction.objects.filter(kind=Kind.CASE_RESOLVED).count() == 1

    older = ticket(status="open", priority="low", updated_at="2025-03-01T10:00:00Z")
    response = post(client, WEBHOOK, agent_token, older)
    assert response.status_code == 200 and response.json()["result"] == "stale"
    case.refresh_from_db()
    assert (case.status, case.priority) == ("resolved", "high")
    # Replaying the newest update is harmless too.
    assert post(client, WEBHOOK, agent_token, newer).json()["result"] == "unchanged"


def test_partial_update_touches_only_fields_sent(
    client: Client, book: Book, agent_token: str
) -> None:
    post(client, WEBHOOK, agent_token, ticket())
    body = {"external_system": "zendesk", "external_id": "ZD-1001", "priority": "urgent"}
    assert post(client, WEBHOOK, agent_token, body).json()["result"] == "updated"
    case = Case.objects.get()
    assert (case.priority, case.subject, case.status) == ("urgent", "Pump leaking", "open")


def test_api_create_returns_case_and_unknown_email_creates_contact(
    client: Client, book: Book, agent_token: str
) -> None:
    body = {
        "contact_email": "newbie@acme.example",
        "contact_name": "Nina Newbie",
        "subject": "Login broken",
        "priority": "normal",
    }
    response = post(client, CASES, agent_token, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["result"] == "created" and data["contact_created"] is True
    assert data["case"]["contact"]["name"] == "Nina Newbie"
    assert data["case"]["account"] == {"id": book.account.pk, "name": "Acme Pumps"}
    assert data["case"]["url"].startswith("https://warmline.example.com/cases/")
    assert data["case"]["sla"]["policy"] == "Normal"
    contact = Contact.objects.get(email="newbie@acme.example")
    assert contact.owner == book.company.rep
    # Without an external id, each POST is a new case.
    assert post(client, CASES, agent_token, body).status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"subject": "x", "contact_email": "a@b.example", "priority": "critical"}, {"priority"}),
        ({"subject": "x", "contact_email": "a@b.example", "opened_at": "yesterday"}, {"opened_at"}),
        (
            {"subject": "x", "contact_email": "a@b.example", "opened_at": "2025-03-01T09:00:00"},
            {"opened_at"},
        ),
        ({"subject": "x", "contact_email": "a@b.example", "colour": "red"}, {"colour"}),
        ({"contact_email": "a@b.example"}, {"subject"}),
        ({"subject": "x", "contact_email": "not-an-email"}, {"contact_email"}),
        ({"subject": "x"}, {"contact_email"}),
        # in one round: the e-mails' form is checked with the schema's own fields
        (
            {"subject": "x", "contact_email": "nope", "assigned_agent_email": "@", "priority": 9},
            {"contact_email", "assigned_agent_email", "priority"},
        ),
    ],
)
def test_invalid_payloads_get_field_errors_and_write_nothing(
    client: Client, book: Book, agent_token: str, body: dict[str, Any], fields: set[str]
) -> None:
    contacts = Contact.objects.count()
    response = post(client, CASES, agent_token, body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["detail"]
    assert {e["field"] for e in data["errors"]} == fields
    assert all(e["message"] for e in data["errors"])
    assert not Case.objects.exists()
    assert Contact.objects.count() == contacts
    assert not Interaction.objects.exists()
    rejection = ApiRejection.objects.get()
    assert rejection.status_code == 422 and rejection.path == CASES


def test_malformed_json_is_a_400_in_the_same_shape(
    client: Client, book: Book, agent_token: str
) -> None:
    response = post(client, WEBHOOK, agent_token, '{"external_id": "ZD-1", ')
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "errors": []}
    assert ApiRejection.objects.get().status_code == 400


def test_webhook_requires_external_id_and_ignores_unknown_fields(
    client: Client, book: Book, agent_token: str
) -> None:
    missing = post(client, WEBHOOK, agent_token, {"subject": "x", "contact_email": "a@b.example"})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["external_id"]
    extra = post(client, WEBHOOK, agent_token, ticket(requester={"id": 7}, tags=["vip"]))
    assert extra.status_code == 200 and extra.json()["result"] == "created"


def test_webhook_without_system_uses_the_default(
    client: Client, book: Book, agent_token: str
) -> None:
    body = ticket()
    del body["external_system"]
    post(client, WEBHOOK, agent_token, body)
    assert Case.objects.get().external_system == "servicedesk"


def test_writes_need_scope_and_an_agent(client: Client, book: Book) -> None:
    _, read_only = api_token_create(name="ro", owner=book.company.agent, scopes=["service:read"])
    response = post(client, WEBHOOK, read_only, ticket())
    assert response.status_code == 403
    assert "service:write" in response.json()["detail"]
    _, rep_token = api_token_create(
        name="rep", owner=book.company.rep, scopes=["service:read", "service:write"]
    )
    response = post(client, WEBHOOK, rep_token, ticket())
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_reads_are_scoped_to_the_token_owner(client: Client, book: Book, agent_token: str) -> None:
    post(client, WEBHOOK, agent_token, ticket())
    post(
        client,
        WEBHOOK,
        agent_token,
        ticket(external_id="ZD-2", contact_email="omar@globex.example", subject="Globex issue"),
    )
    dana_case = Case.objects.get(contact=book.dana)
    omar_case = Case.objects.get(contact=book.omar)
    _, rep_token = api_token_create(name="rep", owner=book.company.rep, scopes=["service:read"])
    listing = client.get(CASES, **bearer(rep_token))
    assert listing.status_code == 200
    assert [c["id"] for c in listing.json()["items"]] == [dana_case.pk]
    assert client.get(f"{CASES}/{dana_case.pk}", **bearer(rep_token)).status_code == 200
    hidden = client.get(f"{CASES}/{omar_case.pk}", **bearer(rep_token))
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": "Not found.", "errors": []}
    everything = client.get(CASES, **bearer(agent_token))
    assert everything.json()["count"] == 2


def test_list_endpoint_query_count_is_constant(
    client: Client, book: Book, agent_token: str
) -> None:
    post(client, WEBHOOK, agent_token, ticket())
    client.get(CASES, **bearer(agent_token))  # stamps the token's last use
    with CaptureQueriesContext(connection) as few:
        client.get(CASES, **bearer(agent_token))
    for n in range(10):
        post(client, WEBHOOK, agent_token, ticket(external_id=f"ZD-9{n}", subject=f"Case {n}"))
    with CaptureQueriesContext(connection) as many:
        response = client.get(CASES, **bearer(agent_token))
    assert response.json()["count"] == 11
    # token lookup, COUNT(*), one page of cases with contact/account/agent/policy joined
    assert len(few.captured_queries) == len(many.captured_queries) == 3


def test_list_filters_by_status(client: Client, book: Book, agent_token: str) -> None:
    post(client, WEBHOOK, agent_token, ticket())
    post(client, WEBHOOK, agent_token, ticket(external_id="ZD-2", status="resolved"))
    unresolved = client.get(CASES, **bearer(agent_token)).json()
    assert [c["external_id"] for c in unresolved["items"]] == ["ZD-1001"]
    everything = client.get(f"{CASES}?status=any", **bearer(agent_token)).json()
    assert everything["count"] == 2
    resolved = client.get(f"{CASES}?status=resolved", **bearer(agent_token)).json()
    assert [c["external_id"] for c in resolved["items"]] == ["ZD-2"]
    bad = client.get(f"{CASES}?status=bogus", **bearer(agent_token))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


@pytest.mark.parametrize("url", [CASES, WEBHOOK])
def test_nul_characters_are_a_field_error_not_a_server_error(
    client: Client, book: Book, agent_token: str, url: str
) -> None:
    # PostgreSQL cannot store U+0000 in text: it must be refused as invalid input (422),
    # on every engine, before anything is written.
    response = post(client, url, agent_token, ticket(subject="Pump\u0000leaking"))
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["subject"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("updated_at", "9999-12-31T23:59:59Z", "in the future"),
        ("opened_at", "0001-01-01T00:00:00Z", "before 1970"),
        ("resolved_at", "1969-12-31T23:59:59Z", "before 1970"),
    ],
)
def test_webhook_refuses_implausible_times(
    client: Client, book: Book, agent_token: str, field: str, value: str, says: str
) -> None:
    """A desk's updated_at in the year 9999 made every later update "stale" and dropped
    while answering 200: now such a time is refused with 422, logged, and nothing is written."""
    response = post(client, WEBHOOK, agent_token, ticket(**{field: value}))
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["field"] == field and says in error["message"]
    assert Case.objects.count() == 0
    assert ApiRejection.objects.get().status_code == 422
    # The real update that follows goes through.
    assert post(client, WEBHOOK, agent_token, ticket()).json()["result"] == "created"


def test_webhook_accepts_a_desk_clock_a_minute_ahead(
    client: Client, book: Book, agent_token: str
) -> None:
    from django.utils import timezone

    ahead = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    response = post(client, WEBHOOK, agent_token, ticket(updated_at=ahead))
    assert response.status_code == 200, response.content
