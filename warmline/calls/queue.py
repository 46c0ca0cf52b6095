"""The rep's call queue, kept ready: a snapshot of the ranked reasons per rep.

Asking every reason provider costs a couple of dozen queries (about 50 ms for a book of
5,000), too slow to repeat for every card of a power hour. So the ranking is stored per
rep (`QueueSnapshot`), with what made each contact callable at build time (phone, zone,
do not call, numbers marked wrong), and a card reads it back in one query (without its
JSON when this process has decoded the same build before). What is computed on every read
(`selectors.call_queue_sort`) is the safety-relevant part: calling hours, who was tried
within the retry window (one query), and the live rows of the contacts shown, checked
against the stored facts; a change there (a bulk import, say) makes that read sort from
live rows instead.

A snapshot is rebuilt, before a card is served from it, when

- a write changed something a reason is made of (`reasons.reasons_changed` bumps its
  `version` in the writer's transaction: a question asked, a case updated, a meeting
  logged, a contact or date edited, a callback cancelled, an outcome undone);
- a provider said its reasons change by themselves at a time that has come
  (`valid_until`: a callback falling due, a case entering its SLA window, midnight);
- it is older than WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS (reconnects come due gradually and
  "2 h ago" texts age), or fewer than REFILL_AT contacts are left ready in a snapshot that
  some provider cut short (a long power hour has called through it).

Logging an outcome changes nothing here: the attempt itself is read live, which is what
moves the contact out of the way. The periodic job `calls.queue_refresh` rebuilds the
snapshots of reps who read theirs lately before they get old, so in a working day the
rebuild happens in the worker, not in the rep's request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from warmline.calls.models import QueueSnapshot
from warmline.calls.ranking import RankedContact, ScoredReason
from warmline.calls.selectors import (
    ATTEMPT_KINDS,
    CallFacts,
    CallQueue,
    Ranking,
    call_queue_rank,
    call_queue_sort,
    callable_facts,
    reason_context,
)
from warmline.core.db import in_ids
from warmline.core.registries.reasons import Reason, reasons_next_change
from warmline.core.registries.touches import Touch
from warmline.people.models import Contact
from warmline.users.models import User

logger = logging.getLogger(__name__)

# A snapshot cut short by a provider's limit is rebuilt once fewer are left ready.
REFILL_AT = 10
# Reps who read their queue within this window are kept fresh by the periodic job.
ACTIVE_WINDOW = dt.timedelta(minutes=20)
# read_at is stamped at most this often (a write per minute, not per card).
READ_STAMP_EVERY = dt.timedelta(seconds=60)
# A snapshot built a moment "after" a read's clock (another process) is still fine.
CLOCK_SLACK = dt.timedelta(seconds=5)


# Decoded rankings by (rep, build token), most recently used last: a card reads the
# snapshot row without its JSON when this process has already decoded that build.
_Key = tuple[int, int, dt.datetime]  # rep, build token, built at
_DECODED: OrderedDict[_Key, tuple[list[RankedContact], dict[int, CallFacts]]] = OrderedDict()
_DECODED_MAX = 200  # reps
_DECODED_LOCK = threading.Lock()


def _decoded_get(key: _Key) -> tuple[list[RankedContact], dict[int, CallFacts]] | None:
    with _DECODED_LOCK:
        found = _DECODED.get(key)
        if found is not None:
            _DECODED.move_to_end(key)
        return found


def _decoded_put(key: _Key, decoded: tuple[list[RankedContact], dict[int, CallFacts]]) -> None:
    with _DECODED_LOCK:
        for old in [k for k in _DECODED if k[0] == key[0]]:  # older builds of this rep
            del _DECODED[old]
        _DECODED[key] = decoded
        while len(_DECODED) > _DECODED_MAX:
            _DECODED.popitem(last=False)


def max_age() -> dt.timedelta:
    return dt.timedelta(seconds=settings.WARMLINE_CALL_QUEUE_MAX_AGE_SECONDS)


# --- Encoding ------------------------------------------------------------------------


def ranking_encode(
    ranked: Iterable[RankedContact], known: Mapping[int, CallFacts]
) -> list[list[Any]]:
    """[contact_id, score, newest_at, [[key, text, urgency, at, ref, url, score], ...],
    [phone, time_zone, do_not_call, [wrong numbers]] or None (not in the book)] per contact
    (newest_at is stored so that sorting the queue needs no reason decoded)."""
    return [
        [
            entry.contact_id,
            entry.score,
            _iso(entry.newest_at),
            [
                [
                    s.reason.key,
                    s.reason.text,
                    s.reason.urgency,
                    _iso(s.reason.at),
                    s.reason.ref,
                    s.reason.url,
                    s.score,
                ]
                for s in entry.reasons
            ],
            _facts_encode(known.get(entry.contact_id)),
        ]
        for entry in ranked
    ]


def _facts_encode(fact: CallFacts | None) -> list[Any] | None:
    if fact is None:
        return None
    return [fact.phone, fact.time_zone, fact.do_not_call, sorted(fact.wrong)]


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


class StoredRanking(RankedContact):
    """A ranked contact read back from a snapshot. Its reasons are decoded on first use:
    a card shows one contact, while the queue sorts a couple of hundred."""

    def __init__(self, row: list[Any]) -> None:
        contact_id, score, newest, reasons, _ = row
        object.__setattr__(self, "contact_id", contact_id)
        object.__setattr__(self, "score", score)
        object.__setattr__(self, "_newest", dt.datetime.fromisoformat(newest) if newest else None)
        object.__setattr__(self, "_raw", reasons)
        object.__setattr__(self, "_decoded", None)

    @property  # type: ignore[override]
    def reasons(self) -> tuple[ScoredReason, ...]:
        decoded: tuple[ScoredReason, ...] | None = self.__dict__["_decoded"]
        if decoded is None:
            parse = dt.datetime.fromisoformat
            decoded = tuple(
                ScoredReason(
                    Reason(
                        contact_id=self.contact_id,
                        key=key,
                        text=text,
                        urgency=urgency,
                        at=parse(at) if at else None,
                        ref=ref,
                        url=url,
                    ),
                    reason_score,
                )
                for key, text, urgency, at, ref, url, reason_score in self.__dict__["_raw"]
            )
            object.__setattr__(self, "_decoded", decoded)
        return decoded

    @property
    def newest_at(self) -> dt.datetime | None:
        newest: dt.datetime | None = self.__dict__["_newest"]
        return newest


def ranking_decode(rows: list[list[Any]]) -> tuple[list[RankedContact], dict[int, CallFacts]]:
    """The ranked contacts and what made them callable, as `ranking_encode` stored them."""
    ranked: list[RankedContact] = []
    known: dict[int, CallFacts] = {}
    for row in rows:
        entry = StoredRanking(row)
        ranked.append(entry)
        if (fact := row[4]) is not None:
            phone, time_zone, do_not_call, wrong = fact
            known[entry.contact_id] = CallFacts(
                entry.contact_id, phone, time_zone, do_not_call, frozenset(wrong)
            )
    return ranked, known


# --- Building ------------------------------------------------------------------------


def queue_snapshot_fresh(snapshot: QueueSnapshot, *, now: dt.datetime) -> bool:
    built = snapshot.built_at
    if built is None or snapshot.version != snapshot.built_version:
        return False
    if now < built - CLOCK_SLACK or now - built >= max_age():
        return False
    return snapshot.valid_until is None or now < snapshot.valid_until


def queue_snapshot_build(
    *,
    user: User,
    now: dt.datetime | None = None,
    read: bool = False,
    snapshot: QueueSnapshot | None = None,
) -> Ranking:
    """Ask every provider now and store the ranking as `user`'s snapshot.

    The row is created (or read) first and its `version` noted before any reason is read,
    so a write that lands while this runs leaves the snapshot stale, never wrongly fresh.
    A concurrent rebuild that started later is never overwritten by this one."""
    now = now or timezone.now()
    started = time.perf_counter()
    if snapshot is None:  # (a reader passes the row it has just read)
        snapshot, _ = QueueSnapshot.objects.get_or_create(rep=user)
    version = snapshot.version
    ranking = call_queue_rank(user=user, now=now)
    known = callable_facts(user=user, contact_ids=[r.contact_id for r in ranking.ranked], now=now)
    ranking = dataclasses.replace(ranking, known=known)
    valid_until = reasons_next_change(reason_context(user=user, now=now))
    token = secrets.randbits(63)
    fields: dict[str, Any] = {
        "build_token": token,
        "built_version": version,
        "built_at": now,
        "valid_until": valid_until,
        "truncated": ranking.truncated,
        "ranked": ranking_encode(ranking.ranked, known),
        "build_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if read:
        fields["read_at"] = now
    stored = (
        QueueSnapshot.objects.filter(rep=user)
        .filter(Q(built_at__isnull=True) | Q(built_at__lte=now))
        .update(**fields)
    )
    if stored:
        _decoded_put((user.pk, token, now), (ranking.ranked, known))
    return ranking


def _snapshot_ranking(*, user: User, now: dt.datetime) -> tuple[Ranking, bool]:
    """(ranking, built just now) for a read: the stored one if fresh, else a new one. The
    row is read without its JSON when this process has decoded the same build before."""
    snapshot = QueueSnapshot.objects.filter(rep=user).defer("ranked").first()
    if (
        snapshot is None
        or snapshot.built_at is None  # (never built)
        or not queue_snapshot_fresh(snapshot, now=now)
    ):
        return queue_snapshot_build(user=user, now=now, read=True, snapshot=snapshot), True
    built_at = snapshot.built_at
    key = (user.pk, snapshot.build_token, built_at)
    decoded = _decoded_get(key)
    if decoded is None:
        rows = (
            QueueSnapshot.objects.filter(
                rep=user, build_token=snapshot.build_token, built_at=built_at
            )
            .values_list("ranked", flat=True)
            .first()
        )
        if rows is None:  # rebuilt by another process since the row was read: read again
            return _snapshot_ranking(user=user, now=now)
        try:
            decoded = ranking_decode(rows)
        except (TypeError, ValueError):  # written by another version of this code: rebuild
            logger.warning("call queue: unreadable snapshot of user %s; rebuilding", user.pk)
            return queue_snapshot_build(user=user, now=now, read=True, snapshot=snapshot), True
        _decoded_put(key, decoded)
    ranked, known = decoded
    if snapshot.read_at is None or now - snapshot.read_at >= READ_STAMP_EVERY:
        QueueSnapshot.objects.filter(rep=user).update(read_at=now)
    ranking = Ranking(ranked=ranked, truncated=snapshot.truncated, known_at=built_at, known=known)
    return ranking, False


def call_queue_current(
    *,
    user: User,
    now: dt.datetime | None = None,
    exclude_ids: Iterable[int] = (),
    limit: int = 50,
    contact_id: int | None = None,
) -> CallQueue:
    """Whom `user` should call now, as call mode shows it: the snapshot's ranking (rebuilt
    first when stale) sorted into ready / held / recent as of now."""
    now = now or timezone.now()
    excluded = list(exclude_ids)
    ranking, built = _snapshot_ranking(user=user, now=now)

    def sort(ranking: Ranking) -> CallQueue:
        return call_queue_sort(
            user=user,
            now=now,
            ranked=ranking.ranked,
            known_at=ranking.known_at,
            known=ranking.known,
            exclude_ids=excluded,
            limit=limit,
            contact_id=contact_id,
        )

    queue = sort(ranking)
    if not built and ranking.truncated and contact_id is None and queue.ready_count < REFILL_AT:
        queue = sort(queue_snapshot_build(user=user, now=now, read=True))
    return queue


# --- Keeping it current --------------------------------------------------------------


def queue_snapshot_invalidate(
    *, contact_ids: Iterable[int] = (), rep_ids: Iterable[int | None] | QuerySet[Any] = ()
) -> int:
    """Mark stale the snapshots of these reps and of these contacts' owners: one UPDATE."""
    contacts = [pk for pk in contact_ids if pk is not None]
    reps: Any = rep_ids if isinstance(rep_ids, QuerySet) else [r for r in rep_ids if r]
    condition = Q()
    if isinstance(reps, QuerySet) or reps:
        condition |= Q(rep_id__in=reps)
    if contacts:
        owners = Contact.objects.filter(in_ids("pk", contacts), owner__isnull=False)
        condition |= Q(rep_id__in=owners.values("owner_id"))
    if not condition:
        return 0
    return QueueSnapshot.objects.filter(condition).update(version=F("version") + 1)


def queue_touches_record(touches: list[Touch]) -> None:
    """The touches registry's listener: a personal touch other than a call attempt (a
    meeting, an e-mail) settles a reconnect, so the contact's owner's queue is stale. Call
    attempts are left alone: the queue reads them live."""
    contact_ids = {t.contact_id for t in touches if t.is_personal and t.kind not in ATTEMPT_KINDS}
    if contact_ids:
        queue_snapshot_invalidate(contact_ids=contact_ids)


def queue_snapshot_due(*, rep_id: int, at: dt.datetime) -> None:
    """A reason of this rep starts at `at` (a callback just scheduled): rebuild by then.
    Cheaper than invalidating: the card in front of the rep stays valid until that time."""
    QueueSnapshot.objects.filter(rep_id=rep_id).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=at)
    ).update(valid_until=at)


def queue_snapshots_refresh(*, now: dt.datetime | None = None) -> int:
    """Periodic: rebuild the snapshots of reps active lately that are stale or will be
    before the next run or two. Returns how many were rebuilt."""
    given = now
    now = now or timezone.now()
    ahead = now + max_age() / 2
    active = (
        QueueSnapshot.objects.filter(read_at__gte=now - ACTIVE_WINDOW)
        .select_related("rep")
        .defer("ranked")
        .order_by("built_at")
    )
    rebuilt = 0
    for snapshot in active:
        if queue_snapshot_fresh(snapshot, now=ahead) or not snapshot.rep.is_active:
            continue
        try:
            queue_snapshot_build(user=snapshot.rep, now=given)
        except Exception:
            logger.exception(
                "call queue: rebuilding the snapshot of user %s failed", snapshot.rep_id
            )
            continue
        rebuilt += 1
    return rebuilt
