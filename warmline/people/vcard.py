"""vCard 3.0 (RFC 2426) writer and a tolerant reader.

The writer produces what address books expect from a 3.0 export: CRLF line ends, text
escaped (backslash, comma, semicolon, newline) and lines folded at 75 octets without
splitting a UTF-8 character (RFC 6350 3.2). Labels that are not standard TYPE values
("assistant", "cell") travel the way Apple's Contacts writes them: a grouped property
with an `X-ABLabel`, so they survive a round trip.

The reader takes what phones and address books really send: vCard 3.0 and 4.0, and
the 2.1 that Android still exports (bare `TEL;CELL:` parameters, QUOTED-PRINTABLE with
soft line breaks, CHARSET). It keeps the properties Warmline stores (N, FN, ORG, TITLE,
EMAIL, TEL, BDAY, NOTE, CATEGORIES, UID) and skips the rest (PHOTO, ADR, ...). Each card
remembers the line it starts on so an import can point at a bad one.

Hand-written rather than `vobject`: the subset is small, and vobject handles neither
2.1 quoted-printable soft breaks nor Apple's labels any better.
"""

from __future__ import annotations

import datetime as dt
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

MAX_LINE_OCTETS = 75
CRLF = "\r\n"

# Warmline label -> vCard TYPE value. Anything else travels as an X-ABLabel.
EMAIL_TYPES = {"work": "WORK", "home": "HOME"}
PHONE_TYPES = {"work": "WORK", "home": "HOME", "mobile": "CELL", "fax": "FAX", "pager": "PAGER"}
# vCard TYPE value -> Warmline label, for reading.
_TYPE_LABELS = {
    "WORK": "work",
    "HOME": "home",
    "CELL": "mobile",
    "MOBILE": "mobile",
    "IPHONE": "mobile",
    "FAX": "fax",
    "PAGER": "pager",
    "MAIN": "main",
    "OTHER": "other",
}
# TYPE values that say nothing a rep would call a label.
_NEUTRAL_TYPES = {"INTERNET", "VOICE", "PREF", "X400", "MSG", "TEXT", "X-INTERNET"}


@dataclass
class VCard:
    """One contact as a vCard carries it. `emails` and `phones` are (value, label) pairs,
    primary first; `note_lines` become NOTE lines; `categories` are the interests."""

    uid: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    org: str = ""
    title: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    birthday: dt.date | None = None
    note_lines: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    revised_at: dt.datetime | None = None
    # Reading only: where the card starts in the file, and what could not be read.
    line: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.full_name or f"{self.first_name} {self.last_name}".strip()


# --- Writing ----------------------------------------------------------------------------


def vcard_escape(text: str) -> str:
    """Escape a TEXT value (RFC 2426 5, RFC 6350 3.4)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def vcard_fold(line: str) -> str:
    """Fold one content line into CRLF-separated pieces of at most 75 octets each.

    Continuation lines start with one space, which counts against their 75 octets. A
    multi-octet UTF-8 character is never split across lines.
    """
    if len(line.encode("utf-8")) <= MAX_LINE_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def _typed_lines(
    name: str, values: list[tuple[str, str]], known: dict[str, str], extra_type: str, item: int
) -> tuple[list[str], int]:
    lines: list[str] = []
    for index, (value, label) in enumerate(values):
        types = [extra_type] if extra_type else []
        standard = known.get(label.strip().lower()) if label else None
        if standard:
            types.append(standard)
        if index == 0:
            types.append("PREF")
        params = f";TYPE={','.join(types)}" if types else ""
        if label and not standard:
            item += 1
            lines.append(f"item{item}.{name}{params}:{vcard_escape(value)}")
            lines.append(f"item{item}.X-ABLabel:{vcard_escape(label)}")
        else:
            lines.append(f"{name}{params}:{vcard_escape(value)}")
    return lines, item


def vcard_build(card: VCard) -> str:
    """One vCard 3.0 as text with CRLF line ends (and a trailing CRLF)."""
    full_name = card.display_name or card.org or "(no name)"
    lines = ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Warmline//Warmline export//EN"]
    if card.uid:
        lines.append(f"UID:{vcard_escape(card.uid)}")
    lines.append(f"N:{vcard_escape(card.last_name)};{vcard_escape(card.first_name)};;;")
    lines.append(f"FN:{vcard_escape(full_name)}")
    if card.org:
        lines.append(f"ORG:{vcard_escape(card.org)}")
    if card.title:
        lines.append(f"TITLE:{vcard_escape(card.title)}")
    email_lines, item = _typed_lines("EMAIL", card.emails, EMAIL_TYPES, "INTERNET", 0)
    phone_lines, item = _typed_lines("TEL", card.phones, PHONE_TYPES, "", item)
    lines.extend(email_lines)
    lines.extend(phone_lines)
    if card.birthday:
        lines.append(f"BDAY:{card.birthday.isoformat()}")
    if card.note_lines:
        lines.append(f"NOTE:{vcard_escape(chr(10).join(card.note_lines))}")
    if card.categories:
        lines.append(f"CATEGORIES:{','.join(vcard_escape(c) for c in card.categories)}")
    if card.revised_at:
        stamp = card.revised_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"REV:{stamp}")
    lines.append("END:VCARD")
    return "".join(vcard_fold(line) + CRLF for line in lines)


# --- Reading ----------------------------------------------------------------------------


@dataclass
class _Property:
    line: int
    group: str
    name: str
    params: dict[str, list[str]]
    value: str


_UNESCAPES = {"n": "\n", "N": "\n", "\\": "\\", ",": ",", ";": ";", ":": ":"}


def vcard_unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append(_UNESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(char)
    return "".join(out)


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split on `separator` where it is not escaped with a backslash (values stay escaped)."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfold continuation lines (RFC folding and 2.1 quoted-printable soft breaks)."""
    current: str | None = None
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if current is not None and raw[:1] in (" ", "\t"):
            current += raw[1:]
            continue
        if (
            current is not None
            and current.endswith("=")
            and "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper()
        ):
            current = current[:-1] + raw
            continue
        if current is not None:
            yield start, current
        current, start = raw, number
    if current is not None:
        yield start, current


def _split_params(head: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in head:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse_property(number: int, line: str) -> _Property | None:
    # The first colon outside a quoted parameter value ends the name and parameters.
    quoted = False
    colon = -1
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            colon = index
            break
    if colon <= 0:
        return None
    head, value = line[:colon], line[colon + 1 :]
    name_part, *param_parts = _split_params(head)
    group, _, name = name_part.rpartition(".")
    params: dict[str, list[str]] = {}
    for part in param_parts:
        if not part:
            continue
        key, has_value, raw = part.partition("=")
        if not has_value:  # vCard 2.1: TEL;CELL;PREF:
            key, raw = "TYPE", part
        values = [v.strip().strip('"') for v in raw.split(",") if v.strip()]
        params.setdefault(key.strip().upper(), []).extend(values)
    encoding = [e.upper() for e in params.get("ENCODING", [])]
    if "QUOTED-PRINTABLE" in encoding:
        charset = (params.get("CHARSET") or ["utf-8"])[0]
        try:
            value = quopri.decodestring(value.encode("latin-1", "replace")).decode(
                charset, "replace"
            )
        except LookupError:
            value = quopri.decodestring(value.encode("latin-1", "replace")).decode(
                "utf-8", "replace"
            )
    return _Property(
        line=number, group=group.upper(), name=name.strip().upper(), params=params, value=value
    )


def _label_from(prop: _Property, labels: dict[str, str]) -> tuple[str, bool]:
    """(label, is_preferred) from TYPE parameters or an Apple X-ABLabel in the same group."""
    types = [t.upper() for t in prop.params.get("TYPE", [])]
    preferred = "PREF" in types or bool(prop.params.get("PREF"))
    if prop.group and prop.group in labels:
        return labels[prop.group], preferred
    for value in types:
        if value in _TYPE_LABELS:
            return _TYPE_LABELS[value], preferred
    for value in types:
        if value not in _NEUTRAL_TYPES and not value.startswith("X-"):
            return value.lower()[:30], preferred
    return "", preferred


def _apple_label(text: str) -> str:
    # Apple writes its own built-in labels as _$!<Mobile>!$_.
    match = re.fullmatch(r"_\$!<(.*)>!\$_", text)
    return (match.group(1) if match else text).strip().lower()[:30]


def vcard_parse_date(text: str) -> dt.date | None:
    """BDAY in the forms phones use: 1980-04-12, 19800412, 1980-04-12T00:00:00Z,
    and without a year (--0412, --04-12; stored on Apple's placeholder year 1604)."""
    value = text.strip().split("T", 1)[0]
    no_year = re.fullmatch(r"--(\d\d)-?(\d\d)", value)
    if no_year:
        value = f"1604-{no_year.group(1)}-{no_year.group(2)}"
    compact = re.fullmatch(r"(\d{4})(\d\d)(\d\d)", value)
    if compact:
        value = "-".join(compact.groups())
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _card_from(start: int, props: list[_Property]) -> VCard:
    card = VCard(line=start)
    labels = {
        p.group: _apple_label(vcard_unescape(p.value))
        for p in props
        if p.name == "X-ABLABEL" and p.group
    }
    emails: list[tuple[str, str, bool]] = []
    phones: list[tuple[str, str, bool]] = []
    for prop in props:
        name = prop.name
        if name == "N":
            parts = [vcard_unescape(p).strip() for p in _split_unescaped(prop.value, ";")]
            parts += [""] * (5 - len(parts))
            card.last_name, card.first_name = parts[0], parts[1]
        elif name == "FN":
            card.full_name = vcard_unescape(prop.value).strip()
        elif name == "ORG":
            card.org = vcard_unescape(_split_unescaped(prop.value, ";")[0]).strip()
        elif name == "TITLE":
            card.title = vcard_unescape(prop.value).strip()
        elif name == "UID":
            card.uid = vcard_unescape(prop.value).strip()
        elif name in ("EMAIL", "TEL"):
            value = vcard_unescape(prop.value).strip()
            if name == "TEL" and value.lower().startswith("tel:"):
                value = value[4:]
            if name == "EMAIL" and value.lower().startswith("mailto:"):
                value = value[7:]
            if value:
                label, preferred = _label_from(prop, labels)
                (emails if name == "EMAIL" else phones).append((value, label, preferred))
        elif name == "BDAY":
            card.birthday = vcard_parse_date(vcard_unescape(prop.value))
            if card.birthday is None:
                card.errors.append(
                    f"line {prop.line}: BDAY “{prop.value.strip()}” is not a date we can read "
                    "(use YYYY-MM-DD)."
                )
        elif name == "NOTE":
            text = vcard_unescape(prop.value)
            card.note_lines.extend(line.strip() for line in text.splitlines() if line.strip())
        elif name == "CATEGORIES":
            card.categories.extend(
                c
                for c in (vcard_unescape(p).strip() for p in _split_unescaped(prop.value, ","))
                if c
            )
    # Preferred values first, otherwise in file order (sorted() is stable).
    card.emails = [(v, lbl) for v, lbl, _ in sorted(emails, key=lambda e: not e[2])]
    card.phones = [(v, lbl) for v, lbl, _ in sorted(phones, key=lambda p: not p[2])]
    if not card.first_name and not card.last_name and card.full_name:
        first, _, last = card.full_name.rpartition(" ")
        card.first_name, card.last_name = (first, last) if first else (last, "")
    if not card.first_name and not card.last_name and not card.full_name:
        card.errors.append("the card has no name (N or FN).")
    return card


def vcard_read(text: str) -> list[VCard]:
    """Every card in `text`. Problems are recorded on the card (`errors`), not raised, so
    one unreadable card does not hide the others. Text outside BEGIN/END is ignored."""
    cards: list[VCard] = []
    props: list[_Property] | None = None
    start = 0
    depth = 0
    problems: list[str] = []
    for number, line in _logical_lines(text.lstrip("\ufeff")):
        if not line.strip():
            continue
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            depth += 1
            if depth == 1:
                props, start, problems = [], number, []
            continue
        if upper == "END:VCARD":
            depth -= 1
            if depth == 0 and props is not None:
                card = _card_from(start, props)
                card.errors[:0] = problems
                cards.append(card)
                props = None
            depth = max(depth, 0)
            continue
        if props is None or depth != 1:
            continue
        prop = _parse_property(number, line)
        if prop is None:
            problems.append(f"line {number}: “{line[:40]}” is not a vCard property (NAME:value).")
        else:
            props.append(prop)
    if props is not None:
        card = _card_from(start, props)
        card.errors[:0] = [*problems, "the card has no END:VCARD (is the file cut short?)."]
        cards.append(card)
    return cards


def vcard_write_all(cards: Iterable[VCard]) -> Iterator[str]:
    for card in cards:
        yield vcard_build(card)
