"""The starting SLA policies and office-hours calendar, as migration 0002 ships them.

The migration keeps its own frozen copy (migrations must not import app code); this one is
for code that needs the same set on an emptied database, e.g. the demo after
`warmline demo --reset` (which flushes every table, migration data included)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from warmline.service.models import BusinessCalendar, OpeningHours, SlaPolicy

# priority: (first response warn, breach, manager), (resolution warn, breach, manager),
# in business minutes; urgent runs on the 24x7 calendar.
DEFAULTS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "urgent": ((15, 30, 60), (180, 240, 480)),
    "high": ((60, 120, 240), (480, 960, 1440)),
    "normal": ((240, 480, 960), (1440, 2400, 3360)),
    "low": ((480, 960, 1920), (2400, 4800, 7200)),
}


@transaction.atomic
def sla_defaults_ensure() -> bool:
    """Create the default calendars and policies unless there already are some.
    Returns True when it created them."""
    if BusinessCalendar.objects.exists() or SlaPolicy.objects.exists():
        return False
    office = BusinessCalendar.objects.create(
        name="Office hours (Mon–Fri 9:00–17:00)", time_zone="UTC", is_default=True
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=office, weekday=d, opens=dt.time(9), closes=dt.time(17))
        for d in range(5)
    )
    always = BusinessCalendar.objects.create(name="Around the clock (24x7)", always_open=True)
    for priority, (fr, res) in DEFAULTS.items():
        SlaPolicy.objects.create(
            name=f"{priority.capitalize()} priority",
            priority=priority,
            tier="",
            calendar=always if priority == "urgent" else None,
            first_response_warn_minutes=fr[0],
            first_response_breach_minutes=fr[1],
            first_response_manager_minutes=fr[2],
            resolution_warn_minutes=res[0],
            resolution_breach_minutes=res[1],
            resolution_manager_minutes=res[2],
            warn_notify="email",
            breach_notify="email" if priority == "low" else "email_sms",
            manager_notify="email",
        )
    return True
