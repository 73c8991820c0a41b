"""vCards (3.0 or 4.0): the one writer for exported leads, the booth's contact-card QR code
and the test badges, so escaping, folding and properties cannot drift apart.

3.0 carries name readings as X-PHONETIC-LAST-NAME/FIRST-NAME (Google, Apple and Android read
them); 4.0 uses the standard SORT-AS parameter on N (RFC 6350 §5.9). A card with only a
company is an organisation card (KIND:org in 4.0, X-ABShowAs:COMPANY for Apple in 3.0), not a
person called "Pavilion German". Websites follow the same link policy as the xlsx export:
only http(s) URLs become a URL property."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from leadcap.store.model import display_name, split_name

from .safety import clean_xml, url_target

_FOLD_AT = 75  # octets per line, RFC 6350 §3.2 / RFC 2426 §2.6
VERSIONS = ("3.0", "4.0")


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
    size, limit = 0, _FOLD_AT
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


def _text(lead: Mapping[str, Any], key: str) -> str:
    value = lead.get(key)
    return str(value).strip() if value not in (None, "") else ""


def person_name(lead: Mapping[str, Any]) -> tuple[str, str]:
    """(family, given) as stored, else split from the full name by the one rule."""
    family, given = _text(lead, "family_name"), _text(lead, "given_name")
    if family or given:
        return family, given
    return split_name(_text(lead, "full_name"))


def formatted_name(lead: Mapping[str, Any]) -> str:
    """FN: the name as people read it (Japanese family first), else the company, e-mail or
    badge, so that no card is nameless in an address book."""
    return (
        display_name(lead)
        or _text(lead, "company")
        or _text(lead, "email")
        or _text(lead, "badge_id")
        or ""
    )


def card_lines(lead: Mapping[str, Any], version: str = "3.0") -> list[str]:  # noqa: C901 - one branch per property
    """The unfolded content lines of one lead's (or the booth's) vCard."""
    e = escape_text
    get = lambda key: _text(lead, key)  # noqa: E731
    family, given = person_name(lead)
    organisation = not (family or given) and bool(get("company"))
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if organisation and version == "4.0":
        lines.append("KIND:org")
    lines.append(f"FN:{e(formatted_name(lead))}")
    reading_family, reading_given = _reading_parts(lead.get("name_reading"))
    if organisation:
        if version == "3.0":
            lines += ["N:;;;;", "X-ABShowAs:COMPANY"]  # N is required in 3.0
    else:
        sort_as = ""
        if version == "4.0" and (reading_family or reading_given):
            readings = ",".join(x for x in (reading_family, reading_given) if x)
            sort_as = ";SORT-AS=" + _param(readings)
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
    address = [get("street"), get("city"), get("region"), get("postal_code"), get("country")]
    if any(address):
        lines.append("ADR;TYPE=work:;;" + ";".join(e(part) for part in address))
    url = url_target(get("website"))
    if url:
        lines.append(f"URL:{e(url)}")
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
    if lead.get("card_photo"):
        import base64

        data = base64.b64encode(lead["card_photo"]).decode("ascii")
        if version == "4.0":
            lines.append(f"PHOTO:data:image/jpeg;base64,{data}")
        else:
            lines.append(f"PHOTO;ENCODING=b;TYPE=JPEG:{data}")
    lines.append("END:VCARD")
    return lines


def card_text(lead: Mapping[str, Any], version: str = "3.0") -> str:
    """One vCard as text: CRLF line ends, lines folded at 75 octets."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    return "".join(fold(line) for line in card_lines(lead, version))


def write_vcf(path: str | Path, leads: Iterable[Mapping[str, Any]], *, version: str = "3.0") -> int:
    """Write all leads as one .vcf file (UTF-8, CRLF, folded lines); returns the card count."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for lead in leads:
            out.write(card_text(lead, version))
            count += 1
    return count
