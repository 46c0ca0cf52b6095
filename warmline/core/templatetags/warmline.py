"""Template helpers shared by every app: `{% load warmline %}`.

Filters: `phone` (display format), `ago` ("3 months ago" / "never"), `days_away`
("today", "tomorrow", "in 3 days"). Tags: `kind_icon` (a timeline kind's SVG icon) and
`today_section` (renders one registered *Today* section with its own context).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil

from warmline.core.phones import phone_display

register = template.Library()


@register.filter(name="phone")
def phone_filter(value: str | None) -> str:
    """+14155550123 -> "+1 415-555-0123"."""
    return phone_display(value or "")


@register.filter
def ago(value: dt.datetime | dt.date | None, now: dt.datetime | None = None) -> str:
    """ "3 months ago", "just now", or "never" for an empty value. One unit only."""
    if not value:
        return "never"
    current = now or timezone.now()
    if isinstance(value, dt.datetime):
        delta = current - value
        if abs(delta) < dt.timedelta(minutes=1):
            return "just now"
        if delta < dt.timedelta(0):
            return f"in {timeuntil(value, current, depth=1)}"
        return f"{timesince(value, current, depth=1)} ago"
    today = timezone.localdate(current)
    if value == today:
        return "today"
    if value > today:
        return days_away((value - today).days)
    return f"{timesince(value, today, depth=1)} ago"


@register.filter
def days_away(days: int | None) -> str:
    """0 -> "today", 1 -> "tomorrow", 5 -> "in 5 days"."""
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 0:
        return f"{-days} days ago" if days < -1 else "yesterday"
    return f"in {days} days"


@register.filter
def website_url(value: str | None) -> str:
    """A safe link for a typed website: "acme.com" -> "https://acme.com"; only http(s)."""
    text = (value or "").strip()
    if not text or any(ch.isspace() for ch in text):
        return ""
    if "://" not in text:
        return f"https://{text}"
    scheme = text.split("://", 1)[0].lower()
    return text if scheme in ("http", "https") else ""


# Outline icons (24x24, stroke="currentColor"), one per timeline kind.
_ICONS = {
    "call": '<path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6 '
    "19.8 19.8 0 0 1-3.1-8.7A2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1 1 .4 1.9.7 2.8a2 2 0 0 1-.4 "
    "2.1L8.1 9.9a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.8.7a2 2 0 0 1 1.7 "
    '2z"/>',
    "voicemail": '<circle cx="6" cy="12" r="4"/><circle cx="18" cy="12" r="4"/>'
    '<path d="M6 16h12"/>',
    "email": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "meeting": '<rect x="3" y="4" width="18" height="17" rx="2"/><path d="M16 2v4M8 2v4M3 10h18"/>',
    "note": '<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    "question": '<circle cx="12" cy="12" r="10"/><path d="M9.1 9a3 3 0 0 1 5.8 1c0 2-3 3-3 3"/>'
    '<path d="M12 17h.01"/>',
    "case": '<rect x="2" y="7" width="20" height="14" rx="2"/>'
    '<path d="M16 21V5a2 2 0 0 0-2-2h-4a2 2 0 0 0-2 2v16"/>',
    "newsletter": '<path d="m22 2-7 20-4-9-9-4z"/><path d="M22 2 11 13"/>',
    "page": '<path d="M2 12s3-7 10-7 10 7 10 7-3 7-10 7-10-7-10-7z"/>'
    '<circle cx="12" cy="12" r="3"/>',
    "correction": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/>',
    "dot": '<circle cx="12" cy="12" r="4"/>',
}
_KIND_ICON = {
    "call": "call",
    "voicemail": "voicemail",
    "email": "email",
    "meeting": "meeting",
    "note": "note",
    "checkin_note": "note",
    "question": "question",
    "case_opened": "case",
    "case_updated": "case",
    "case_resolved": "case",
    "newsletter_sent": "newsletter",
    "newsletter_opened": "newsletter",
    "newsletter_clicked": "newsletter",
    "page_viewed": "page",
    "correction": "correction",
}


@register.simple_tag
def kind_icon(kind: str) -> SafeString:
    """An inline SVG for a timeline kind; decorative (the label is always next to it)."""
    paths = _ICONS[_KIND_ICON.get(kind, "dot")]
    return format_html(
        '<svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true" focusable="false">{}</svg>',
        mark_safe(paths),  # noqa: S308 - constant markup above, no user input
    )


@register.simple_tag(takes_context=True)
def today_section(context: template.Context, rendered: Any) -> SafeString:
    """Render a registered *Today* section's template with the page context plus the
    section's own context (its keys at top level, and `section`)."""
    values: dict[str, Any] = dict(context.flatten())  # type: ignore[arg-type]
    values.pop("sections", None)
    values.update(rendered.context)
    values["section"] = rendered.section
    return mark_safe(render_to_string(rendered.section.template, values, request=None))  # noqa: S308
