"""Alerts pages, the acknowledge action and the live event stream (SSE)."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_lib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from warmline.alerts import realtime
from warmline.alerts.selectors import (
    alert_count_unacknowledged,
    alert_get,
    alert_list,
    alert_messages,
)
from warmline.alerts.services import alert_acknowledge
from warmline.core.http import int_param, is_htmx, next_url_get
from warmline.users.http import request_user


def _since(raw: str | None, *, now: dt.datetime) -> dt.datetime:
    """`since` is the page's render time (unix seconds); clamp it to the replay window."""
    oldest = now - dt.timedelta(days=settings.ALERT_LIVE_EVENT_KEEP_DAYS)
    try:
        when = dt.datetime.fromtimestamp(float(raw or ""), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return now
    return min(max(when, oldest), now)


@login_required
@require_GET
def alert_list_view(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    show = request.GET.get("show", "open")
    qs = alert_list(user=user, open_only=show != "all")
    page = Paginator(qs, settings.WARMLINE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/alert_list.html",
        {
            "nav": "alerts",
            "page": page,
            "alerts": page.object_list,
            "show": "all" if show == "all" else "open",
            "unread": alert_count_unacknowledged(user=user),
        },
    )


@login_required
@require_GET
def alert_detail(request: HttpRequest, alert_uuid: uuid_lib.UUID) -> HttpResponse:
    alert = alert_get(user=request_user(request), alert_uuid=alert_uuid)
    return render(
        request,
        "alerts/alert_detail.html",
        {"nav": "alerts", "alert": alert, "ladder": alert_messages(alert=alert)},
    )


@login_required
@require_POST
def alert_ack(request: HttpRequest, alert_uuid: uuid_lib.UUID) -> HttpResponse:
    """Acknowledge: htmx swaps the alert's card, fetch() gets JSON, a form post is sent on
    to `next` (the alert's own page, say) or back to the alerts list."""
    user = request_user(request)
    alert = alert_acknowledge(alert=alert_get(user=user, alert_uuid=alert_uuid), user=user)
    if is_htmx(request):
        return render(request, "alerts/partials/alert_item.html", {"alert": alert})
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "uuid": str(alert.uuid),
                "acknowledged_at": alert.acknowledged_at.isoformat()
                if alert.acknowledged_at
                else None,
                "unread": alert_count_unacknowledged(user=user),
            }
        )
    return redirect(next_url_get(request) or reverse("alerts:list"))


async def alert_stream(request: HttpRequest) -> HttpResponseBase:
    """GET /alerts/stream: the signed-in user's live events as Server-Sent Events."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse(
            "Sign in to receive live alerts.", status=403, content_type="text/plain"
        )
    now = timezone.now()
    after_id = int_param(
        request.headers.get("Last-Event-ID") or request.GET.get("last_event_id"), minimum=0
    )
    since = _since(request.GET.get("since"), now=now)
    stream = (
        realtime.live_stream(user_id=user.pk, after_id=after_id, since=since)
        if isinstance(request, ASGIRequest)
        else realtime.live_stream_once(user_id=user.pk, after_id=after_id, since=since)
    )
    response = StreamingHttpResponse(
        stream,
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response
