"""The lowercase digest of a contact that search matches against.

Kept in one column so a search is one indexed scan (pg_trgm on PostgreSQL) instead of
joins over e-mails, phones and accounts.
"""

from __future__ import annotations

from collections.abc import Iterable

from warmline.people.phones import phone_search_digits


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
    return " | ".join(p.strip().lower() for p in parts if p and p.strip())
