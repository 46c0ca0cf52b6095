"""The calls app's demo extension (see demo_load): callbacks the reps promised
— one running late, one later today, one tomorrow morning each — and the voicemail
scripts a few reps wrote in their own words (the others use the default script).

Every row follows from `now` and the demo company: the same `now` gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from zoneinfo import ZoneInfo

from warmline.calls.merge import merge_validate
from warmline.calls.models import Callback, CallbackStatus, MessageTemplate, TemplateKind
from warmline.core.hours import calling_hours_status
from warmline.people.models import Contact
from warmline.users.models import User
from warmline_tools.demo.generate import demo_reps

# (when, note): "late" = due a little while ago, "today" = later today, "tomorrow" =
# tomorrow morning — in the rep's office hours, next working day when today is over.
CALLBACKS: tuple[tuple[str, str], ...] = (
    ("late", "wants numbers for the X200 retrofit before their budget meeting"),
    ("today", "back from the plant tour after lunch; ask about the shutdown parts list"),
    ("tomorrow", "decision on the VS-1 pilot after their Monday review"),
    ("late", "call back about the delayed bearings"),
    ("today", "confirm the training date for the new technicians"),
    ("tomorrow", "walk through the quote for the booster set"),
)

VOICEMAIL_SCRIPTS: dict[str, str] = {
    "rita": (
        "Hi {{ first_name }}, it's {{ rep_first_name }} from {{ my_company }}. I had you on "
        "my mind and wanted to hear how things are going at {{ company|your plant }}. "
        "Nothing urgent: call me back when it suits you on {{ rep_phone|my direct line }}. "
        "That's {{ rep_phone|my direct line }}. Have a good day!"
    ),
    "sam": (
        "Hello {{ first_name }}, {{ rep_first_name }} here from {{ my_company }}. Just "
        "checking in: how are the pumps treating you this season? If there's anything on "
        "your list for the next shutdown, I'd love to help. I'm on "
        "{{ rep_phone|my direct line }}. Speak soon."
    ),
    "lena": (
        "Hi {{ first_name }}, this is {{ rep_first_name }} at {{ my_company }}. I wanted to "
        "see how the new line is coming along at {{ company|your site }} and whether you "
        "need anything from us. You can reach me on {{ rep_phone|my direct line }}. Thanks!"
    ),
}


def _business_day(day: dt.date, step: int) -> dt.date:
    """The nearest weekday from `day` going in `step` (+1 / -1) direction, `day` included."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=step)
    return day


def _due_at(kind: str, *, now: dt.datetime, zone: ZoneInfo, rng: random.Random) -> dt.datetime:
    """A time a rep would promise, in the rep's office hours (9:00–17:30, weekdays)."""
    local = now.astimezone(zone)
    today = local.date()

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)

    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    in_hours = today.weekday() < 5 and dt.time(9, 30) <= local.time() <= dt.time(17, 30)
    if kind == "late":
        if in_hours:
            return quarter - dt.timedelta(minutes=rng.choice((15, 30)))
        # Outside office hours: the promise was for the last working afternoon.
        last = today if local.time() > dt.time(17, 30) else today - dt.timedelta(days=1)
        return at(_business_day(last, -1), rng.choice((15, 16)), 30)
    if kind == "today":
        later = quarter + dt.timedelta(minutes=rng.choice((90, 120, 150)))
        if in_hours and later.astimezone(zone).time() <= dt.time(17, 30):
            return later
        if today.weekday() < 5 and local.time() < dt.time(9, 30):
            return at(today, rng.choice((14, 15)))
        return at(_business_day(today + dt.timedelta(days=1), 1), rng.choice((14, 15)))
    return at(_business_day(today + dt.timedelta(days=1), 1), rng.choice((9, 10, 11)))


def calls_demo_load(
    now: dt.datetime, *, books: int = 1, reps: list[User] | None = None
) -> list[Callback]:
    """Three callbacks per rep (one late, one later today, one tomorrow), `books` times
    over: a benchmark whose books are five times the demo's passes 5. `reps`: only these
    reps' books (default: every active rep)."""
    if reps is None:
        reps = demo_reps()
    rng = random.Random(f"warmline-demo-calls-{now.isoformat()}")
    callbacks: list[Callback] = []
    for index, rep in enumerate(reps):
        zone = ZoneInfo(rep.time_zone or "UTC")
        contacts = list(
            Contact.objects.filter(owner=rep, do_not_call=False, account__isnull=False)
            .exclude(phone="")
            .filter(created_at__lt=now - dt.timedelta(days=30))
            .order_by("uuid")[: 40 * books]
        )
        if not contacts:
            continue
        rng.shuffle(contacts)
        specs = CALLBACKS[(index % 2) * 3 : (index % 2) * 3 + 3] * books
        for kind, note in specs:
            due_at = _due_at(kind, now=now, zone=zone, rng=rng)
            # Promised for a time in the customer's calling hours too (no 19:00 in London).
            contact = next(
                (c for c in contacts if calling_hours_status(time_zone=c.time_zone, now=due_at).ok),
                None,
            )
            if contact is None:
                continue
            contacts.remove(contact)
            callbacks.append(
                Callback(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    rep=rep,
                    contact=contact,
                    due_at=due_at,
                    note=note,
                    status=CallbackStatus.OPEN,
                    created_at=now - dt.timedelta(hours=rng.randint(20, 96)),
                )
            )
    Callback.objects.bulk_create(callbacks)
    by_name = {rep.username: rep for rep in reps}
    for username, body in VOICEMAIL_SCRIPTS.items():
        owner = by_name.get(username)
        if owner is None:
            continue
        merge_validate(text=body, field="body")
        MessageTemplate.objects.update_or_create(
            owner=owner, kind=TemplateKind.VOICEMAIL, defaults={"body": body}
        )
    return callbacks
