"""Background tasks of the alerts app (django-tasks). They take ids and call services, and
are safe to run twice: the outbox row is claimed with a conditional update."""

from __future__ import annotations

from django_tasks import task

from warmline.alerts.services import outbox_message_deliver


@task()
def outbox_deliver(message_id: int) -> str:
    """Send one outbox row (e-mail, SMS or a later in-app rung) and mark it."""
    return outbox_message_deliver(message_id=message_id)
