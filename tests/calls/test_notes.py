"""Check-in and congratulation notes: templates with merge fields, preview, consent, sending
through the alerts app's e-mail outbox (exactly once) and the timeline entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import AccountFactory, ContactFactory
from warmline.alerts.models import OutboxMessage
from warmline.alerts.services import message_id_header, outbox_message_deliver
from warmline.calls.merge import (
    DEFAULT_TEMPLATES,
    merge_render,
    merge_unknown_fields,
    merge_values,
)
from warmline.calls.models import NoteStatus, OutgoingNote
from warmline.calls.services import message_template_save, note_send
from warmline.people.services import important_date_add
from warmline.timeline.models import Interaction, Kind, Source
from warmline_tools.net import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(company):
    company.rep.first_name, company.rep.last_name = "Rita", "Reyes"
    company.rep.title = "Account Executive"
    company.rep.direct_phone = "+14155550100"
    company.rep.save()
    return ContactFactory(
        owner=company.rep,
        first_name="Dana",
        last_name="Kowalski",
        account=AccountFactory(name="Acme Pumps Inc."),
        emails=[("dana@acme.example", "work")],
        email_opt_in=True,
    )


def test_merge_fields_render_with_fallbacks(company, dana):
    values = merge_values(contact=dana, rep=company.rep)
    text = merge_render(
        "Hi {{ first_name }} at {{ company }}. {{ title|friend }} {{ nope }} {{rep_phone}}", values
    )
    assert text == "Hi Dana at Acme Pumps Inc. friend {{ nope }} +1 415-555-0100"
    assert merge_unknown_fields("{{ first_name }} {{ nope }}") == ["nope"]
    assert values["rep_signature"].splitlines() == [
        "Rita Reyes",
        "Account Executive, Northwind Industrial",
        "+1 415-555-0100",  # as people dial it, not E.164
    ]


def test_occasions_read_naturally(dana):
    birthday = important_date_add(contact=dana, kind="birthday", date=dt.date(1980, 5, 2))
    anniversary = important_date_add(
        contact=dana, kind="customer_anniversary", date=dt.date(2016, 5, 2)
    )
    promotion = important_date_add(
        contact=dana, kind="promotion", date=dt.date(2026, 5, 2), label="Promotion to VP"
    )
    on = dt.date(2026, 5, 2)
    assert birthday.occasion(on) == "birthday"
    assert anniversary.occasion(on) == "10th anniversary as our customer"
    assert promotion.occasion(on) == "promotion to VP"


def test_the_default_congratulation_reads_well_with_and_without_a_date(company, dana):
    """It once read "I saw that today your birthday"; an empty field takes its space along."""
    birthday = important_date_add(contact=dana, kind="birthday", date=dt.date(1980, 5, 2))
    body = DEFAULT_TEMPLATES["congrats"].body
    today = dt.date(2026, 5, 2)
    text = merge_render(
        body, merge_values(contact=dana, rep=company.rep, occasion=birthday, today=today)
    )
    assert "Congratulations on your birthday today! I wanted" in text
    later = merge_render(
        body,
        merge_values(contact=dana, rep=company.rep, occasion=birthday, today=dt.date(2026, 4, 28)),
    )
    assert "Congratulations on your birthday on 2 May!" in later
    plain = merge_render(body, merge_values(contact=dana, rep=company.rep))
    assert "Congratulations on your special day! I wanted" in plain


def test_template_save_rejects_unknown_fields(company):
    with pytest.raises(ValidationError) as info:
        message_template_save(owner=company.rep, kind="checkin", subject="Hi", body="{{ frist }}")
    assert "Unknown merge field {{ frist }}" in str(info.value)
    with pytest.raises(ValidationError):
        message_template_save(owner=company.rep, kind="checkin", subject="", body="Hello")
    with pytest.raises(ValidationError):
        message_template_save(owner=company.rep, kind="checkin", subject="Hi", body="{{ first_name")


def test_compose_is_prefilled_from_the_reps_template_and_previews(rep_client, company, dana):
    message_template_save(
        owner=company.rep,
        kind="checkin",
        subject="Thinking of {{ company }}",
        body="Hi {{ first_name }},\nhow are things?\n{{ rep_signature }}",
    )
    html = rep_client.get(reverse("call-note-new", args=[dana.pk])).content.decode()
    assert "such as {{ first_name }}, are filled in" in html
    assert 'value="Thinking of Acme Pumps Inc."' in html
    assert "Hi Dana,\nhow are things?" in html
    response = rep_client.post(
        reverse("call-note-new", args=[dana.pk]),
        {"kind": "checkin", "subject": "Edited", "body": "My own words", "action": "preview"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'id="cn-preview"' in html and "<html" not in html
    assert "Edited" in html and "My own words" in html
    assert "dana@acme.example" in html


def test_merge_fields_the_rep_types_are_filled_in_and_a_refused_send_keeps_the_preview(
    rep_client, company, dana, django_capture_on_commit_callbacks
):
    url = reverse("call-note-new", args=[dana.pk])
    refused = rep_client.post(
        url,
        {
            "kind": "checkin",
            "subject": "Hello {{ frist }}",
            "body": "Hi {{ first_name }}",
            "action": "send",
        },
    ).content.decode()
    assert "Unknown merge field {{ frist }}" in refused
    assert "Hi Dana" in refused  # the preview still shows what would go out
    too_long = rep_client.post(
        url, {"kind": "checkin", "subject": "Hi", "body": "x" * 20_001, "action": "send"}
    ).content.decode()
    assert "Keep the note under 20,000 characters" in too_long
    with django_capture_on_commit_callbacks(execute=True):
        rep_client.post(
            url,
            {
                "kind": "checkin",
                "subject": "Hello {{ first_name }}",
                "body": "How is {{ company }}?",
                "action": "send",
            },
        )
    note = OutgoingNote.objects.get()
    assert (note.subject, note.body) == ("Hello Dana", "How is Acme Pumps Inc.?")


def test_congratulations_for_an_important_date(rep_client, company, dana):
    item = important_date_add(contact=dana, kind="birthday", date=dt.date(1980, 1, 1))
    html = rep_client.get(
        reverse("call-note-new", args=[dana.pk]) + f"?kind=congrats&occasion={item.pk}"
    ).content.decode()
    assert "Congratulations, Dana!" in html
    assert "your birthday" in html


def test_send_goes_out_from_the_rep_and_lands_on_the_timeline(
    rep_client, company, dana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(
            reverse("call-note-new", args=[dana.pk]),
            {
                "kind": "checkin",
                "subject": "Checking in",
                "body": "Hi Dana,\nhow are you?",
                "action": "send",
            },
        )
    assert response.status_code == 302
    note = OutgoingNote.objects.select_related("outbox").get()
    # It went through the alerts app's outbox: one e-mail row, keyed by the note.
    row = OutboxMessage.objects.get()
    assert note.outbox == row and row.alert is None and row.channel == "email"
    assert row.idempotency_key == f"calls-note:{note.uuid}" and row.status == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Checking in"
    assert message.from_email == f"Rita Reyes <{company.rep.email}>"
    assert message.to == ["Dana Kowalski <dana@acme.example>"]
    assert message.reply_to == [company.rep.email]
    assert message.extra_headers["Message-ID"] == message_id_header(row)
    assert "Auto-Submitted" not in message.extra_headers  # a person wrote it
    assert "how are you?" in message.body
    assert "how are you?" in message.alternatives[0][0]
    assert note.status == NoteStatus.SENT
    entry = Interaction.objects.get(contact=dana)
    assert entry.kind == Kind.CHECKIN_NOTE and entry.kind_label == "Check-in e-mail"
    assert entry.source == Source.EMAIL
    assert entry.author == company.rep
    assert entry.is_personal
    assert entry.subject == "Checking in"
    assert note.interaction == entry and note.sent_at == entry.occurred_at
    dana.refresh_from_db()
    assert dana.last_touch_at == entry.occurred_at
    # delivering the row again sends nothing and writes nothing
    assert outbox_message_deliver(message_id=row.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert Interaction.objects.filter(contact=dana).count() == 1
    # the rep's list of notes says so
    html = rep_client.get(reverse("call-notes")).content.decode()
    assert "Checking in" in html and "Sent" in html


def test_no_consent_no_mail(rep_client, company, dana, django_capture_on_commit_callbacks):
    type(dana).objects.filter(pk=dana.pk).update(email_opt_in=False)
    html = rep_client.get(reverse("call-note-new", args=[dana.pk])).content.decode()
    assert "has not agreed to receive e-mail" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(
            reverse("call-note-new", args=[dana.pk]),
            {"kind": "checkin", "subject": "Hi", "body": "Typed text stays", "action": "send"},
        )
    assert response.status_code == 200
    assert "Typed text stays" in response.content.decode()
    assert not OutgoingNote.objects.exists()
    assert mail.outbox == []


def test_consent_withdrawn_before_sending(company, dana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        note = note_send(rep=company.rep, contact=dana, kind="checkin", subject="Hi", body="Hello")
    type(dana).objects.filter(pk=dana.pk).update(email_opt_in=False)
    for callback in queued:  # the outbox delivers after commit: consent is gone by then
        callback()
    note = OutgoingNote.objects.select_related("outbox").get(pk=note.pk)
    assert note.status == NoteStatus.FAILED
    assert note.last_error == "Not sent: the contact withdrew e-mail consent."
    assert mail.outbox == []
    assert not Interaction.objects.filter(contact=dana).exists()


def test_leftover_merge_fields_are_refused(company, dana):
    with pytest.raises(ValidationError):
        note_send(
            rep=company.rep, contact=dana, kind="checkin", subject="Hi", body="Hi {{ first_name }}"
        )


def test_a_failed_send_is_kept_and_can_be_retried(
    rep_client, company, dana, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.ALERT_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        note = note_send(rep=company.rep, contact=dana, kind="checkin", subject="Hi", body="Hello")
    note = OutgoingNote.objects.select_related("outbox").get(pk=note.pk)
    assert note.status == NoteStatus.FAILED and note.attempts == 1
    assert "Connection refused" in note.last_error or "refused" in note.last_error.lower()
    assert not Interaction.objects.filter(contact=dana).exists()
    assert "Send again" in rep_client.get(reverse("call-notes")).content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        rep_client.post(reverse("call-note-retry", args=[note.pk]))
    note = OutgoingNote.objects.select_related("outbox").get(pk=note.pk)
    assert note.status == NoteStatus.SENT
    assert len(mail.outbox) == 1
    assert Interaction.objects.filter(contact=dana, kind=Kind.CHECKIN_NOTE).count() == 1


def test_real_smtp_server(company, dana, smtp_settings, django_capture_on_commit_callbacks):
    """One message through a real SMTP conversation (aiosmtpd on 127.0.0.1)."""
    with django_capture_on_commit_callbacks(execute=True):
        note = note_send(
            rep=company.rep,
            contact=dana,
            kind="congrats",
            subject="Congratulations, Dana!",
            body="Happy birthday — enjoy the day.",
        )
    received = smtp_settings.wait_for(1)
    note = OutgoingNote.objects.select_related("outbox").get(pk=note.pk)
    assert note.status == NoteStatus.SENT, note.last_error
    assert len(received) == 1
    message = received[0]
    assert message["Subject"] == "Congratulations, Dana!"
    assert message["Message-ID"] == message_id_header(note.outbox)
    assert "Rita Reyes" in message["From"]
    assert "dana@acme.example" in message["To"]
    assert message.is_multipart()
    plain = message.get_payload()[0].get_payload(decode=True).decode()
    assert "Happy birthday — enjoy the day." in plain
    # on the timeline it is a congratulation, not a check-in
    assert note.interaction is not None
    assert note.interaction.summary == "Congratulation e-mail"
