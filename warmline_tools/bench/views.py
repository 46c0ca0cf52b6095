"""The benchmark trigger: raises an in-app alert in a server process on request."""

from __future__ import annotations

import datetime as dt
import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from warmline.alerts.services import Step, alert_raise
from warmline.users.models import User


@csrf_exempt
@require_POST
def bench_publish(request: HttpRequest) -> HttpResponse:
    """Off unless ALERT_BENCH_TOKEN is set: raises an in-app alert
    for `user_id` exactly as a feature app would (alert, outbox row, live event, commit)."""
    token = getattr(settings, "ALERT_BENCH_TOKEN", "")
    given = request.headers.get("X-Bench-Token", "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise Http404()
    try:
        payload = json.loads(request.body or b"{}")
        recipient = User.objects.get(pk=int(payload["user_id"]))
        seq = str(payload["seq"])
    except (ValueError, KeyError, TypeError, User.DoesNotExist):
        return JsonResponse({"error": "expected JSON {user_id, seq}"}, status=400)
    run = str(payload.get("run", ""))[:40]
    alert = alert_raise(
        recipient=recipient,
        kind="bench",
        title=str(payload.get("title") or f"Benchmark event {seq}"),
        body=str(payload.get("body") or ""),
        url=str(payload.get("url") or ""),
        cause=f"bench:{run}:{seq}",
        ladder=[Step(after=dt.timedelta(0), channel="inapp")],
        data={"seq": seq, "run": run, "user_id": recipient.pk},
    )
    return JsonResponse({"uuid": str(alert.uuid)}, status=201)
