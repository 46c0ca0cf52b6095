"""Reads about alerts. Who may see an alert: its recipient, anyone its ladder escalated to
(the recipient's manager), and admins. Everyone else gets 404."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_lib

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from warmline.alerts.models import Alert, LiveEvent, OutboxMessage
from warmline.users.models import User

REPLAY_LIMIT = 200


def _visible_q(*, user: User) -> Q:
    escalated = OutboxMessage.objects.filter(alert=OuterRef("pk"), to_user=user)
    return Q(recipient=user) | Q(Exists(escalated))


def alert_list(*, user: User, open_only: bool = False) -> QuerySet[Alert]:
    """The user's alerts (and those escalated to them), newest first, with their ladder."""
    qs = Alert.objects.filter(_visible_q(user=user))
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return (
        qs.select_related("recipient", "acknowledged_by")
        .prefetch_related(
            Prefetch("messages", queryset=OutboxMessage.objects.order_by("step", "id"))
        )
        .order_by("-created_at", "-id")
    )


def alert_get(*, user: User, alert_uuid: uuid_lib.UUID | str) -> Alert:
    """One alert the user may see, or Http404."""
    try:
        key = uuid_lib.UUID(str(alert_uuid))
    except ValueError:
        raise Http404("No such alert.") from None
    qs = Alert.objects.filter(uuid=key).select_related("recipient", "acknowledged_by")
    if not user.is_admin_role:
        qs = qs.filter(_visible_q(user=user))
    alert = qs.first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def alert_messages(*, alert: Alert) -> list[OutboxMessage]:
    return list(alert.messages.select_related("to_user").order_by("step", "id"))


def alert_count_unacknowledged(*, user: User) -> int:
    return alert_count_unacknowledged_for(user_id=user.pk)


def alert_count_unacknowledged_for(*, user_id: int) -> int:
    return Alert.objects.filter(recipient_id=user_id, acknowledged_at__isnull=True).count()


def live_event_list_replay(
    *, user_id: int, after_id: int | None, since: dt.datetime, limit: int = REPLAY_LIMIT
) -> list[LiveEvent]:
    """What a (re)connecting tab missed: events after Last-Event-ID when it sent one, else
    events since the page was rendered. Oldest first, at most `limit` (the newest ones)."""
    qs = LiveEvent.objects.filter(user_id=user_id)
    qs = qs.filter(pk__gt=after_id) if after_id is not None else qs.filter(created_at__gte=since)
    rows = list(qs.order_by("-id")[:limit])
    rows.reverse()
    return rows


def live_event_list_recent(*, user_ids: list[int], since: dt.datetime) -> list[LiveEvent]:
    """Recent events of these users (the hub's database backstop)."""
    return list(
        LiveEvent.objects.filter(user_id__in=user_ids, created_at__gte=since).order_by("id")
    )
