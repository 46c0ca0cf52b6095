"""Background work of the service app. Tasks take ids (or nothing), load rows and call a
service; both are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from warmline.service.escalation import sla_pass
from warmline.service.services import sla_retime_open_cases


@task()
def sla_retime_open_cases_task() -> int:
    """Re-time every open case after an admin changed a policy, calendar or holiday."""
    return sla_retime_open_cases()


@task()
def sla_pass_task() -> int:
    """One escalation pass (the periodic job runs the same function every few seconds)."""
    return sla_pass().steps_fired
