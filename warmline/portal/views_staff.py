"""Staff views for portal questions: the question page and the Today panel's actions.
htmx requests get the refreshed panel back; plain form posts are redirected."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from warmline.core.forms import form_add_service_errors
from warmline.core.http import is_htmx, next_url_get, vary_on_htmx
from warmline.core.pagination import page_get, page_number_parse
from warmline.people.selectors import contact_get
from warmline.portal import selectors, services
from warmline.portal.forms import AnswerForm
from warmline.portal.today import questions_context
from warmline.users.http import request_user


def _after_action(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    if is_htmx(request):
        return render(request, "portal/today/questions_panel.html", questions_context(user=user))
    return redirect(next_url_get(request) or reverse("question-detail", args=[pk]))


@login_required
@require_GET
def question_panel(request: HttpRequest) -> HttpResponse:
    """The Today "Questions" panel alone; refetched when a "question" live event arrives."""
    user = request_user(request)
    return render(request, "portal/today/questions_panel.html", questions_context(user=user))


QUESTION_FILTERS = {"open": "Open", "answered": "Answered", "all": "All"}


@login_required
@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    """Every question the user may see: a rep's own and their book's, a manager's team's
    (overdue ones are marked), with the waiting ones first."""
    user = request_user(request)
    status = request.GET.get("status", "open")
    if status not in QUESTION_FILTERS:
        status = "open"
    page = page_get(
        selectors.question_list(user=user, status=status),
        number=page_number_parse(request.GET.get("page")),
    )
    return render(
        request,
        "portal/staff/question_list.html",
        {"page": page, "status": status, "filters": QUESTION_FILTERS, "nav": "today"},
    )


@login_required
@require_GET
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    question = selectors.question_get(user=user, question_id=pk)
    return render(
        request,
        "portal/staff/question_detail.html",
        {"question": question, "answer_form": AnswerForm(), "now": timezone.now(), "nav": "today"},
    )


@login_required
@require_POST
def question_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    question = selectors.question_get(user=user, question_id=pk)
    services.question_acknowledge(question=question, user=user)
    return _after_action(request, pk)


@login_required
@require_POST
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    question = selectors.question_get(user=user, question_id=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.question_answer(question=question, user=user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return _after_action(request, pk)
    return render(
        request,
        "portal/staff/question_detail.html",
        {"question": question, "answer_form": form, "now": timezone.now(), "nav": "today"},
        status=400,
    )


@login_required
@require_GET
def contact_questions(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The contact page's "Questions" panel (see people/panels.py): what this contact asked
    on the portal lately. Empty when they never asked, so the panel takes no room."""
    user = request_user(request)
    contact = contact_get(user=user, contact_id=contact_id)
    questions = selectors.question_list_for_contact(contact=contact)
    if not questions and is_htmx(request):
        return vary_on_htmx(HttpResponse(""))
    return vary_on_htmx(
        render(
            request,
            "portal/staff/contact_questions.html",
            {"contact": contact, "questions": questions, "now": timezone.now()},
        )
    )
