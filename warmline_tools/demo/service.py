"""The service app's demo extension (see demo_load): SLA policies and the East
team's office calendar, and three dozen cases of the reps' customers across priorities and
statuses — most calm, a few close to or past their SLA breach — with notes and timeline
entries. The SLA scheduler then runs once at the demo's `now`, so the breached cases have
already alerted their reps (and a manager) when the demo opens.

Every row follows from `now` and the demo company: the same `now` gives the same cases.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from warmline.people.models import Contact, Stage
from warmline.service.models import (
    BusinessCalendar,
    Case,
    CaseNote,
    Channel,
    Holiday,
    OpeningHours,
    Priority,
    Status,
    TeamCalendar,
)
from warmline.users.models import Role, Team, User

EXTERNAL_SYSTEM = "servicedesk"
EAST_CALENDAR = "East office (New York, Mon–Fri 8:00–18:00)"

# (subject, description): what customers of a pumps, valves and sensors maker report.
SUBJECTS: tuple[tuple[str, str], ...] = (
    (
        "X200 seal leaking after restart",
        "The mechanical seal on pump P-201 started weeping after the weekend shutdown, about "
        "a litre an hour. A bucket is under it for now; they want an engineer this week.",
    ),
    (
        "HD-900 liner wearing faster than expected",
        "Rubber liner on the tailings pump is worn through after seven weeks (expected six "
        "months). The new quarry face is more abrasive; they ask about high-chrome liners.",
    ),
    (
        "PS-4 reading 0.3 bar high after firmware update",
        "All four transmitters on the booster skid read high since the update to 2.4. "
        "Booster control trips on high pressure twice a shift.",
    ),
    (
        "VS-1 sensors not joining the LoRaWAN gateway",
        "Six new VS-1 sensors do not join; the two from the pilot still report. The customer "
        "changed the gateway's frequency plan last month.",
    ),
    (
        "BV-20 actuator does not close fully",
        "24 V DC actuator on line 3 stops at about 5 % open. Limit switch box was replaced "
        "by their electrician last Tuesday.",
    ),
    (
        "TV-50 leaking past the seat when cold",
        "Bubble-tight when hot, but leaks past the seat on start-up below 40 °C. Valve is "
        "eight months old, DN 300 Class 300.",
    ),
    (
        "Wrong impeller diameter delivered",
        "Order arrived with a 209 mm impeller instead of 219 mm as on the confirmation. Pump "
        "cannot reach the duty point; they need the right impeller before the restart.",
    ),
    (
        "Invoice shows the old PO number",
        "Accounts payable rejected the last invoice: it carries last year's PO number. They "
        "ask for a corrected invoice.",
    ),
    (
        "On-site commissioning for the new booster set",
        "They would like our engineer on site for commissioning in the second week of next "
        "month; the electrical contractor is booked for the Monday.",
    ),
    (
        "Noise and vibration on X200 after motor swap",
        "After replacing the motor (same frame size) the pump is noisy and the VS-1 shows "
        "velocity at 7 mm/s. Alignment was checked with a straight edge only.",
    ),
    (
        "Missing 3.1 certificates for delivered valves",
        "Quality control is holding twelve BV-20 valves at goods-in: the EN 10204 3.1 "
        "material certificates were not in the delivery.",
    ),
    (
        "Spare parts quote for the annual shutdown",
        "They need seals, bearings and wear rings for nine X200 pumps before the shutdown "
        "in six weeks and ask what is in stock.",
    ),
    (
        "Replacement bearings delayed",
        "Bearings promised for last Friday have not arrived; tracking shows them stuck at customs.",
    ),
    (
        "Training for new maintenance staff",
        "Three new technicians start next month; they ask for a half-day training on seal "
        "changes and the VS-1 dashboard.",
    ),
    (
        "Pump cavitating at low tank level",
        "Pump P-105 cavitates when the feed tank drops below 30 %. Suction pipework was "
        "changed during the summer project.",
    ),
    (
        "Customer portal sign-in link not arriving",
        "The buyer does not receive the sign-in e-mail; their mail filter may be holding it.",
    ),
)

NOTES_AGENT = (
    "Called the customer: engineer booked for Thursday morning, parts on the van.",
    "Asked the customer for photos and the pump's serial number.",
    "Replacement shipped by express, tracking sent to the customer.",
    "Checked with engineering: known issue with firmware 2.4, patch 2.4.1 sent.",
)
NOTES_REP = (
    "Customer is nervous about the restart date; please keep me posted.",
    "They mentioned this on our last call too, it is the second time this quarter.",
)


@dataclass(frozen=True)
class Designed:
    """A case placed on purpose relative to `now` (the ones the demo is about)."""

    rep: str
    priority: str
    opened_minutes_ago: int
    first_response_after: int | None  # minutes after opening, None: not yet
    subject: int  # index into SUBJECTS
    channel: str


DESIGNED: tuple[Designed, ...] = (
    # Urgent, nobody has answered for almost three hours: breached.
    Designed("rita", Priority.URGENT, 170, None, 0, Channel.PHONE),
    # Urgent and fresh: first response due in twelve minutes.
    Designed("rita", Priority.URGENT, 18, None, 2, Channel.EMAIL),
    # Urgent, answered quickly but still not fixed after five hours: resolution breached.
    Designed("lena", Priority.URGENT, 300, 12, 6, Channel.PHONE),
    Designed("sam", Priority.HIGH, 45, None, 5, Channel.WEB),
    Designed("ravi", Priority.NORMAL, 180, None, 3, Channel.EMAIL),
)


@dataclass
class _Plan:
    contact: Contact
    priority: str
    status: str
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    subject: int
    channel: str
    external: bool
    acknowledged: bool


GENERIC = {Status.OPEN: 9, Status.PENDING_CUSTOMER: 5, Status.RESOLVED: 12, Status.CLOSED: 5}


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _east_calendar(now: dt.datetime) -> None:
    """The East team's cases run on New York office hours (with the usual holidays)."""
    east = Team.objects.filter(name="East").first()
    if east is None or TeamCalendar.objects.filter(team=east).exists():
        return
    calendar, created = BusinessCalendar.objects.get_or_create(
        name=EAST_CALENDAR, defaults={"time_zone": "America/New_York"}
    )
    if created:
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=d, opens=dt.time(8), closes=dt.time(18))
            for d in range(5)
        )
        Holiday.objects.bulk_create(
            Holiday(calendar=calendar, date=dt.date(year, month, day), name=name)
            for year in (now.year, now.year + 1)
            for month, day, name in ((1, 1, "New Year's Day"), (7, 4, "Independence Day"))
        )
    TeamCalendar.objects.create(team=east, calendar=calendar)


def service_demo_load(
    now: dt.datetime, *, books: int = 1, reps: list[User] | None = None
) -> list[Case]:
    """The cases of the demo company: DESIGNED for the named reps, GENERIC ones spread over
    every rep's customers. A bigger company (the benchmark's) gives each further rep the
    designed cases of the demo rep whose part they play (`demo_rep_parts`) and as many
    generic cases per rep as the demo's five reps share, all `books` times over. `reps`:
    only these reps' books (default: every active rep)."""
    from warmline.service.defaults import sla_defaults_ensure
    from warmline.service.escalation import sla_pass
    from warmline.service.services import SlaLookup, case_sla_refresh
    from warmline.timeline.models import Direction, Interaction, Kind, Source
    from warmline_tools.demo.fastinsert import rows_insert
    from warmline_tools.demo.generate import (
        INTERACTION_FIELDS,
        NAMED_REPS,
        demo_rep_parts,
        demo_reps,
    )

    sla_defaults_ensure()
    _east_calendar(now)
    chosen = reps is not None  # some reps' books only: no demo rep's part twice
    if reps is None:
        reps = demo_reps()
    if not reps:
        return []
    by_name = {rep.username: rep for rep in reps}
    agent = User.objects.filter(role=Role.AGENT, is_active=True).order_by("username").first()
    customers = list(
        Contact.objects.filter(
            owner__in=reps,
            account__isnull=False,
            stage=Stage.CUSTOMER,
            created_at__lt=now - dt.timedelta(days=100),
        )
        .select_related("owner", "account")
        .order_by("owner__username", "uuid")
    )
    if not customers:
        return []
    rng = random.Random(f"warmline-demo-service-{now.isoformat()}")
    lookup = SlaLookup()
    books_of: dict[str, list[Contact]] = {}
    for c in customers:
        if c.owner is not None:
            books_of.setdefault(c.owner.username, []).append(c)

    def customer_of(username: str) -> Contact:
        return rng.choice(books_of.get(username) or customers)

    designed: list[tuple[Designed, User | None]] = (
        [] if chosen else [(d, by_name.get(d.rep)) for d in DESIGNED]
    )
    parts = demo_rep_parts(reps)
    named = {d.rep for d in DESIGNED}
    for round_ in range(books):
        for player in reps:
            if not chosen and round_ == 0 and player.username in named:
                continue  # a named demo rep: has their designed cases already
            designed += [(d, player) for d in DESIGNED if d.rep == parts[player.pk]]
    # The generic cases: as many per rep as the demo's five reps share.
    players = len(reps) if chosen else max(len(reps), len(NAMED_REPS))
    share = books * players / len(NAMED_REPS)

    plans: list[_Plan] = []
    for d, owner in designed:
        opened = now - dt.timedelta(minutes=d.opened_minutes_ago)
        plans.append(
            _Plan(
                contact=customer_of(owner.username if owner else reps[0].username),
                priority=d.priority,
                status=Status.OPEN,
                opened_at=opened,
                first_response_at=(
                    opened + dt.timedelta(minutes=d.first_response_after)
                    if d.first_response_after is not None
                    else None
                ),
                subject=d.subject,
                channel=d.channel,
                external=False,
                acknowledged=False,
            )
        )
    # Subjects dealt like cards, so the rep's few open cases do not repeat one another.
    deck = [i for i in range(len(SUBJECTS)) if i not in {d.subject for d in DESIGNED}]
    rng.shuffle(deck)
    dealt = 0  # generic cases go round the reps' books, so every book has some of each
    for status_choice, count in GENERIC.items():
        status = str(status_choice)
        for _ in range(round(count * share)):
            dealt += 1
            priority = rng.choices(
                [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT], [4, 11, 4, 1]
            )[0]
            if status == Status.OPEN:
                # Calm open cases: answered, and young enough to be inside their targets.
                priority = Priority.HIGH if priority == Priority.URGENT else priority
                hours = rng.uniform(0.5, 4.5) if priority == Priority.HIGH else rng.uniform(1, 26)
            elif status == Status.PENDING_CUSTOMER:
                hours = rng.uniform(30, 8 * 24)
            elif status == Status.RESOLVED:
                hours = rng.uniform(3 * 24, 60 * 24)
            else:
                hours = rng.uniform(20 * 24, 90 * 24)
            opened = now - dt.timedelta(hours=hours)
            plans.append(
                _Plan(
                    contact=customer_of(reps[dealt % len(reps)].username),
                    priority=priority,
                    status=status,
                    opened_at=opened,
                    first_response_at=opened + dt.timedelta(minutes=rng.randint(10, 90)),
                    subject=deck.pop() if deck else rng.randrange(len(SUBJECTS)),
                    channel=rng.choice([Channel.PHONE, Channel.EMAIL, Channel.WEB]),
                    external=rng.random() < 0.4,
                    acknowledged=status != Status.OPEN or rng.random() < 0.3,
                )
            )
    plans.sort(key=lambda p: p.opened_at)

    cases: list[Case] = []
    # Ticket numbers go on from those already there (a second load: the benchmark's books).
    numbered = Case.objects.count()
    for n, plan in enumerate(plans):
        contact = plan.contact
        opened = plan.opened_at.replace(second=0, microsecond=0)
        status = str(plan.status)
        subject, description = SUBJECTS[plan.subject]
        first = plan.first_response_at
        case = Case(
            uuid=_uuid(rng),
            contact=contact,
            account=contact.account,
            subject=subject,
            description=description,
            priority=plan.priority,
            status=status,
            channel=Channel.EMAIL if plan.external else plan.channel,
            opened_at=opened,
            first_response_at=first.replace(microsecond=0) if first else None,
            external_system=EXTERNAL_SYSTEM if plan.external else "",
            external_id=f"SD-{48211 + (numbered + n) * 7}" if plan.external else "",
            assigned_agent=agent if (status != Status.OPEN or rng.random() < 0.7) else None,
            created_by=None if plan.external else agent,
        )
        if case.external_id:
            case.external_updated_at = opened
        if status in (Status.RESOLVED, Status.CLOSED):
            case.resolved_at = min(
                opened + dt.timedelta(hours=rng.uniform(2, 5 * 24)), now - dt.timedelta(hours=1)
            ).replace(microsecond=0)
            case.sla_pauses = [[case.resolved_at.isoformat(), None]]
        elif status == Status.PENDING_CUSTOMER:
            # The agent answered, asked the customer for something, and the clock stopped.
            answered = case.first_response_at or opened
            paused = min(answered + dt.timedelta(minutes=rng.randint(10, 60)), now)
            case.sla_pauses = [[paused.replace(microsecond=0).isoformat(), None]]
        if plan.acknowledged and contact.owner is not None:
            case.acknowledged_at = opened + dt.timedelta(minutes=rng.randint(15, 120))
            case.acknowledged_by = contact.owner
            if case.acknowledged_at >= now:
                case.acknowledged_at = None
                case.acknowledged_by = None
        case_sla_refresh(case=case, fired=set(), lookup=lookup)
        case.created_at = case.updated_at = opened
        cases.append(case)
    Case.objects.bulk_create(cases)
    # bulk_create stamps auto_now(_add) fields with the clock; the demo's are its own.
    for case in cases:
        case.created_at = case.updated_at = case.opened_at
    Case.objects.bulk_update(cases, ["created_at", "updated_at"])

    notes: list[CaseNote] = []
    entries: list[tuple[object, ...]] = []

    def entry(case: Case, kind: str, when: dt.datetime, subject: str, **extra: object) -> None:
        author = extra.pop("author", None)
        assert author is None or isinstance(author, User)
        direction = Direction.INBOUND if kind == Kind.CASE_OPENED else Direction.INTERNAL
        source = Source.SERVICE_DESK if case.external_id else Source.WEB
        entries.append(
            (
                _uuid(rng),
                case.contact_id,
                case.account_id,
                kind,
                direction,
                "",
                author.pk if author else None,
                subject[:200],
                str(extra.pop("body", "")),
                when,
                when,
                source,
                "",
                False,
                None,
                {"case_id": case.pk, **extra},
            )
        )

    for case in cases:
        creator = None if case.external_id else agent
        entry(
            case,
            Kind.CASE_OPENED,
            case.opened_at,
            f"Case opened: {case.subject}",
            author=creator,
            body=case.description,
            priority=case.priority,
            status=Status.OPEN,
        )
        if case.acknowledged_at is not None:
            entry(
                case,
                Kind.CASE_UPDATED,
                case.acknowledged_at,
                f"Case acknowledged: {case.subject}",
                author=case.acknowledged_by,
                body=f"{case.acknowledged_by} acknowledged the case.",
                acknowledged=True,
            )
        if case.status != Status.OPEN and rng.random() < 0.5 and agent is not None:
            at = case.opened_at + dt.timedelta(minutes=rng.randint(20, 300))
            if at < now:
                note = CaseNote(
                    case=case, author=agent, body=rng.choice(NOTES_AGENT), created_at=at
                )
                notes.append(note)
        elif case.status == Status.OPEN and rng.random() < 0.35 and case.contact.owner:
            at = case.opened_at + dt.timedelta(minutes=rng.randint(5, 60))
            if at < now:
                notes.append(
                    CaseNote(
                        case=case,
                        author=case.contact.owner,
                        body=rng.choice(NOTES_REP),
                        created_at=at,
                    )
                )
        if case.status in (Status.RESOLVED, Status.CLOSED) and case.resolved_at:
            entry(
                case,
                Kind.CASE_RESOLVED,
                case.resolved_at,
                f"Case {case.get_status_display().lower()}: {case.subject}",
                author=agent,
            )
    CaseNote.objects.bulk_create(notes)
    for note in notes:
        entry(
            note.case,
            Kind.CASE_UPDATED,
            note.created_at,
            f"Note on case: {note.case.subject}",
            author=note.author,
            body=note.body,
        )
    rows_insert(Interaction, INTERACTION_FIELDS, entries)
    # The scheduler's pass at `now`: breached cases alert their reps (and a manager).
    sla_pass(now=now)
    return cases
