"""The request helpers every app's views share (warmline.core.http, warmline.users.http)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from warmline.core.http import int_param, is_htmx, next_url_get, render_htmx, vary_on_htmx
from warmline.users.http import request_user

HTMX = {"HX-Request": "true"}


def test_is_htmx_reads_the_header_and_a_history_restore_wants_the_page():
    rf = RequestFactory()
    assert is_htmx(rf.get("/", headers=HTMX))
    assert not is_htmx(rf.get("/"))
    assert not is_htmx(rf.get("/", headers={**HTMX, "HX-History-Restore-Request": "true"}))


def test_render_htmx_answers_partial_or_page_and_varies_on_the_headers(settings):
    templates = {"p.html": "partial {{ x }}", "f.html": "page {{ x }}"}
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", templates)]},
        }
    ]
    rf = RequestFactory()
    swap = render_htmx(rf.get("/", headers=HTMX), partial="p.html", page="f.html", context={"x": 1})
    page = render_htmx(rf.get("/"), partial="p.html", page="f.html", context={"x": 2}, status=400)
    assert swap.content == b"partial 1"
    assert (page.content, page.status_code) == (b"page 2", 400)
    for response in (swap, page):
        assert "HX-Request" in response["Vary"]
        assert "HX-History-Restore-Request" in response["Vary"]
    assert "HX-Request" in vary_on_htmx(HttpResponse())["Vary"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/contacts/3/", "/contacts/3/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_next_url_get_stays_on_this_site(target, expected):
    request = RequestFactory().post("/", {"next": target})
    assert next_url_get(request, default="/fallback/") == expected


@pytest.mark.django_db
def test_request_user_is_the_signed_in_user_and_anonymous_is_refused(company):
    request = RequestFactory().get("/")
    request.user = company.rep
    assert request_user(request) is company.rep
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        request_user(request)


@pytest.mark.parametrize(
    ("raw", "minimum", "expected"),
    [("12", 1, 12), ("0", 1, None), ("0", 0, 0), ("-3", 0, None), ("x", 1, None), (None, 1, None)],
)
def test_int_param(raw, minimum, expected):
    assert int_param(raw, minimum=minimum) == expected
