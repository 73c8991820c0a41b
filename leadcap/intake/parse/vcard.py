"""vCard 2.1 / 3.0 / 4.0 payloads -> ParsedContact.

The card is handled as BYTES until each property value has been decoded with its own CHARSET:
Japanese phones write Shift_JIS, where kanji such as 能 (0x94 0x5C) contain the byte of a
backslash, so unescaping before decoding would split names in half. Never raises: a badge that
cannot be read must still be stored as a raw scan.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from leadcap.intake.parse.contact import ParsedContact
from leadcap.intake.parse.decoding import codec_for, decode_short
from leadcap.store import model

_BEGIN = re.compile(rb"[ \t]*(?:[\w-]+\.)?BEGIN[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_END = re.compile(rb"[ \t]*(?:[\w-]+\.)?END[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_BEGIN_ANYWHERE = re.compile(
    rb"^[ \t]*(?:[\w-]+\.)?BEGIN[ \t]*:[ \t]*VCARD(?![\w-])", re.IGNORECASE | re.MULTILINE
)
# CR LF, LF, a lone CR, and the CR CR LF that iOS 6 exports all end one line.
_LINE_BREAK = re.compile(rb"\r*\n|\r+")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_CARET = re.compile(r"\^([n'^])")

_ENCODING_WORDS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_MOBILE_TYPES = {"CELL", "MOBILE", "IPHONE", "X-MOBILE"}
_NOT_A_VOICE_LINE = {"FAX", "PAGER", "MODEM"}
# Only these properties are decoded; PHOTO, KEY, LOGO... are skipped before any work is done.
_WANTED = {
    "VERSION", "N", "FN", "ORG", "TITLE", "EMAIL", "TEL", "ADR", "URL", "NOTE", "SOUND",
    "SORT-STRING", "X-PHONETIC-FIRST-NAME", "X-PHONETIC-LAST-NAME", "X-LEADCAP-BADGE",
    "X-BADGE-ID",
}  # fmt: skip


@dataclass
class _Property:
    name: str
    params: dict[str, list[str]]
    raw: bytes
    value: str = ""
    types: set[str] = field(default_factory=set)

    def param(self, key: str) -> str:
        values = self.params.get(key)
        return values[0] if values else ""

    def rank(self, prefer: str = "") -> int:
        """Lower is better: PREF=1 beats TYPE=pref beats `prefer` (e.g. WORK) beats the rest."""
        pref = self.param("PREF")
        if pref.isdigit():
            return int(pref)
        if "PREF" in self.types or pref:
            return 1
        return 200 if prefer and prefer in self.types else 300


def looks_like_vcard(payload: bytes | str) -> bool:
    """True when a line starts with BEGIN:VCARD (any case, group prefix allowed)."""
    try:
        data, _ = _to_bytes(payload)
        return _BEGIN_ANYWHERE.search(data) is not None
    except Exception:  # noqa: BLE001 - a probe must answer, not crash the capture
        return False


def parse_vcard(payload: bytes | str) -> list[ParsedContact]:
    """One ParsedContact (source="vcard") per BEGIN:VCARD in the payload, empty ones included.

    Problems are reported in each contact's `warnings`; this function never raises."""
    contacts: list[ParsedContact] = []
    try:
        data, from_text = _to_bytes(payload)
        for lines, closed in _split_cards(data):
            try:
                contacts.append(_parse_card(lines, closed, from_text))
            except Exception as exc:  # noqa: BLE001 - keep the other cards of the payload
                contacts.append(ParsedContact(source="vcard", warnings=[_failure(exc)]))
    except Exception as exc:  # noqa: BLE001
        if contacts:
            contacts[-1].warnings.append(_failure(exc))
        else:
            contacts.append(ParsedContact(source="vcard", warnings=[_failure(exc)]))
    return contacts


def _failure(exc: Exception) -> str:
    return f"vCard could not be read completely ({type(exc).__name__}: {exc})"


def _to_bytes(payload: bytes | str) -> tuple[bytes, bool]:
    """The payload as bytes, and whether it arrived as text (then CHARSET no longer applies)."""
    if isinstance(payload, str):
        return payload.lstrip("\ufeff").encode("utf-8", errors="replace"), True
    data = bytes(payload)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Outlook can export UTF-16
        return data.decode("utf-16", errors="replace").encode("utf-8", errors="replace"), True
    return data.removeprefix(b"\xef\xbb\xbf"), False


def _split_cards(data: bytes) -> Iterator[tuple[list[bytes], bool]]:
    """Physical lines of each card; a BEGIN inside an unclosed card starts the next card."""
    card: list[bytes] | None = None
    for line in _LINE_BREAK.split(data):
        if _BEGIN.fullmatch(line):
            if card is not None:
                yield card, False
            card = []
        elif card is not None and _END.fullmatch(line):
            yield card, True
            card = None
        elif card is not None:
            card.append(line)
    if card is not None:
        yield card, False


def _unfold(lines: list[bytes]) -> list[bytes]:
    """Join continuation lines into logical property lines.

    Three kinds: RFC folding (leading space/tab), 2.1 QUOTED-PRINTABLE soft breaks (`=` at the
    end, next line taken verbatim) and the 2.1 habit of ending a line with `\\` inside an ADR."""
    logical: list[bytearray] = []
    quoted_printable = soft_break = False
    for line in lines:
        if logical and soft_break:
            logical[-1] += line
        elif logical and line[:1] in (b" ", b"\t"):
            logical[-1] += line[1:]
        elif logical and logical[-1].endswith(b"\\") and b":" not in line and line.strip():
            logical[-1][-1:] = b"\n"
            logical[-1] += line
        elif not line.strip() or line.startswith(b"#"):
            continue  # blank line, or a comment line some exporters write
        else:
            logical.append(bytearray(line))
            quoted_printable = b"QUOTED-PRINTABLE" in line[: line.find(b":")].upper()
        soft_break = quoted_printable and logical[-1].endswith(b"=")
        if soft_break:
            del logical[-1][-1:]
    return [bytes(line) for line in logical]


def _split_head(line: bytes) -> tuple[bytes, bytes] | None:
    """Split at the first `:` that is not inside a double-quoted parameter value."""
    colon = line.find(b":")
    if colon < 0:
        return None
    if b'"' in line[:colon]:
        in_quotes = False
        for i, byte in enumerate(line):
            if byte == 0x22:
                in_quotes = not in_quotes
            elif byte == 0x3A and not in_quotes:
                return line[:i], line[i + 1 :]
    return line[:colon], line[colon + 1 :]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        if char == separator and not in_quotes:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse_property(line: bytes) -> _Property | None:
    split = _split_head(line)
    if split is None:
        return None  # garbage line, e.g. an unindented base64 line of a 2.1 PHOTO
    head, raw = split
    name, *param_texts = _split_outside_quotes(_decode_bytes(head.strip(), "", [])[0], ";")
    name = name.strip().rpartition(".")[2]  # drop the group: item1.EMAIL is an EMAIL
    prop = _Property(name=name.upper(), params={}, raw=raw)
    if prop.name not in _WANTED:
        return prop
    for text in param_texts:
        key, equals, value = text.partition("=")
        if not equals:  # 2.1 bare parameter: TEL;CELL;WORK or NOTE;QUOTED-PRINTABLE
            key, value = ("ENCODING" if key.upper() in _ENCODING_WORDS else "TYPE"), key
        key = key.strip().upper()
        if key == "TYPE":
            values = _split_outside_quotes(value, ",")
        else:
            values = [value]
        for item in values:
            item = item.strip().strip('"')
            # RFC 6868: ^n newline, ^' double quote, ^^ caret.
            item = _CARET.sub(lambda m: {"n": "\n", "'": '"', "^": "^"}[m.group(1)], item)
            prop.params.setdefault(key, []).append(item)
            if key == "TYPE":
                prop.types.update(t.strip().upper() for t in item.split(",") if t.strip())
    return prop


def _decode_bytes(raw: bytes, charset: str, warnings: list[str]) -> tuple[str, str]:
    """Decode with the declared charset, else UTF-8, cp932, latin-1 (decoding.decode_short)."""
    text, codec = decode_short(raw, charset or None)
    if charset and codec != codec_for(charset):
        message = f"a value is not valid CHARSET={charset}; decoded as {codec}"
        if message not in warnings:
            warnings.append(message)
    return text, codec


def _decode_value(prop: _Property, from_text: bool, warnings: list[str]) -> str:
    raw = prop.raw
    encoding = prop.param("ENCODING").upper()
    quoted_printable = encoding == "QUOTED-PRINTABLE"
    if quoted_printable:
        raw = binascii.a2b_qp(raw)
    elif encoding in ("B", "BASE64"):
        try:
            raw = binascii.a2b_base64(raw)
        except binascii.Error:
            warnings.append(f"{prop.name} is not valid base64; kept as written")
    # A str payload is already decoded text; only QP/base64 bytes still carry the CHARSET.
    transfer_encoded = quoted_printable or encoding in ("B", "BASE64")
    charset = prop.param("CHARSET") if transfer_encoded or not from_text else ""
    return _decode_bytes(raw, charset, warnings)[0]


def _unescape(text: str, loose: bool) -> str:
    """3.0/4.0 escapes: `\\n` is a newline, any other `\\x` is x. 2.1 text stays as written."""
    if loose:
        return text
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _components(text: str, loose: bool, list_separator: str = ",") -> list[str]:
    """Split a structured value (N, ADR, ORG, SOUND) on unescaped `;`.

    2.1 only knows `\\\\ \\; \\: \\,` (AOSP testV21BackslashCase); 3.0/4.0 escape any character.
    `list_separator` replaces an unescaped comma (N's "Robert,Pau" -> "Robert Pau")."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if char == "\\" and nxt and (not loose or nxt in "\\;:,"):
            current.append("\n" if nxt in "nN" and not loose else nxt)
            i += 2
            continue
        if char == ";":
            parts.append("".join(current).strip())
            current = []
        elif char == "," and not loose:
            current.append(list_separator)
        else:
            current.append(char)
        i += 1
    parts.append("".join(current).strip())
    return parts


def _join(*parts: str | None, separator: str = " ") -> str | None:
    return separator.join(p for p in parts if p) or None


def _parse_card(lines: list[bytes], closed: bool, from_text: bool) -> ParsedContact:
    warnings: list[str] = [] if closed else ["vCard has no END:VCARD; read to the end"]
    props = [p for p in map(_parse_property, _unfold(lines)) if p and p.name in _WANTED]
    versions = [p.raw.strip() for p in props if p.name == "VERSION"]
    loose = bool(versions) and versions[0].startswith((b"1", b"2"))  # vCard 2.1 escaping
    for prop in props:
        prop.value = _decode_value(prop, from_text, warnings)
    contact = _build_contact(props, loose)
    contact.warnings = warnings
    return contact


def _build_contact(props: list[_Property], loose: bool) -> ParsedContact:
    contact = ParsedContact(source="vcard")
    found: dict[str, list[_Property]] = {}
    for prop in props:
        if prop.value.strip():
            found.setdefault(prop.name, []).append(prop)

    def first(name: str) -> _Property | None:
        return found[name][0] if name in found else None

    def text(name: str) -> str | None:
        prop = first(name)
        if prop is None:
            return None
        return _unescape(prop.value, loose).strip() or None

    contact.full_name = text("FN")
    contact.title = text("TITLE")
    contact.badge_id = text("X-LEADCAP-BADGE") or text("X-BADGE-ID")
    notes = [_unescape(p.value, loose).strip() for p in found.get("NOTE", [])]
    contact.notes = _join(*notes, separator="\n")
    if urls := found.get("URL"):
        contact.website = _unescape(min(urls, key=_Property.rank).value, loose).strip()
    if org := first("ORG"):
        company, *units = _components(org.value, loose)
        contact.company, contact.department = company or None, _join(*units)
    if name := first("N"):
        parts = _components(name.value, loose, list_separator=" ") + ["", ""]
        contact.family_name, contact.given_name = parts[0] or None, parts[1] or None
        if not contact.full_name:
            contact.full_name = _name_from_parts(parts[0], parts[1])
    contact.name_reading = _reading(found, loose)
    _fill_emails(contact, found.get("EMAIL", []), loose)
    _fill_phones(contact, found.get("TEL", []), loose)
    if addresses := found.get("ADR"):
        _fill_address(contact, min(addresses, key=lambda p: p.rank("WORK")), loose)
    return contact


def _name_from_parts(family: str, given: str) -> str | None:
    """CJK names read family-first; Latin ones given-first, as written on a badge."""
    if model.CJK.search(family + given):
        return _join(family, given)
    return _join(given, family)


def _reading(found: dict[str, list[_Property]], loose: bool) -> str | None:
    """Phonetic name: X-PHONETIC-* > SOUND;X-IRMC-N > N;SORT-AS > SORT-STRING."""
    last, first_ = found.get("X-PHONETIC-LAST-NAME"), found.get("X-PHONETIC-FIRST-NAME")
    phonetic = _join(*(_unescape(p[0].value, loose).strip() for p in (last, first_) if p))
    if phonetic:
        return phonetic
    for sound in found.get("SOUND", []):
        if "X-IRMC-N" in sound.types:
            if reading := _join(*_components(sound.value, loose)):
                return reading
    for name in found.get("N", []):
        if sort_as := name.param("SORT-AS"):
            return _join(*(s.strip() for s in re.split("[;,]", sort_as)))
    if sort_string := found.get("SORT-STRING"):
        return _unescape(sort_string[0].value, loose).strip() or None
    return None


def _fill_emails(contact: ParsedContact, props: list[_Property], loose: bool) -> None:
    emails = [_unescape(p.value, loose).strip() for p in sorted(props, key=_Property.rank)]
    if emails:
        contact.email, contact.extra_emails = emails[0], emails[1:]


def _fill_phones(contact: ParsedContact, props: list[_Property], loose: bool) -> None:
    """First mobile -> mobile, first voice line -> phone; everything else (fax too) -> extras."""
    for prop in sorted(props, key=_Property.rank):
        number = _unescape(prop.value, loose).strip()
        if number[:4].lower() == "tel:":
            number = number[4:]
        if prop.types & _MOBILE_TYPES and not contact.mobile:
            contact.mobile = number
        elif not prop.types & (_MOBILE_TYPES | _NOT_A_VOICE_LINE) and not contact.phone:
            contact.phone = number
        else:
            contact.extra_phones.append(number)


def _fill_address(contact: ParsedContact, prop: _Property, loose: bool) -> None:
    """ADR is pobox;extended;street;city;region;postal code;country. Street first, as AOSP."""
    pobox, extended, street, city, region, postal, country = (
        _components(prop.value, loose) + [""] * 7
    )[:7]
    contact.street = _join(street, extended, pobox)
    contact.city = city or None
    contact.region = region or None
    contact.postal_code = postal or None
    contact.country = country or None
