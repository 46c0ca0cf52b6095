"""Reads about cases, always scoped to what the acting user may see.

A case is visible to whoever may see its contact: a rep sees the cases of their own
customers, a manager those of their team (and unassigned ones), agents, marketers and
admins all of them. A case outside that scope is simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.http import Http404

from warmline.core.db import in_subquery
from warmline.people.models import Contact
from warmline.service.models import UNRESOLVED, Case, CaseNote, SlaStepFired
from warmline.timeline.models import Interaction
from warmline.users.models import Role, User
from warmline.users.selectors import user_can_see_unassigned, user_owner_ids_visible

CASE_RELATED = ("contact", "contact__owner", "account", "assigned_agent")


def _contacts_of(*owner_ids: int) -> QuerySet[Contact, dict[str, int]]:
    """Ids of the contacts in these books, as a subquery."""
    return Contact.objects.filter(owner_id__in=owner_ids).values("id")  # type: ignore[return-value]


def case_scope(*, user: User) -> QuerySet[Case]:
    """Cases of the contacts `user` may see, driven from the (small) book through the
    case's contact index on both engines (`in_subquery`)."""
    ids = user_owner_ids_visible(user=user)
    qs = Case.objects.all()
    if ids is None:
        return qs
    contacts = Q(owner_id__in=ids)
    if user_can_see_unassigned(user=user):
        contacts |= Q(owner__isnull=True)
    return qs.filter(in_subquery("contact_id", Contact.objects.filter(contacts).values("id")))


def case_get(*, user: User, case_id: int) -> Case:
    case = (
        case_scope(user=user)
        .select_related(*CASE_RELATED, "acknowledged_by", "sla_policy", "contact__account")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    return case


def _breach_order(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Oldest breach first (most overdue on top), then the soonest to breach; cases with
    no running clock (paused, no policy) last, oldest first."""
    return qs.order_by(F("breach_at").asc(nulls_last=True), "opened_at", "id")


@dataclass(frozen=True)
class CaseFilters:
    status: str = "unresolved"  # open or pending customer; "" = any; else one status
    priority: str = ""
    q: str = ""
    mine: bool = False


def case_list(*, user: User, filters: CaseFilters) -> QuerySet[Case]:
    qs = case_scope(user=user)
    if filters.status == "unresolved":
        qs = qs.filter(status__in=UNRESOLVED)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.mine:
        qs = qs.filter(in_subquery("contact_id", _contacts_of(user.pk)) | Q(assigned_agent=user))
    text = filters.q.strip()
    if text:
        match = (
            Q(subject__icontains=text)
            | Q(external_id__iexact=text)
            | Q(contact__search_text__contains=text.lower())
        )
        if text.lstrip("#").isdigit():
            match |= Q(pk=int(text.lstrip("#")))
        qs = qs.filter(match)
    qs = qs.select_related(*CASE_RELATED)
    if filters.status in ("unresolved", "", "open", "pending_customer"):
        return _breach_order(qs)
    return qs.order_by("-opened_at", "-id")


def case_list_today(*, user: User, limit: int = 15) -> tuple[list[Case], int]:
    """The unresolved cases *Today* shows, oldest breach first, and how many there are in
    all: a service agent's are the cases assigned to them (they own no customers), anyone
    else's are their own customers' cases. Two queries whatever the size of the book."""
    if user.role == Role.AGENT:
        qs = Case.objects.filter(assigned_agent=user, status__in=UNRESOLVED)
    else:
        qs = Case.objects.filter(
            in_subquery("contact_id", _contacts_of(user.pk)), status__in=UNRESOLVED
        )
    total = qs.count()
    if not total:
        return [], 0
    cases = list(_breach_order(qs.select_related("contact", "account"))[:limit])
    return cases, total


def case_list_for_contact(*, user: User, contact: Contact, limit: int = 10) -> list[Case]:
    """A contact's unresolved cases, most overdue first, for the contact page. One query.
    The caller has already checked the contact is visible; the scope check repeats it."""
    qs = (
        case_scope(user=user)
        .filter(contact=contact)
        .select_related("contact", "account", "assigned_agent", "acknowledged_by")
    )
    open_cases = list(_breach_order(qs.filter(status__in=UNRESOLVED))[:limit])
    return open_cases


def case_list_unassigned(*, user: User) -> QuerySet[Case]:
    """Unresolved cases whose contact has no rep: the managers' queue."""
    if not user_can_see_unassigned(user=user):
        return Case.objects.none()
    return _breach_order(
        Case.objects.filter(
            contact_id__in=Contact.objects.filter(owner__isnull=True).values("id"),
            status__in=UNRESOLVED,
        ).select_related("contact", "account", "assigned_agent")
    )


def case_notes(*, case: Case) -> QuerySet[CaseNote]:
    return CaseNote.objects.filter(case=case).select_related("author").order_by("created_at", "id")


def case_steps_fired(*, case: Case) -> QuerySet[SlaStepFired]:
    return SlaStepFired.objects.filter(case=case).order_by("due_at", "id")


def case_history(*, case: Case, limit: int = 50) -> QuerySet[Interaction]:
    """The timeline entries about this case (opened, updates, notes, calls), newest first."""
    return (
        Interaction.objects.filter(contact_id=case.contact_id, data__case_id=case.pk)
        .select_related("author")
        .order_by("-occurred_at", "-id")[:limit]
    )


def case_agents() -> QuerySet[User]:
    from warmline.users.models import Role

    return User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.ADMIN]).order_by(
        "first_name", "last_name", "username"
    )
