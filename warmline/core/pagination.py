"""Pagination that never counts.

`COUNT(*)` over a book of 100,000 contacts costs more than the page itself, so list pages
fetch one row more than they show: that row only tells whether a next page exists. The
page shows "26–50" and Previous / Next links, never "page 2 of 4,000".

Two flavours:

* `page_get` — numbered pages (OFFSET), for lists sorted by a name, with shareable URLs.
* `keyset_page_get` — "show older" pages of a newest-first stream (a timeline), keyed on
  (timestamp, id) so entries added meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import Q, QuerySet

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return max(self.number - 1, 1)

    @property
    def start_index(self) -> int:
        """1-based position of the first item shown (0 when the page is empty)."""
        return (self.number - 1) * self.page_size + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.items)

    @property
    def is_empty(self) -> bool:
        return not self.items

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page_number_parse(raw: Any) -> int:
    """A page number from a query string; anything odd means the first page."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 1_000_000)


def page_get(qs: QuerySet[Any], *, number: int, page_size: int | None = None) -> Page[Any]:
    """One page of an ordered queryset with a single query (page_size + 1 rows, no COUNT)."""
    size = page_size or settings.WARMLINE_PAGE_SIZE
    offset = (number - 1) * size
    rows = list(qs[offset : offset + size + 1])
    return Page(items=rows[:size], number=number, page_size=size, has_next=len(rows) > size)


# --- Keyset ("show older") pages ------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    items: list[T]
    next_cursor: str  # "" when there is nothing older

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class BadCursor(ValueError):
    """The cursor in the URL was not one we wrote."""


def cursor_encode(*, at: dt.datetime, pk: int) -> str:
    return f"{at.isoformat()}_{pk}"


def cursor_decode(raw: str) -> tuple[dt.datetime, int]:
    stamp, sep, pk = raw.rpartition("_")
    if not sep:
        raise BadCursor(raw)
    try:
        at = dt.datetime.fromisoformat(stamp)
        return at, int(pk)
    except ValueError as exc:
        raise BadCursor(raw) from exc


def keyset_page_get(
    qs: QuerySet[Any],
    *,
    cursor: str = "",
    page_size: int | None = None,
    time_field: str = "occurred_at",
) -> KeysetPage[Any]:
    """The next `page_size` rows of `qs` (ordered by -time_field, -id) older than `cursor`.

    One query; raises BadCursor for a cursor that does not parse.
    """
    size = page_size or settings.WARMLINE_PAGE_SIZE
    if cursor:
        at, pk = cursor_decode(cursor)
        qs = qs.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "id__lt": pk}))
    rows = list(qs.order_by(f"-{time_field}", "-id")[: size + 1])
    items = rows[:size]
    next_cursor = ""
    if len(rows) > size:
        last = items[-1]
        next_cursor = cursor_encode(at=getattr(last, time_field), pk=last.pk)
    return KeysetPage(items=items, next_cursor=next_cursor)
