"""vCard files (3.0 or 4.0) for importing leads into phones and address books.

3.0 carries name readings as X-PHONETIC-LAST-NAME/FIRST-NAME (Google, Apple and Android read
them); 4.0 uses the standard SORT-AS parameter on N (RFC 6350 §5.9)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .safety import clean_xml

_FOLD_AT = 75  # octets per line, RFC 6350 §3.2 / RFC 2426 §2.6


def escape_text(value: str) -> str:
    """Escape a text value: backslash, comma, semicolon and newlines (RFC 6350 §3.4)."""
    value = clean_xml(value).replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _param(value: str) -> str:
    """A quoted parameter value; RFC 6868 caret escapes for ^, newline and double quote."""
    value = clean_xml(value).replace("^", "^^").replace("\n", "^n").replace('"', "^'")
    return f'"{value}"'


def fold(line: str) -> str:
    """Fold a content line to at most 75 octets per physical line, never inside a UTF-8
    character; continuation lines start with one space."""
    if len(line.encode("utf-8")) <= _FOLD_AT:
        return line + "\r\n"
    out: list[str] = []
    current: list[str] = []
    size = 0
    limit = _FOLD_AT
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            out.append("".join(current))
            current, size, limit = [], 0, _FOLD_AT - 1  # the leading space counts
        current.append(char)
        size += octets
    out.append("".join(current))
    return "\r\n ".join(out) + "\r\n"


def _reading_parts(reading: str | None) -> tuple[str, str]:
    """ "ヤマダ タロウ" -> ("ヤマダ", "タロウ"): split on the first (half- or full-width) space."""
    if not reading:
        return "", ""
    family, _, given = reading.replace("\u3000", " ").strip().partition(" ")
    return family.strip(), given.strip()


def _full_name(lead: dict) -> str:
    if lead.get("full_name"):
        return lead["full_name"]
    given, family = lead.get("given_name") or "", lead.get("family_name") or ""
    name = f"{given} {family}".strip()
    return name or lead.get("company") or lead.get("email") or ""


def card_lines(lead: dict, version: str = "3.0") -> list[str]:  # noqa: C901 - one line per card field, each optional; splitting hides the card's order
    """The unfolded content lines of one lead's vCard."""
    e = escape_text

    def get(key: str) -> str:
        value = lead.get(key)
        return str(value) if value not in (None, "") else ""

    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"FN:{e(_full_name(lead))}"]
    family, given = get("family_name"), get("given_name")
    reading_family, reading_given = _reading_parts(lead.get("name_reading"))
    sort_as = ""
    if version == "4.0" and (reading_family or reading_given):
        sort_as = ";SORT-AS=" + _param(",".join(x for x in (reading_family, reading_given) if x))
    lines.append(f"N{sort_as}:{e(family)};{e(given)};;;")
    if version == "3.0":
        if reading_family:
            lines.append(f"X-PHONETIC-LAST-NAME:{e(reading_family)}")
        if reading_given:
            lines.append(f"X-PHONETIC-FIRST-NAME:{e(reading_given)}")
    if get("company") or get("department"):
        org = e(get("company")) + (f";{e(get('department'))}" if get("department") else "")
        lines.append(f"ORG:{org}")
    if get("title"):
        lines.append(f"TITLE:{e(get('title'))}")
    if get("email"):
        kind = "INTERNET,WORK" if version == "3.0" else "work"
        lines.append(f"EMAIL;TYPE={kind}:{e(get('email'))}")
    if get("phone"):
        lines.append(f"TEL;TYPE=work,voice:{e(get('phone'))}")
    if get("mobile"):
        lines.append(f"TEL;TYPE=cell,voice:{e(get('mobile'))}")
    address = [get("street"), get("city"), "", get("postal_code"), get("country")]
    if any(address):
        lines.append("ADR;TYPE=work:;;" + ";".join(e(part) for part in address))
    if get("website"):
        lines.append(f"URL:{e(get('website'))}")
    if get("notes"):
        lines.append(f"NOTE:{e(get('notes'))}")
    tags = [str(t) for t in lead.get("tags") or [] if t]
    if tags:
        lines.append("CATEGORIES:" + ",".join(e(t) for t in tags))
    if get("badge_id"):
        lines.append(f"X-LEADCAP-BADGE:{e(get('badge_id'))}")
    if get("uuid"):
        uid = f"urn:uuid:{get('uuid')}" if version == "4.0" else get("uuid")
        lines.append(f"UID:{e(uid)}")
    lines.append("END:VCARD")
    return lines


def write_vcf(path: str | Path, leads: Iterable[dict], *, version: str = "3.0") -> int:
    """Write all leads as one .vcf file (UTF-8, CRLF, folded lines); returns the card count."""
    if version not in ("3.0", "4.0"):
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for lead in leads:
            out.writelines(fold(line) for line in card_lines(lead, version))
            count += 1
    return count
