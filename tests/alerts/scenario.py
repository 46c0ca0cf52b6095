"""`python -m tests.alerts.scenario <command> ...`: act on the database of the alerts tests'
worker and web processes through the real services, printing one JSON line.

    user <username> [--manager-of-team TEAM] [--team TEAM] [--mobile +1...] [--password PW]
    customer <owner> <first> <last> [--account NAME]
                                        a contact the user owns, and a magic link for them
                                        (returns its token: a test follows it as they would)
    raise <username> <cause> <steps>     steps: "email@0,sms@0,inapp@0,email@300:manager"
    status <cause>                      the outbox rows of the alert(s) of this cause
    ack <cause>
    raise-many <username> <prefix> <n> <steps>
    deliver <prefix> <worker-id> <go-file>   wait for go-file, then try to deliver every row of
                                             the alerts whose cause starts with prefix
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys


def _steps(spec: str) -> list:  # type: ignore[type-arg]
    from warmline.alerts.services import Step

    steps = []
    for part in spec.split(","):
        channel_after, _, to = part.partition(":")
        channel, _, after = channel_after.partition("@")
        steps.append(
            Step(after=dt.timedelta(seconds=int(after or 0)), channel=channel, to=to or "recipient")
        )
    return steps


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmline.settings")
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from warmline.alerts.models import Alert, OutboxMessage
    from warmline.alerts.services import alert_acknowledge_cause, alert_raise
    from warmline.users.models import Role, Team, User

    parser = argparse.ArgumentParser(prog="scenario")
    sub = parser.add_subparsers(dest="command", required=True)
    p_user = sub.add_parser("user")
    p_user.add_argument("username")
    p_user.add_argument("--team", default="")
    p_user.add_argument("--manager-of-team", default="")
    p_user.add_argument("--mobile", default="")
    p_user.add_argument("--password", default="")
    p_customer = sub.add_parser("customer")
    p_customer.add_argument("owner")
    p_customer.add_argument("first")
    p_customer.add_argument("last")
    p_customer.add_argument("--account", default="")
    p_raise = sub.add_parser("raise")
    p_raise.add_argument("username")
    p_raise.add_argument("cause")
    p_raise.add_argument("steps")
    p_raise.add_argument("--title", default="Dana Kowalski asked a question")
    p_status = sub.add_parser("status")
    p_status.add_argument("cause")
    p_ack = sub.add_parser("ack")
    p_ack.add_argument("cause")
    p_many = sub.add_parser("raise-many")
    p_many.add_argument("username")
    p_many.add_argument("prefix")
    p_many.add_argument("n", type=int)
    p_many.add_argument("steps")
    p_deliver = sub.add_parser("deliver")
    p_deliver.add_argument("prefix")
    p_deliver.add_argument("worker")
    p_deliver.add_argument("go")
    args = parser.parse_args(argv)

    if args.command == "user":
        user, _ = User.objects.get_or_create(
            username=args.username,
            defaults={
                "first_name": args.username.capitalize(),
                "last_name": "Tester",
                "email": f"{args.username}@warmline.test",
                "role": Role.MANAGER if args.manager_of_team else Role.REP,
                "mobile_phone": args.mobile,
            },
        )
        if args.password:
            user.set_password(args.password)
            user.save()
        if args.manager_of_team:
            Team.objects.update_or_create(name=args.manager_of_team, defaults={"manager": user})
        if args.team:
            user.team, _ = Team.objects.get_or_create(name=args.team)
            user.save()
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out: object = {"id": user.pk, "session": session.session_key}
    elif args.command == "customer":
        from warmline.people.models import Account, ContactEmail
        from warmline.people.services import ContactData, account_save, contact_create
        from warmline.portal.services import magic_link_create

        owner = User.objects.get(username=args.owner)
        email = f"{args.first}.{args.last}.{args.owner}@customer.test".lower()
        known = ContactEmail.objects.filter(address=email).select_related("contact").first()
        if known is not None:
            contact = known.contact
        else:
            account = None
            if args.account:
                account = account_save(account=Account(name=args.account, owner=owner))
            contact = contact_create(
                data=ContactData(
                    first_name=args.first,
                    last_name=args.last,
                    account=account,
                    owner=owner,
                    emails=[(email, "work")],
                )
            )
        _link, token = magic_link_create(contact=contact, email=email)
        out = {"contact_id": contact.pk, "email": email, "token": token}
    elif args.command == "raise-many":
        user = User.objects.get(username=args.username)
        for n in range(args.n):
            alert_raise(
                recipient=user,
                kind="question",
                title=f"Question {n}",
                cause=f"{args.prefix}{n}",
                ladder=_steps(args.steps),
            )
        out = {"raised": args.n}
    elif args.command == "deliver":
        import time
        from collections import Counter
        from pathlib import Path

        from warmline.alerts.services import outbox_message_deliver

        ids = list(
            OutboxMessage.objects.filter(alert__cause__startswith=args.prefix)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if args.worker.endswith(("1", "3", "5", "7", "9")):
            ids.reverse()
        go = Path(args.go)
        Path(f"{args.go}.ready-{args.worker}").touch()
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        outcomes = Counter(
            outbox_message_deliver(message_id=pk, worker_id=args.worker) for pk in ids
        )
        out = dict(outcomes)
    elif args.command == "raise":
        steps = _steps(args.steps)
        alert = alert_raise(
            recipient=User.objects.get(username=args.username),
            kind="question",
            title=args.title,
            body="Do you have the X200 retrofit kit in stock?",
            url="/",
            cause=args.cause,
            ladder=steps,
        )
        out = {
            "uuid": str(alert.uuid),
            "messages": list(alert.messages.order_by("step").values_list("pk", flat=True)),
        }
    elif args.command == "status":
        out = list(
            OutboxMessage.objects.filter(alert__cause=args.cause)
            .order_by("step")
            .values(
                "pk", "channel", "status", "attempts", "provider_id", "last_error", "claimed_by"
            )
        )
    else:
        out = {"acknowledged": alert_acknowledge_cause(cause=args.cause)}
        out["open"] = Alert.objects.filter(cause=args.cause, acknowledged_at__isnull=True).count()
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
