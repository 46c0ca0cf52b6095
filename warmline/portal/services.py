"""Writes of the public portal: identification by magic link, page views on the timeline,
questions to the rep (with their alert and live event) and lead routing.

Every function is keyword-only and atomic. Alerts and live events are written inside the
same transaction as the question, so they commit (or roll back) together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from warmline.alerts.models import Alert
from warmline.alerts.services import (
    Step,
    alert_acknowledge_cause,
    alert_raise,
    live_event_publish,
)
from warmline.core.phones import phone_normalize
from warmline.core.registries.reasons import reasons_changed
from warmline.people.models import Contact, ContactEmail, Stage
from warmline.people.services import ContactData, contact_create, email_normalize
from warmline.portal.hours import promise_answer_by
from warmline.portal.identity import (
    VISITOR_COOKIE,
    VISITOR_SALT,
    magic_link_hash,
    magic_link_token_for,
    page_path_clean,
)
from warmline.portal.models import (
    Channel,
    MagicLink,
    PreferredTime,
    Question,
    QuestionStatus,
    RoutingState,
)
from warmline.portal.ratelimit import rate_limit_hit, retry_after_text
from warmline.timeline.models import Direction, Interaction, Kind, Source
from warmline.timeline.services import interaction_create
from warmline.users.models import Role, User

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    """Too many requests; `message` is what the visitor reads."""

    def __init__(self, *, retry_after: int, what: str) -> None:
        self.retry_after = retry_after
        self.message = (
            f"You have sent a lot of {what} in a short time. "
            f"Please try again in {retry_after_text(retry_after)}."
        )
        super().__init__(self.message)


def rate_check(*, scope: str, ident: str, rate: str, what: str) -> None:
    result = rate_limit_hit(scope=scope, ident=ident, rate=rate)
    if not result.allowed:
        raise RateLimited(retry_after=result.retry_after, what=what)


def question_rate_check(*, ip: str, who: str) -> None:
    """Limit questions per IP and per contact (uuid or e-mail) before asking."""
    what = "questions"
    rate_check(scope="ask-ip", ident=ip, rate=settings.PORTAL_RATE_ASK_IP, what=what)
    rate_check(scope="ask-contact", ident=who, rate=settings.PORTAL_RATE_ASK_CONTACT, what=what)


# --- Identification -------------------------------------------------------------------


def visitor_cookie_set(*, response: HttpResponse, contact: Contact) -> None:
    """Identify this browser as `contact` for PORTAL_IDENTIFY_DAYS (signed, HttpOnly)."""
    response.set_signed_cookie(
        VISITOR_COOKIE,
        str(contact.uuid),
        salt=VISITOR_SALT,
        max_age=settings.PORTAL_IDENTIFY_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def visitor_cookie_clear(*, response: HttpResponse) -> None:
    response.delete_cookie(VISITOR_COOKIE, samesite="Lax")


def magic_link_token(*, link: MagicLink) -> str:
    return magic_link_token_for(link.nonce)


@transaction.atomic
def magic_link_create(
    *, contact: Contact, email: str, next_path: str = ""
) -> tuple[MagicLink, str]:
    """Store a new link (hash only) and return it with its token."""
    now = timezone.now()
    link = MagicLink(
        contact=contact,
        email=email,
        nonce=secrets.token_urlsafe(32),
        next_path=page_path_clean(next_path),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=settings.PORTAL_MAGIC_LINK_TTL_MINUTES),
    )
    token = magic_link_token(link=link)
    link.token_hash = magic_link_hash(token)
    link.full_clean(exclude=["contact"])
    link.save()
    return link, token


def magic_link_request(*, email: str, next_path: str, ip: str) -> None:
    """A visitor asks for a sign-in link. Known or not, the caller answers the same way.

    Raises ValidationError for an address that is not an e-mail address and RateLimited
    when the IP or the address asks too often; otherwise returns nothing either way.
    """
    try:
        address = email_normalize(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    what = "sign-in requests"
    rate_check(scope="identify-ip", ident=ip, rate=settings.PORTAL_RATE_IDENTIFY_IP, what=what)
    rate_check(
        scope="identify-email", ident=address, rate=settings.PORTAL_RATE_IDENTIFY_EMAIL, what=what
    )
    row = (
        ContactEmail.objects.filter(address=address)
        .select_related("contact")
        .order_by("-is_primary", "contact_id")
        .first()
    )
    if row is None:
        logger.info("portal: sign-in link asked for an unknown address")
        return
    with transaction.atomic():
        link, _token = magic_link_create(contact=row.contact, email=address, next_path=next_path)
        link_id = link.pk
        transaction.on_commit(lambda: _enqueue_magic_link_send(link_id))


def _enqueue_magic_link_send(link_id: int) -> None:
    from warmline.portal.tasks import magic_link_send_task

    magic_link_send_task.enqueue(link_id=link_id)


def magic_link_send(*, link_id: int) -> bool:
    """E-mail the link. Returns False (and sends nothing) if it is used or expired already."""
    link = MagicLink.objects.select_related("contact", "contact__owner").filter(pk=link_id).first()
    if link is None or not link.is_usable():
        return False
    token = magic_link_token(link=link)
    company = settings.WARMLINE_COMPANY_NAME
    context = {
        "contact": link.contact,
        "rep": link.contact.owner,
        "company": company,
        "url": settings.SITE_URL + reverse("portal-magic", args=[token]),
        "minutes": settings.PORTAL_MAGIC_LINK_TTL_MINUTES,
    }
    message = EmailMultiAlternatives(
        subject=f"Your sign-in link for {company}",
        body=render_to_string("portal/email/magic_link.txt", context),
        to=[link.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("portal/email/magic_link.html", context), "text/html"
    )
    message.send()
    return True


def magic_link_consume(*, token: str) -> MagicLink | None:
    """Use a link once: the conditional update succeeds for exactly one request."""
    if not token or len(token) > 100:
        return None
    now = timezone.now()
    token_hash = magic_link_hash(token)
    claimed = MagicLink.objects.filter(
        token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if claimed != 1:
        return None
    return MagicLink.objects.select_related("contact").get(token_hash=token_hash)


# --- Page views -----------------------------------------------------------------------


def page_view_record(*, contact: Contact, path: str, title: str) -> None:
    """One timeline entry per contact, page and day; repeats are free (idempotent)."""
    day = timezone.localdate().isoformat()
    key_path = path if len(path) <= 120 else hashlib.sha256(path.encode()).hexdigest()[:32]
    external_id = f"pv:{contact.pk}:{key_path}:{day}"
    # Most views repeat one already recorded today: answer those from the cache, then from a
    # plain read, and open a (write) transaction only for the first view of the day.
    cache_key = "portal:" + hashlib.sha256(external_id.encode()).hexdigest()
    if not cache.add(cache_key, 1, timeout=86400):
        return
    if Interaction.objects.filter(source=Source.PORTAL, external_id=external_id).exists():
        return
    with contextlib.suppress(IntegrityError):  # two tabs at once: the other one wrote it
        interaction_create(
            contact=contact,
            kind=Kind.PAGE_VIEWED,
            direction=Direction.INBOUND,
            source=Source.PORTAL,
            external_id=external_id,
            subject=f"Viewed {title}"[:200],
            data={"path": path[:300], "title": title[:200]},
        )


# --- Routing --------------------------------------------------------------------------


ROUND_ROBIN_KEY = "portal-leads"


@transaction.atomic
def rep_route_round_robin() -> User | None:
    """The next active rep after the one routed last (by id, wrapping around).

    The RoutingState row is locked while choosing, so concurrent questions go to different
    reps. With no active rep, the lead goes to an active manager; with neither, to nobody.
    """
    RoutingState.objects.get_or_create(key=ROUND_ROBIN_KEY)
    state = RoutingState.objects.select_for_update().get(key=ROUND_ROBIN_KEY)
    reps = User.objects.filter(is_active=True, role=Role.REP).order_by("id")
    chosen = None
    if state.last_user_id is not None:
        chosen = reps.filter(id__gt=state.last_user_id).first()
    chosen = chosen or reps.first()
    if chosen is None:
        return User.objects.filter(is_active=True, role=Role.MANAGER).order_by("id").first()
    state.last_user = chosen
    state.save(update_fields=["last_user", "updated_at"])
    return chosen


def _rep_for(contact: Contact) -> User | None:
    """Who answers this contact: their active rep, else the rep's team manager, else the
    round robin (which then becomes the owner of a contact nobody owned)."""
    owner = contact.owner
    if owner is not None and owner.is_active:
        return owner
    if owner is not None and owner.team_id:
        manager = User.objects.filter(managed_teams__id=owner.team_id, is_active=True).first()
        if manager is not None:
            return manager
    rep = rep_route_round_robin()
    if owner is None and rep is not None:
        Contact.objects.filter(pk=contact.pk, owner__isnull=True).update(owner=rep)
        contact.owner = rep
    return rep


# --- Questions ------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInput:
    message: str
    page_path: str = ""
    page_title: str = ""
    preferred_channel: str = Channel.EMAIL
    preferred_time: str = PreferredTime.ANYTIME
    phone: str = ""
    company: str = ""


def question_input_clean(*, data: QuestionInput, contact: Contact | None) -> tuple[str, str]:
    """Validate what a visitor typed; returns (message, E.164 phone or "")."""
    errors: dict[str, list[str]] = {}
    message = data.message.strip()
    limit = settings.PORTAL_MESSAGE_MAX_CHARS
    if len(message) < 5:
        errors["message"] = ["Tell us a little more (at least 5 characters)."]
    elif len(message) > limit:
        errors["message"] = [f"Please keep it under {limit} characters (you wrote {len(message)})."]
    if data.preferred_channel not in Channel.values:
        errors["preferred_channel"] = ["Choose how you would like an answer."]
    if data.preferred_time not in PreferredTime.values:
        errors["preferred_time"] = ["Choose when suits you."]
    phone = ""
    if data.phone.strip():
        try:
            phone = phone_normalize(data.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    elif data.preferred_channel == Channel.CALL and not (contact and contact.phone):
        errors["phone"] = ["Give us a number to call you on."]
    if errors:
        raise ValidationError(errors)
    return message, phone


def question_event_data(*, question: Question) -> dict[str, object]:
    """What the rep's open tabs receive (event "question"); plain data, no HTML."""
    return {
        "id": question.pk,
        "status": question.status,
        "contact": question.contact.full_name,
        "title": f"Question from {question.contact.full_name}",
        "excerpt": question.excerpt,
        "page_title": question.page_title,
        "url": question.get_absolute_url(),
        "answer_by": question.answer_by.isoformat(),
    }


def question_entry_subject(question: Question) -> str:
    """The timeline entry's subject: where it was asked (its body is the question itself,
    so repeating an excerpt in the subject showed the message twice)."""
    return f"on {question.page_title}"[:200] if question.page_title else "on the public site"


@transaction.atomic
def question_ask(
    *,
    contact: Contact,
    data: QuestionInput,
    verified: bool,
    is_new_lead: bool = False,
) -> Question:
    """A contact asks their rep. Writes the question, its timeline entry, the rep's alert
    (whose ladder escalates until acknowledged) and a live event for the rep's open tabs."""
    message, phone = question_input_clean(data=data, contact=contact)
    rep = _rep_for(contact)
    now = timezone.now()
    question = Question(
        contact=contact,
        rep=rep,
        message=message,
        page_path=page_path_clean(data.page_path),
        page_title=data.page_title.strip()[:200],
        preferred_channel=data.preferred_channel,
        preferred_time=data.preferred_time,
        callback_phone=phone,
        company=data.company.strip()[:200],
        verified=verified,
        is_new_lead=is_new_lead,
        created_at=now,
        answer_by=promise_answer_by(
            start=now,
            hours=settings.PORTAL_ANSWER_BUSINESS_HOURS,
            # A guest's promise uses the company's hours, not the rep's: what the page
            # promises must not hint at which rep (or whether a known customer) it is.
            tz_name=rep.time_zone if rep and verified else settings.TIME_ZONE,
        ),
    )
    question.full_clean(exclude=["contact", "rep"])
    question.save()
    if rep is not None:
        reasons_changed(rep_ids=[rep.pk])  # "asked a question": top of the rep's call queue
    interaction_create(
        contact=contact,
        kind=Kind.QUESTION,
        direction=Direction.INBOUND,
        source=Source.PORTAL,
        external_id=f"question:{question.uuid}",
        subject=question_entry_subject(question),
        body=message,
        occurred_at=now,
        data={
            "question_id": question.pk,
            "status": question.status,
            "page_path": question.page_path,
            "page_title": question.page_title,
            "preferred_channel": question.preferred_channel,
            "preferred_time": question.preferred_time,
            "verified": verified,
        },
    )
    if rep is not None:
        question_alert_raise(question=question, rep=rep)
        live_event_publish(
            user_ids=[rep.pk], event="question", data=question_event_data(question=question)
        )
    return question


def question_alert_raise(
    *, question: Question, rep: User, ladder: list[Step] | None = None
) -> Alert:
    """The rep's alert for a question, kind "question" (its ladder escalates until the rep
    acknowledges the alert or the question; see `question_alert_acknowledged`)."""
    contact = question.contact
    account = contact.account if contact.account_id else None
    who = contact.full_name + (f" ({account.name})" if account else "")
    about = f" about {question.page_title}" if question.page_title else ""
    return alert_raise(
        recipient=rep,
        kind="question",
        cause=question.cause,
        title=f"{who} asked a question{about}"[:200],
        body=(
            f"{question.message}\n\nPrefers: {question.get_preferred_channel_display()}, "
            f"{question.get_preferred_time_display().lower()}."
        ),
        url=question.get_absolute_url(),
        contact=contact,
        data={"question_id": question.pk},
        ladder=ladder,
    )


def _split_name(name: str) -> tuple[str, str]:
    parts = name.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0][:100], (parts[1] if len(parts) > 1 else "")[:100]


@transaction.atomic
def question_ask_as_guest(*, name: str, email: str, data: QuestionInput) -> Question:
    """An unidentified visitor asks. A known e-mail joins its contact (marked unverified);
    a new one becomes a lead routed round robin."""
    errors: dict[str, list[str]] = {}
    first, last = _split_name(name)
    if not first:
        errors["name"] = ["Tell us your name."]
    address = ""
    try:
        address = email_normalize(email)
    except ValidationError as exc:
        errors["email"] = exc.messages
    try:
        question_input_clean(data=data, contact=None)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    row = (
        ContactEmail.objects.filter(address=address)
        .select_related("contact__owner", "contact__account")
        .order_by("-is_primary", "contact_id")
        .first()
    )
    if row is not None:
        return question_ask(contact=row.contact, data=data, verified=False)
    rep = rep_route_round_robin()
    phones = [(data.phone, "work")] if data.phone.strip() else []
    contact = contact_create(
        data=ContactData(
            first_name=first,
            last_name=last,
            owner=rep,
            emails=[(address, "work")],
            phones=phones,
            stage=Stage.LEAD,
        )
    )
    return question_ask(contact=contact, data=data, verified=False, is_new_lead=True)


def _status_entry(*, question: Question, user: User, status: str, note: str = "") -> None:
    label = {"acknowledged": "acknowledged", "answered": "answered"}
    interaction_create(
        contact=question.contact,
        kind=Kind.QUESTION,
        author=user,
        direction=Direction.INTERNAL,
        source=Source.PORTAL,
        external_id=f"question:{question.uuid}:{status}",
        subject=f"Question {label[status]} by {user}"[:200],
        body=note,
        data={"question_id": question.pk, "status": status},
    )


@transaction.atomic
def question_acknowledge(*, question: Question, user: User) -> Question:
    """ "I've seen it": stops the alert's escalation. Idempotent."""
    now = timezone.now()
    changed = Question.objects.filter(pk=question.pk, status=QuestionStatus.NEW).update(
        status=QuestionStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=user
    )
    question.refresh_from_db()
    if changed:
        _status_entry(question=question, user=user, status=QuestionStatus.ACKNOWLEDGED)
        alert_acknowledge_cause(cause=question.cause)
        _publish_change(question=question)
    return question


def question_alert_acknowledged(alert: Alert, user: User | None) -> None:
    """The alerts app's acknowledge hook for kind "question": the rep acknowledged the
    question's alert (toast, alerts list), so the question goes new → acknowledged too —
    the same as pressing Acknowledge on the question. Nothing for an answered question,
    or an alert that names no question."""
    question_id = (alert.data or {}).get("question_id")
    if not isinstance(question_id, int):
        return
    question = Question.objects.select_related("contact").filter(pk=question_id).first()
    if question is None or question.status != QuestionStatus.NEW:
        return
    question_acknowledge(question=question, user=user or alert.recipient)


@transaction.atomic
def question_answer(*, question: Question, user: User, note: str = "") -> Question:
    """Mark answered (acknowledging too, if nobody had). Idempotent."""
    note = note.strip()
    if len(note) > 2000:
        raise ValidationError({"note": "Please keep the note under 2000 characters."})
    now = timezone.now()
    changed = (
        Question.objects.filter(pk=question.pk)
        .filter(Q(status=QuestionStatus.NEW) | Q(status=QuestionStatus.ACKNOWLEDGED))
        .update(status=QuestionStatus.ANSWERED, answered_at=now, answered_by=user, answer_note=note)
    )
    if changed:
        Question.objects.filter(pk=question.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=user
        )
    question.refresh_from_db()
    if changed:
        if question.rep_id is not None:
            reasons_changed(rep_ids=[question.rep_id])
        _status_entry(question=question, user=user, status=QuestionStatus.ANSWERED, note=note)
        alert_acknowledge_cause(cause=question.cause)
        _publish_change(question=question)
    return question


def _publish_change(*, question: Question) -> None:
    if question.rep_id is not None:
        live_event_publish(
            user_ids=[question.rep_id],
            event="question",
            data=question_event_data(question=question),
        )
