"""Phone numbers for the demo company that the phonenumbers library accepts as valid.

Office lines start with the city's real area code; mobiles with the country's mobile
prefix (taken from `phonenumbers.example_number_for_type`). The remaining digits are
random, and a candidate is kept only when `is_valid_number_for_region` says yes.
"""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumberType

# National area codes (significant number prefixes) of the demo cities in vocab.MARKETS.
AREA_CODES: dict[str, dict[str, str]] = {
    "US": {
        "Chicago": "312",
        "Houston": "713",
        "Pittsburgh": "412",
        "Milwaukee": "414",
        "Charlotte": "704",
        "Denver": "303",
        "Cleveland": "216",
    },
    "GB": {
        "Leeds": "113",
        "Sheffield": "114",
        "Bristol": "117",
        "Glasgow": "141",
        "Birmingham": "121",
        "Manchester": "161",
    },
    "DE": {
        "Dortmund": "231",
        "Stuttgart": "711",
        "Hamburg": "40",
        "Leipzig": "341",
        "Duisburg": "203",
        "Mannheim": "621",
    },
    "FR": {
        "Lyon": "4",
        "Lille": "3",
        "Toulouse": "5",
        "Grenoble": "4",
        "Nantes": "2",
        "Rouen": "2",
    },
    "NL": {"Rotterdam": "10", "Eindhoven": "40", "Utrecht": "30", "Groningen": "50", "Delft": "15"},
    "ES": {"Bilbao": "94", "Valencia": "96", "Zaragoza": "976", "Sevilla": "95", "Barcelona": "93"},
    "IT": {"Torino": "011", "Milano": "02", "Brescia": "030", "Bologna": "051", "Verona": "045"},
    "SE": {"Göteborg": "31", "Västerås": "21", "Malmö": "40", "Linköping": "13", "Uppsala": "18"},
}

_FIXED = (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class PhoneMaker:
    """Makes unique, valid E.164 numbers; deterministic for a given `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self._examples: dict[tuple[str, int], tuple[int, str]] = {}

    def _example(self, region: str, kind: int) -> tuple[int, str]:
        key = (region, kind)
        if key not in self._examples:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:  # pragma: no cover - every demo market has examples
                raise ValueError(f"phonenumbers has no example number for {region}")
            self._examples[key] = (
                int(example.country_code or 0),
                phonenumbers.national_significant_number(example),
            )
        return self._examples[key]

    def _candidate(
        self, region: str, country_code: int, prefix: str, length: int, kinds: tuple[int, ...]
    ) -> str | None:
        rest = max(length - len(prefix), 3)
        nsn = prefix + str(self.rng.randrange(10**rest)).zfill(rest)
        # Build the number directly (what parse() would return, minus the text scanning).
        parsed = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(nsn))
        if nsn.startswith("0"):  # Italian landlines keep their leading zero
            parsed.italian_leading_zero = True
            zeros = len(nsn) - len(nsn.lstrip("0"))
            if zeros > 1:
                parsed.number_of_leading_zeros = zeros
        if not phonenumbers.is_valid_number_for_region(parsed, region):
            return None
        if phonenumbers.number_type(parsed) not in kinds:
            return None
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return None if e164 in self.used else e164

    def _make(self, region: str, kind: int, prefix: str, kinds: tuple[int, ...]) -> str:
        country_code, example = self._example(region, kind)
        lengths = (len(example), len(example) + 1, len(example) - 1)
        for attempt in range(200):
            # Short prefixes first; after a while fall back to the example's own prefix.
            use = prefix if attempt < 100 else example[:1]
            length = lengths[0] if attempt % 3 == 0 else self.rng.choice(lengths)
            e164 = self._candidate(region, country_code, use, length, kinds)
            if e164 is not None:
                self.used.add(e164)
                return e164
        raise RuntimeError(f"could not make a valid {region} phone number")  # pragma: no cover

    def office(self, region: str, city: str) -> str:
        """A landline in `city` (falls back to the country's example area code)."""
        _, example = self._example(region, PhoneNumberType.FIXED_LINE)
        prefix = AREA_CODES.get(region, {}).get(city) or example[:2]
        return self._make(region, PhoneNumberType.FIXED_LINE, prefix, _FIXED)

    def mobile(self, region: str, city: str = "") -> str:
        """A mobile number; in North America mobiles share the city's area code."""
        _, example = self._example(region, PhoneNumberType.MOBILE)
        if region == "US":
            prefix = AREA_CODES["US"].get(city) or example[:3]
        else:
            prefix = example[:2] if region == "DE" else example[:1]
        return self._make(region, PhoneNumberType.MOBILE, prefix, _MOBILE)
