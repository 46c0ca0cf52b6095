"""Writes to the relationship memory. Every function is atomic and validates first, so a
bad value never leaves a half-written contact behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, URLValidator, validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from warmline.core.db import delete_in_batches
from warmline.core.phones import phone_normalize, phone_time_zone
from warmline.core.registries.reasons import reasons_changed
from warmline.core.registries.touches import Touch
from warmline.people.models import (
    Account,
    Contact,
    ContactEmail,
    ContactPhone,
    DateKind,
    FactKind,
    ImportantDate,
    PersonalFact,
    Tag,
)
from warmline.people.search import search_text_build
from warmline.users.models import User


@dataclass
class ContactData:
    """Everything a form, the API or an import may set on a contact."""

    first_name: str
    last_name: str = ""
    title: str = ""
    account: Account | None = None
    owner: User | None = None
    emails: Sequence[tuple[str, str]] = ()  # (address, label); the first one is primary
    phones: Sequence[tuple[str, str]] = ()  # (raw number, label); the first one is primary
    time_zone: str = ""
    stage: str = "prospect"
    interests: Sequence[str] = ()
    email_opt_in: bool = False
    do_not_call: bool = False
    reconnect_days: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


def email_normalize(address: str) -> str:
    value = (address or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationError(f"“{address}” is not a valid e-mail address.") from exc
    return value


def _clean_emails(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    errors: list[str] = []
    for address, label in pairs:
        if not (address or "").strip():
            continue
        try:
            seen.setdefault(email_normalize(address), label or "work")
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"email": errors})
    return list(seen.items())


def _clean_phones(pairs: Iterable[tuple[str, str]], *, region: str | None) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    errors: list[str] = []
    for raw, label in pairs:
        if not (raw or "").strip():
            continue
        try:
            seen.setdefault(phone_normalize(raw, region=region), label or "work")
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"phone": errors})
    return list(seen.items())


def _validate_time_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            {"time_zone": f"“{name}” is not a time zone we know (e.g. Europe/Berlin)."}
        ) from exc
    return name


def tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({n.strip().lower()[:60] for n in names if n and n.strip()})
    if not cleaned:
        return []
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    missing = [Tag(name=n) for n in cleaned if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    return [existing[n] for n in cleaned]


def contact_refresh_search_text(*, contact: Contact) -> None:
    """Rebuild the search digest from the contact's current e-mails, phones and account."""
    contact.search_text = search_text_build(
        first_name=contact.first_name,
        last_name=contact.last_name,
        title=contact.title,
        company=contact.account.name if contact.account_id and contact.account else "",
        emails=contact.emails.values_list("address", flat=True),
        phones=contact.phones.values_list("number", flat=True),
    )
    Contact.objects.filter(pk=contact.pk).update(search_text=contact.search_text)


def contact_points_clean(
    *,
    emails: Iterable[tuple[str, str]],
    phones: Iterable[tuple[str, str]],
    time_zone: str,
    region: str | None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str, dict[str, list[str]]]:
    """(e-mails, phones, time zone, errors): the typed ones normalised, and every problem
    found at once (keys "email", "phone", "time_zone"). A form calls this beside its own
    field checks, so nobody fixes the same form in rounds."""
    errors: dict[str, list[str]] = {}
    cleaned_emails: list[tuple[str, str]] = []
    cleaned_phones: list[tuple[str, str]] = []
    try:
        cleaned_emails = _clean_emails(emails)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned_phones = _clean_phones(phones, region=region)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned_zone = _validate_time_zone(time_zone.strip())
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned_zone = ""
    return cleaned_emails, cleaned_phones, cleaned_zone, errors


def _apply(
    contact: Contact, data: ContactData
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    emails, phones, time_zone, errors = contact_points_clean(
        emails=data.emails,
        phones=data.phones,
        time_zone=data.time_zone,
        region=data.account.country if data.account and data.account.country else None,
    )
    if not data.first_name.strip():
        errors.setdefault("first_name", []).append("Enter the contact's first name.")
    if errors:
        raise ValidationError(errors)

    contact.first_name = data.first_name.strip()
    contact.last_name = data.last_name.strip()
    contact.title = data.title.strip()
    contact.account = data.account
    contact.owner = data.owner
    contact.stage = data.stage
    contact.do_not_call = data.do_not_call
    contact.reconnect_days = data.reconnect_days
    if data.email_opt_in and not contact.email_opt_in:
        contact.email_opt_in_at = timezone.now()
    contact.email_opt_in = data.email_opt_in
    contact.email = emails[0][0] if emails else ""
    contact.phone = phones[0][0] if phones else ""
    contact.time_zone = time_zone or (phone_time_zone(contact.phone) if contact.phone else "")
    contact.full_clean(exclude=["search_text", "owner", "account"])
    return emails, phones


def _replace_points(
    contact: Contact, emails: list[tuple[str, str]], phones: list[tuple[str, str]]
) -> None:
    contact.emails.all().delete()
    contact.phones.all().delete()
    ContactEmail.objects.bulk_create(
        ContactEmail(contact=contact, address=a, label=lbl, is_primary=i == 0)
        for i, (a, lbl) in enumerate(emails)
    )
    ContactPhone.objects.bulk_create(
        ContactPhone(contact=contact, number=n, label=lbl, is_primary=i == 0)
        for i, (n, lbl) in enumerate(phones)
    )


@transaction.atomic
def contact_create(*, data: ContactData) -> Contact:
    contact = Contact()
    emails, phones = _apply(contact, data)
    contact.save()
    _replace_points(contact, emails, phones)
    contact.interests.set(tags_get_or_create(data.interests))
    contact_refresh_search_text(contact=contact)
    reasons_changed(rep_ids=[contact.owner_id])  # a new lead, a reconnect due some day
    return contact


@transaction.atomic
def contact_points_refresh(*, contact: Contact) -> Contact:
    """After e-mail or phone rows were written one at a time (the admin's inlines, whose
    forms normalise with `email_normalize` / `phone_normalize`): one primary of each (the
    flagged one, else the oldest), `Contact.email` / `phone` copies of them, the time zone
    derived from the phone unless someone chose another, and the search text."""
    derived_before = phone_time_zone(contact.phone) if contact.phone else ""
    primaries: list[str] = []
    for model, column in ((ContactEmail, "address"), (ContactPhone, "number")):
        rows = model.objects.filter(contact=contact)
        first = rows.order_by("-is_primary", "id").values_list("pk", column).first()
        if first is None:
            primaries.append("")
            continue
        rows.filter(is_primary=True).exclude(pk=first[0]).update(is_primary=False)
        rows.filter(pk=first[0], is_primary=False).update(is_primary=True)
        primaries.append(first[1])
    contact.email, contact.phone = primaries
    if not contact.time_zone or contact.time_zone == derived_before:
        contact.time_zone = phone_time_zone(contact.phone) if contact.phone else ""
    contact.save(update_fields=["email", "phone", "time_zone", "updated_at"])
    contact_refresh_search_text(contact=contact)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, data: ContactData) -> Contact:
    """Save the contact's new details. Stage, cadence, owner, phone and do-not-call all
    feed the call queue, so the owners' queues (the old one too, on a move) are told."""
    previous_owner_id = contact.owner_id
    emails, phones = _apply(contact, data)
    contact.save()
    _replace_points(contact, emails, phones)
    contact.interests.set(tags_get_or_create(data.interests))
    contact_refresh_search_text(contact=contact)
    reasons_changed(rep_ids={previous_owner_id, contact.owner_id})
    return contact


@dataclass
class DuplicateMatch:
    contact_id: int
    name: str
    owner_name: str
    matched_on: str  # "e-mail a@b.com" or "phone +1..."


def contact_find_duplicates(
    *,
    emails: Iterable[str],
    phones: Iterable[str],
    region: str | None = None,
    exclude_id: int | None = None,
) -> list[DuplicateMatch]:
    """Existing contacts sharing a normalised e-mail or phone. Invalid values are skipped:
    the form reports them; this only warns."""
    norm_emails = set()
    for address in emails:
        try:
            norm_emails.add(email_normalize(address))
        except ValidationError:
            continue
    norm_phones = set()
    for raw in phones:
        try:
            norm_phones.add(phone_normalize(raw, region=region))
        except ValidationError:
            continue
    if not norm_emails and not norm_phones:
        return []
    matches: dict[int, DuplicateMatch] = {}
    email_rows = ContactEmail.objects.filter(address__in=norm_emails).select_related(
        "contact__owner"
    )
    phone_rows = ContactPhone.objects.filter(number__in=norm_phones).select_related(
        "contact__owner"
    )
    for label, rows, attr in (("e-mail", email_rows, "address"), ("phone", phone_rows, "number")):
        for row in rows[:20]:
            if row.contact_id == exclude_id or row.contact_id in matches:
                continue
            owner = row.contact.owner
            matches[row.contact_id] = DuplicateMatch(
                contact_id=row.contact_id,
                name=row.contact.full_name,
                owner_name=str(owner) if owner else "unassigned",
                matched_on=f"{label} {getattr(row, attr)}",
            )
    return list(matches.values())


# --- Accounts -------------------------------------------------------------------------


def account_clean(*, account: Account) -> None:
    """Normalise the account's domain, country and phone in place and check them with its
    website; raises ValidationError keyed by field."""
    account.domain = account.domain.strip().lower().removeprefix("@").removeprefix("www.")
    account.country = account.country.strip().upper()
    errors: dict[str, str] = {}
    if account.domain:
        # The domain routes a service desk's e-mails from unknown senders to this account.
        try:
            DomainNameValidator()(account.domain)
        except ValidationError:
            errors["domain"] = f"“{account.domain}” is not an e-mail domain (e.g. acme.com)."
    website = account.website.strip()
    if website:
        try:
            URLValidator(schemes=["http", "https"])(
                website if "://" in website else f"https://{website}"
            )
        except ValidationError:
            errors["website"] = f"“{website}” is not a web address (e.g. acme.com)."
    if errors:
        raise ValidationError(errors)
    if account.country and account.country not in phonenumbers.SUPPORTED_REGIONS:
        # Local phone numbers are read for this country: an unknown code would make every
        # one of them fail later with a confusing phone error.
        raise ValidationError(
            {"country": f"“{account.country}” is not a country code we know (e.g. US, DE, GB)."}
        )
    if account.phone:
        try:
            account.phone = phone_normalize(account.phone, region=account.country or None)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc


@transaction.atomic
def account_save(*, account: Account) -> Account:
    """Validate and save an account; keep contacts' search text in step with its name."""
    account_clean(account=account)
    name_changed = tier_changed = False
    if account.pk:
        old = Account.objects.filter(pk=account.pk).values_list("name", "tier").first()
        name_changed = old is None or old[0] != account.name
        tier_changed = old is None or old[1] != account.tier
    account.full_clean()
    account.save()
    if name_changed:
        for contact in account.contacts.select_related("account"):
            contact_refresh_search_text(contact=contact)
    if tier_changed:  # the tier sets the reconnect cadence of the account's contacts
        account_contacts_changed(account_id=account.pk)
    return account


def account_contacts_changed(*, account_id: int) -> None:
    """Tell the call queues of everyone owning a contact at this account (one UPDATE)."""
    reasons_changed(rep_ids=Contact.objects.filter(account_id=account_id).values("owner_id"))


# --- Personal facts and dates ---------------------------------------------------------


@transaction.atomic
def fact_add(*, contact: Contact, kind: str, text: str, actor: User | None) -> PersonalFact:
    fact = PersonalFact(
        contact=contact, kind=kind or FactKind.OTHER, text=text.strip(), created_by=actor
    )
    fact.full_clean()
    fact.save()
    return fact


@transaction.atomic
def fact_remove(*, fact: PersonalFact) -> None:
    fact.delete()


@transaction.atomic
def important_date_add(
    *, contact: Contact, kind: str, date: dt.date, label: str = "", recurs_yearly: bool = True
) -> ImportantDate:
    item = ImportantDate(
        contact=contact,
        kind=kind or DateKind.OTHER,
        date=date,
        label=label.strip(),
        recurs_yearly=recurs_yearly,
    )
    item.month_day = date.month * 100 + date.day
    item.full_clean()
    item.save()
    reasons_changed(contact_ids=[contact.pk])  # "birthday tomorrow" is a reason to call
    return item


@transaction.atomic
def important_date_remove(*, item: ImportantDate) -> None:
    reasons_changed(contact_ids=[item.contact_id])
    item.delete()


# Contacts per `QuerySet.delete()` when deleting many: each batch's SET NULL updates (the
# alerts naming the contacts, the notes naming their dates) stay far below PostgreSQL's
# 65,535 parameters (`core.db.delete_in_batches`).
CONTACT_DELETE_BATCH = 2_000


@transaction.atomic
def contacts_delete(*, contacts: QuerySet[Contact]) -> int:
    """Delete these contacts with what is theirs (addresses, facts, dates, and what other
    apps keep about them through CASCADE), `CONTACT_DELETE_BATCH` at a time; their owners'
    call queues are told in the same transaction. Returns how many contacts went. A contact
    with a logged call cannot be deleted: the call log protects its timeline entry
    (ProtectedError)."""
    owners = set(contacts.exclude(owner=None).values_list("owner_id", flat=True).distinct())
    deleted = delete_in_batches(contacts, size=CONTACT_DELETE_BATCH)
    reasons_changed(rep_ids=owners)
    return deleted


def contact_touches_record(touches: list[Touch]) -> None:
    """Move each contact's last personal touch forward (never back: a back-dated entry must
    not hide a newer touch). The timeline calls this, through the touches registry, in the
    transaction that records the entries."""
    latest: dict[int, dt.datetime] = {}
    for touch in touches:
        known = latest.get(touch.contact_id)
        if touch.is_personal and (known is None or touch.occurred_at > known):
            latest[touch.contact_id] = touch.occurred_at
    for contact_id, when in latest.items():
        Contact.objects.filter(pk=contact_id).filter(
            Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=when)
        ).update(last_touch_at=when)
