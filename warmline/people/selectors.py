"""Reads from the relationship memory, always scoped to what the acting user may see.

Permission rules live here (and in `users.selectors`) so that every view, API endpoint
and export asks the same question. A contact outside the user's book is simply not
found: views turn that into a 404, never a 403 that would confirm the id exists.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404

from warmline.core.db import in_subquery
from warmline.core.phones import digits_only
from warmline.people.models import Account, Contact, ImportantDate, Tag
from warmline.people.search_index import search_index_q
from warmline.timeline.models import Interaction
from warmline.users.models import User
from warmline.users.selectors import (
    user_can_see_unassigned,
    user_owner_ids_editable,
    user_owner_ids_visible,
)


def _owner_scope(user: User, ids: list[int] | None, field: str = "owner") -> Q:
    if ids is None:
        return Q()
    scope = Q(**{f"{field}_id__in": ids})
    if user_can_see_unassigned(user=user):
        scope |= Q(**{f"{field}__isnull": True})
    return scope


def contact_scope(*, user: User) -> QuerySet[Contact]:
    """Every contact `user` may read."""
    return Contact.objects.filter(_owner_scope(user, user_owner_ids_visible(user=user)))


def contact_get(
    *,
    user: User,
    contact_id: int,
    for_edit: bool = False,
    related: tuple[str, ...] = ("account", "owner"),
) -> Contact:
    """One contact, or Http404 if it does not exist or is outside the user's book.
    `related`: what to load with it (call mode's outcome log needs no owner)."""
    qs = contact_scope(user=user).select_related(*related)
    if for_edit:
        editable = user_owner_ids_editable(user=user)
        if editable == []:
            raise Http404("No such contact.")
        qs = qs.filter(_owner_scope(user, editable))
    # One row by primary key: no ordering (the model's is by name).
    contact = next(iter(qs.filter(pk=contact_id).order_by()[:1]), None)
    if contact is None:
        raise Http404("No such contact.")
    return contact


def contact_can_edit(*, user: User, contact: Contact) -> bool:
    ids = user_owner_ids_editable(user=user)
    if ids is None:
        return True
    if contact.owner_id is None:
        return user_can_see_unassigned(user=user) and bool(ids)
    return contact.owner_id in ids


@dataclass(frozen=True)
class ContactFilters:
    q: str = ""
    owner_id: int | None = None
    stage: str = ""
    tag: str = ""
    account_id: int | None = None
    unassigned: bool = False  # only contacts nobody owns (whom a manager hands out)


def contact_search_q(q: str) -> Q:
    """Partial, case-insensitive match on name, e-mail, company, or phone digits.

    Every word must match somewhere ("dana acme"); a query with three or more digits also
    matches phone numbers however they were typed ("(415) 555-01" finds +14155550123).

    The LIKE conditions on `search_text` decide what matches. On SQLite a subquery on the
    FTS5 trigram index narrows the candidates first (words of 3+ characters), so a search
    over the whole company does not scan every contact; on PostgreSQL the same LIKEs use
    the GIN trigram index directly (see warmline/people/search_index.py).
    """
    text = q.strip().lower()
    if not text:
        return Q()
    words = text.split()
    condition = Q()
    for word in words:
        condition &= Q(search_text__contains=word)
    digits = digits_only(text)
    phone_like = len(digits) >= 3 and len(digits) >= len(text.replace(" ", "")) // 2
    if phone_like and digits not in words:
        condition |= Q(search_text__contains=digits)
    else:
        digits = ""
    narrowed = search_index_q(words=words, digits=digits)
    if narrowed is not None:
        condition &= narrowed
    return condition


def contact_list(*, user: User, filters: ContactFilters) -> QuerySet[Contact]:
    qs = contact_scope(user=user)
    if filters.q:
        qs = qs.filter(contact_search_q(filters.q))
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    elif filters.unassigned:
        qs = qs.filter(owner__isnull=True)  # within the scope: only who may see them gets any
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.tag:
        qs = qs.filter(interests__name=filters.tag.lower())
    if filters.account_id:
        qs = qs.filter(account_id=filters.account_id)
    return qs.select_related("account", "owner").order_by("last_name", "first_name", "id")


def contact_list_stale(*, user: User, limit: int = 10) -> list[Contact]:
    """The user's own contacts with the oldest last personal touch (never touched first)."""
    from django.db.models import F

    return list(
        Contact.objects.filter(owner=user)
        .select_related("account")
        .order_by(F("last_touch_at").asc(nulls_first=True), "id")[:limit]
    )


@dataclass(frozen=True)
class UpcomingDate:
    item: ImportantDate
    on: dt.date
    years: int | None

    @property
    def text(self) -> str:
        return self.item.occasion(self.on, age=True)

    @property
    def days_away(self) -> int:
        from django.utils import timezone

        return (self.on - timezone.localdate()).days


def _month_days(start: dt.date, days: int) -> list[int]:
    """MMDD of start .. start + days; 29 February is celebrated on the 28th in common
    years."""
    found = []
    for offset in range(days + 1):
        day = start + dt.timedelta(days=offset)
        found.append(day.month * 100 + day.day)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            found.append(229)
    return found


def important_date_window(*, owner: User, start: dt.date, days: int) -> QuerySet[ImportantDate]:
    """Dates of `owner`'s book that fall in [start, start + days], soonest first (a window
    over New Year puts December before January). Callers slice it.

    Driven from the book: the owner's contacts, then their dates by contact, so the cost
    follows the book, not the company (PostgreSQL otherwise scanned every date in the
    database: 10.6 -> 3.3 ms for a book of 1,700 among 100,000 contacts)."""
    end = start + dt.timedelta(days=days)
    first = start.month * 100 + start.day
    return (
        ImportantDate.objects.filter(
            in_subquery("contact_id", Contact.objects.filter(owner=owner).values("id"))
        )
        .filter(
            Q(recurs_yearly=True, month_day__in=_month_days(start, days))
            | Q(recurs_yearly=False, date__gte=start, date__lte=end)
        )
        .order_by(
            Case(When(month_day__lt=first, then=Value(1)), default=Value(0)), "month_day", "id"
        )
    )


def important_dates_upcoming(
    *, user: User, today: dt.date, days: int = 14, limit: int = 20
) -> list[UpcomingDate]:
    """Dates in the user's own book falling in [today, today + days], soonest first."""
    end = today + dt.timedelta(days=days)
    rows = important_date_window(owner=user, start=today, days=days).select_related(
        "contact", "contact__account"
    )[: limit * 3]
    upcoming = []
    for row in rows:
        on = row.next_occurrence(today)
        if on is not None and on <= end:
            upcoming.append(UpcomingDate(item=row, on=on, years=row.years_on(on)))
    upcoming.sort(key=lambda u: (u.on, u.item.contact.last_name))
    return upcoming[:limit]


def account_scope(*, user: User) -> QuerySet[Account]:
    """Accounts the user owns or where someone in their book works."""
    ids = user_owner_ids_visible(user=user)
    if ids is None:
        return Account.objects.all()
    with_my_contacts = Contact.objects.filter(owner_id__in=ids).values("account_id")
    return Account.objects.filter(_owner_scope(user, ids) | Q(id__in=with_my_contacts))


def account_get(*, user: User, account_id: int) -> Account:
    account = account_scope(user=user).select_related("owner").filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


def account_list(*, user: User, q: str = "") -> QuerySet[Account]:
    qs = account_scope(user=user).select_related("owner")
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(domain__icontains=q.strip()))
    return qs.order_by("name", "id")


def account_can_edit(*, user: User, account: Account) -> bool:
    ids = user_owner_ids_editable(user=user)
    if ids is None:
        return True
    if account.owner_id is None:
        return user_can_see_unassigned(user=user) and bool(ids)
    return account.owner_id in ids


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def account_interaction_list(*, user: User, account: Account, limit: int = 20) -> list[Interaction]:
    """An account's most recent touches, newest first, on contacts `user` may see only."""
    return list(
        Interaction.objects.filter(account=account, contact__in=contact_scope(user=user))
        .select_related("author", "contact", "corrects")
        .order_by("-occurred_at", "-id")[:limit]
    )
