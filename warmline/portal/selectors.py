"""Reads of the public portal. Public content needs no user; questions are scoped to what
the acting staff member may see (a question of another rep's customer is simply not found)."""

from __future__ import annotations

from django.conf import settings
from django.core.signing import BadSignature
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone

from warmline.alerts.models import Alert
from warmline.people.models import Contact
from warmline.people.selectors import contact_scope
from warmline.portal.identity import VISITOR_COOKIE, VISITOR_SALT, magic_link_hash
from warmline.portal.models import (
    OPEN_STATUSES,
    MagicLink,
    NewsItem,
    Product,
    Question,
    QuestionStatus,
)
from warmline.users.models import User


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_published=True).order_by("position", "name", "id")


def product_get(*, slug: str) -> Product:
    product = product_list().filter(slug=slug).first()
    if product is None:
        raise Http404("No such product.")
    return product


def news_list() -> QuerySet[NewsItem]:
    return NewsItem.objects.filter(is_published=True, published_at__lte=timezone.now()).order_by(
        "-published_at", "-id"
    )


def news_get(*, slug: str) -> NewsItem:
    item = news_list().filter(slug=slug).first()
    if item is None:
        raise Http404("No such news item.")
    return item


def visitor_get(*, request: HttpRequest) -> Contact | None:
    """The contact this browser was identified as (signed cookie), with their rep; or None
    when the cookie is missing, forged, older than PORTAL_IDENTIFY_DAYS or the contact gone."""
    if VISITOR_COOKIE not in request.COOKIES:
        return None
    try:
        value = request.get_signed_cookie(
            VISITOR_COOKIE, salt=VISITOR_SALT, max_age=settings.PORTAL_IDENTIFY_DAYS * 86400
        )
    except (BadSignature, KeyError):
        return None
    if not value:
        return None
    return Contact.objects.select_related("owner", "account").filter(uuid=value).first()


def magic_link_find(*, token: str) -> MagicLink | None:
    """A still-usable link for `token` (not consumed: e-mail scanners may open it)."""
    if not token or len(token) > 100:
        return None
    link = (
        MagicLink.objects.select_related("contact")
        .filter(token_hash=magic_link_hash(token))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    return link


def page_title_for_path(*, path: str) -> str:
    """A readable name for a public page ("X200 Pump", "News"), or "" if it is not one."""
    if not path:
        return ""
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return ""
    name = match.url_name or ""
    if name == "portal-product":
        product = product_list().filter(slug=match.kwargs.get("slug", "")).first()
        return product.name if product else ""
    if name == "portal-news-detail":
        item = news_list().filter(slug=match.kwargs.get("slug", "")).first()
        return item.title if item else ""
    return {
        "portal-home": "Home page",
        "portal-products": "Products",
        "portal-news": "News",
    }.get(name, "")


def question_list_recent_for_contact(*, contact: Contact, limit: int = 5) -> list[Question]:
    """What the visitor sees of their own questions (their own only)."""
    return list(
        Question.objects.filter(contact=contact)
        .select_related("rep")
        .order_by("-created_at")[:limit]
    )


def question_get_public(*, uuid: str) -> Question:
    """The confirmation a visitor sees after asking, found by its unguessable uuid."""
    import uuid as uuid_lib

    try:
        key = uuid_lib.UUID(str(uuid))
    except ValueError as exc:
        raise Http404("No such question.") from exc
    question = Question.objects.select_related("rep", "contact").filter(uuid=key).first()
    if question is None:
        raise Http404("No such question.")
    return question


def question_scope(*, user: User) -> QuerySet[Question]:
    """Questions `user` may see: those routed to them and those of contacts in their book."""
    return Question.objects.filter(Q(rep=user) | Q(contact__in=contact_scope(user=user)))


def question_list(*, user: User, status: str = "open") -> QuerySet[Question]:
    """The questions `user` may see ("open", "answered" or "all"): a rep their own and
    their book's, a manager the team's, oldest open first, else newest first."""
    qs = question_scope(user=user).select_related("contact", "contact__account", "rep")
    if status == "open":
        return qs.filter(status__in=OPEN_STATUSES).order_by("answer_by", "id")
    if status == "answered":
        qs = qs.filter(status=QuestionStatus.ANSWERED)
    return qs.order_by("-created_at", "-id")


def question_get(*, user: User, question_id: int) -> Question:
    question = (
        _with_alert_acknowledged(question_scope(user=user))
        .select_related("contact", "contact__account", "rep", "acknowledged_by", "answered_by")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        raise Http404("No such question.")
    return question


def _with_alert_acknowledged(qs: QuerySet[Question]) -> QuerySet[Question]:
    """Annotate `alert_acknowledged`: the rep acknowledged the question's alert (e.g. from
    the toast), which stops the reminders just as acknowledging the question does."""
    cause = Concat(Value("question:"), Cast(OuterRef("pk"), output_field=CharField()))
    acknowledged = Alert.objects.filter(cause=cause, acknowledged_at__isnull=False)
    return qs.annotate(alert_acknowledged=Exists(acknowledged))


def question_list_open_for_rep(*, user: User, limit: int = 20) -> list[Question]:
    """The rep's open questions, oldest first (the one waiting longest is on top)."""
    qs = Question.objects.filter(rep=user, status__in=OPEN_STATUSES)
    return list(
        _with_alert_acknowledged(qs)
        .select_related("contact", "contact__account")
        .order_by("created_at", "id")[:limit]
    )


def question_count_open_for_rep(*, user: User) -> int:
    return Question.objects.filter(rep=user, status__in=OPEN_STATUSES).count()


def question_list_for_contact(*, contact: Contact, limit: int = 5) -> list[Question]:
    """A contact's latest questions for the contact page (open ones first, then the most
    recent), one query on question_contact_time. The caller checked the contact is visible:
    whoever may see the contact may see what they asked."""
    rows = list(
        Question.objects.filter(contact=contact)
        .select_related("rep", "answered_by")
        .order_by("-created_at", "-id")[:limit]
    )
    rows.sort(key=lambda q: (not q.is_open, -q.created_at.timestamp()))
    return rows
