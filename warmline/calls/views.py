"""Call queue, call mode, callbacks, templates and notes. Views stay thin: parse, call a
selector or service, render. htmx requests get partials from templates/calls/partials/."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from warmline.calls import selectors, services
from warmline.calls.forms import (
    OUTCOME_CHOICES,
    CadenceForm,
    CallLogForm,
    MessageTemplateForm,
    NoteForm,
)
from warmline.calls.ics import callbacks_ics
from warmline.calls.keys import BY_ACTION, keymap_json
from warmline.calls.merge import MERGE_FIELDS, merge_render, merge_validate, merge_values
from warmline.calls.models import CallLog, TemplateKind
from warmline.calls.queue import call_queue_current
from warmline.calls.ranking import weights_current
from warmline.core.forms import form_add_service_errors
from warmline.core.hours import zone_get, zone_label
from warmline.core.http import int_param, is_htmx, next_url_get, vary_on_htmx
from warmline.core.registries.reasons import reason_provider_list
from warmline.people.models import Contact, ImportantDate
from warmline.people.selectors import contact_get
from warmline.users.http import request_user
from warmline.users.models import User

SKIP_SESSION_KEY = "calls_skipped"
SKIP_HOURS = 4


# --- Skips (per browser session; a skipped contact comes back after a few hours) ------


def _skipped_ids(request: HttpRequest, now: dt.datetime) -> list[int]:
    cutoff = (now - dt.timedelta(hours=SKIP_HOURS)).timestamp()
    entries = [e for e in request.session.get(SKIP_SESSION_KEY, []) if e[1] >= cutoff]
    return [int(e[0]) for e in entries]


def _skip_add(request: HttpRequest, contact_id: int, now: dt.datetime) -> None:
    cutoff = (now - dt.timedelta(hours=SKIP_HOURS)).timestamp()
    entries = [e for e in request.session.get(SKIP_SESSION_KEY, []) if e[1] >= cutoff]
    entries = [e for e in entries if e[0] != contact_id][-200:]
    entries.append([contact_id, now.timestamp()])
    request.session[SKIP_SESSION_KEY] = entries


# --- Call mode ------------------------------------------------------------------------


def _callback_choices(*, contact: Contact, user: User, now: dt.datetime) -> list[dict[str, Any]]:
    """The presets with the time each one means, for the buttons."""
    zone = zone_get(contact.time_zone)
    shown_zone = zone or zone_get(user.time_zone) or dt.UTC
    choices = []
    for key, label in services.CALLBACK_PRESETS.items():
        entry: dict[str, Any] = {"key": key, "label": label, "action": f"callback_{key}"}
        if key != "custom":
            at = services.callback_preset_at(preset=key, contact=contact, rep=user, now=now)
            local = at.astimezone(shown_zone)
            entry["at"] = at
            if key == "later" and local.date() != now.astimezone(shown_zone).date():
                entry["when"] = f"tomorrow {local:%H:%M}"
            elif key == "later":
                entry["when"] = f"{local:%H:%M}"
            else:
                entry["when"] = f"{local:%a %d %b, %H:%M}"
        entry["binding"] = BY_ACTION.get(entry["action"])
        choices.append(entry)
    return choices


def _stage_context(
    request: HttpRequest,
    *,
    now: dt.datetime,
    contact_id: int | None = None,
    form: CallLogForm | None = None,
    notice: str = "",
    logged: CallLog | None = None,
) -> dict[str, Any]:
    """Everything the call stage shows: the card (the picked contact or the best in the
    queue), the undo toast and the rep's counts. `logged`: the outcome this request just
    logged, which is the one to offer to undo."""
    user = request_user(request)
    card = None
    queue = None
    if contact_id is not None:
        contact = contact_get(user=user, contact_id=contact_id, for_edit=True)
        item = selectors.queue_item_for_contact(user=user, contact=contact, now=now)
        card = selectors.call_card_build(user=user, item=item, now=now)
    else:
        # One card is shown: load one contact (the counts cover the rest).
        queue = call_queue_current(
            user=user, now=now, exclude_ids=_skipped_ids(request, now), limit=1
        )
        if queue.next is not None:
            card = selectors.call_card_build(
                user=user, item=queue.next, now=now, remaining=queue.ready_count
            )
    if form is None and card is not None:
        form = CallLogForm(
            initial={"contact": card.contact.pk, "reason": card.item.reason_text[:200]}
        )
    if logged is not None and logged.created_at == now:  # (not a resent form's older log)
        undo: CallLog | None = logged
    else:
        undo = selectors.call_log_undoable(user=user, now=now)
    return {
        "card": card,
        "queue": queue,
        "outcomes": [
            {"value": value, "label": label, "binding": BY_ACTION[value]}
            for value, label in OUTCOME_CHOICES
        ],
        "form": form,
        "shown_at": now.isoformat(),
        "callback_choices": (
            _callback_choices(contact=card.contact, user=user, now=now) if card else []
        ),
        "undo": undo,
        "undo_remaining": (
            max(0, int((undo.undo_deadline() - now).total_seconds() + 0.999)) if undo else 0
        ),
        "undo_seconds": settings.WARMLINE_CALL_UNDO_SECONDS,
        "day": selectors.rep_day_counts(user=user, now=now),
        "keys": BY_ACTION,
        "notice": notice,
        "contact_zone": zone_label(card.contact.time_zone) if card else "",
        "now": now,
    }


def _stage(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "calls/partials/stage.html", context, status=status)


@login_required
@require_GET
def call_mode(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    contact_id = int_param(request.GET.get("contact"))
    context = _stage_context(request, now=now, contact_id=contact_id)
    if is_htmx(request):
        return vary_on_htmx(_stage(request, context))
    context.update({"nav": "calls", "keymap": keymap_json()})
    return vary_on_htmx(render(request, "calls/call_mode.html", context))


def _after_post(request: HttpRequest, context: dict[str, Any], fallback: str) -> HttpResponse:
    if is_htmx(request):
        return _stage(request, context)
    return redirect(fallback)


@login_required
@require_POST
def call_log(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request_user(request)
    form = CallLogForm(request.POST)
    contact_id = int_param(request.POST.get("contact"))
    if contact_id is None:
        raise Http404("No contact given.")
    contact = contact_get(user=user, contact_id=contact_id, for_edit=True, related=("account",))
    if form.is_valid():
        data = form.cleaned_data
        try:
            callback_at = None
            if data["callback"] == "custom":
                callback_at = services.callback_custom_at(
                    value=data["callback_at"], contact=contact, rep=user
                )
            elif data["callback"]:
                callback_at = services.callback_preset_at(
                    preset=data["callback"], contact=contact, rep=user, now=now
                )
            logged = services.call_outcome_log(
                rep=user,
                contact=contact,
                outcome=data["outcome"],
                note=data["note"],
                reason=data["reason"],
                callback_at=callback_at,
                shown_at=_parse_iso(request.POST.get("shown_at")),
                now=now,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            context = _stage_context(request, now=now, logged=logged)
            return _after_post(request, context, reverse("call-mode"))
    # Invalid: the same card again, with what the rep typed and the errors.
    context = _stage_context(request, now=now, contact_id=contact.pk, form=form)
    if is_htmx(request):
        return _stage(request, context)
    context.update({"nav": "calls", "keymap": keymap_json()})
    return render(request, "calls/call_mode.html", context, status=400)


def _parse_iso(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None


@login_required
@require_POST
def call_undo(request: HttpRequest, log_id: int) -> HttpResponse:
    now = timezone.now()
    user = request_user(request)
    log = selectors.call_log_get(user=user, log_id=log_id)
    notice = ""
    htmx = is_htmx(request)
    try:
        services.call_outcome_undo(log=log, rep=user, now=now)
        notice = f"Undone. {log.contact.full_name} is back on the card."
        if not htmx:  # a plain form post: the notice rides along with the redirect
            messages.success(request, notice)
    except ValidationError as exc:
        notice = " ".join(exc.messages)
        if not htmx:
            messages.error(request, notice)
    context = _stage_context(request, now=now, contact_id=log.contact_id, notice=notice)
    return _after_post(request, context, reverse("call-mode") + f"?contact={log.contact_id}")


@login_required
@require_POST
def call_skip(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    contact_id = int_param(request.POST.get("contact"))
    if contact_id is not None:
        contact = contact_get(user=request_user(request), contact_id=contact_id)
        _skip_add(request, contact.pk, now)
    return _after_post(request, _stage_context(request, now=now), reverse("call-mode"))


@login_required
@require_POST
def call_skips_clear(request: HttpRequest) -> HttpResponse:
    request.session.pop(SKIP_SESSION_KEY, None)
    return _after_post(request, _stage_context(request, now=timezone.now()), reverse("call-mode"))


# --- The queue page -------------------------------------------------------------------


@login_required
@require_GET
def call_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request_user(request)
    queue = call_queue_current(user=user, now=now, exclude_ids=_skipped_ids(request, now))
    weights = weights_current()
    providers = [
        {"key": p.key, "label": p.label, "weight": weights.get(p.key, p.default_weight)}
        for p in reason_provider_list()
    ]
    providers.sort(key=lambda p: -int(p["weight"]))  # type: ignore[call-overload]
    return render(
        request,
        "calls/call_queue.html",
        {
            "nav": "calls",
            "queue": queue,
            "callbacks": selectors.callback_list_upcoming(user=user, now=now),
            "day": selectors.rep_day_counts(user=user, now=now),
            "providers": providers,
            "hours_start": settings.WARMLINE_CALL_HOURS_START,
            "hours_end": settings.WARMLINE_CALL_HOURS_END,
            "retry_hours": settings.WARMLINE_CALL_RETRY_HOURS,
            "now": now,
        },
    )


# --- Callbacks ------------------------------------------------------------------------


def _ics_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def callback_ics(request: HttpRequest, pk: int) -> HttpResponse:
    callback = selectors.callback_get(user=request_user(request), callback_id=pk)
    body = callbacks_ics([callback], now=timezone.now(), name="Warmline callback")
    return _ics_response(body, f"callback-{callback.contact.first_name.lower() or 'contact'}.ics")


@login_required
@require_GET
def callbacks_feed(request: HttpRequest) -> HttpResponse:
    callbacks = selectors.callback_list_open(user=request_user(request))
    return _ics_response(callbacks_ics(callbacks, now=timezone.now()), "warmline-callbacks.ics")


@login_required
@require_POST
def callback_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    callback = selectors.callback_get(user=request_user(request), callback_id=pk)
    services.callback_cancel(callback=callback)
    messages.success(request, f"Callback to {callback.contact.full_name} cancelled.")
    return redirect("call-queue")


# --- Cadence --------------------------------------------------------------------------


@login_required
@require_POST
def cadence_update(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = request_user(request)
    contact = contact_get(user=user, contact_id=contact_id, for_edit=True)
    form = CadenceForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.contact_cadence_set(contact=contact, days=form.cleaned_data["days"])
            saved = True
        except ValidationError as exc:
            form_add_service_errors(form, exc)
    if is_htmx(request):
        now = timezone.now()
        item = selectors.queue_item_for_contact(user=user, contact=contact, now=now)
        card = selectors.call_card_build(user=user, item=item, now=now)
        return render(
            request,
            "calls/partials/cadence.html",
            {"card": card, "cadence_form": form, "saved": saved},
        )
    if saved:
        messages.success(request, f"Cadence for {contact.full_name} saved.")
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(reverse("call-mode") + f"?contact={contact.pk}")


# --- Scripts and templates ------------------------------------------------------------


@login_required
def templates_edit(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    forms_by_kind: dict[str, MessageTemplateForm] = {}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in TemplateKind.values:
            raise Http404("No such template.")
        if request.POST.get("action") == "reset":
            services.message_template_reset(owner=user, kind=kind)
            messages.success(request, f"{TemplateKind(kind).label} is back to the default.")
            return redirect(reverse("call-templates") + f"#tpl-{kind}")
        form = MessageTemplateForm(request.POST)
        if form.is_valid():
            try:
                services.message_template_save(
                    owner=user,
                    kind=kind,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, f"{TemplateKind(kind).label} saved.")
                return redirect(reverse("call-templates") + f"#tpl-{kind}")
        forms_by_kind[kind] = form
    sections = []
    for kind in TemplateKind:
        subject, body, custom = selectors.message_template_get(user=user, kind=kind.value)
        form = forms_by_kind.get(kind.value) or MessageTemplateForm(
            initial={"kind": kind.value, "subject": subject, "body": body}
        )
        sections.append({"kind": kind.value, "label": kind.label, "form": form, "custom": custom})
    return render(
        request,
        "calls/templates_edit.html",
        {"nav": "calls", "sections": sections, "fields": MERGE_FIELDS},
    )


# --- Notes that go out ----------------------------------------------------------------


def _occasion_for(contact: Contact, occasion_id: int | None) -> ImportantDate | None:
    if occasion_id is None:
        return None
    return ImportantDate.objects.filter(contact=contact, pk=occasion_id).first()


def _note_merged(data: dict[str, Any], values: dict[str, str]) -> tuple[str, str]:
    """(subject, body) with the merge fields the rep typed filled in, as the preview shows
    them; an unknown or unclosed field is refused with the list of fields there are."""
    for name in ("subject", "body"):
        merge_validate(text=data[name], field=name)
    return merge_render(data["subject"], values), merge_render(data["body"], values)


@login_required
def note_compose(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = request_user(request)
    contact = contact_get(user=user, contact_id=contact_id, for_edit=True)
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind") or TemplateKind.CHECKIN
    if kind not in (TemplateKind.CHECKIN, TemplateKind.CONGRATS):
        kind = TemplateKind.CHECKIN
    occasion = _occasion_for(contact, int_param(source.get("occasion")))
    next_url = next_url_get(request)
    today = selectors.rep_today(user, timezone.now())
    values = merge_values(contact=contact, rep=user, occasion=occasion, today=today)
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid() and request.POST.get("action") == "send":
            try:
                subject, body = _note_merged(form.cleaned_data, values)
                services.note_send(
                    rep=user,
                    contact=contact,
                    kind=form.cleaned_data["kind"],
                    subject=subject,
                    body=body,
                    occasion=occasion,
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Your note to {contact.full_name} is on its way; it goes on the "
                    "timeline once sent.",
                )
                return redirect(next_url or reverse("call-notes"))
    else:
        template_subject, template_body, _ = selectors.message_template_get(user=user, kind=kind)
        subject, body = merge_render(template_subject, values), merge_render(template_body, values)
        form = NoteForm(
            initial={
                "kind": kind,
                "subject": subject,
                "body": body,
                "occasion": occasion.pk if occasion else None,
            }
        )
    # What goes out, merge fields the rep typed filled in: also after a refused send.
    typed = form.data if form.is_bound else form.initial
    preview = {
        "subject": merge_render(str(typed.get("subject") or "").strip(), values),
        "body": merge_render(str(typed.get("body") or "").strip(), values),
    }
    context = {
        "nav": "calls",
        "contact": contact,
        "form": form,
        "kind": kind,
        "occasion": occasion,
        "preview": preview,
        "sender": user.get_full_name() or user.username,
        "sender_email": user.email,
        "consent_problem": services.note_consent_problem(contact=contact),
        "next": next_url,
        "kinds": [
            (TemplateKind.CHECKIN.value, "Check-in"),
            (TemplateKind.CONGRATS.value, "Congratulations"),
        ],
    }
    if is_htmx(request) and request.POST.get("action") == "preview":
        return render(request, "calls/partials/note_preview.html", context)
    return render(request, "calls/note_compose.html", context)


@login_required
@require_GET
def note_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "calls/note_list.html",
        {
            "nav": "calls",
            "notes": selectors.outgoing_note_list(user=request_user(request), limit=50),
        },
    )


@login_required
@require_POST
def note_retry(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.outgoing_note_get(user=request_user(request), note_id=pk)
    try:
        services.note_retry(note=note)
        messages.success(request, f"Sending the note to {note.contact.full_name} again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("call-notes")
