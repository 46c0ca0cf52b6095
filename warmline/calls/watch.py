"""Foundation writes that change call-queue reasons, seen through Django's signals.

The people and timeline apps know nothing of calls, so instead of calling
`reasons.reasons_changed` they are watched here: a contact saved (stage, cadence, owner),
an important date added or removed, an account saved (its tier sets the cadence), and a
personal touch other than a call attempt (a meeting, an e-mail: it settles a reconnect).
Call attempts are not watched: the queue reads them live. Bulk writes (imports, the demo)
send no signals; the snapshot's age bound covers them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from warmline.calls.queue import queue_snapshot_invalidate
from warmline.people.models import Account, Contact, ImportantDate
from warmline.timeline.models import Interaction, Kind

ATTEMPTS = frozenset({Kind.CALL, Kind.VOICEMAIL})


def _contact_saved(sender: Any, instance: Contact, **kwargs: Any) -> None:
    queue_snapshot_invalidate(rep_ids=[instance.owner_id])


def _date_changed(sender: Any, instance: ImportantDate, **kwargs: Any) -> None:
    queue_snapshot_invalidate(contact_ids=[instance.contact_id])


def _account_saved(sender: Any, instance: Account, created: bool = False, **kwargs: Any) -> None:
    if not created:
        owners = Contact.objects.filter(account_id=instance.pk).values("owner_id")
        queue_snapshot_invalidate(rep_ids=owners)


def _interaction_saved(
    sender: Any, instance: Interaction, created: bool = False, **kwargs: Any
) -> None:
    if created and instance.is_personal and instance.kind not in ATTEMPTS:
        queue_snapshot_invalidate(contact_ids=[instance.contact_id])


def connect() -> None:
    uid = "warmline.calls.watch"
    post_save.connect(_contact_saved, sender=Contact, dispatch_uid=f"{uid}.contact")
    post_delete.connect(_contact_saved, sender=Contact, dispatch_uid=f"{uid}.contact-delete")
    post_save.connect(_date_changed, sender=ImportantDate, dispatch_uid=f"{uid}.date")
    post_delete.connect(_date_changed, sender=ImportantDate, dispatch_uid=f"{uid}.date-delete")
    post_save.connect(_account_saved, sender=Account, dispatch_uid=f"{uid}.account")
    post_save.connect(_interaction_saved, sender=Interaction, dispatch_uid=f"{uid}.interaction")
