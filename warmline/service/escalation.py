"""The SLA scheduler: find cases whose next escalation step is due and raise its alerts.

A pass is one indexed range query over `Case.next_step_due_at` (walked in keyset
batches), then one short transaction per due case:

1. claim the case: skip it if another worker holds its row (PostgreSQL `SKIP LOCKED`),
   then a conditional UPDATE bumps `sla_version` only if nobody changed the case since
   it was listed; zero rows updated means someone else got there first;
2. recompute the step deadlines from the case as it is *now* (a case resolved a moment
   ago has no running clock and so no due step: it never alerts);
3. record each due step in `SlaStepFired` (unique per case, clock and step) and raise
   its alerts through the alerts app with cause ``case:<id>:<clock>:<step>``, which the
   alerts app keeps unique per recipient;
4. store the new `next_step_due_at`.

Everything in step 1–4 commits together or not at all, so a crash never loses a step
and a second worker (or a restart) never repeats one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from warmline.core.hours import zone_get
from warmline.service.models import Case, Clock, SlaStepFired, Step, step_cause
from warmline.service.services import SlaLookup, case_sla_refresh
from warmline.users.models import Role, User

logger = logging.getLogger(__name__)

STEP_ORDER: dict[str, int] = {Step.WARN: 0, Step.BREACH: 1, Step.MANAGER: 2}


@dataclass
class PassResult:
    cases_due: int = 0
    cases_claimed: int = 0
    steps_fired: int = 0
    alerts_raised: int = 0

    def __str__(self) -> str:
        return (
            f"{self.cases_due} due, {self.cases_claimed} claimed, "
            f"{self.steps_fired} steps fired, {self.alerts_raised} alerts raised"
        )


def sla_pass(*, now: dt.datetime | None = None, batch_size: int | None = None) -> PassResult:
    """One scheduler pass over every case with a step due at or before `now`."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SERVICE_SLA_BATCH_SIZE
    lookup = SlaLookup()
    result = PassResult()
    last: tuple[dt.datetime, int] | None = None
    while True:
        qs = Case.objects.filter(next_step_due_at__isnull=False, next_step_due_at__lte=now)
        if last is not None:
            qs = qs.filter(
                Q(next_step_due_at__gt=last[0]) | Q(next_step_due_at=last[0], id__gt=last[1])
            )
        rows = list(
            qs.order_by("next_step_due_at", "id").values_list(
                "id", "sla_version", "next_step_due_at"
            )[:batch_size]
        )
        for case_id, version, _due in rows:
            result.cases_due += 1
            case_escalate(case_id=case_id, version=version, now=now, lookup=lookup, result=result)
        if len(rows) < batch_size:
            return result
        last_due = rows[-1][2]
        assert last_due is not None  # the query only lists cases with a due step
        last = (last_due, rows[-1][0])


def sla_pass_run() -> PassResult:
    """The periodic job: one pass, logged when it did something."""
    result = sla_pass()
    if result.cases_due:
        logger.info("SLA pass: %s", result)
    return result


def case_escalate(
    *,
    case_id: int,
    version: int,
    now: dt.datetime,
    lookup: SlaLookup | None = None,
    result: PassResult | None = None,
) -> PassResult:
    """Fire the due steps of one case, if this worker wins the claim on it."""
    result = result if result is not None else PassResult()
    lookup = lookup or SlaLookup()
    with transaction.atomic():
        free = (
            Case.objects.select_for_update(skip_locked=True)
            .filter(pk=case_id, sla_version=version)
            .values_list("id", flat=True)
            .first()
        )
        if free is None:
            return result
        claimed = Case.objects.filter(pk=case_id, sla_version=version).update(
            sla_version=F("sla_version") + 1
        )
        if claimed != 1:
            return result
        result.cases_claimed += 1
        case = Case.objects.select_related(
            "contact__owner__team__manager", "contact__account", "account", "assigned_agent"
        ).get(pk=case_id)
        fired = set(SlaStepFired.objects.filter(case=case).values_list("clock", "step"))
        deadlines = case_sla_refresh(case=case, fired=fired, lookup=lookup)
        due = sorted(
            (
                (clock, step, at)
                for (clock, step), at in deadlines.items()
                if at is not None and at <= now and (clock, step) not in fired
            ),
            key=lambda item: (item[0], STEP_ORDER[item[1]]),
        )
        due_keys = {(clock, step) for clock, step, _ in due}
        for clock, step, at in due:
            # A case that arrives already past its breach point warns nobody: the breach
            # alert says it all. The warning is recorded as fired without alerts.
            superseded = step == Step.WARN and (clock, Step.BREACH) in due_keys
            try:
                with transaction.atomic():
                    row = SlaStepFired.objects.create(
                        case=case, clock=clock, step=step, due_at=at, fired_at=timezone.now()
                    )
            except IntegrityError:
                continue
            fired.add((clock, step))
            result.steps_fired += 1
            if superseded:
                continue
            raised = _step_alerts_raise(case=case, clock=clock, step=step, due_at=at)
            if raised:
                SlaStepFired.objects.filter(pk=row.pk).update(alerts=raised)
                result.alerts_raised += raised
        case_sla_refresh(case=case, fired=fired, lookup=lookup)
        Case.objects.filter(pk=case.pk).update(
            sla_policy=case.sla_policy,
            first_response_due_at=case.first_response_due_at,
            resolution_due_at=case.resolution_due_at,
            breach_at=case.breach_at,
            next_step_due_at=case.next_step_due_at,
        )
    return result


# --- Who hears about a step, and what they read --------------------------------------


def _active(user: User | None) -> User | None:
    return user if user is not None and user.is_active else None


def _managers_fallback(*, unassigned: bool) -> list[User]:
    """Nobody's own customer: every manager (they all see the unassigned queue); a rep
    without a team manager: the admins."""
    role_q = Q(role=Role.MANAGER) if unassigned else Q(role=Role.ADMIN) | Q(is_superuser=True)
    people = list(User.objects.filter(role_q, is_active=True).order_by("id")[:20])
    if not people and unassigned:
        people = list(
            User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by(
                "id"
            )[:20]
        )
    return people


def step_recipients(*, case: Case, step: str) -> list[User]:
    """The rep for warn and breach (the assigned agent when the customer has no rep);
    the rep's team manager for the manager step."""
    owner = _active(case.contact.owner)
    if step in (Step.WARN, Step.BREACH):
        if owner is not None:
            return [owner]
        agent = _active(case.assigned_agent)
        if agent is not None:
            return [agent]
        return _managers_fallback(unassigned=True) if step == Step.BREACH else []
    if owner is None:
        return _managers_fallback(unassigned=True)
    manager = _active(owner.team.manager) if owner.team_id and owner.team else None
    if manager is not None and manager.pk != owner.pk:
        return [manager]
    return _managers_fallback(unassigned=False)


def _ladder(notify: str) -> list[Any]:
    from warmline.alerts.services import Step as LadderStep

    now = dt.timedelta(0)
    ladder = [LadderStep(after=now, channel="inapp")]
    if notify in ("email", "email_sms"):
        ladder.append(LadderStep(after=now, channel="email"))
    if notify in ("sms", "email_sms"):
        ladder.append(LadderStep(after=now, channel="sms"))
    return ladder


def _format_delta(delta: dt.timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def _local(when: dt.datetime | None, zone_name: str) -> str:
    if when is None:
        return "—"
    zone = zone_get(zone_name) or dt.UTC
    return when.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


def step_message(
    *, case: Case, clock: str, step: str, due_at: dt.datetime, recipient: User
) -> tuple[str, str, str]:
    """(title, body, url) of the alert for one step, in the recipient's time zone."""
    contact = case.contact
    company = contact.account.name if contact.account_id and contact.account else ""
    customer = f"{contact.full_name} ({company})" if company else contact.full_name
    clock_label = Clock(clock).label.lower()
    breach_at = (
        case.first_response_due_at if clock == Clock.FIRST_RESPONSE else case.resolution_due_at
    )
    now = timezone.now()
    if step == Step.WARN:
        left = (
            f"due in {_format_delta(breach_at - now)}" if breach_at and breach_at > now else "due"
        )
        title = f"Case {clock_label} {left}: {customer} — {case.subject}"
    elif step == Step.BREACH:
        title = f"SLA breached ({clock_label} overdue): {customer} — {case.subject}"
    else:
        rep = case.contact.owner
        whose = f"{rep}'s customer " if rep else "Unassigned customer "
        title = f"Escalation: {whose}{customer} — {clock_label} overdue — {case.subject}"
    url = f"{settings.SITE_URL}{case.get_absolute_url()}"
    zone = recipient.time_zone
    lines = [
        f"Customer: {customer}",
        f"  e-mail {contact.email or '—'} · phone {contact.phone or '—'}",
        f"Case: {case.subject} ({case.reference})",
        f"  priority {case.get_priority_display()} · status {case.get_status_display()}"
        f" · via {case.get_channel_display()}",
        f"Opened: {_local(case.opened_at, zone)}",
        f"{Clock(clock).label} due: {_local(breach_at, zone)}",
        f"Rep: {case.contact.owner or 'nobody (unassigned)'}",
    ]
    if case.description:
        lines += ["", case.description[:1000]]
    lines += ["", f"Open the case: {url}"]
    return title[:200], "\n".join(lines), url


def _step_alerts_raise(*, case: Case, clock: str, step: str, due_at: dt.datetime) -> int:
    from warmline.alerts.services import alert_raise

    recipients = step_recipients(case=case, step=step)
    if not recipients:
        logger.warning("case %s %s %s is due but nobody can be alerted", case.pk, clock, step)
        return 0
    policy = case.sla_policy
    notify = policy.notify_for(step) if policy is not None else "email"
    cause = step_cause(case_id=case.pk, clock=clock, step=step)
    for recipient in recipients:
        title, body, url = step_message(
            case=case, clock=clock, step=step, due_at=due_at, recipient=recipient
        )
        alert_raise(
            recipient=recipient,
            kind="case_sla",
            title=title,
            body=body,
            url=url,
            cause=cause,
            ladder=_ladder(notify),
            data={"case_id": case.pk, "clock": clock, "step": step, "due_at": due_at.isoformat()},
            contact=case.contact,
        )
    return len(recipients)
