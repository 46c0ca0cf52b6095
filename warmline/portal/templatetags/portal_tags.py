"""Small display helpers for portal templates."""

from __future__ import annotations

from django import template

from warmline.core.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+14155550123 -> +1 415-555-0123."""
    return phone_display(value or "")


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "").split() if p]
    return "".join(p[0] for p in parts[:2]).upper()
