"""Asking: identified visitors reach their rep, unknown visitors become routed leads;
each question writes its timeline entry, alert and live event; limits keep bots out."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ContactFactory, UserFactory
from tests.portal.conftest import identify
from warmline.alerts.models import Alert, LiveEvent
from warmline.people.models import Contact
from warmline.portal.models import Question, QuestionStatus
from warmline.timeline.models import Interaction, Kind, Source
from warmline.users.models import Role

pytestmark = pytest.mark.django_db


def _ask(client: Client, **fields):  # type: ignore[no-untyped-def]
    data = {
        "message": "Can the X200 handle 15% glycol at 60 °C?",
        "preferred_channel": "email",
        "preferred_time": "morning",
        **fields,
    }
    return client.post("/site/ask/", data)


def test_ask_form_fills_in_the_page_the_visitor_was_on(visitor_client, catalogue):
    body = visitor_client.get("/site/ask/?from=/site/products/pump-1/").content.decode()
    assert "Pump 1" in body and "(the page you were on)" in body
    assert 'name="page" value="/site/products/pump-1/"' in body
    assert 'name="name"' not in body  # known visitor: no name or e-mail to type
    # and from the Referer when the link carried no ?from=
    body = visitor_client.get(
        "/site/ask/", HTTP_REFERER="http://testserver/site/products/pump-2/"
    ).content.decode()
    assert 'name="page" value="/site/products/pump-2/"' in body
    # never another site or the staff app
    body = visitor_client.get("/site/ask/?from=https://evil.example/x").content.decode()
    assert 'name="page" value=""' in body or 'name="page" id' in body


def test_identified_visitor_asks_their_rep(visitor_client, customer, company, catalogue):
    response = _ask(visitor_client, page="/site/products/pump-1/")
    assert response.status_code == 302
    question = Question.objects.get()
    assert response["Location"] == f"/site/ask/sent/{question.uuid}/"
    assert question.contact == customer
    assert question.rep == company.rep
    assert question.status == QuestionStatus.NEW
    assert question.verified is True and question.is_new_lead is False
    assert question.page_path == "/site/products/pump-1/"
    assert question.page_title == "Pump 1"
    assert question.answer_by > question.created_at

    entry = Interaction.objects.get(contact=customer, kind=Kind.QUESTION)
    assert entry.source == Source.PORTAL
    assert entry.body == "Can the X200 handle 15% glycol at 60 °C?"
    assert entry.subject == "on Pump 1"  # where; the body is the question (not said twice)
    assert entry.data["question_id"] == question.pk

    alert = Alert.objects.get(cause=f"question:{question.pk}")
    assert alert.recipient == company.rep
    assert alert.kind == "question"
    assert alert.contact == customer
    assert alert.url == f"/questions/{question.pk}/"
    assert alert.title == "Dana Kowalski (Acme Water) asked a question about Pump 1"

    event = LiveEvent.objects.get(user=company.rep, event="question")
    assert event.data["id"] == question.pk
    assert event.data["contact"] == "Dana Kowalski"

    sent = visitor_client.get(response["Location"]).content.decode()
    assert "Rita Reyes" in sent and "will answer" in sent
    assert "within 2 business hours" in sent
    assert "glycol" not in sent  # the confirmation shows no message text


def test_unknown_visitor_becomes_a_lead_routed_round_robin(client, company):
    reps = sorted([company.rep, company.rep2, company.outsider_rep], key=lambda u: u.pk)
    owners = []
    for i in range(4):
        response = _ask(
            Client(),
            name=f"Lee Novak{i}",
            email=f"lee{i}@newco.example",
            company="NewCo",
            preferred_channel="call",
            phone="+1 212 555 0199",
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        contact = Contact.objects.get(email=f"lee{i}@newco.example")
        owners.append(contact.owner)
        assert contact.stage == "lead"
        assert contact.first_name == "Lee" and contact.last_name == f"Novak{i}"
        question = Question.objects.get(contact=contact)
        assert question.is_new_lead and not question.verified
        assert question.rep == contact.owner
        assert question.callback_phone == "+12125550199"
        assert question.company == "NewCo"
    assert owners == [reps[0], reps[1], reps[2], reps[0]]


def test_guest_confirmation_does_not_reveal_whether_the_email_is_a_customer(customer, company):
    company.rep.time_zone = "America/Los_Angeles"
    company.rep.save()
    known = _ask(Client(), name="Dana K", email="dana@acme.example")
    new = _ask(Client(), name="Lee Novak", email="lee@newco.example")
    known_page = Client().get(known["Location"]).content.decode()
    new_page = Client().get(new["Location"]).content.decode()
    for page in (known_page, new_page):
        assert "A person from our sales team will answer by" in page
        for rep in (company.rep, company.rep2, company.outsider_rep):
            assert rep.get_full_name() not in page
    answer_bys = [q.answer_by for q in Question.objects.order_by("id")]
    assert abs((answer_bys[0] - answer_bys[1]).total_seconds()) < 5


def test_round_robin_skips_inactive_reps_and_falls_back_to_a_manager(company):
    from warmline.portal.services import rep_route_round_robin

    company.rep2.is_active = False
    company.rep2.save()
    chosen = {rep_route_round_robin() for _ in range(4)}
    assert chosen == {company.rep, company.outsider_rep}
    from warmline.users.models import User

    User.objects.filter(role=Role.REP).update(is_active=False)
    assert rep_route_round_robin() in (company.manager, company.other_manager)


def test_unknown_visitor_with_a_known_email_joins_that_contact_unverified(
    client, customer, company
):
    response = _ask(client, name="Dana K", email="DANA@acme.example")
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.contact == customer
    assert question.rep == company.rep
    assert question.verified is False and question.is_new_lead is False
    assert Contact.objects.count() == 1


def test_contact_without_owner_gets_one_by_round_robin(company):
    orphan = ContactFactory(owner=None, emails=[("orphan@x.example", "work")])
    client = identify(Client(), orphan)
    assert _ask(client).status_code == 302
    orphan.refresh_from_db()
    assert orphan.owner is not None
    assert Question.objects.get().rep == orphan.owner


def test_inactive_owner_routes_to_the_team_manager(customer, company):
    company.rep.is_active = False
    company.rep.save()
    client = identify(Client(), customer)
    assert _ask(client).status_code == 302
    assert Question.objects.get().rep == company.manager
    customer.refresh_from_db()
    assert customer.owner == company.rep  # ownership changes only by a handover


def test_validation_errors_keep_what_was_typed(client, db):
    response = _ask(
        client, name="", email="not-an-email", message="Hi", preferred_channel="call", phone=""
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="not-an-email"' in body
    assert "Hi</textarea>" in body
    assert "Tell us a little more" in body
    assert "Give us a number to call you on." in body
    assert not Question.objects.exists()


def test_message_length_limit(visitor_client, settings):
    settings.PORTAL_MESSAGE_MAX_CHARS = 50
    response = _ask(visitor_client, message="x" * 51)
    assert response.status_code == 400
    assert "Please keep it under 50 characters (you wrote 51)." in response.content.decode()


def test_bad_phone_is_explained(visitor_client):
    response = _ask(visitor_client, preferred_channel="call", phone="12")
    assert response.status_code == 400
    assert (
        "not a valid phone number" in response.content.decode()
        or "not a phone number" in response.content.decode()
    )


def test_honeypot_creates_nothing(client, company):
    response = _ask(client, name="Bot", email="bot@spam.example", website="http://buy.example")
    assert response.status_code == 200
    assert "your question is with us" in response.content.decode()
    assert not Question.objects.exists()
    assert not Contact.objects.exists()


def test_rate_limit_per_contact(visitor_client, settings):
    settings.PORTAL_RATE_ASK_CONTACT = "2/h"
    assert _ask(visitor_client).status_code == 302
    assert _ask(visitor_client).status_code == 302
    blocked = _ask(visitor_client, message="A third question, typed with care")
    assert blocked.status_code == 429
    body = blocked.content.decode()
    assert "You have sent a lot of questions in a short time. Please try again in" in body
    assert "A third question, typed with care" in body
    assert Question.objects.count() == 2


def test_rate_limit_per_ip_across_contacts(company, settings):
    settings.PORTAL_RATE_ASK_IP = "2/h"
    codes = [_ask(Client(), name="A B", email=f"a{i}@x.example").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    other = Client(REMOTE_ADDR="203.0.113.5")
    assert _ask(other, name="A B", email="z@x.example").status_code == 302


def test_forwarded_for_is_trusted_only_behind_a_proxy(company, settings):
    settings.PORTAL_RATE_ASK_IP = "1/h"
    settings.BEHIND_PROXY = True
    for i in range(2):
        response = _ask(
            Client(HTTP_X_FORWARDED_FOR=f"spoofed, 198.51.100.{i}"),
            name="A B",
            email=f"p{i}@x.example",
        )
        assert response.status_code == 302


def test_html_in_the_message_is_shown_as_text(visitor_client, company):
    _ask(visitor_client, message='<script>alert("x")</script><b>bold</b>')
    question = Question.objects.get()
    rep = Client()
    rep.force_login(company.rep)
    for url in ("/questions/panel/", f"/questions/{question.pk}/"):
        body = rep.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in body
        assert "<script>alert" not in body


def test_visitor_sees_their_recent_questions(visitor_client):
    _ask(visitor_client, message="First question about seals")
    body = visitor_client.get("/site/ask/").content.decode()
    assert "Your recent questions" in body
    assert "First question about seals" in body
    assert "New" in body


def test_sent_page_for_unknown_question_is_404(client, db):
    assert client.get("/site/ask/sent/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_no_rep_at_all_still_keeps_the_question(db):
    UserFactory(username="admin1", role=Role.ADMIN)
    response = _ask(Client(), name="Solo Visitor", email="solo@x.example")
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.rep is None
    assert not Alert.objects.exists()
    assert "our sales team" in Client().get(response["Location"]).content.decode()
