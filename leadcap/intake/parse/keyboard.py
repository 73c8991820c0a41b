"""Recognise and repair payloads typed by a US-configured scanner into a German or Japanese host.

A keyboard-wedge scanner sends key positions, not characters. Configured for the US layout but
plugged into a laptop set to German or Japanese, `MECARD:N:` arrives as `MECARDÖNÖ` (de) or
`MECARD+N+` (jp). The maps in keyboard_layouts.json say what each US character turns into; this
module recognises the tell-tale prefixes and inverts the map. Only payloads that `detect_layout`
flags may be repaired: inverting a correctly typed payload would damage it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

LAYOUT_NAMES = {"de": "German", "jp": "Japanese"}

# What the examples in keyboard_layouts.json mark a character lost on a dead key with.
LOST = "\u2400"

# Payload starts that a correctly typed scan can never produce (compared case-insensitively).
_SIGNATURES = {
    "de": (
        "BEGINÖVCARD",
        "MECARDÖ",
        "BIZCARDÖ",
        "MEMORYÖ",
        "MATMSGÖ",
        "MEBKMÖ",
        "MAILTOÖ",
        "SMTPÖ",
        "TELÖ",
        "HTTPÖ--",
        "HTTPSÖ--",
        "ÜÄ",  # {"
        "üÜ",  # [{
    ),
    "jp": (
        "BEGIN+VCARD",
        "MECARD+",
        "BIZCARD+",
        "MEMORY+",
        "MATMSG+",
        "MEBKM+",
        "MAILTO+",
        "SMTP+",
        "HTTP+//",
        "HTTPS+//",
        "`*",  # {"
        "@`",  # [{
    ),
}

# A badge number such as NT26-004211 typed on a German host: the hyphen arrives as ß, which
# German spelling never puts next to a digit.
_DE_BADGE = re.compile(r"[A-Za-z0-9]+(?:ß[A-Za-z0-9]+)+")

# The examples show `+` arriving unchanged on both hosts (scanners that type it on the numeric
# keypad), although the map says the main-row key loses or changes it. Where `+` can stand for
# itself, the context decides: before a digit, after a separator, it is a phone prefix.
_BEFORE_PHONE_PREFIX = set(" :;=,(\"'+\t\r\n")


@cache
def _maps() -> dict[str, dict[str, str | None]]:
    data = json.loads(Path(__file__).with_name("keyboard_layouts.json").read_text("utf-8"))
    return {"de": data["us_to_de"], "jp": data["us_to_jp"]}


@cache
def _candidates(layout: str) -> dict[str, tuple[str, ...]]:
    """For each character the host can receive, the US characters the scanner may have meant."""
    sent_to_received = _maps()[layout]
    found: dict[str, list[str]] = {}
    for sent, received in sent_to_received.items():
        if received is not None:
            found.setdefault(received, []).append(sent)
    if "+" in found:
        found["+"].append("+")
    return {received: tuple(sent) for received, sent in found.items()}


def detect_layout(text: str) -> str | None:
    """Return "de" or "jp" when the payload shows the marks of a mismatched layout, else None."""
    start = text.lstrip().casefold()
    for layout, signatures in _SIGNATURES.items():
        if any(start.startswith(sig.casefold()) for sig in signatures):
            return layout
    stripped = text.strip()
    if _DE_BADGE.fullmatch(stripped) and any(char.isdigit() for char in stripped):
        return "de"
    return None


def repair(text: str, layout: str) -> tuple[str, bool]:
    """Undo the layout mismatch. Returns the repaired text and whether every character could be
    restored without guessing (False when dead keys swallowed characters or the map is
    ambiguous, e.g. jp `~` may be `)` or `+`)."""
    sent_to_received = _maps()[layout]
    candidates = _candidates(layout)
    dead_keys = [sent for sent, received in sent_to_received.items() if received is None]
    out: list[str] = []
    complete = True
    for i, char in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else ""
        phone_prefix = following.isdigit() and (not out or out[-1] in _BEFORE_PHONE_PREFIX)
        options = candidates.get(char)
        if char == LOST:
            # "=" is by far the commonest dead-key character in payloads (URL queries, key=value).
            out.append("=" if "=" in dead_keys else dead_keys[0] if dead_keys else char)
            complete = False
        elif options is None:
            if char in sent_to_received:
                complete = False  # a character this host cannot receive from the scanner
            out.append(char)
        elif len(options) == 1:
            out.append(options[0])
        else:
            # Two meanings: `+` itself (passed through) or the map's character; jp `~` is `)` or
            # `+`. The received `+` is settled by context; the jp `~` stays a guess.
            out.append("+" if phone_prefix else next(o for o in options if o != "+"))
            complete = complete and char == "+"
    return "".join(out), complete
