"""Writes to the timeline: one small keyword-only function per kind of touch (in the style
of saleor's order events). Feature apps call these from their own services.

Every write is announced through `warmline.core.registries.touches` in its transaction:
the people app keeps `Contact.last_touch_at` current from it (so *Today* and the reconnect
queue never recompute it from history) and the call queue hears about personal touches.
The timeline sits below people, so a contact is typed `ContactRow` here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from warmline.core.registries.touches import Touch, touches_recorded
from warmline.timeline.models import Direction, Interaction, Kind, Outcome, Source
from warmline.users.models import User

PERSONAL_KINDS = {Kind.MEETING, Kind.CHECKIN_NOTE}
# A warmline.people.models.Contact (people sits above the timeline and owns the type).
ContactRow = Any


def interaction_is_personal(*, kind: str, outcome: str, author_id: int | None) -> bool:
    """A human touch: a connected call, a meeting, a personal note or e-mail from a person.

    Newsletters, page views and voicemails are not conversations and do not count.
    """
    if kind in PERSONAL_KINDS:
        return True
    if kind == Kind.CALL and outcome == Outcome.CONNECTED:
        return True
    return kind == Kind.EMAIL and author_id is not None


def interaction_create(
    *,
    contact: ContactRow,
    kind: str,
    author: User | None = None,
    body: str = "",
    subject: str = "",
    direction: str = Direction.OUTBOUND,
    outcome: str = "",
    occurred_at: dt.datetime | None = None,
    source: str = Source.WEB,
    external_id: str = "",
    data: dict[str, Any] | None = None,
    corrects: Interaction | None = None,
) -> Interaction:
    """Append one entry. With an external id, a repeat of the same (source, id) returns the
    entry already stored instead of a second one, so webhooks and imports are idempotent.

    Only an entry with an external id can lose a race (the unique constraint) that a caller
    recovers from, so only then is a savepoint worth its two round trips inside a caller's
    transaction (call mode's hottest write has none). Bad input is refused before anything
    is written, so a caller can catch that ValidationError either way."""
    if external_id:
        existing = Interaction.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing
    when = occurred_at or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "A touch cannot be logged in the future."})
    entry = Interaction(
        contact=contact,
        account_id=contact.account_id,
        kind=kind,
        author=author,
        body=body.strip(),
        subject=subject.strip()[:200],
        direction=direction,
        outcome=outcome,
        occurred_at=when,
        source=source,
        external_id=external_id,
        data=data or {},
        corrects=corrects,
        is_personal=interaction_is_personal(
            kind=kind, outcome=outcome, author_id=author.pk if author else None
        ),
    )
    # The uuid is new, so without an external id the uniqueness queries (two per entry, on
    # the hottest write of call mode) cannot find anything; the database's constraints hold.
    entry.full_clean(
        exclude=["contact", "account", "author", "corrects"],
        validate_unique=bool(external_id),
        validate_constraints=bool(external_id),
    )
    # Checked before the transaction: a caller may catch the ValidationError and go on.
    with transaction.atomic(savepoint=bool(external_id)):
        entry.save()
        touches_recorded(
            [
                Touch(
                    contact_id=contact.pk,
                    kind=kind,
                    occurred_at=when,
                    is_personal=entry.is_personal,
                )
            ]
        )
    return entry


def note_add(
    *, contact: ContactRow, author: User, body: str, occurred_at: dt.datetime | None = None
) -> Interaction:
    if not body.strip():
        raise ValidationError({"body": "Write something in the note."})
    return interaction_create(
        contact=contact,
        kind=Kind.NOTE,
        author=author,
        body=body,
        direction=Direction.INTERNAL,
        occurred_at=occurred_at,
    )


def call_log(
    *,
    contact: ContactRow,
    author: User,
    outcome: str,
    body: str = "",
    direction: str = Direction.OUTBOUND,
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    if outcome not in Outcome.values or not outcome:
        raise ValidationError({"outcome": "Pick how the call went."})
    kind = Kind.VOICEMAIL if outcome == Outcome.VOICEMAIL else Kind.CALL
    return interaction_create(
        contact=contact,
        kind=kind,
        author=author,
        body=body,
        outcome=outcome,
        direction=direction,
        occurred_at=occurred_at,
    )


def meeting_log(
    *,
    contact: ContactRow,
    author: User,
    subject: str,
    body: str = "",
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    if not subject.strip():
        raise ValidationError({"subject": "Give the meeting a short title."})
    return interaction_create(
        contact=contact,
        kind=Kind.MEETING,
        author=author,
        subject=subject,
        body=body,
        occurred_at=occurred_at,
    )


def interaction_correct(*, original: Interaction, author: User, body: str) -> Interaction:
    """Record a correction to an earlier entry; the original stays as it was."""
    if not body.strip():
        raise ValidationError({"body": "Say what was wrong and what is right."})
    return interaction_create(
        contact=original.contact,
        kind=Kind.CORRECTION,
        author=author,
        body=body,
        direction=Direction.INTERNAL,
        corrects=original,
    )
