"""Japanese phone-era contact formats: docomo MECARD, BIZCARD and KDDI au `MEMORY:` cards.

MECARD and BIZCARD are `PREFIX:KEY:value;KEY:value;;` with backslash escapes (`\\;` `\\:` `\\,`
`\\\\`). A key only counts at a field boundary, so in `NOTE:ATTN: Sales;N:Sean` the `ATTN:` is
part of the note. The au format has one `KEY:value` per line. Field meanings follow ZXing's
AddressBookDoCoMoResultParser, BizcardResultParser and AddressBookAUResultParser.
"""

from __future__ import annotations

import re

from leadcap.intake.parse.contact import ParsedContact

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_unescaped(text: str, separator: str) -> list[str]:
    """Split at separators not preceded by a backslash escape; escapes are kept for later."""
    parts, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value).strip()


def split_fields(body: str) -> list[tuple[str, str]]:
    """`KEY:value;KEY:value;;` -> [(KEY, raw value)], keys upper-cased, values still escaped.

    A part that does not start with a key is an unescaped `;` inside the previous value."""
    fields: list[tuple[str, str]] = []
    for part in split_unescaped(body, ";"):
        key, colon, value = part.partition(":")
        if colon and _KEY.match(key.strip()):
            fields.append((key.strip().upper(), value))
        elif part and fields:
            last_key, last_value = fields[-1]
            fields[-1] = (last_key, f"{last_value};{part}")
    return fields


def _add_phone(contact: ParsedContact, number: str) -> None:
    if not number:
        return
    if contact.phone is None:
        contact.phone = number
    elif number != contact.phone and number not in contact.extra_phones:
        contact.extra_phones.append(number)


def _add_email(contact: ParsedContact, address: str) -> None:
    if not address:
        return
    if contact.email is None:
        contact.email = address
    elif address != contact.email and address not in contact.extra_emails:
        contact.extra_emails.append(address)


def _add_note(contact: ParsedContact, note: str) -> None:
    if note:
        contact.notes = f"{contact.notes}\n{note}" if contact.notes else note


def _set_address(contact: ParsedContact, raw_value: str) -> None:
    """docomo ADR is `PO box,room,street,city,prefecture,postcode,country` when all seven parts
    are given; anything else is a free-form one-line address."""
    parts = [unescape(p) for p in split_unescaped(raw_value, ",")]
    if contact.street or contact.city or contact.region or contact.postal_code or contact.country:
        whole = ", ".join(p for p in parts if p)
        if whole and whole != contact.street:
            _add_note(contact, f"Address: {whole}")
        return
    if len(parts) == 7:
        contact.street = ", ".join(p for p in parts[:3] if p) or None
        contact.city = parts[3] or None
        contact.region = parts[4] or None
        contact.postal_code = parts[5] or None
        contact.country = parts[6] or None
    else:
        contact.street = unescape(raw_value) or None


def _strip_prefix(text: str, prefix: str) -> str | None:
    stripped = text.strip()
    if stripped[: len(prefix)].upper() == prefix:
        return stripped[len(prefix) :]
    return None


def parse_mecard(text: str) -> ParsedContact | None:  # noqa: C901 - one branch per MECARD field, as the format lists them
    """`MECARD:N:family,given;SOUND:reading;TEL:..;EMAIL:..;ADR:..;ORG:..;URL:..;NOTE:..;;`"""
    body = _strip_prefix(text, "MECARD:")
    if body is None:
        return None
    contact = ParsedContact(source="mecard")
    for key, raw in split_fields(body):
        value = unescape(raw)
        if key == "N" and contact.full_name is None and contact.family_name is None:
            names = [unescape(p) for p in split_unescaped(raw, ",")]
            if len(names) >= 2:
                contact.family_name = names[0] or None
                contact.given_name = " ".join(n for n in names[1:] if n) or None
            else:
                contact.full_name = value or None
        elif key == "SOUND" and contact.name_reading is None:
            reading = " ".join(unescape(p) for p in split_unescaped(raw, ","))
            contact.name_reading = " ".join(reading.split()) or None
        elif key in ("TEL", "TEL-AV"):
            _add_phone(contact, value)
        elif key == "EMAIL":
            _add_email(contact, value)
        elif key == "ADR":
            _set_address(contact, raw)
        elif key == "ORG":
            contact.company = contact.company or value or None
        elif key == "TITLE":  # not docomo, but common in generated MECARDs
            contact.title = contact.title or value or None
        elif key == "URL":
            if contact.website is None:
                contact.website = value or None
            elif value and value != contact.website:
                _add_note(contact, f"URL: {value}")
        elif key in ("NOTE", "MEMO"):
            _add_note(contact, value)
        # NICKNAME, BDAY and unknown keys are left in the raw payload.
    return contact


def parse_bizcard(text: str) -> ParsedContact | None:  # noqa: C901 - one branch per BIZCARD field, as the format lists them
    """`BIZCARD:N:given;X:family;T:title;C:company;A:address;B:phone;M:mobile;F:fax;E:email;;`"""
    body = _strip_prefix(text, "BIZCARD:")
    if body is None:
        return None
    contact = ParsedContact(source="bizcard")
    fax = None
    for key, raw in split_fields(body):
        value = unescape(raw) or None
        if key == "N":
            contact.given_name = contact.given_name or value
        elif key == "X":
            contact.family_name = contact.family_name or value
        elif key == "T":
            contact.title = contact.title or value
        elif key == "C":
            contact.company = contact.company or value
        elif key == "A":
            _set_address(contact, raw)
        elif key == "B":
            _add_phone(contact, value or "")
        elif key == "M":
            contact.mobile = contact.mobile or value
        elif key == "F":
            fax = fax or value
        elif key == "E":
            _add_email(contact, value or "")
    if fax:
        _add_phone(contact, fax)  # after B:, so a fax never becomes the main phone ahead of it
    return contact


def _is_au_memory(text: str) -> bool:
    return any(line.upper().startswith("MEMORY:") for line in _LINE_BREAK.split(text.strip()))


def parse_au_memory(text: str) -> ParsedContact | None:
    """KDDI au address book: lines `MEMORY:note`, `NAME1:name`, `NAME2:reading`, `TEL1..3:`,
    `MAIL1..3:`, `ADD:address`."""
    if not _is_au_memory(text):
        return None
    values: dict[str, str] = {}
    for line in _LINE_BREAK.split(text.strip()):
        key, colon, value = line.partition(":")
        if colon:
            values.setdefault(key.strip().upper(), value.strip())
    contact = ParsedContact(source="mecard")
    contact.full_name = values.get("NAME1") or None
    contact.name_reading = values.get("NAME2") or None
    for n in (1, 2, 3):
        _add_phone(contact, values.get(f"TEL{n}", ""))
        _add_email(contact, values.get(f"MAIL{n}", ""))
    contact.street = values.get("ADD") or None
    contact.notes = values.get("MEMORY") or None
    return contact
