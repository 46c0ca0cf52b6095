"""The lowercase digest of a contact that search matches against.

Names and companies with accents are in it also as they would be typed without them, so
"muller" and "mueller" both find Müller.

Kept in one column so a search is one indexed scan (pg_trgm on PostgreSQL) instead of
joins over e-mails, phones and accounts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from warmline.core.phones import phone_search_digits

SEPARATOR = " | "
# Letters that do not come apart into a base letter and a mark; and the German way of
# writing umlauts without them (Müller is also spelt Mueller).
_LETTERS = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def unaccented(text: str) -> str:
    """ "müller" -> "muller", "ørsted" -> "orsted". For lowercase text (the digest, e-mail
    local parts): `_LETTERS` maps lowercase letters only."""
    flat = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(ch for ch in flat if not unicodedata.combining(ch))


def ascii_forms(part: str) -> list[str]:
    """How someone might type `part` (lowercase) without its accents: "müller" ->
    ["muller", "mueller"], "josé" -> ["jose"]; nothing for plain ASCII."""
    if part.isascii():
        return []
    forms = [unaccented(part), unaccented(part.translate(_GERMAN))]
    return [f for i, f in enumerate(forms) if f != part and f not in forms[:i]]


def search_text_with_forms(parts: Iterable[str]) -> str:
    """Join lowercase parts, each followed by its accent-free forms."""
    given = list(parts)
    out: list[str] = []
    seen = set(given)  # (a digest read back already holds its forms: no second copy)
    for part in given:
        out.append(part)
        for form in ascii_forms(part):
            if form not in seen:
                seen.add(form)
                out.append(form)
    return SEPARATOR.join(out)


def search_text_build(
    *,
    first_name: str,
    last_name: str,
    company: str,
    emails: Iterable[str],
    phones: Iterable[str],
    title: str = "",
) -> str:
    parts = [first_name, last_name, f"{first_name} {last_name}", company, title]
    parts.extend(emails)
    parts.extend(phone_search_digits(p) for p in phones)
    return search_text_with_forms(p.strip().lower() for p in parts if p and p.strip())
