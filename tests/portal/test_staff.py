"""The rep's side: the Today "Questions" section, acknowledge / mark answered (which stop
the alert's ladder and write the timeline), permissions and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import ContactFactory
from warmline.alerts.models import Alert, LiveEvent, OutboxMessage
from warmline.core.registries.today import TodayContext, section_list
from warmline.portal.models import Question, QuestionStatus
from warmline.portal.services import QuestionInput, question_ask
from warmline.portal.today import questions_build
from warmline.timeline.models import Interaction, Kind

pytestmark = pytest.mark.django_db


def _question(contact, text="Do you stock DN 150 seals?"):  # type: ignore[no-untyped-def]
    return question_ask(contact=contact, data=QuestionInput(message=text), verified=True)


def _ctx(user):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return TodayContext(user=user, today=timezone.localdate(now), now=now)


def test_section_is_registered_first_for_reps_and_managers(company):
    section = next(s for s in section_list() if s.key == "questions")
    assert section.title == "Questions"
    assert section.template == "portal/today/questions.html"
    assert section.visible(company.rep) and section.visible(company.manager)
    assert not section.visible(company.agent)


def test_section_lists_the_reps_open_questions_oldest_first(customer, company):
    first = _question(customer, "first")
    second = _question(customer, "second")
    answered = _question(customer, "third")
    answered.status = QuestionStatus.ANSWERED
    answered.save()
    other = ContactFactory(owner=company.rep2)
    _question(other, "not mine")
    context = questions_build(_ctx(company.rep))
    assert [q.pk for q in context["questions"]] == [first.pk, second.pk]
    assert context["open_count"] == 2


def test_section_query_count_is_bounded(customer, company, django_assert_num_queries):
    for i in range(3):
        _question(customer, f"question {i}")
    # 1: the first page of open questions with contact and account joined
    with django_assert_num_queries(1):
        context = questions_build(_ctx(company.rep))
    assert len(context["questions"]) == 3
    for i in range(30):
        _question(customer, f"more {i}")
    # 1: the first 20 questions; 2: the total count (only when the page is full)
    with django_assert_num_queries(2):
        context = questions_build(_ctx(company.rep))
    assert len(context["questions"]) == 20
    assert context["open_count"] == 33


def test_panel_renders_for_the_rep(customer, company, django_assert_max_num_queries):
    _question(customer)
    client = Client()
    client.force_login(company.rep)
    client.get("/questions/panel/")
    with django_assert_max_num_queries(4) as few:  # session, user, questions (+ count)
        body = client.get("/questions/panel/").content.decode()
    assert "Dana Kowalski" in body and "Acme Water" in body
    assert "Do you stock DN 150 seals?" in body
    assert "Acknowledge" in body and "Mark answered" in body
    for i in range(25):
        _question(customer, f"more {i}")
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the count query
        assert client.get("/questions/panel/").status_code == 200


def test_acknowledge_stops_the_alert_and_writes_the_timeline(customer, company):
    question = _question(customer)
    alert = Alert.objects.get(cause=question.cause)
    client = Client()
    client.force_login(company.rep)
    response = client.post(f"/questions/{question.pk}/acknowledge/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    question.refresh_from_db()
    assert question.status == QuestionStatus.ACKNOWLEDGED
    assert question.acknowledged_by == company.rep
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert not OutboxMessage.objects.filter(alert=alert, status="pending").exists()
    entry = Interaction.objects.get(external_id=f"question:{question.uuid}:acknowledged")
    assert entry.kind == Kind.QUESTION and entry.author == company.rep
    # twice is harmless: one timeline entry
    client.post(f"/questions/{question.pk}/acknowledge/")
    assert Interaction.objects.filter(external_id__endswith=":acknowledged").count() == 1
    events = LiveEvent.objects.filter(user=company.rep, event="question").order_by("id")
    assert [e.data["status"] for e in events] == ["new", "acknowledged"]


def test_answer_acknowledges_too_and_leaves_the_panel(customer, company):
    question = _question(customer)
    client = Client()
    client.force_login(company.rep)
    response = client.post(
        f"/questions/{question.pk}/answer/",
        {"note": "Called her: yes, in stock."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "No open questions" in response.content.decode()  # htmx gets the fresh panel
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    assert question.acknowledged_by == company.rep and question.answered_by == company.rep
    assert question.answer_note == "Called her: yes, in stock."
    assert Alert.objects.get(cause=question.cause).acknowledged_at is not None
    entry = Interaction.objects.get(external_id=f"question:{question.uuid}:answered")
    assert entry.body == "Called her: yes, in stock."


def test_acknowledging_the_alert_elsewhere_shows_as_acknowledged(customer, company):
    from warmline.alerts.services import alert_acknowledge

    question = _question(customer)
    alert_acknowledge(alert=Alert.objects.get(cause=question.cause), user=company.rep)
    client = Client()
    client.force_login(company.rep)
    panel = client.get("/questions/panel/").content.decode()
    assert "Acknowledged" in panel and "Acknowledge<span" not in panel
    assert "Mark answered" in panel
    page = client.get(f"/questions/{question.pk}/").content.decode()
    assert ">Acknowledge</button>" not in page and "Mark answered" in page


def test_another_reps_question_is_not_found(customer, company):
    question = _question(customer)
    client = Client()
    client.force_login(company.outsider_rep)
    assert client.get(f"/questions/{question.pk}/").status_code == 404
    assert client.post(f"/questions/{question.pk}/acknowledge/").status_code == 404
    assert client.post(f"/questions/{question.pk}/answer/").status_code == 404
    assert Question.objects.get().status == QuestionStatus.NEW
    # the rep's manager sees the team's questions
    client.force_login(company.manager)
    assert client.get(f"/questions/{question.pk}/").status_code == 200


def test_staff_views_need_a_login(customer):
    question = _question(customer)
    assert Client().get(f"/questions/{question.pk}/").status_code == 302
    assert Client().post(f"/questions/{question.pk}/acknowledge/").status_code == 302
    assert Client().get("/questions/panel/").status_code == 302


def test_question_page_shows_everything_the_rep_needs(customer, company):
    question = question_ask(
        contact=customer,
        data=QuestionInput(
            message="Please call about the retrofit",
            page_path="/site/products/x/",
            page_title="X200",
            preferred_channel="call",
            preferred_time="afternoon",
        ),
        verified=True,
    )
    client = Client()
    client.force_login(company.rep)
    body = client.get(f"/questions/{question.pk}/").content.decode()
    assert "Please call about the retrofit" in body
    assert 'href="tel:+14155552671"' in body
    assert "Call me, afternoon (12–17)" in body
    assert "X200" in body
    assert f'href="/contacts/{customer.pk}/"' in body


def test_the_question_list_shows_whom_each_user_may_see(client: Client, customer, company):
    """/questions/: a rep sees their own (open first, overdue marked), a manager the team's,
    another rep none of them; answered ones under their own filter."""
    mine = _question(customer, "about seals")
    done = _question(customer, "about pumps")
    done.status = QuestionStatus.ANSWERED
    done.save()
    Question.objects.filter(pk=mine.pk).update(answer_by=timezone.now() - dt.timedelta(hours=1))
    theirs = _question(ContactFactory(owner=company.rep2), "for the other rep")

    client.force_login(company.rep)
    html = client.get("/questions/").content.decode()
    assert "about seals" in html and "Overdue" in html
    assert "about pumps" not in html and "for the other rep" not in html
    answered = client.get("/questions/", {"status": "answered"}).content.decode()
    assert "about pumps" in answered and "about seals" not in answered
    assert client.get("/questions/", {"status": "nonsense", "page": "x"}).status_code == 200

    client.force_login(company.manager)
    team = client.get("/questions/", {"status": "all"}).content.decode()
    assert all(t in team for t in ("about seals", "about pumps", "for the other rep"))

    client.force_login(company.outsider_rep)
    assert "about seals" not in client.get("/questions/").content.decode()
    assert theirs.pk


def test_the_question_list_costs_the_same_whatever_its_length(
    client: Client, customer, company, django_assert_max_num_queries
):
    client.force_login(company.rep)
    for i in range(3):
        _question(customer, f"question {i}")
    with django_assert_max_num_queries(8) as few:
        client.get("/questions/")
    for i in range(30):
        _question(customer, f"more {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/questions/")
