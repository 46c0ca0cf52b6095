"""Background work of the portal: e-mailing sign-in links (takes ids, safe to run twice:
a link that was used or has expired is not sent)."""

from __future__ import annotations

from django_tasks import task

from warmline.portal.services import magic_link_send


@task()
def magic_link_send_task(*, link_id: int) -> bool:
    return magic_link_send(link_id=link_id)
