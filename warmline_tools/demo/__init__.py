"""The demo company of `warmline demo`: a manager, five reps, a marketer, a service agent
and an admin; 300 accounts and 2,000 contacts in eight countries with valid phone numbers,
personal facts, important dates and a year of timeline.

`demo_load` builds it (deterministically for a given seed and `now`), `demo_is_loaded`
tells whether a database already holds it, `demo_wipe` empties the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from warmline.people.models import Contact
from warmline.users.models import User
from warmline_tools.demo.generate import (
    ADMIN,
    DEMO_PASSWORD,
    MANAGER,
    MARKER_USERNAME,
    NAMED_REPS,
    OTHER_STAFF,
    STAFF_DOMAIN,
    DemoBuilder,
    DemoResult,
    DemoSize,
    Login,
    ProgressFn,
)

__all__ = [
    "DEMO_PASSWORD",
    "DemoNotEmptyError",
    "DemoResult",
    "DemoSize",
    "Login",
    "demo_features_load",
    "demo_is_loaded",
    "demo_load",
    "demo_logins",
    "demo_wipe",
]


class DemoNotEmptyError(Exception):
    """The database holds data that is not the demo company; loading would mix the two."""


def demo_is_loaded() -> bool:
    """True when the demo company is in the database (its manager, by her demo address)."""
    marker = User.objects.filter(
        username=MARKER_USERNAME, email=f"{MARKER_USERNAME}@{STAFF_DOMAIN}"
    )
    return marker.exists() and Contact.objects.exists()


def demo_logins() -> list[Login]:
    """Who can log in to the demo company (all with DEMO_PASSWORD), manager first."""
    specs = [MANAGER, *NAMED_REPS, *OTHER_STAFF, ADMIN]
    return [
        Login(role=role, username=u, name=f"{first} {last}") for u, first, last, role, _ in specs
    ]


def demo_wipe() -> None:
    """Delete every row of every table (Django's `flush`): used by `warmline demo --reset`."""
    call_command("flush", interactive=False, verbosity=0)


def demo_load(
    *,
    size: DemoSize | None = None,
    now: dt.datetime | None = None,
    progress: ProgressFn | None = None,
) -> DemoResult:
    """Load the demo company into an empty database, all or nothing.

    Raises DemoNotEmptyError when the database already holds contacts or one of the demo
    users, so a real database is never mixed with made-up customers (and a second call
    never loads twice).
    """
    size = size or DemoSize()
    usernames = [login.username for login in demo_logins()]
    if Contact.objects.exists() or User.objects.filter(username__in=usernames).exists():
        raise DemoNotEmptyError(
            "This database already holds contacts or demo users; the demo company is only "
            "loaded into a database without them."
        )
    builder = DemoBuilder(size=size, now=now or timezone.now(), progress=progress)
    with transaction.atomic():
        result = builder.run()
        demo_features_load(builder.now)
        return result


def demo_features_load(
    now: dt.datetime,
    *,
    books: int = 1,
    reps: list[User] | None = None,
    features: tuple[str, ...] = ("calls", "portal", "service"),
) -> None:
    """Each feature's demo rows (products and questions, cases, callbacks), loaded after the
    company exists: what every rep's book holds besides contacts and their timeline. The
    benchmark loads them too, with `books` the size of its reps' books in demo books (a
    demo rep has 400 contacts), so each book has them in the demo's proportions; `reps`
    limits them to some reps' books, `features` to some loaders."""
    for name, load in _feature_loaders().items():
        if name in features:
            load(now, books=books, reps=reps)


def _feature_loaders() -> dict[str, Callable[..., object]]:
    from warmline_tools.demo.calls import calls_demo_load
    from warmline_tools.demo.portal import portal_demo_load
    from warmline_tools.demo.service import service_demo_load

    return {"calls": calls_demo_load, "portal": portal_demo_load, "service": service_demo_load}
