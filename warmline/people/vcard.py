"""vCard 3.0 (RFC 2426) writer and a tolerant reader, on top of `vobject`.

The writer builds a `vobject.vCard()` and serializes it: CRLF line ends and text escaped
(backslash, comma, semicolon, newline). Labels that are not standard TYPE values
("assistant", "cell") travel the way Apple's Contacts writes them: a grouped property
with an `X-ABLabel`, so they survive a round trip. Two things stay here by hand:

- Folding (`vcard_fold`). vobject leaves any line shorter than 75 *characters* unfolded,
  so a line of accented or non-Latin text can run to nearly 300 octets (RFC 6350 3.2
  says 75). We ask vobject for unfolded lines and fold them at 75 octets ourselves,
  never inside a character.
- The spelling `X-ABLabel`. vobject upper-cases property names; names are
  case-insensitive, but we keep Apple's own spelling for readers that match it literally.

The reader takes what phones and address books really send: vCard 3.0 and 4.0, and
the 2.1 that Android still exports (bare `TEL;CELL:` parameters, QUOTED-PRINTABLE with
soft line breaks, CHARSET). vobject undoes the folding and the quoted-printable soft
breaks (`getLogicalLines`) and splits each line into group, name, parameters and value,
decoding quoted-printable in its CHARSET (`textLineToContentLine`). It keeps the
properties Warmline stores (N, FN, ORG, TITLE, EMAIL, TEL, BDAY, NOTE, CATEGORIES, UID)
and skips the rest (PHOTO, ADR, ...). Each card remembers the line it starts on so an
import can point at a bad one.

Why not `vobject.readComponents` for the cards themselves: while it builds a card it runs
vCard 3.0 text decoding on every property, which keeps only what comes before the first
unescaped comma (2.1 does not escape commas: Android's "Lange Notiz, die ..." comes back
as "Lange Notiz") and base64-decodes PHOTO (a cut-off photo raises). It also ends the
whole file at the first malformed line or unclosed card, and keeps no line number for a
card. So this module groups vobject's content lines into cards itself (`vcard_read`),
and unescapes values itself (`vcard_unescape`): vobject's own unescaping shares the
comma problem and turns a trailing backslash into "\\eof".
"""

from __future__ import annotations

import datetime as dt
import io
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import vobject
from vobject.base import (
    ContentLine,
    ParseError,
    backslashEscape,
    getLogicalLines,
    parseLine,
    textLineToContentLine,
)
from vobject.vcard import Name

MAX_LINE_OCTETS = 75
CRLF = "\r\n"
PRODID = "-//Warmline//Warmline export//EN"
UNFOLDED = 10**9  # a line length vobject never reaches, so it folds nothing

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
    result: str = backslashEscape(text)
    return result


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


def _add_typed(
    card: vobject.base.Component,
    name: str,
    values: list[tuple[str, str]],
    known: dict[str, str],
    extra_type: str,
    item: int,
) -> int:
    for index, (value, label) in enumerate(values):
        types = [extra_type] if extra_type else []
        standard = known.get(label.strip().lower()) if label else None
        if standard:
            types.append(standard)
        if index == 0:
            types.append("PREF")
        prop = card.add(name)
        prop.value = value
        if types:
            prop.type_paramlist = types
        if label and not standard:
            item += 1
            prop.group = f"item{item}"
            apple = card.add("x-ablabel")
            apple.value = label
            apple.group = prop.group
    return item


_APPLE_LABEL_LINE = re.compile(r"^(item\d+)\.X-ABLABEL:")


def vcard_build(card: VCard) -> str:
    """One vCard 3.0 as text with CRLF line ends (and a trailing CRLF)."""
    out = vobject.vCard()
    out.add("prodid").value = PRODID
    if card.uid:
        out.add("uid").value = card.uid
    out.add("n").value = Name(family=card.last_name, given=card.first_name)
    out.add("fn").value = card.display_name or card.org or "(no name)"
    if card.org:
        out.add("org").value = [card.org]
    if card.title:
        out.add("title").value = card.title
    item = _add_typed(out, "email", card.emails, EMAIL_TYPES, "INTERNET", 0)
    _add_typed(out, "tel", card.phones, PHONE_TYPES, "", item)
    if card.birthday:
        out.add("bday").value = card.birthday.isoformat()
    if card.note_lines:
        out.add("note").value = "\n".join(card.note_lines)
    if card.categories:
        out.add("categories").value = list(card.categories)
    if card.revised_at:
        out.add("rev").value = card.revised_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = out.serialize(lineLength=UNFOLDED).split(CRLF)[:-1]
    return "".join(
        vcard_fold(_APPLE_LABEL_LINE.sub(r"\1.X-ABLabel:", line)) + CRLF for line in lines
    )


def vcard_write_all(cards: Iterable[VCard]) -> Iterator[str]:
    for card in cards:
        yield vcard_build(card)


# --- Reading ----------------------------------------------------------------------------


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
    """(line number, logical line): vobject unfolds and joins quoted-printable soft breaks.

    vobject 0.9.9 numbers the first line, and a line after a blank one, one short (it
    gives them the number of the line before); the check puts them right, and does
    nothing once vobject counts them right itself.
    """
    physical = text.splitlines()
    for line, number in getLogicalLines(io.StringIO("\n".join(physical)), allowQP=True):
        if number == 0 or not physical[number - 1].strip():
            number += 1
        yield number, line


def _content_line(number: int, line: str) -> ContentLine:
    """vobject's reading of one line. Raises ParseError when it is no NAME:value line."""
    try:
        return textLineToContentLine(line, number)
    except (LookupError, TypeError, ValueError):
        # vobject decodes QUOTED-PRINTABLE strictly in the named CHARSET. A phone that
        # names a charset it did not use, or one Python does not know, still gets its
        # text read, with U+FFFD where a byte makes no sense.
        name, params, value, group = parseLine(line, number)
        charset = next((p[1] for p in params if p[0].upper() == "CHARSET" and p[1:]), "utf-8")
        raw = quopri.decodestring(value.encode("utf-8"))
        try:
            text = raw.decode(charset, "replace")
        except LookupError:
            text = raw.decode("utf-8", "replace")
        plain = [p for p in params if "QUOTED-PRINTABLE" not in (v.upper() for v in p)]
        return ContentLine(name, plain, text, group=group, encoded=True, lineNumber=number)


def _label_from(prop: ContentLine, labels: dict[str, str]) -> tuple[str, bool]:
    """(label, is_preferred) from TYPE parameters (2.1: bare ones) or an Apple X-ABLabel in
    the same group."""
    types = [
        value.strip().upper()
        for raw in [*prop.params.get("TYPE", []), *prop.singletonparams]
        for value in raw.split(",")
        if value.strip()
    ]
    preferred = "PREF" in types or bool(prop.params.get("PREF"))
    group = (prop.group or "").upper()
    if group and group in labels:
        return labels[group], preferred
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


def _card_from(start: int, props: list[ContentLine]) -> VCard:
    card = VCard(line=start)
    labels = {
        p.group.upper(): _apple_label(vcard_unescape(p.value))
        for p in props
        if p.name == "X-ABLABEL" and p.group
    }
    emails: list[tuple[str, str, bool]] = []
    phones: list[tuple[str, str, bool]] = []
    for prop in props:
        name, raw = prop.name, prop.value
        if name == "N":
            parts = [vcard_unescape(p).strip() for p in _split_unescaped(raw, ";")]
            parts += [""] * (5 - len(parts))
            card.last_name, card.first_name = parts[0], parts[1]
        elif name == "FN":
            card.full_name = vcard_unescape(raw).strip()
        elif name == "ORG":
            card.org = vcard_unescape(_split_unescaped(raw, ";")[0]).strip()
        elif name == "TITLE":
            card.title = vcard_unescape(raw).strip()
        elif name == "UID":
            card.uid = vcard_unescape(raw).strip()
        elif name in ("EMAIL", "TEL"):
            value = vcard_unescape(raw).strip()
            if name == "TEL" and value.lower().startswith("tel:"):
                value = value[4:]
            if name == "EMAIL" and value.lower().startswith("mailto:"):
                value = value[7:]
            if value:
                label, preferred = _label_from(prop, labels)
                (emails if name == "EMAIL" else phones).append((value, label, preferred))
        elif name == "BDAY":
            card.birthday = vcard_parse_date(vcard_unescape(raw))
            if card.birthday is None:
                card.errors.append(
                    f"line {prop.lineNumber}: BDAY “{raw.strip()}” is not a date we can read "
                    "(use YYYY-MM-DD)."
                )
        elif name == "NOTE":
            text = vcard_unescape(raw)
            card.note_lines.extend(line.strip() for line in text.splitlines() if line.strip())
        elif name == "CATEGORIES":
            card.categories.extend(
                c for c in (vcard_unescape(p).strip() for p in _split_unescaped(raw, ",")) if c
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
    props: list[ContentLine] | None = None
    start = 0
    depth = 0
    problems: list[str] = []
    for number, line in _logical_lines(text.lstrip("\ufeff")):
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
        try:
            props.append(_content_line(number, line))
        except ParseError:
            # A NAME:value line vobject can't split (a space in the name, say) is
            # skipped like any property we don't keep; a line with no colon is reported.
            if ":" not in line[1:]:
                problems.append(
                    f"line {number}: “{line[:40]}” is not a vCard property (NAME:value)."
                )
    if props is not None:
        card = _card_from(start, props)
        card.errors[:0] = [*problems, "the card has no END:VCARD (is the file cut short?)."]
        cards.append(card)
    return cards
