"""Demo content for the public site: a few believable products and news items for an
industrial pumps/valves/sensors company; the templates name it after
settings.WARMLINE_COMPANY_NAME ("Northwind Industrial" by default).

`portal_content_seed()` is idempotent (matched by slug), so the demo loader can call it on
every start. `portal_demo_load(now)` is the demo extension (see demo_load):
the content plus a dozen recent questions from the reps' customers — some new, some
acknowledged, some answered — with their timeline entries and the reps' alerts. Every
row follows from `now` and the demo company (no clock, no unseeded randomness).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from warmline.people.models import Contact
from warmline.portal.models import (
    Channel,
    NewsItem,
    PreferredTime,
    Product,
    Question,
    QuestionStatus,
)
from warmline.portal.services import question_entry_subject
from warmline.users.models import User

PRODUCTS: list[dict[str, str | int]] = [
    {
        "slug": "x200-centrifugal-pump",
        "name": "X200 Centrifugal Pump",
        "category": "Pumps",
        "summary": "End-suction process pump for clean water and light chemicals, up to 220 m³/h.",
        "description": (
            "The X200 is our workhorse for water treatment, HVAC loops and light chemical "
            "transfer. Back-pull-out design: the motor and impeller come out without touching "
            "the pipework.\n\n"
            "Available in cast iron, bronze-fitted and 316 stainless, with mechanical seals "
            "swapped in under an hour."
        ),
        "specs": (
            "Flow: up to 220 m³/h\nHead: up to 95 m\nMotor: 2.2–45 kW, IE3\n"
            "Materials: cast iron, bronze, 316 stainless\nStandards: ISO 2858, ISO 5199"
        ),
        "position": 10,
    },
    {
        "slug": "hd-900-slurry-pump",
        "name": "HD-900 Slurry Pump",
        "category": "Pumps",
        "summary": "Heavy-duty rubber-lined pump for abrasive slurries in mining and aggregates.",
        "description": (
            "Replaceable natural-rubber or high-chrome liners, adjustable impeller clearance "
            "and a wet end that a two-person crew can service on site."
        ),
        "specs": "Flow: up to 900 m³/h\nSolids: up to 65 mm\nLiners: rubber, high-chrome\n"
        "Drive: direct or belt",
        "position": 20,
    },
    {
        "slug": "tv-50-triple-offset-butterfly-valve",
        "name": "TV-50 Triple-Offset Butterfly Valve",
        "category": "Valves",
        "summary": "Zero-leakage metal-seated valve for steam, hydrocarbons and high temperatures.",
        "description": (
            "Triple-offset geometry means no rubbing through the stroke and a bubble-tight "
            "metal seal. Fire-safe to API 607, sizes DN 80 to DN 1200."
        ),
        "specs": "Sizes: DN 80–1200\nPressure: PN 10–PN 100 / Class 150–600\n"
        "Temperature: −46 to +600 °C\nLeakage: ISO 5208 rate A",
        "position": 30,
    },
    {
        "slug": "bv-20-ball-valve",
        "name": "BV-20 Actuated Ball Valve",
        "category": "Valves",
        "summary": "Full-bore stainless ball valve with a pneumatic or electric actuator.",
        "description": "ISO 5211 top flange, direct-mount actuators and limit-switch boxes "
        "assembled and tested in our workshop before shipping.",
        "specs": "Sizes: DN 15–100\nBody: CF8M\nActuation: pneumatic, 24 V DC, 230 V AC",
        "position": 40,
    },
    {
        "slug": "ps-4-pressure-sensor",
        "name": "PS-4 Pressure Transmitter",
        "category": "Sensors",
        "summary": "Ceramic-cell pressure transmitter, 4–20 mA with HART, for pumps and skids.",
        "description": "Overload-proof ceramic measuring cell, 0.1 % accuracy and a display "
        "that turns 330°. Pairs with the X200 for dry-run protection.",
        "specs": "Range: 0–1 to 0–400 bar\nAccuracy: 0.1 %\nOutput: 4–20 mA + HART\n"
        "Protection: IP67",
        "position": 50,
    },
    {
        "slug": "vs-1-vibration-sensor",
        "name": "VS-1 Wireless Vibration Sensor",
        "category": "Sensors",
        "summary": "Battery-powered vibration and temperature monitoring for rotating equipment.",
        "description": "Bolt it to a bearing housing and see trends within the hour. Five-year "
        "battery, alarms by e-mail or SMS when a bearing starts to go.",
        "specs": "Axes: 3\nBandwidth: 10 Hz–10 kHz\nBattery: 5 years at 1 reading/h\n"
        "Radio: LoRaWAN or Bluetooth",
        "position": 60,
    },
]

NEWS: list[dict[str, str | int]] = [
    {
        "slug": "x200-now-in-316-stainless",
        "title": "X200 now available in 316 stainless steel",
        "summary": "The stainless X200 ships from stock in the five most common sizes.",
        "body": "Customers in food, beverage and water reuse asked for it: the X200 in 316 "
        "stainless is now stocked in our regional warehouses.\n\nAsk your rep about "
        "retrofit kits for existing cast-iron installations.",
        "days_ago": 3,
    },
    {
        "slug": "meet-us-at-the-process-industry-fair",
        "title": "Meet us at the Process Industry Fair, hall 4",
        "summary": "Live demos of the VS-1 vibration sensor and the new TV-50 actuator package.",
        "body": "Our application engineers and your own rep will be on the stand all week. "
        "Book a slot and skip the queue.",
        "days_ago": 12,
    },
    {
        "slug": "lead-times-back-to-normal",
        "title": "Lead times for valves back to normal",
        "summary": "Standard TV-50 and BV-20 orders ship within three weeks again.",
        "body": "After a difficult year for castings, our foundry partners have caught up. "
        "Standard valve orders placed from this month ship within three weeks.",
        "days_ago": 30,
    },
    {
        "slug": "predictive-maintenance-webinar",
        "title": "Webinar: predictive maintenance without a data science team",
        "summary": "Forty minutes on what vibration trends tell you before a pump fails.",
        "body": "A practical session with two plant managers who cut unplanned downtime by "
        "a third with a handful of sensors and a weekly five-minute review.",
        "days_ago": 45,
    },
]


@transaction.atomic
def portal_content_seed(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Create or refresh the demo products and news; returns (products, news items)."""
    now = now or timezone.now()
    for row in PRODUCTS:
        fields = {k: v for k, v in row.items() if k != "slug"}
        Product.objects.update_or_create(slug=str(row["slug"]), defaults=fields)
    for row in NEWS:
        NewsItem.objects.update_or_create(
            slug=str(row["slug"]),
            defaults={
                "title": str(row["title"]),
                "summary": str(row["summary"]),
                "body": str(row["body"]),
                "published_at": now - dt.timedelta(days=int(row["days_ago"]), hours=3),
            },
        )
    return len(PRODUCTS), len(NEWS)


# --- Questions ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoQuestion:
    rep: str  # username of the rep who answers (falls back to any rep)
    minutes_ago: int
    status: str
    channel: str
    when: str  # PreferredTime
    product: str  # a PRODUCTS slug, or "" for a question from the home page
    message: str
    answer_note: str = ""


QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        "rita",
        25,
        QuestionStatus.NEW,
        Channel.CALL,
        PreferredTime.TODAY,
        "x200-centrifugal-pump",
        "Could the X200 in 316 stainless replace the two cast-iron pumps on our cooling "
        "loop without new pipework? I need a rough price before Friday's budget meeting.",
    ),
    DemoQuestion(
        "rita",
        140,
        QuestionStatus.NEW,
        Channel.EMAIL,
        PreferredTime.ANYTIME,
        "bv-20-ball-valve",
        "What is the current lead time for six BV-20 valves (DN 50) with 24 V DC actuators? "
        "Two of ours on line 3 are sticking and I would rather replace all of them at once.",
    ),
    DemoQuestion(
        "rita",
        26 * 60,
        QuestionStatus.ACKNOWLEDGED,
        Channel.CALL,
        PreferredTime.MORNING,
        "vs-1-vibration-sensor",
        "We saw the VS-1 at the fair. Could someone walk our maintenance lead through a "
        "pilot on four pumps? We use LoRaWAN already in the plant.",
    ),
    DemoQuestion(
        "rita",
        6 * 24 * 60,
        QuestionStatus.ANSWERED,
        Channel.EMAIL,
        PreferredTime.ANYTIME,
        "",
        "Where can I download the declaration of conformity for the pumps you delivered in "
        "spring? Our auditor is asking for it.",
        "Sent the DoC for both X200 units and the PS-4 calibration certificates by e-mail.",
    ),
    DemoQuestion(
        "ravi",
        50,
        QuestionStatus.NEW,
        Channel.EMAIL,
        PreferredTime.AFTERNOON,
        "hd-900-slurry-pump",
        "Is there a retrofit kit to move our HD-900s from rubber to high-chrome liners? The "
        "new quarry face is much more abrasive than the old one.",
    ),
    DemoQuestion(
        "ravi",
        3 * 24 * 60 + 90,
        QuestionStatus.ANSWERED,
        Channel.CALL,
        PreferredTime.ANYTIME,
        "tv-50-triple-offset-butterfly-valve",
        "Is the TV-50 fire-safe certified for use on our thermal oil system at 320 °C?",
        "Called back: yes, API 607 fire-safe and rated to 600 °C. Sending the datasheet.",
    ),
    DemoQuestion(
        "sam",
        220,
        QuestionStatus.NEW,
        Channel.CALL,
        PreferredTime.TODAY,
        "ps-4-pressure-sensor",
        "Our PS-4 transmitters on the booster skid read about 0.3 bar high since the "
        "firmware update. Is that a known issue? Please call, the line is down.",
    ),
    DemoQuestion(
        "sam",
        9 * 24 * 60,
        QuestionStatus.ANSWERED,
        Channel.EMAIL,
        PreferredTime.ANYTIME,
        "",
        "Can we get our invoices addressed to the new accounts payable mailbox from next month on?",
        "Asked finance to switch the invoice address; confirmed by e-mail.",
    ),
    DemoQuestion(
        "lena",
        15,
        QuestionStatus.NEW,
        Channel.EMAIL,
        PreferredTime.ANYTIME,
        "x200-centrifugal-pump",
        "Do you keep mechanical seals for the X200 (size 80-200) in the regional warehouse? "
        "We would like two spares on the shelf.",
    ),
    DemoQuestion(
        "lena",
        5 * 60,
        QuestionStatus.ACKNOWLEDGED,
        Channel.CALL,
        PreferredTime.AFTERNOON,
        "",
        "We are planning a new water treatment line for next year and would like to talk "
        "about pumps, valves and monitoring as one package.",
    ),
    DemoQuestion(
        "tomas",
        65,
        QuestionStatus.NEW,
        Channel.CALL,
        PreferredTime.MORNING,
        "tv-50-triple-offset-butterfly-valve",
        "Can the TV-50 be supplied with an electric actuator and a local control box? "
        "Our site has no instrument air in that building.",
    ),
    DemoQuestion(
        "tomas",
        12 * 24 * 60,
        QuestionStatus.ANSWERED,
        Channel.EMAIL,
        PreferredTime.ANYTIME,
        "",
        "Please send me the slides from the predictive maintenance webinar.",
        "Sent the slides and the recording link.",
    ),
)


def _demo_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _askers(reps: list[User], now: dt.datetime) -> dict[int, list[Contact]]:
    """Per rep, customers who could have asked: with an account and an e-mail address,
    in the book for a while; in a stable order (uuids follow the demo seed)."""
    rows = (
        Contact.objects.filter(
            owner__in=reps,
            account__isnull=False,
            created_at__lt=now - dt.timedelta(days=30),
        )
        .exclude(email="")
        .select_related("account", "owner")
        .order_by("owner_id", "uuid")
    )
    out: dict[int, list[Contact]] = {rep.pk: [] for rep in reps}
    for contact in rows:
        if contact.owner_id is not None:
            out[contact.owner_id].append(contact)
    return out


def portal_demo_questions(
    *, now: dt.datetime, books: int = 1, reps: list[User] | None = None
) -> list[Question]:
    """Write QUESTIONS for the reps' customers, as `question_ask` and the rep's actions
    would have: the question, its timeline entries and (for open ones) the rep's alert,
    in-app only so the demo does not start by mailing anyone.

    Every rep gets the questions of the demo rep whose part they play (`demo_rep_parts`),
    `books` times over: a benchmark whose books are five times the demo's passes 5.
    `reps`: only these reps' books (default: every active rep)."""
    from warmline.alerts.models import Alert
    from warmline.alerts.services import Step
    from warmline.portal.hours import promise_answer_by
    from warmline.portal.services import question_alert_raise
    from warmline.timeline.models import Direction, Interaction, Kind, Source
    from warmline_tools.demo.fastinsert import rows_insert
    from warmline_tools.demo.generate import INTERACTION_FIELDS, demo_rep_parts, demo_reps

    chosen = reps is not None  # some reps' books only: no demo rep's part twice
    if reps is None:
        reps = demo_reps()
    if not reps:
        return []
    by_name = {rep.username: rep for rep in reps}
    askers = _askers(reps, now)
    taken: set[int] = set()
    rng = random.Random(f"warmline-demo-portal-{now.isoformat()}")
    questions: list[Question] = []
    plan = [
        (by_name.get(spec.rep) or reps[i % len(reps)], spec) for i, spec in enumerate(QUESTIONS)
    ]
    if chosen:
        plan = []
    parts = demo_rep_parts(reps)
    for round_ in range(books):
        for rep in reps:
            if not chosen and round_ == 0 and any(spec.rep == rep.username for spec in QUESTIONS):
                continue  # a named demo rep: has their questions already
            plan += [(rep, spec) for spec in QUESTIONS if spec.rep == parts[rep.pk]]
    for rep, spec in plan:
        pool = [c for c in askers.get(rep.pk, []) if c.pk not in taken]
        if not pool:
            continue
        contact = pool[rng.randrange(len(pool))]
        taken.add(contact.pk)
        asked = now - dt.timedelta(minutes=spec.minutes_ago)
        product = next((p for p in PRODUCTS if p["slug"] == spec.product), None)
        question = Question(
            uuid=_demo_uuid(rng),
            contact=contact,
            rep=rep,
            message=spec.message,
            page_path=f"/site/products/{spec.product}/" if product else "/site/",
            page_title=str(product["name"]) if product else "Home page",
            preferred_channel=spec.channel,
            preferred_time=spec.when,
            callback_phone=contact.phone if spec.channel == Channel.CALL else "",
            company=contact.account.name if contact.account else "",
            verified=True,
            status=spec.status,
            created_at=asked,
            answer_by=promise_answer_by(
                start=asked,
                hours=settings.PORTAL_ANSWER_BUSINESS_HOURS,
                tz_name=rep.time_zone,
            ),
        )
        if spec.status != QuestionStatus.NEW:
            question.acknowledged_at = asked + dt.timedelta(minutes=rng.randint(8, 40))
            question.acknowledged_by = rep
        if spec.status == QuestionStatus.ANSWERED:
            assert question.acknowledged_at is not None
            question.answered_at = question.acknowledged_at + dt.timedelta(
                minutes=rng.randint(20, 180)
            )
            question.answered_by = rep
            question.answer_note = spec.answer_note
        question.save()
        questions.append(question)

    entries: list[tuple[object, ...]] = []

    def entry(question: Question, **fields: object) -> None:
        when = fields["occurred_at"]
        entries.append(
            (
                _demo_uuid(rng),
                question.contact_id,
                question.contact.account_id,
                Kind.QUESTION,
                fields["direction"],
                "",
                fields.get("author_id"),
                fields["subject"],
                fields.get("body", ""),
                when,
                when,
                Source.PORTAL,
                fields["external_id"],
                False,
                None,
                fields["data"],
            )
        )

    for q in questions:
        entry(
            q,
            direction=Direction.INBOUND,
            subject=question_entry_subject(q),
            body=q.message,
            occurred_at=q.created_at,
            external_id=f"question:{q.uuid}",
            data={
                "question_id": q.pk,
                "status": QuestionStatus.NEW,
                "page_path": q.page_path,
                "page_title": q.page_title,
                "preferred_channel": q.preferred_channel,
                "preferred_time": q.preferred_time,
                "verified": q.verified,
            },
        )
        for status, at, note in (
            (QuestionStatus.ACKNOWLEDGED, q.acknowledged_at, ""),
            (QuestionStatus.ANSWERED, q.answered_at, q.answer_note),
        ):
            if at is not None:
                entry(
                    q,
                    direction=Direction.INTERNAL,
                    author_id=q.rep_id,
                    subject=f"Question {status} by {q.rep}"[:200],
                    body=note,
                    occurred_at=at,
                    external_id=f"question:{q.uuid}:{status}",
                    data={"question_id": q.pk, "status": status},
                )
    rows_insert(Interaction, INTERACTION_FIELDS, entries)

    in_app = [Step(after=dt.timedelta(0), channel="inapp")]
    for q in questions:
        if not q.is_open or q.rep is None:
            continue
        alert = question_alert_raise(question=q, rep=q.rep, ladder=in_app)
        Alert.objects.filter(pk=alert.pk).update(
            created_at=q.created_at,
            acknowledged_at=q.acknowledged_at,
            acknowledged_by=q.acknowledged_by,
        )
    return questions


def portal_demo_load(now: dt.datetime, *, books: int = 1, reps: list[User] | None = None) -> None:
    """The portal's demo extension: products and news, then the reps' questions."""
    portal_content_seed(now=now)
    portal_demo_questions(now=now, books=books, reps=reps)
