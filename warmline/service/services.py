"""Writes to service cases. Every function is atomic and validates before writing, so a
bad value never leaves a half-written case, contact or timeline entry behind.

Every change to a case is also a timeline entry on its contact (`case_opened`,
`case_updated`, `case_resolved`) and re-times its SLA clocks (`case_sla_refresh`).
The scheduler side (finding due steps and raising alerts) lives in `escalation.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from warmline.core.hours import ALWAYS_OPEN, BusinessHours
from warmline.core.registries.reasons import reasons_changed
from warmline.people.models import Account, Contact, ContactEmail
from warmline.people.services import ContactData, contact_create, email_normalize
from warmline.service import sla
from warmline.service.models import (
    CLOCK_STOPPED,
    UNRESOLVED,
    BusinessCalendar,
    Case,
    CaseNote,
    Channel,
    Clock,
    Priority,
    SlaPolicy,
    SlaStepFired,
    Status,
    Step,
    TeamCalendar,
)
from warmline.timeline.models import Direction, Kind, Outcome, Source
from warmline.timeline.services import interaction_create
from warmline.users.models import Role, User

logger = logging.getLogger(__name__)

#: Fields a change can touch, in the order a change summary lists them.
TRACKED_FIELDS = (
    "subject",
    "description",
    "priority",
    "status",
    "channel",
    "assigned_agent",
    "opened_at",
    "first_response_at",
    "resolved_at",
)
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


# --- SLA timing ----------------------------------------------------------------------


@dataclass(frozen=True)
class SlaSetup:
    """The policy and calendar that time one case."""

    policy: SlaPolicy | None
    hours: BusinessHours


class SlaLookup:
    """Policies and calendars, loaded once (five small queries) and reused for every case
    of a batch: a scheduler pass or a re-time of all open cases."""

    def __init__(self) -> None:
        self._policies: dict[tuple[str, str], SlaPolicy] | None = None
        self._team_calendar: dict[int, int] = {}
        self._hours: dict[int, BusinessHours] = {}
        self._default_calendar_id: int | None = None

    def _load(self) -> dict[tuple[str, str], SlaPolicy]:
        if self._policies is None:
            self._policies = {
                (p.priority, p.tier): p for p in SlaPolicy.objects.filter(is_active=True)
            }
            self._team_calendar = dict(TeamCalendar.objects.values_list("team_id", "calendar_id"))
            for calendar in BusinessCalendar.objects.prefetch_related("hours", "holidays"):
                self._hours[calendar.pk] = calendar.to_hours()
                if calendar.is_default:
                    self._default_calendar_id = calendar.pk
        return self._policies

    def policy_for(self, *, priority: str, tier: str) -> SlaPolicy | None:
        """A tier-specific active policy wins over the one for every tier (blank tier)."""
        policies = self._load()
        if tier and (priority, tier) in policies:
            return policies[(priority, tier)]
        return policies.get((priority, ""))

    def setup_for(self, *, case: Case) -> SlaSetup:
        """The case's policy and calendar: the policy's own calendar, else the calendar of
        the owning rep's team, else the default calendar, else 24x7."""
        tier = case.account.tier if case.account_id and case.account else ""
        owner = case.contact.owner if case.contact_id else None
        return self.setup_for_parts(
            priority=case.priority, tier=tier, team_id=owner.team_id if owner else None
        )

    def setup_for_parts(self, *, priority: str, tier: str, team_id: int | None) -> SlaSetup:
        policy = self.policy_for(priority=priority, tier=tier)
        if policy is None:
            return SlaSetup(policy=None, hours=ALWAYS_OPEN)
        calendar_id = policy.calendar_id
        if calendar_id is None and team_id is not None:
            calendar_id = self._team_calendar.get(team_id)
        if calendar_id is None:
            calendar_id = self._default_calendar_id
        hours = self._hours.get(calendar_id) if calendar_id else None
        return SlaSetup(policy=policy, hours=hours or ALWAYS_OPEN)


def sla_setup_for(*, case: Case, lookup: SlaLookup | None = None) -> SlaSetup:
    return (lookup or SlaLookup()).setup_for(case=case)


def clock_running(*, case: Case, clock: str) -> bool:
    """Whether a clock still has a target to meet (ignoring pauses)."""
    if case.status not in UNRESOLVED:
        return False
    if clock == Clock.FIRST_RESPONSE:
        return case.first_response_at is None
    return True


def case_step_deadlines(
    *, case: Case, setup: SlaSetup
) -> dict[tuple[str, str], dt.datetime | None]:
    """(clock, step) -> instant the step falls due, for each step of the policy whose clock
    still runs. None means the clock is stopped (paused) before reaching it."""
    if setup.policy is None:
        return {}
    steps = {
        key: minutes
        for key, minutes in setup.policy.step_minutes().items()
        if clock_running(case=case, clock=key[0])
    }
    if not steps:
        return {}
    keys = list(steps)
    due = sla.business_deadlines(
        hours=setup.hours,
        start=case.opened_at,
        amounts=[dt.timedelta(minutes=steps[k]) for k in keys],
        pauses=case.pauses(),
    )
    return dict(zip(keys, due, strict=True))


def case_sla_refresh(
    *,
    case: Case,
    fired: Iterable[tuple[str, str]] | None = None,
    lookup: SlaLookup | None = None,
) -> dict[tuple[str, str], dt.datetime | None]:
    """Recompute the case's SLA columns in memory (the caller saves). Returns the deadlines."""
    setup = sla_setup_for(case=case, lookup=lookup)
    case.sla_policy = setup.policy
    deadlines = case_step_deadlines(case=case, setup=setup)
    if fired is None:
        fired = (
            set(SlaStepFired.objects.filter(case_id=case.pk).values_list("clock", "step"))
            if case.pk
            else set()
        )
    done = set(fired)
    case.first_response_due_at = deadlines.get((Clock.FIRST_RESPONSE, Step.BREACH))
    case.resolution_due_at = deadlines.get((Clock.RESOLUTION, Step.BREACH))
    breaches = [d for d in (case.first_response_due_at, case.resolution_due_at) if d is not None]
    case.breach_at = min(breaches) if breaches else None
    pending = [d for key, d in deadlines.items() if d is not None and key not in done]
    case.next_step_due_at = min(pending) if pending else None
    return deadlines


def _pauses_apply(case: Case, old_status: str, new_status: str, when: dt.datetime) -> None:
    """Open a pause when the clock stops (pending customer, resolved, closed); close it
    when the case is open again."""
    pauses = list(case.sla_pauses or [])
    was_stopped = old_status in CLOCK_STOPPED
    now_stopped = new_status in CLOCK_STOPPED
    if now_stopped and not was_stopped:
        pauses.append([when.isoformat(), None])
    elif was_stopped and not now_stopped:
        if pauses and pauses[-1][1] is None:
            start = dt.datetime.fromisoformat(pauses[-1][0])
            pauses[-1][1] = max(when, start).isoformat()
        else:  # created resolved, reopened later: the clock stood still until now
            pauses.append([case.opened_at.isoformat(), when.isoformat()])
    case.sla_pauses = pauses


# --- Contacts for incoming cases -----------------------------------------------------


def _name_from_email(address: str) -> tuple[str, str]:
    local = address.split("@", 1)[0]
    parts = [p for p in local.replace("_", ".").replace("-", ".").split(".") if p]
    if not parts:
        return local or "Customer", ""
    return parts[0].capitalize(), " ".join(p.capitalize() for p in parts[1:])


def account_for_email_domain(*, address: str) -> Account | None:
    """The account whose domain matches the e-mail's (or a parent domain of it:
    support.acme.com finds acme.com). The longest match wins."""
    domain = address.rsplit("@", 1)[-1].lower()
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    if not candidates:
        return None
    accounts = list(Account.objects.filter(domain__in=candidates).select_related("owner"))
    if not accounts:
        return None
    accounts.sort(key=lambda a: (-len(a.domain), a.pk))
    return accounts[0]


def case_contact_resolve(*, email: str, name: str = "") -> tuple[Contact, bool]:
    """The contact with this e-mail, or a new one (True) under the account matching the
    e-mail's domain and owned by that account's owner. Without a matching account (or
    owner) the contact is unassigned and its cases show in the managers' queue."""
    try:
        address = email_normalize(email)
    except ValidationError as exc:
        raise ValidationError({"contact_email": exc.messages}) from exc
    row = (
        ContactEmail.objects.filter(address=address)
        .select_related("contact", "contact__account", "contact__owner")
        .order_by("-is_primary", "contact_id")
        .first()
    )
    if row is not None:
        return row.contact, False
    account = account_for_email_domain(address=address)
    first, last = _name_from_email(address)
    if name.strip():
        first, _, last = name.strip().partition(" ")
    contact = contact_create(
        data=ContactData(
            first_name=first[:100],
            last_name=last.strip()[:100],
            account=account,
            owner=account.owner if account is not None else None,
            emails=[(address, "work")],
            stage="customer",
        )
    )
    return contact, True


# --- Creating and changing cases -----------------------------------------------------


@dataclass
class CaseData:
    """What a form, the API or the webhook may set on a case."""

    subject: str
    description: str = ""
    priority: str = Priority.NORMAL
    status: str = Status.OPEN
    channel: str = Channel.PHONE
    opened_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    assigned_agent: User | None = None
    external_system: str = ""
    external_id: str = ""
    external_updated_at: dt.datetime | None = None


def _validate_choices(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name, choices in (
        ("priority", Priority),
        ("status", Status),
        ("channel", Channel),
    ):
        if name in values and values[name] not in choices.values:
            errors[name] = [f"Pick one of: {', '.join(choices.values)}."]
    if "subject" in values and not str(values["subject"] or "").strip():
        errors["subject"] = ["Give the case a short subject."]
    now = timezone.now()
    for name in ("opened_at", "first_response_at", "resolved_at"):
        value = values.get(name)
        if value is None:
            continue
        if value.utcoffset() is None:
            errors[name] = ["Include a time zone (e.g. 2025-03-01T09:30:00Z)."]
        elif value > now + FUTURE_TOLERANCE:
            errors[name] = ["This time is in the future."]
    agent = values.get("assigned_agent")
    if agent is not None and (not agent.is_active or agent.role not in (Role.AGENT, Role.ADMIN)):
        errors["assigned_agent"] = ["Assign the case to an active service agent."]
    if errors:
        raise ValidationError(errors)


def case_can_edit(*, user: User) -> bool:
    """Service agents and admins record and change cases; reps acknowledge, note and call."""
    return user.is_active and (user.role in (Role.AGENT, Role.ADMIN) or user.is_superuser)


def _display(case: Case, name: str) -> str:
    value = getattr(case, name)
    if value is None or value == "":
        return "—"
    if name in ("priority", "status", "channel"):
        return str(getattr(case, f"get_{name}_display")())
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if name == "description":
        return "(changed)"
    return str(value)


def _timeline_kind(old_status: str | None, new_status: str) -> str:
    if new_status in (Status.RESOLVED, Status.CLOSED) and old_status in (None, *UNRESOLVED):
        return Kind.CASE_RESOLVED
    return Kind.CASE_UPDATED


def _timeline_source(source: str) -> str:
    return source if source in Source.values else Source.WEB


def _external_key(case: Case, suffix: str) -> str:
    if not case.external_id:
        return ""
    return f"case:{case.external_system}:{case.external_id}:{suffix}"[:200]


def _write_timeline(
    *,
    case: Case,
    kind: str,
    subject: str,
    body: str,
    actor: User | None,
    source: str,
    when: dt.datetime,
    external_key: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    interaction_create(
        contact=case.contact,
        kind=kind,
        author=actor,
        subject=subject,
        body=body,
        direction=Direction.INBOUND if kind == Kind.CASE_OPENED else Direction.INTERNAL,
        occurred_at=min(when, timezone.now()),
        source=_timeline_source(source),
        external_id=external_key,
        data={"case_id": case.pk, **(extra or {})},
    )


@transaction.atomic
def case_create(
    *,
    contact: Contact,
    data: CaseData,
    actor: User | None,
    source: str = Source.WEB,
    now: dt.datetime | None = None,
) -> Case:
    """Open a case for a contact: the case, its `case_opened` timeline entry and its SLA
    deadlines, all or nothing."""
    now = now or timezone.now()
    values = {
        "subject": data.subject,
        "priority": data.priority,
        "status": data.status,
        "channel": data.channel,
        "opened_at": data.opened_at,
        "first_response_at": data.first_response_at,
        "resolved_at": data.resolved_at,
        "assigned_agent": data.assigned_agent,
    }
    _validate_choices(values)
    opened_at = data.opened_at or now
    case = Case(
        contact=contact,
        account_id=contact.account_id,
        subject=data.subject.strip()[:200],
        description=data.description.strip(),
        priority=data.priority,
        status=data.status,
        channel=data.channel,
        opened_at=opened_at,
        first_response_at=data.first_response_at,
        resolved_at=data.resolved_at,
        assigned_agent=data.assigned_agent,
        external_system=data.external_system.strip()[:50],
        external_id=data.external_id.strip()[:200],
        external_updated_at=data.external_updated_at,
        created_by=actor,
    )
    if case.status != Status.OPEN and case.first_response_at is None:
        case.first_response_at = opened_at
    if case.status in (Status.RESOLVED, Status.CLOSED) and case.resolved_at is None:
        case.resolved_at = now
    if case.status in CLOCK_STOPPED:
        case.sla_pauses = [[(case.resolved_at or now).isoformat(), None]]
        if case.status == Status.PENDING_CUSTOMER:
            case.sla_pauses = [[opened_at.isoformat(), None]]
    case.full_clean(exclude=["contact", "account", "assigned_agent", "created_by", "sla_policy"])
    case_sla_refresh(case=case, fired=())
    case.save()
    reasons_changed(contact_ids=[case.contact_id])  # the owner's call queue
    _write_timeline(
        case=case,
        kind=Kind.CASE_OPENED,
        subject=f"Case opened: {case.subject}",
        body=case.description,
        actor=actor,
        source=source,
        when=opened_at,
        external_key=_external_key(case, "opened"),
        extra={"priority": case.priority, "status": case.status},
    )
    if case.status in (Status.RESOLVED, Status.CLOSED):
        _write_timeline(
            case=case,
            kind=Kind.CASE_RESOLVED,
            subject=f"Case {case.get_status_display().lower()}: {case.subject}",
            body="",
            actor=actor,
            source=source,
            when=case.resolved_at or now,
            external_key=_external_key(case, "resolved"),
        )
    _publish_case(case=case)
    return case


def _publish_case(*, case: Case, previous: Case | None = None) -> None:
    """Tell the open tabs of the customer's rep and of the case's agent (their *Today* case
    list refreshes at once, not at the next SLA step), and those of the rep and agent it
    had before an update moved it. Sent on commit."""
    from warmline.alerts.services import live_event_publish

    cases = [case] if previous is None else [case, previous]
    owners = Contact.objects.filter(pk__in={c.contact_id for c in cases}).values_list(
        "owner_id", flat=True
    )
    agents = [c.assigned_agent_id for c in cases]
    users = {pk for pk in (*owners, *agents) if pk is not None}
    live_event_publish(
        user_ids=users,
        event="case",
        data={
            "case": case.pk,
            "subject": case.subject,
            "priority": case.priority,
            "status": case.status,
        },
    )


@dataclass
class CaseChange:
    case: Case
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (old, new)

    @property
    def changed_anything(self) -> bool:
        return bool(self.changed)


@transaction.atomic
def case_update(
    *,
    case: Case,
    changes: Mapping[str, Any],
    actor: User | None,
    source: str = Source.WEB,
    when: dt.datetime | None = None,
    external_updated_at: dt.datetime | None = None,
) -> CaseChange:
    """Apply field changes (only those given). Writes nothing when nothing differs.

    Status moves keep the clocks honest: leaving *open* counts as the first response,
    pending customer / resolved / closed pause the clocks, reopening resumes them; alerts
    of clocks that stop for good are acknowledged so their ladders stop. Returns the
    updated case (a fresh, locked copy) and what changed.
    """
    now = timezone.now()
    when = min(when or now, now)
    unknown = set(changes) - set(TRACKED_FIELDS)
    if unknown:
        raise ValueError(f"Unknown case fields: {sorted(unknown)}")
    _validate_choices(changes)
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("contact__owner", "account", "assigned_agent")
        .get(pk=case.pk)
    )
    old_status = locked.status
    before = {name: _display(locked, name) for name in TRACKED_FIELDS}
    before_raw = {name: _raw(locked, name) for name in TRACKED_FIELDS}
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()[:200] if name == "subject" else value.strip()
        setattr(locked, name, value)
    new_status = locked.status
    if new_status != old_status:
        if new_status != Status.OPEN and locked.first_response_at is None:
            locked.first_response_at = when
        if new_status in (Status.RESOLVED, Status.CLOSED) and locked.resolved_at is None:
            locked.resolved_at = when
        if new_status in UNRESOLVED:
            locked.resolved_at = None
        stopped_at = when
        if new_status in (Status.RESOLVED, Status.CLOSED) and locked.resolved_at is not None:
            stopped_at = locked.resolved_at
        _pauses_apply(locked, old_status, new_status, stopped_at)
    changed = {
        name: (before[name], _display(locked, name))
        for name in TRACKED_FIELDS
        if before_raw[name] != _raw(locked, name)
    }
    if external_updated_at is not None and (
        locked.external_updated_at is None or external_updated_at > locked.external_updated_at
    ):
        locked.external_updated_at = external_updated_at
        if not changed:
            Case.objects.filter(pk=locked.pk).update(external_updated_at=external_updated_at)
    if not changed:
        return CaseChange(case=locked)
    locked.full_clean(exclude=["contact", "account", "assigned_agent", "created_by", "sla_policy"])
    locked.sla_version += 1
    case_sla_refresh(case=locked)
    locked.save()
    reasons_changed(contact_ids={locked.contact_id, case.contact_id})
    kind = _timeline_kind(old_status, locked.status)
    if kind == Kind.CASE_RESOLVED:
        title = f"Case {locked.get_status_display().lower()}: {locked.subject}"
    else:
        title = f"Case updated: {locked.subject}"
    key = ""
    if external_updated_at is not None:
        key = _external_key(locked, f"{kind}:{external_updated_at.isoformat()}")
    _write_timeline(
        case=locked,
        kind=kind,
        subject=title,
        body=_change_summary(changed),
        actor=actor,
        source=source,
        when=when,
        external_key=key,
        extra={"changes": {n: [o, v] for n, (o, v) in changed.items()}},
    )
    _alerts_settle(case=locked)
    _publish_case(case=locked, previous=case)
    return CaseChange(case=locked, changed=changed)


def _raw(case: Case, name: str) -> Any:
    return case.assigned_agent_id if name == "assigned_agent" else getattr(case, name)


def _change_summary(changed: Mapping[str, tuple[str, str]]) -> str:
    lines = []
    for name, (old, new) in changed.items():
        label = str(getattr(Case._meta.get_field(name), "verbose_name", name)).capitalize()
        if name == "description":
            lines.append("Description changed.")
        else:
            lines.append(f"{label}: {old} → {new}")
    return "\n".join(lines)


def _alerts_settle(*, case: Case) -> None:
    """Acknowledge the alerts of clocks that no longer run (first response given, case
    resolved), so no further e-mail or SMS of their ladders goes out."""
    stopped = [c for c in Clock.values if not clock_running(case=case, clock=c)]
    if not stopped:
        return
    fired = list(SlaStepFired.objects.filter(case=case, clock__in=stopped, alerts__gt=0))
    if not fired:
        return
    from warmline.alerts.services import alert_acknowledge_cause

    for row in fired:
        alert_acknowledge_cause(cause=row.cause)


# --- Ingestion from the service desk (API and webhook) -------------------------------


@dataclass
class CaseUpsert:
    """One case as a service desk sends it. `present` names the fields the payload
    carried: on update only those change."""

    external_system: str = ""
    external_id: str = ""
    contact_email: str = ""
    contact_name: str = ""
    subject: str = ""
    description: str = ""
    priority: str = Priority.NORMAL
    status: str = Status.OPEN
    channel: str = Channel.OTHER
    opened_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    assigned_agent_email: str = ""
    present: frozenset[str] = frozenset()


@dataclass
class UpsertResult:
    case: Case
    result: str  # created | updated | unchanged | stale
    contact_created: bool = False


def _agent_by_email(address: str) -> User | None:
    address = address.strip()
    if not address:
        return None
    agent = User.objects.filter(email__iexact=address, is_active=True).order_by("id").first()
    if agent is None:
        raise ValidationError({"assigned_agent_email": f"No active staff member has {address}."})
    return agent


def _upsert_changes(payload: CaseUpsert) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in (
        "subject",
        "description",
        "priority",
        "status",
        "channel",
        "opened_at",
        "first_response_at",
        "resolved_at",
    ):
        if name in payload.present:
            changes[name] = getattr(payload, name)
    if "assigned_agent_email" in payload.present:
        changes["assigned_agent"] = _agent_by_email(payload.assigned_agent_email)
    if changes.get("opened_at") is None:
        changes.pop("opened_at", None)
    return changes


def case_upsert(*, payload: CaseUpsert, actor: User | None, source: str) -> UpsertResult:
    """Create or update a case by (external system, external id); idempotent.

    The same payload twice changes nothing; an update whose `updated_at` is older than
    the newest one applied is ignored ("stale"). Two deliveries racing to create the same
    case end with one case: the loser's insert hits the unique constraint, rolls back
    (contact included) and is retried as an update.
    """
    for attempt in range(2):
        try:
            return _case_upsert_once(payload=payload, actor=actor, source=source)
        except IntegrityError:
            if attempt == 1 or not payload.external_id:
                raise
            logger.info(
                "case %s:%s created concurrently; retrying as update",
                payload.external_system,
                payload.external_id,
            )
    raise AssertionError("unreachable")


@transaction.atomic
def _case_upsert_once(*, payload: CaseUpsert, actor: User | None, source: str) -> UpsertResult:
    existing = None
    if payload.external_id:
        existing = (
            Case.objects.select_for_update(of=("self",))
            .filter(external_system=payload.external_system, external_id=payload.external_id)
            .first()
        )
    if existing is None:
        errors: dict[str, list[str]] = {}
        if not payload.subject.strip():
            errors["subject"] = ["A new case needs a subject."]
        if not payload.contact_email.strip():
            errors["contact_email"] = ["A new case needs the customer's e-mail address."]
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            agent = _agent_by_email(payload.assigned_agent_email)
            contact, contact_created = case_contact_resolve(
                email=payload.contact_email, name=payload.contact_name
            )
            case = case_create(
                contact=contact,
                data=CaseData(
                    subject=payload.subject,
                    description=payload.description,
                    priority=payload.priority,
                    status=payload.status,
                    channel=payload.channel,
                    opened_at=payload.opened_at,
                    first_response_at=payload.first_response_at,
                    resolved_at=payload.resolved_at,
                    assigned_agent=agent,
                    external_system=payload.external_system,
                    external_id=payload.external_id,
                    external_updated_at=payload.updated_at,
                ),
                actor=actor,
                source=source,
            )
        return UpsertResult(case=case, result="created", contact_created=contact_created)
    if (
        payload.updated_at is not None
        and existing.external_updated_at is not None
        and payload.updated_at < existing.external_updated_at
    ):
        return UpsertResult(case=existing, result="stale")
    change = case_update(
        case=existing,
        changes=_upsert_changes(payload),
        actor=actor,
        source=source,
        when=payload.updated_at,
        external_updated_at=payload.updated_at,
    )
    return UpsertResult(case=change.case, result="updated" if change.changed else "unchanged")


# --- What reps (and agents) do on a case ---------------------------------------------


@transaction.atomic
def case_acknowledge(*, case: Case, user: User) -> Case:
    """The rep has seen the case: stamp it, stop the ladders of the rep's alerts for it and
    note it on the timeline. Acknowledging twice does nothing more."""
    locked = Case.objects.select_for_update(of=("self",)).select_related("contact").get(pk=case.pk)
    if locked.acknowledged_at is not None:
        return locked
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = user
    Case.objects.filter(pk=locked.pk).update(
        acknowledged_at=locked.acknowledged_at, acknowledged_by=user
    )
    reasons_changed(contact_ids=[locked.contact_id])  # an acknowledged case ranks lower
    _write_timeline(
        case=locked,
        kind=Kind.CASE_UPDATED,
        subject=f"Case acknowledged: {locked.subject}",
        body=f"{user} acknowledged the case.",
        actor=user,
        source=Source.WEB,
        when=locked.acknowledged_at,
        extra={"acknowledged": True},
    )
    rep_steps = list(
        SlaStepFired.objects.filter(case=locked, step__in=[Step.WARN, Step.BREACH], alerts__gt=0)
    )
    if rep_steps:
        from warmline.alerts.services import alert_acknowledge_cause

        for row in rep_steps:
            alert_acknowledge_cause(cause=row.cause)
    case.acknowledged_at, case.acknowledged_by = locked.acknowledged_at, user
    return locked


def case_alert_acknowledged(alert: Any, user: User | None) -> None:
    """The alerts app's acknowledge hook for kind "case_sla": whoever was warned of a
    case's SLA step (the rep, or the agent / managers of a customer without a rep) and
    acknowledges that alert has seen the case, so it is acknowledged as if they pressed
    Acknowledge on it (which also stops the ladders of its other warn/breach alerts). A
    manager acknowledging their escalation leaves the case alone: it is still the rep's
    to acknowledge."""
    data = alert.data or {}
    case_id = data.get("case_id")
    if not isinstance(case_id, int) or data.get("step") not in (Step.WARN, Step.BREACH):
        return
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.acknowledged_at is not None:
        return
    case_acknowledge(case=case, user=user or alert.recipient)


@transaction.atomic
def case_note_add(*, case: Case, author: User, body: str) -> CaseNote:
    """A note on the case for the service team (and on the contact's timeline)."""
    if not body.strip():
        raise ValidationError({"body": "Write something in the note."})
    note = CaseNote(case=case, author=author, body=body.strip())
    note.full_clean(exclude=["case", "author"])
    note.save()
    _write_timeline(
        case=case,
        kind=Kind.CASE_UPDATED,
        subject=f"Note on case: {case.subject}",
        body=note.body,
        actor=author,
        source=Source.WEB,
        when=note.created_at,
        extra={"note_id": note.pk},
    )
    return note


@transaction.atomic
def case_call_log(*, case: Case, author: User, outcome: str, body: str = "") -> Case:
    """The rep called the customer about the case: a call on the timeline (linked to the
    case) that also acknowledges it."""
    if outcome not in Outcome.values or not outcome:
        raise ValidationError({"outcome": "Pick how the call went."})
    interaction_create(
        contact=case.contact,
        kind=Kind.VOICEMAIL if outcome == Outcome.VOICEMAIL else Kind.CALL,
        author=author,
        body=body,
        outcome=outcome,
        subject=f"Call about case: {case.subject}",
        data={"case_id": case.pk},
    )
    return case_acknowledge(case=case, user=author)


# --- Calendars changed: re-time open cases -------------------------------------------


def sla_retime_open_cases(*, batch_size: int = 500) -> int:
    """Recompute the SLA columns of every open case after an admin edits a policy, calendar
    or holiday. Policies and calendars are read once; each batch of cases costs a few
    queries plus one UPDATE per case whose timing actually changed. Returns how many cases
    were looked at."""
    qs = Case.objects.filter(status__in=UNRESOLVED).order_by("id")
    lookup = SlaLookup()
    last_id = 0
    seen = 0
    while True:
        ids = list(qs.filter(id__gt=last_id).values_list("id", flat=True)[:batch_size])
        if not ids:
            return seen
        fired: dict[int, set[tuple[str, str]]] = {}
        for case_id, clock, step in SlaStepFired.objects.filter(case_id__in=ids).values_list(
            "case_id", "clock", "step"
        ):
            fired.setdefault(case_id, set()).add((clock, step))
        with transaction.atomic():
            retimed: list[int] = []
            for case in (
                Case.objects.select_for_update(of=("self",))
                .filter(id__in=ids)
                .select_related("contact__owner", "account")
            ):
                before = (case.next_step_due_at, case.breach_at, case.sla_policy_id)
                case_sla_refresh(case=case, fired=fired.get(case.pk, set()), lookup=lookup)
                after = (case.next_step_due_at, case.breach_at, case.sla_policy_id)
                if before != after:
                    Case.objects.filter(pk=case.pk).update(
                        sla_policy=case.sla_policy,
                        first_response_due_at=case.first_response_due_at,
                        resolution_due_at=case.resolution_due_at,
                        breach_at=case.breach_at,
                        next_step_due_at=case.next_step_due_at,
                        sla_version=case.sla_version + 1,
                    )
                    retimed.append(case.contact_id)
            reasons_changed(contact_ids=retimed)
        seen += len(ids)
        last_id = ids[-1]
