"""The rep's pages for contacts and accounts.

Thin views: a form parses, a selector reads (always scoped to the user, so another rep's
contact is a 404), a service writes. htmx requests get a partial from
`people/partials/`; the same URL without htmx renders the full page, and every POST also
works as a plain form post followed by a redirect.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from warmline.core.forms import form_add_service_errors
from warmline.core.http import int_param, is_htmx, render_htmx, vary_on_htmx
from warmline.core.pagination import BadCursor, keyset_page_get, page_get, page_number_parse
from warmline.people import selectors as people_selectors
from warmline.people import services as people_services
from warmline.people.forms import (
    LOG_FORMS,
    LOG_KINDS,
    TIME_ZONES,
    AccountForm,
    ContactForm,
    DateForm,
    FactForm,
)
from warmline.people.models import Account, Contact, ImportantDate, PersonalFact, Stage
from warmline.people.panels import contact_panels_place
from warmline.people.selectors import (
    ContactFilters,
    account_can_edit,
    account_get,
    account_interaction_list,
    contact_can_edit,
    contact_get,
    contact_scope,
    tag_list,
)
from warmline.people.services import (
    DuplicateMatch,
    account_save,
    contact_find_duplicates,
    contact_update,
    fact_add,
    fact_remove,
    important_date_add,
    important_date_remove,
)
from warmline.timeline.models import Interaction
from warmline.timeline.selectors import interaction_list_for_contact
from warmline.timeline.services import call_log, meeting_log, note_add
from warmline.users.http import request_user
from warmline.users.models import User
from warmline.users.selectors import (
    user_can_see_unassigned,
    user_list_owners,
    user_owner_ids_editable,
)

TIMELINE_PAGE_SIZE = 20
ACCOUNT_CONTACTS_SHOWN = 25


# --- Contact list ---------------------------------------------------------------------


# The owner filter's value for contacts nobody owns.
UNASSIGNED = "none"


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    stage = request.GET.get("stage", "")
    owner = request.GET.get("owner", "")
    filters = ContactFilters(
        q=request.GET.get("q", "").strip()[:200],
        owner_id=int_param(owner) if owner != UNASSIGNED else None,
        unassigned=owner == UNASSIGNED and user_can_see_unassigned(user=user),
        stage=stage if stage in Stage.values else "",
        tag=request.GET.get("tag", "").strip()[:60],
        account_id=int_param(request.GET.get("account")),
    )
    page = page_get(
        people_selectors.contact_list(user=user, filters=filters),
        number=page_number_parse(request.GET.get("page")),
    )
    context: dict[str, Any] = {"nav": "contacts", "page": page, "filters": filters}
    if is_htmx(request):
        return vary_on_htmx(render(request, "people/partials/contact_results.html", context))
    account = None
    if filters.account_id:
        try:
            account = account_get(user=user, account_id=filters.account_id)
        except Http404:
            account = None
    context.update(
        owners=list(user_list_owners(user=user)),
        unassigned_choice=UNASSIGNED if user_can_see_unassigned(user=user) else "",
        stages=Stage.choices,
        tags=list(tag_list().values_list("name", flat=True)),
        filter_account=account,
        can_create=user_owner_ids_editable(user=user) != [],
    )
    return vary_on_htmx(render(request, "people/contact_list.html", context))


# --- Contact page ---------------------------------------------------------------------


@dataclass(frozen=True)
class DateRow:
    """An important date as the contact page shows it."""

    item: ImportantDate
    next_on: dt.date | None
    days: int | None
    years: int | None

    @property
    def text(self) -> str:
        return self.item.occasion(self.next_on, age=True) if self.next_on else self.item.title


def _date_rows(contact: Contact, today: dt.date) -> list[DateRow]:
    rows = []
    for item in contact.dates.all():
        on = item.next_occurrence(today)
        rows.append(
            DateRow(
                item=item,
                next_on=on,
                days=(on - today).days if on else None,
                years=item.years_on(on) if on else None,
            )
        )
    rows.sort(key=lambda r: (r.next_on is None, r.next_on or r.item.date))
    return rows


def _facts_context(
    contact: Contact, *, can_edit: bool, form: FactForm | None = None
) -> dict[str, Any]:
    return {
        "contact": contact,
        "can_edit": can_edit,
        "facts": list(contact.facts.all()),
        "fact_form": form or FactForm(),
    }


def _dates_context(
    contact: Contact, *, can_edit: bool, form: DateForm | None = None
) -> dict[str, Any]:
    return {
        "contact": contact,
        "can_edit": can_edit,
        "dates": _date_rows(contact, timezone.localdate()),
        "date_form": form or DateForm(),
    }


def _log_context(contact: Contact, *, kind: str, form: Any = None) -> dict[str, Any]:
    kind = kind if kind in LOG_FORMS else "note"
    return {
        "contact": contact,
        "log_kind": kind,
        "log_kinds": LOG_KINDS,
        "log_form": form or LOG_FORMS[kind](),
    }


def _timeline_page(contact: Contact, cursor: str = "") -> Any:
    return keyset_page_get(
        interaction_list_for_contact(contact=contact),
        cursor=cursor,
        page_size=TIMELINE_PAGE_SIZE,
    )


def _contact_page_context(request: HttpRequest, contact: Contact, **forms: Any) -> dict[str, Any]:
    """Everything the contact page shows; a fixed number of queries whatever the history."""
    user = request_user(request)
    can_edit = contact_can_edit(user=user, contact=contact)
    now = timezone.now()
    local_now = contact.local_now(now)
    context: dict[str, Any] = {
        "nav": "contacts",
        "contact": contact,
        "can_edit": can_edit,
        "emails": list(contact.emails.all()),
        "phones": list(contact.phones.all()),
        "interests": list(contact.interests.all()),
        "local_now": local_now,
        "calling_hours": bool(
            local_now
            and settings.WARMLINE_CALL_HOURS_START
            <= local_now.hour
            < settings.WARMLINE_CALL_HOURS_END
        ),
        "timeline": _timeline_page(contact),
        "panels": contact_panels_place(user=user, contact=contact),
        "now": now,
    }
    context.update(_facts_context(contact, can_edit=can_edit, form=forms.get("fact_form")))
    context.update(_dates_context(contact, can_edit=can_edit, form=forms.get("date_form")))
    context.update(
        _log_context(
            contact,
            kind=forms.get("log_kind") or request.GET.get("log", "note"),
            form=forms.get("log_form"),
        )
    )
    return context


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_get(user=request_user(request), contact_id=pk)
    return render(request, "people/contact_detail.html", _contact_page_context(request, contact))


@login_required
@require_GET
def contact_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Older timeline entries: a partial for "Show older", a page of its own without JS."""
    contact = contact_get(user=request_user(request), contact_id=pk)
    try:
        page = _timeline_page(contact, request.GET.get("before", ""))
    except BadCursor:
        return HttpResponseBadRequest("That link to older entries is broken.")
    context = {"nav": "contacts", "contact": contact, "timeline": page, "now": timezone.now()}
    return render_htmx(
        request,
        partial="people/partials/timeline_page.html",
        page="people/contact_timeline.html",
        context=context,
    )


# --- Logging a touch ------------------------------------------------------------------


def _log_write(kind: str, *, contact: Contact, author: User, data: dict[str, Any]) -> Interaction:
    if kind == "call":
        return call_log(contact=contact, author=author, outcome=data["outcome"], body=data["body"])
    if kind == "meeting":
        return meeting_log(
            contact=contact,
            author=author,
            subject=data["subject"],
            body=data["body"],
            occurred_at=data["when"],
        )
    return note_add(contact=contact, author=author, body=data["body"])


_LOG_DONE = {"note": "Note added.", "call": "Call logged.", "meeting": "Meeting logged."}


@login_required
@require_http_methods(["GET", "POST"])
def contact_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a note, call or meeting. Anyone who can see the contact may log a touch.

    GET switches the panel's tab (htmx) or sends a browser without JS to the page with
    that tab open.
    """
    user = request_user(request)
    contact = contact_get(user=user, contact_id=pk)
    if request.method == "GET":
        kind = request.GET.get("kind", "note")
        if not is_htmx(request):
            return redirect(f"{contact.get_absolute_url()}?log={kind}#log")
        return vary_on_htmx(
            render(request, "people/partials/log_panel.html", _log_context(contact, kind=kind))
        )

    kind = request.POST.get("kind", "")
    if kind not in LOG_FORMS:
        return HttpResponseBadRequest("Choose a note, a call or a meeting.")
    form = LOG_FORMS[kind](request.POST)
    entry = None
    if form.is_valid():
        try:
            entry = _log_write(kind, contact=contact, author=user, data=form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc, fields={"occurred_at": "when"})
    if entry is None:
        if is_htmx(request):
            return render(
                request,
                "people/partials/log_panel.html",
                _log_context(contact, kind=kind, form=form),
            )
        context = _contact_page_context(request, contact, log_kind=kind, log_form=form)
        return render(request, "people/contact_detail.html", context)

    if not is_htmx(request):
        messages.success(request, _LOG_DONE[kind])
        return redirect(f"{contact.get_absolute_url()}?log={kind}#timeline")
    contact.refresh_from_db(fields=["last_touch_at"])
    context = _log_context(contact, kind=kind)
    context.update(entry=entry, now=timezone.now(), logged=_LOG_DONE[kind])
    return render(request, "people/partials/log_done.html", context)


# --- Personal facts and important dates -----------------------------------------------


def _facts_response(
    request: HttpRequest, contact: Contact, form: FactForm | None = None
) -> HttpResponse:
    return render(
        request,
        "people/partials/facts.html",
        _facts_context(contact, can_edit=True, form=form),
    )


def _dates_response(
    request: HttpRequest, contact: Contact, form: DateForm | None = None
) -> HttpResponse:
    return render(
        request,
        "people/partials/dates.html",
        _dates_context(contact, can_edit=True, form=form),
    )


@login_required
@require_POST
def contact_fact_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    contact = contact_get(user=user, contact_id=pk, for_edit=True)
    form = FactForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            fact_add(
                contact=contact,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                actor=user,
            )
            saved = True
        except ValidationError as exc:
            form_add_service_errors(form, exc)
    if is_htmx(request):
        return _facts_response(request, contact, None if saved else form)
    if saved:
        messages.success(request, "Fact saved.")
        return redirect(f"{contact.get_absolute_url()}#facts")
    return render(
        request,
        "people/contact_detail.html",
        _contact_page_context(request, contact, fact_form=form),
    )


@login_required
@require_POST
def contact_fact_remove(request: HttpRequest, pk: int, fact_id: int) -> HttpResponse:
    contact = contact_get(user=request_user(request), contact_id=pk, for_edit=True)
    fact: PersonalFact | None = contact.facts.filter(pk=fact_id).first()
    if fact is None:
        raise Http404("No such fact.")
    fact_remove(fact=fact)
    if is_htmx(request):
        return _facts_response(request, contact)
    messages.success(request, "Fact removed.")
    return redirect(f"{contact.get_absolute_url()}#facts")


@login_required
@require_POST
def contact_date_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_get(user=request_user(request), contact_id=pk, for_edit=True)
    form = DateForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            important_date_add(
                contact=contact,
                kind=form.cleaned_data["kind"],
                date=form.cleaned_data["date"],
                label=form.cleaned_data["label"],
                recurs_yearly=form.cleaned_data["recurs_yearly"],
            )
            saved = True
        except ValidationError as exc:
            form_add_service_errors(form, exc)
    if is_htmx(request):
        return _dates_response(request, contact, None if saved else form)
    if saved:
        messages.success(request, "Date saved.")
        return redirect(f"{contact.get_absolute_url()}#dates")
    return render(
        request,
        "people/contact_detail.html",
        _contact_page_context(request, contact, date_form=form),
    )


@login_required
@require_POST
def contact_date_remove(request: HttpRequest, pk: int, date_id: int) -> HttpResponse:
    contact = contact_get(user=request_user(request), contact_id=pk, for_edit=True)
    item: ImportantDate | None = contact.dates.filter(pk=date_id).first()
    if item is None:
        raise Http404("No such date.")
    important_date_remove(item=item)
    if is_htmx(request):
        return _dates_response(request, contact)
    messages.success(request, "Date removed.")
    return redirect(f"{contact.get_absolute_url()}#dates")


# --- Create / edit a contact ----------------------------------------------------------


@dataclass(frozen=True)
class DuplicateRow:
    """A possible duplicate; `visible` says whether the user may open it (and get a link)."""

    match: DuplicateMatch
    visible: bool

    @property
    def what(self) -> str:
        return self.match.matched_on.partition(" ")[0]

    @property
    def value(self) -> str:
        return self.match.matched_on.partition(" ")[2]


def _duplicates(
    user: User,
    *,
    emails: list[str],
    phones: list[str],
    account: Account | None,
    exclude_id: int | None,
) -> list[DuplicateRow]:
    matches = contact_find_duplicates(
        emails=[e for e in emails if e.strip()],
        phones=[p for p in phones if p.strip()],
        region=account.country if account and account.country else None,
        exclude_id=exclude_id,
    )
    if not matches:
        return []
    visible = set(
        contact_scope(user=user)
        .filter(pk__in=[m.contact_id for m in matches])
        .values_list("pk", flat=True)
    )
    return [DuplicateRow(match=m, visible=m.contact_id in visible) for m in matches]


def _require_can_create(user: User) -> None:
    if user_owner_ids_editable(user=user) == []:
        raise PermissionDenied("Your role can read contacts but not add them.")


def _contact_form_page(
    request: HttpRequest,
    form: ContactForm,
    *,
    contact: Contact | None,
    duplicates: list[DuplicateRow] | None = None,
) -> HttpResponse:
    return render(
        request,
        "people/contact_form.html",
        {
            "nav": "contacts",
            "form": form,
            "contact": contact,
            "duplicates": duplicates or [],
            "is_new": contact is None,
            "time_zones": TIME_ZONES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_can_create(user)
    if request.method == "GET":
        initial = {}
        if int_param(request.GET.get("account")):
            initial["account"] = request.GET["account"]
        return _contact_form_page(request, ContactForm(user=user, initial=initial), contact=None)

    form = ContactForm(request.POST, user=user)
    duplicates: list[DuplicateRow] = []
    if form.is_valid():
        duplicates = _duplicates(
            user,
            emails=form.typed_emails(),
            phones=form.typed_phones(),
            account=form.cleaned_data["account"],
            exclude_id=None,
        )
        if duplicates and not form.cleaned_data["create_anyway"]:
            form.add_error(
                "create_anyway",
                "Someone with this e-mail or phone is already in Warmline. Open them instead, "
                "or tick the box if this really is a different person.",
            )
        else:
            try:
                contact = people_services.contact_create(data=form.contact_data())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, f"{contact.full_name} added.")
                return redirect(contact)
    return _contact_form_page(request, form, contact=None, duplicates=duplicates)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    contact = contact_get(user=user, contact_id=pk, for_edit=True)
    if request.method == "GET":
        form = ContactForm(
            user=user, contact=contact, initial=ContactForm.initial_for(contact=contact)
        )
        return _contact_form_page(request, form, contact=contact)
    form = ContactForm(request.POST, user=user, contact=contact)
    if form.is_valid():
        try:
            contact_update(contact=contact, data=form.contact_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect(contact)
    return _contact_form_page(request, form, contact=contact)


@login_required
@require_GET
def contact_duplicates(request: HttpRequest) -> HttpResponse:
    """The "already in Warmline?" warning, refreshed as the user types an e-mail or phone."""
    user = request_user(request)
    get = request.GET
    emails = [get.get("email", ""), *get.get("other_emails", "").splitlines()]
    phones = [
        get.get("phone", ""),
        get.get("mobile", ""),
        *get.get("other_phones", "").splitlines(),
    ]
    account = None
    account_id = int_param(get.get("account"))
    if account_id:
        try:
            account = account_get(user=user, account_id=account_id)
        except Http404:
            account = None
    rows = _duplicates(
        user,
        emails=[e[:254] for e in emails[:20]],
        phones=[p[:40] for p in phones[:20]],
        account=account,
        exclude_id=int_param(get.get("exclude")),
    )
    return vary_on_htmx(
        render(
            request,
            "people/partials/duplicates.html",
            {"duplicates": rows, "live": True, "is_new": not get.get("exclude")},
        )
    )


# --- Accounts -------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    q = request.GET.get("q", "").strip()[:200]
    page = page_get(
        people_selectors.account_list(user=user, q=q),
        number=page_number_parse(request.GET.get("page")),
    )
    context = {
        "nav": "accounts",
        "page": page,
        "q": q,
        "can_create": user_owner_ids_editable(user=user) != [],
    }
    return render_htmx(
        request,
        partial="people/partials/account_results.html",
        page="people/account_list.html",
        context=context,
    )


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get(user=user, account_id=pk)
    contacts = page_get(
        people_selectors.contact_list(user=user, filters=ContactFilters(account_id=account.pk)),
        number=1,
        page_size=ACCOUNT_CONTACTS_SHOWN,
    )
    return render(
        request,
        "people/account_detail.html",
        {
            "nav": "accounts",
            "account": account,
            "can_edit": account_can_edit(user=user, account=account),
            "contacts": contacts,
            "timeline": account_interaction_list(user=user, account=account, limit=20),
            "now": timezone.now(),
        },
    )


def _account_form_page(
    request: HttpRequest, form: AccountForm, *, account: Account | None
) -> HttpResponse:
    return render(
        request,
        "people/account_form.html",
        {"nav": "accounts", "form": form, "account": account},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_can_create(user)
    if request.method == "GET":
        return _account_form_page(request, AccountForm(user=user), account=None)
    form = AccountForm(request.POST, user=user)
    if form.is_valid():
        try:
            account = account_save(account=form.apply_to(Account()))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"{account.name} added.")
            return redirect(account)
    return _account_form_page(request, form, account=None)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get(user=user, account_id=pk)
    if not account_can_edit(user=user, account=account):
        raise Http404("No such account.")
    if request.method == "GET":
        form = AccountForm(
            user=user, account=account, initial=AccountForm.initial_for(account=account)
        )
        return _account_form_page(request, form, account=account)
    form = AccountForm(request.POST, user=user, account=account)
    if form.is_valid():
        try:
            account_save(account=form.apply_to(account))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
            account = account_get(user=user, account_id=pk)  # drop the unsaved edits
        else:
            messages.success(request, "Changes saved.")
            return redirect(account)
    return _account_form_page(request, form, account=account)
