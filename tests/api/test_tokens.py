"""API tokens (hashed, shown once, scoped, revocable), the error shape, and the docs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import Company
from warmline.api.models import ApiToken
from warmline.api.services import api_token_authenticate, api_token_create, api_token_revoke

URL = "/api/service/cases"


def auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_is_stored_hashed_and_authenticates(company: Company) -> None:
    token, raw = api_token_create(name="Desk", owner=company.agent, scopes=["service:read"])
    assert raw.startswith("wl_") and len(raw) > 40
    stored = ApiToken.objects.get()
    assert raw not in (stored.token_hash, stored.prefix) and stored.prefix == raw[:10]
    assert api_token_authenticate(raw=raw) == token
    assert ApiToken.objects.get().last_used_at is not None
    assert api_token_authenticate(raw=raw + "x") is None
    assert api_token_authenticate(raw="Bearer " + raw) is None


def test_unknown_scope_is_refused(company: Company) -> None:
    with pytest.raises(ValidationError):
        api_token_create(name="x", owner=company.agent, scopes=["everything"])
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_bad_token_is_401_in_the_error_shape(
    client: Client, company: Company, header: str | None
) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(URL, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == []


def test_revoked_expired_and_inactive_tokens_stop_working(client: Client, company: Company) -> None:
    token, raw = api_token_create(name="Desk", owner=company.agent, scopes=["service:read"])
    assert client.get(URL, **auth(raw)).status_code == 200
    api_token_revoke(token=token)
    assert client.get(URL, **auth(raw)).status_code == 401

    _, expired = api_token_create(
        name="Old",
        owner=company.agent,
        scopes=["service:read"],
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert client.get(URL, **auth(expired)).status_code == 401

    _, raw2 = api_token_create(name="Desk 2", owner=company.agent, scopes=["service:read"])
    company.agent.is_active = False
    company.agent.save()
    assert client.get(URL, **auth(raw2)).status_code == 401


def test_missing_scope_is_403(client: Client, company: Company) -> None:
    _, raw = api_token_create(name="Desk", owner=company.agent, scopes=[])
    response = client.get(URL, **auth(raw))
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This API token lacks the “service:read” scope.",
        "errors": [],
    }


def test_admin_creates_a_token_and_shows_it_once(client: Client, company: Company) -> None:
    client.force_login(company.admin)
    response = client.post(
        "/admin/api/apitoken/add/",
        {"name": "Zendesk webhook", "owner": company.agent.pk, "scopes": ["service:write"]},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1
    raw = shown[0].split(" is: ", 1)[1].split(" ", 1)[0]
    assert api_token_authenticate(raw=raw) == token
    assert token.scopes == ["service:write"]
    page = client.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert raw not in page.content.decode()


def test_openapi_docs_and_schema(client: Client, db) -> None:  # type: ignore[no-untyped-def]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI from ninja's own static files (no CDN: the docs work offline) and on a phone
    assert "cdn." not in html and "/static/ninja/swagger-ui-bundle.js" in html
    assert 'name="viewport"' in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/service/cases" in schema["paths"]
    assert "/api/service/webhook" in schema["paths"]
    assert any(
        "Bearer" in name or "bearer" in str(v)
        for name, v in schema["components"]["securitySchemes"].items()
    )
