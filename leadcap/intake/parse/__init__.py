"""Turn whatever a badge scanner typed into contacts: `parse_payload` tries each format in turn.

Never raises: a payload nobody understands is still kept as raw text, so a scan is never lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from leadcap.intake.parse import keyboard
from leadcap.intake.parse.contact import CONTACT_FIELDS, SOURCES, ParsedContact, ParseResult
from leadcap.intake.parse.decoding import decode_short
from leadcap.intake.parse.mecard import parse_au_memory, parse_bizcard, parse_mecard
from leadcap.intake.parse.simple import (
    DEFAULT_BADGE_PATTERN,
    parse_badge,
    parse_bookmark,
    parse_email,
    parse_json,
    parse_key_values,
    parse_tel,
    parse_url,
)
from leadcap.store import model

__all__ = [
    "CONTACT_FIELDS",
    "DEFAULT_BADGE_PATTERN",
    "SOURCES",
    "ParseResult",
    "ParsedContact",
    "decode_payload",
    "parse_payload",
]

DEFAULT_BADGE_URL_PARAMS = ("id", "badge", "badge_id", "b")
_TRAILING_LINE_END = re.compile(r"(\r\n|\r|\n)\Z")


def decode_payload(payload: bytes | str) -> str:
    """The payload as text: UTF-8, else cp932 (Japanese scanners), else latin-1 (never fails);
    one trailing line end, which scanners add as the Enter key, is dropped."""
    if isinstance(payload, bytes | bytearray | memoryview):
        text = decode_short(bytes(payload))[0]
    else:
        text = str(payload)
    return _TRAILING_LINE_END.sub("", text, count=1)


def parse_payload(
    payload: bytes | str,
    *,
    badge_pattern: str | None = None,
    badge_url_params: tuple[str, ...] = DEFAULT_BADGE_URL_PARAMS,
    layout_hint: str | None = None,
) -> ParseResult:
    """Parse one scanned payload into a ParseResult with at least one contact.

    Order: keyboard-layout repair, vCard, MECARD/BIZCARD/au MEMORY, e-mail and tel links, web
    addresses, JSON, key=value, bare badge number; anything else is source "unknown".
    `layout_hint` ("de"/"jp") names the host layout when known; it lets a payload that only
    makes sense once repaired be repaired even without a tell-tale prefix.
    """
    try:
        raw = decode_payload(payload)
    except Exception as error:  # noqa: BLE001 - a payload must never crash the capture loop
        raw = repr(payload)
        return _unknown(raw, [f"payload could not be read as text ({error})"])
    try:
        original = bytes(payload) if isinstance(payload, bytes | bytearray) else None
        pattern = badge_pattern or DEFAULT_BADGE_PATTERN
        return _parse_text(raw, original, pattern, badge_url_params, layout_hint)
    except Exception as error:  # noqa: BLE001
        return _unknown(raw, [f"parser failed ({type(error).__name__}: {error}); kept as raw text"])


def _unknown(raw: str, warnings: list[str]) -> ParseResult:
    return ParseResult(raw=raw, source="unknown", contacts=[ParsedContact()], warnings=warnings)


def _parse_text(
    raw: str,
    original: bytes | None,
    badge_pattern: str,
    badge_url_params: tuple[str, ...],
    layout_hint: str | None,
) -> ParseResult:
    text = raw.lstrip("\ufeff").strip()
    layout = keyboard.detect_layout(text)
    if layout is None:
        result = _parse_formats(raw, text, original, badge_pattern, badge_url_params)
        hint = layout_hint.lower() if layout_hint else None
        if result.source != "unknown" or hint not in keyboard.LAYOUT_NAMES:
            return result
        layout = hint  # nothing understood as typed: see whether the hinted repair helps
        repaired, complete = keyboard.repair(text, layout)
        retry = _parse_formats(raw, repaired, None, badge_pattern, badge_url_params)
        if retry.source == "unknown":
            return result
        result = retry
    else:
        repaired, complete = keyboard.repair(text, layout)
        result = _parse_formats(raw, repaired, None, badge_pattern, badge_url_params)
    outcome = "repaired" if complete else "could not be fully repaired, check the fields"
    result.keyboard_layout = layout
    result.warnings.insert(
        0,
        f"arrived through a US-configured scanner on a {keyboard.LAYOUT_NAMES[layout]} "
        f"keyboard layout; {outcome}",
    )
    return result


def _parse_formats(
    raw: str,
    text: str,
    original: bytes | None,
    badge_pattern: str,
    badge_url_params: tuple[str, ...],
) -> ParseResult:
    if not text:
        return _unknown(raw, ["empty payload"])
    # The vCard parser gets the original bytes when there are any: it honours CHARSET itself.
    contacts = _vcard_contacts(text, original)
    if contacts is None:
        steps: list[Callable[[str], ParsedContact | list[ParsedContact] | None]] = [
            parse_mecard,
            parse_bizcard,
            parse_au_memory,
            parse_bookmark,
            parse_email,
            parse_tel,
            lambda t: parse_url(t, badge_url_params),
            parse_json,
            parse_key_values,
            lambda t: _badge_or_none(t, badge_pattern),
        ]
        for step in steps:
            found = step(text)
            if found:
                contacts = found if isinstance(found, list) else [found]
                break
        for contact in contacts or []:
            _fill_full_name(contact)
    if not contacts:
        contacts = [ParsedContact(warnings=["format not recognised; kept as raw text"])]
    warnings = list(dict.fromkeys(w for c in contacts for w in c.warnings))
    if contacts[0].source != "unknown" and all(c.is_empty() for c in contacts) and not warnings:
        warnings.append(f"{contacts[0].source} payload without any contact details")
    return ParseResult(raw=raw, source=contacts[0].source, contacts=contacts, warnings=warnings)


def _vcard_contacts(text: str, original: bytes | None) -> list[ParsedContact] | None:
    """vCards are parsed by leadcap.intake.parse.vcard; None when the payload is not a vCard."""
    try:
        from leadcap.intake.parse.vcard import looks_like_vcard, parse_vcard
    except ImportError:
        if text[:11].upper() == "BEGIN:VCARD":
            return [ParsedContact(warnings=["vCard support is not installed; kept as raw text"])]
        return None
    if not looks_like_vcard(text):
        return None
    contacts = parse_vcard(original if original is not None else text)
    return contacts or [ParsedContact(warnings=["vCard without any contact; kept as raw text"])]


def _badge_or_none(text: str, pattern: str) -> ParsedContact | None:
    try:
        return parse_badge(text, pattern)
    except re.error:
        return ParsedContact(warnings=[f"badge pattern {pattern!r} is not a valid regex"])


def _fill_full_name(contact: ParsedContact) -> None:
    """Compose a display name as the vCard parser does: CJK family-first, Latin given-first."""
    if contact.full_name or not (contact.given_name or contact.family_name):
        return
    parts = [contact.given_name, contact.family_name]
    if model.CJK.search("".join(p for p in parts if p)):
        parts.reverse()
    contact.full_name = " ".join(p for p in parts if p)
