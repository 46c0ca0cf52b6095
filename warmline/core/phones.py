"""Phone numbers: parse anything a person types into E.164, derive a time zone, and
produce the digit strings that make "search matches any formatting" work."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from phonenumbers import timezone as pn_timezone


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """Return the E.164 form of `raw` or raise ValidationError with a message a rep can act on.

    Numbers without a leading + are read as local numbers of `region` (the account's
    country, else WARMLINE_DEFAULT_REGION).
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.")
    region_code = (region or settings.WARMLINE_DEFAULT_REGION or "US").upper()
    try:
        parsed = phonenumbers.parse(text, region_code)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"“{text}” is not a phone number we can read. Use the international form, "
            "e.g. +1 415 555 0123 or +44 20 7946 0958."
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            f"“{text}” is not a valid phone number for "
            f"{phonenumbers.region_code_for_number(parsed) or region_code}. "
            "Check the digits, or add the country code (e.g. +49 …)."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_time_zone(e164: str) -> str:
    """The IANA time zone of a number's region, or "" when it spans several zones."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    zones = [z for z in pn_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    if len(zones) == 1:
        return zones[0]
    if zones:
        # A multi-zone country with a non-geographic number: prefer the region's main zone.
        return zones[0]
    return ""


def phone_display(e164: str) -> str:
    """International format for people: +1 415-555-0123."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_digits(e164: str) -> str:
    """Digit strings a person might type for this number: E.164 and national (with trunk 0)."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    try:
        parsed = phonenumbers.parse(e164, None)
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return digits
    national_digits = "".join(ch for ch in national if ch.isdigit())
    return f"{digits} {national_digits}" if national_digits not in digits else digits


def digits_only(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
