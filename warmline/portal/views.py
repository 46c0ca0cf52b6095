"""Public portal views: thin. A selector or service does the work; these parse, call and
render. Content pages set no cookie for anonymous visitors (no banner, no account)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from warmline.core.client_ip import client_ip
from warmline.core.forms import form_add_service_errors
from warmline.people.models import Contact
from warmline.portal import selectors, services
from warmline.portal.forms import AskForm, GuestAskForm, IdentifyForm
from warmline.portal.hours import promise_text
from warmline.portal.identity import page_path_clean


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    visitor: Contact | None,
    nav: str = "",
    status: int = 200,
) -> HttpResponse:
    rep = visitor.owner if visitor and visitor.owner and visitor.owner.is_active else None
    base = {
        "company": settings.WARMLINE_COMPANY_NAME,
        "visitor": visitor,
        "rep": rep,
        "nav": nav,
        "ask_url": f"{reverse('portal-ask')}?from={request.path}",
        "promise": promise_text(),
        "identify_days": settings.PORTAL_IDENTIFY_DAYS,
    }
    return render(request, template, {**base, **context}, status=status)


def _viewed(request: HttpRequest, visitor: Contact | None, title: str) -> None:
    if visitor is not None:
        services.page_view_record(contact=visitor, path=request.path, title=title)


# --- Content pages --------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    _viewed(request, visitor, "Home page")
    context = {
        "products": list(selectors.product_list()[:6]),
        "news": list(selectors.news_list()[:3]),
    }
    return _render(request, "portal/home.html", context, visitor=visitor, nav="home")


@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    _viewed(request, visitor, "Products")
    context = {"products": list(selectors.product_list()[:200])}
    return _render(request, "portal/product_list.html", context, visitor=visitor, nav="products")


@require_GET
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    product = selectors.product_get(slug=slug)
    _viewed(request, visitor, product.name)
    return _render(
        request,
        "portal/product_detail.html",
        {"product": product},
        visitor=visitor,
        nav="products",
    )


@require_GET
def news_list(request: HttpRequest) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    page = Paginator(selectors.news_list(), 10).get_page(request.GET.get("page"))
    _viewed(request, visitor, "News")
    return _render(request, "portal/news_list.html", {"page": page}, visitor=visitor, nav="news")


@require_GET
def news_detail(request: HttpRequest, slug: str) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    item = selectors.news_get(slug=slug)
    _viewed(request, visitor, item.title)
    return _render(request, "portal/news_detail.html", {"item": item}, visitor=visitor, nav="news")


# --- Identification -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def identify(request: HttpRequest) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    next_path = page_path_clean(request.GET.get("next", "") or request.POST.get("next", ""))
    if request.method == "GET":
        form = IdentifyForm(initial={"next": next_path})
        return _render(request, "portal/identify.html", {"form": form}, visitor=visitor)
    form = IdentifyForm(request.POST)
    sent = {"sent": True, "minutes": settings.PORTAL_MAGIC_LINK_TTL_MINUTES}
    if form.is_bot():
        return _render(request, "portal/identify.html", sent, visitor=visitor)
    status = 400
    if form.is_valid():
        try:
            services.magic_link_request(
                email=form.cleaned_data["email"], next_path=next_path, ip=client_ip(request)
            )
        except services.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            # Known address or not, the same answer: nobody learns who our customers are.
            sent["email"] = form.cleaned_data["email"]
            return _render(request, "portal/identify.html", sent, visitor=visitor)
    return _render(request, "portal/identify.html", {"form": form}, visitor=visitor, status=status)


@require_http_methods(["GET", "POST"])
def magic(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a "Continue" button (mail scanners that open links must not use them up);
    POST uses the link once and identifies this browser."""
    visitor = selectors.visitor_get(request=request)
    if request.method == "GET":
        link = selectors.magic_link_find(token=token)
        status = 200 if link else 410
        return _render(request, "portal/magic.html", {"link": link}, visitor=visitor, status=status)
    used = services.magic_link_consume(token=token)
    if used is None:
        return _render(request, "portal/magic.html", {"link": None}, visitor=visitor, status=410)
    response = redirect(used.next_path or reverse("portal-home"))
    services.visitor_cookie_set(response=response, contact=used.contact)
    return response


@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    """ "Not you?" — this browser stops being identified."""
    response = redirect("portal-home")
    services.visitor_cookie_clear(response=response)
    return response


# --- Ask ------------------------------------------------------------------------------


def _referer_path(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return ""
    parsed = urlparse(referer)
    if parsed.netloc and parsed.netloc != request.get_host():
        return ""
    return parsed.path


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    visitor = selectors.visitor_get(request=request)
    form_class = AskForm if visitor is not None else GuestAskForm
    page_path = page_path_clean(
        request.POST.get("page", "") or request.GET.get("from", "") or _referer_path(request)
    )
    page_title = selectors.page_title_for_path(path=page_path)
    context: dict[str, Any] = {"page_path": page_path, "page_title": page_title}
    if visitor is not None:
        context["recent"] = selectors.question_list_recent_for_contact(contact=visitor)
    if request.method == "GET":
        context["form"] = form_class(initial={"page": page_path}, contact=visitor)
        return _render(request, "portal/ask.html", context, visitor=visitor, nav="ask")

    form = form_class(request.POST, contact=visitor)
    if form.is_bot():
        return _render(request, "portal/ask_sent.html", {"question": None}, visitor=visitor)
    status = 400
    if form.is_valid():
        data = services.QuestionInput(
            message=form.cleaned_data["message"],
            page_path=page_path,
            page_title=page_title,
            preferred_channel=form.cleaned_data["preferred_channel"],
            preferred_time=form.cleaned_data["preferred_time"],
            phone=form.cleaned_data["phone"],
            company=form.cleaned_data.get("company", ""),
        )
        who = str(visitor.uuid) if visitor else form.cleaned_data["email"].strip().lower()
        try:
            services.question_rate_check(ip=client_ip(request), who=who)
            if visitor is not None:
                question = services.question_ask(contact=visitor, data=data, verified=True)
            else:
                question = services.question_ask_as_guest(
                    name=form.cleaned_data["name"], email=form.cleaned_data["email"], data=data
                )
        except services.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return redirect("portal-ask-sent", question.uuid)
    context["form"] = form
    return _render(request, "portal/ask.html", context, visitor=visitor, nav="ask", status=status)


@require_GET
def ask_sent(request: HttpRequest, uuid: str) -> HttpResponse:
    """Who will answer and by when. The uuid is unguessable; the page shows no message text."""
    visitor = selectors.visitor_get(request=request)
    question = selectors.question_get_public(uuid=uuid)
    return _render(request, "portal/ask_sent.html", {"question": question}, visitor=visitor)
