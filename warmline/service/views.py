"""Case pages: thin views over services (writes) and selectors (reads, scoped).

Agents and admins record and change cases. Reps see their customers' cases, and can
acknowledge one, add a note for the service team, or call the customer about it. A case
outside the user's scope answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from warmline.core.forms import form_add_service_errors
from warmline.core.http import is_htmx, next_url_get, vary_on_htmx
from warmline.core.pagination import page_get, page_number_parse
from warmline.people.selectors import contact_get
from warmline.service.forms import (
    CaseCallForm,
    CaseCreateForm,
    CaseEditForm,
    CaseNoteForm,
    CaseStatusForm,
)
from warmline.service.models import Case, Priority, Status
from warmline.service.selectors import (
    CaseFilters,
    case_get,
    case_history,
    case_list,
    case_list_for_contact,
    case_list_today,
    case_list_unassigned,
    case_notes,
    case_steps_fired,
)
from warmline.service.services import (
    CaseData,
    case_acknowledge,
    case_call_log,
    case_can_edit,
    case_contact_resolve,
    case_create,
    case_note_add,
    case_update,
)
from warmline.users.http import request_user
from warmline.users.models import Role, User
from warmline.users.selectors import user_can_see_unassigned


def _require_editor(user: User) -> None:
    if not case_can_edit(user=user):
        raise PermissionDenied("Only service agents and admins record and change cases.")


@login_required
def case_list_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    status = request.GET.get("status", "unresolved")
    if status not in ("unresolved", "", *Status.values):
        status = "unresolved"
    priority = request.GET.get("priority", "")
    if priority not in Priority.values:
        priority = ""
    filters = CaseFilters(
        status=status,
        priority=priority,
        q=request.GET.get("q", "")[:100],
        mine=request.GET.get("mine") == "1",
    )
    page = page_get(
        case_list(user=user, filters=filters), number=page_number_parse(request.GET.get("page"))
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "service/case_list.html",
        {
            "nav": "cases",
            "page": page,
            "filters": filters,
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "query": query.urlencode(),
            "can_edit": case_can_edit(user=user),
            "sees_unassigned": user_can_see_unassigned(user=user),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_create_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_editor(user)
    contact = None
    contact_id = request.GET.get("contact") or request.POST.get("contact")
    if contact_id and str(contact_id).isdigit():
        contact = contact_get(user=user, contact_id=int(contact_id))
    # An agent who records a case works it, unless they pick someone else (or nobody).
    initial = {"assigned_agent": user.pk} if user.role == Role.AGENT else {}
    form = CaseCreateForm(request.POST or None, contact=contact, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target = contact
            if target is None:
                target, _ = case_contact_resolve(
                    email=data["contact_email"], name=data.get("contact_name", "")
                )
            case = case_create(
                contact=target,
                data=CaseData(
                    subject=data["subject"],
                    description=data["description"],
                    priority=data["priority"],
                    channel=data["channel"],
                    assigned_agent=data["assigned_agent"],
                ),
                actor=user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"Case {case.reference} opened for {case.contact}.")
            return redirect(case)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "service/case_form.html",
        {"nav": "cases", "form": form, "contact": contact, "case": None},
        status=status,
    )


def _detail_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    user = request_user(request)
    return {
        "nav": "cases",
        "case": case,
        "notes": list(case_notes(case=case)),
        "steps": list(case_steps_fired(case=case)),
        "history": list(case_history(case=case)),
        "can_edit": case_can_edit(user=user),
        "status_form": CaseStatusForm(initial={"status": case.status}),
        "note_form": extra.pop("note_form", None) or CaseNoteForm(),
        "call_form": extra.pop("call_form", None) or CaseCallForm(),
        "now": timezone.now(),
        **extra,
    }


@login_required
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_get(user=request_user(request), case_id=pk)
    return render(request, "service/case_detail.html", _detail_context(request, case))


@login_required
@require_http_methods(["GET", "POST"])
def case_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    _require_editor(user)
    case = case_get(user=user, case_id=pk)
    initial = {
        "subject": case.subject,
        "description": case.description,
        "priority": case.priority,
        "status": case.status,
        "channel": case.channel,
        "assigned_agent": case.assigned_agent,
    }
    form = CaseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change = case_update(case=case, changes=dict(form.cleaned_data), actor=user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if change.changed:
                messages.success(request, "Case updated.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect(change.case)
    return render(
        request,
        "service/case_form.html",
        {"nav": "cases", "form": form, "case": case, "contact": case.contact},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def case_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    _require_editor(user)
    case = case_get(user=user, case_id=pk)
    form = CaseStatusForm(request.POST)
    if form.is_valid():
        change = case_update(case=case, changes={"status": form.cleaned_data["status"]}, actor=user)
        if change.changed:
            messages.success(request, f"Case is now {change.case.get_status_display().lower()}.")
    else:
        messages.error(request, "Pick a valid status.")
    return redirect(next_url_get(request, default=case.get_absolute_url()))


def _row_response(request: HttpRequest, case: Case) -> HttpResponse:
    case = case_get(user=request_user(request), case_id=case.pk)
    return render(
        request,
        "service/partials/case_row.html",
        {"case": case, "now": timezone.now()},
    )


def _from_contact_panel(request: HttpRequest) -> bool:
    """An htmx post from the contact page's cases panel, which swaps its own row."""
    return is_htmx(request) and request.POST.get("panel") == "contact"


def _contact_row_response(request: HttpRequest, case: Case, **extra: Any) -> HttpResponse:
    case = case_get(user=request_user(request), case_id=case.pk)
    return render(
        request,
        "service/partials/contact_case_row.html",
        {"case": case, "contact": case.contact, "now": timezone.now(), **extra},
    )


@login_required
@require_POST
def case_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    case = case_get(user=user, case_id=pk)
    case_acknowledge(case=case, user=user)
    if _from_contact_panel(request):
        return _contact_row_response(request, case)
    if is_htmx(request):
        return _row_response(request, case)
    messages.success(request, "Acknowledged. The service team can see you are on it.")
    return redirect(next_url_get(request, default=case.get_absolute_url()))


@login_required
@require_POST
def case_note_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    case = case_get(user=user, case_id=pk)
    form = CaseNoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(case=case, author=user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if _from_contact_panel(request):
                return _contact_row_response(request, case, note_added=True)
            messages.success(request, "Note added; the service team sees it on the case.")
            return redirect(f"{case.get_absolute_url()}#notes")
    if _from_contact_panel(request):
        # htmx swaps only 2xx answers: the row comes back with the error and the text kept.
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _contact_row_response(
            request,
            case,
            note_error=" ".join(errors) or "Write something in the note.",
            note_body=request.POST.get("body", ""),
        )
    return render(
        request,
        "service/case_detail.html",
        _detail_context(request, case, note_form=form),
        status=422,
    )


@login_required
@require_POST
def case_call_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    case = case_get(user=user, case_id=pk)
    form = CaseCallForm(request.POST)
    if form.is_valid():
        try:
            case_call_log(
                case=case,
                author=user,
                outcome=form.cleaned_data["outcome"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, "Call logged on the timeline.")
            return redirect(case)
    return render(
        request,
        "service/case_detail.html",
        _detail_context(request, case, call_form=form),
        status=422,
    )


@login_required
def case_unassigned_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user_can_see_unassigned(user=user):
        raise PermissionDenied("The unassigned queue is for managers.")
    page = page_get(
        case_list_unassigned(user=user), number=page_number_parse(request.GET.get("page"))
    )
    return render(
        request,
        "service/case_unassigned.html",
        {"nav": "cases", "page": page, "now": timezone.now()},
    )


@login_required
def contact_cases_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The contact's open cases as a fragment, for the contact page (hx-get or include)."""
    user = request_user(request)
    contact = contact_get(user=user, contact_id=contact_id)
    cases = case_list_for_contact(user=user, contact=contact)
    can_edit = case_can_edit(user=user)
    if not cases and not can_edit and is_htmx(request):
        # Nothing to show or do: the contact page's panel stays out of the way.
        return vary_on_htmx(HttpResponse(""))
    return vary_on_htmx(
        render(
            request,
            "service/partials/contact_cases.html",
            {"contact": contact, "cases": cases, "can_edit": can_edit, "now": timezone.now()},
        )
    )


@login_required
def today_cases_view(request: HttpRequest) -> HttpResponse:
    """The *Today* section's body alone, for htmx refreshes."""
    cases, total = case_list_today(user=request_user(request))
    return render(
        request,
        "service/today/cases.html",
        {"cases": cases, "cases_total": total, "now": timezone.now()},
    )
