"""Telling a barcode scanner from a person at the keyboard.

A scanner in keyboard mode types a whole payload a few milliseconds per character, then
Enter; a vCard's line breaks arrive as Enter presses within a fraction of a second. A person
presses one key at a time. So input is read in bursts: characters that arrive close together
form one burst, and bursts that follow each other within `line_gap` form one scan."""

from __future__ import annotations

import codecs
import os
import re
import select
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_VCARD_BEGIN = re.compile(r"(?im)^(?:[\w-]+\.)?begin:vcard\s*$")
_VCARD_END = re.compile(r"(?im)^(?:[\w-]+\.)?end:vcard\s*$")


@dataclass
class Event:
    """`scan` (text is the payload), `keys` (what a person typed, in order) or `eof`."""

    kind: str
    text: str = ""


def vcard_open(text: str) -> bool:
    """A BEGIN:VCARD still waiting for its END:VCARD."""
    return len(_VCARD_BEGIN.findall(text)) > len(_VCARD_END.findall(text))


class BurstReader:
    """Reads a terminal (in cbreak mode) or any file descriptor and yields Events."""

    def __init__(
        self,
        fd: int,
        *,
        line_gap: float = 0.2,
        burst_gap: float = 0.05,
        vcard_wait: float = 3.0,
        min_scan_length: int = 2,
    ):
        self.fd = fd
        self.line_gap = line_gap
        self.burst_gap = burst_gap
        self.vcard_wait = vcard_wait
        self.min_scan_length = min_scan_length
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._eof = False

    def _read(self, timeout: float | None) -> str | None:
        """What is available within `timeout` ('' at end of input, None on time-out)."""
        if self._eof:
            return ""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 4096)
        if not data:
            self._eof = True
            return self._decoder.decode(b"", final=True)
        return self._decoder.decode(data)

    def _burst(self, first: str) -> str:
        """Keep reading while characters arrive within `burst_gap` of each other."""
        text = first
        while True:
            more = self._read(self.burst_gap)
            if not more:
                return text
            text += more

    def next_event(self, timeout: float | None = None) -> Event | None:
        first = self._read(timeout)
        if first is None:
            return None
        if first == "":
            return Event("eof")
        burst = self._burst(first)
        if "\x04" in burst and not burst.replace("\x04", "").strip():
            return Event("eof")  # Ctrl-D on its own line
        if not self._looks_scanned(burst):
            return Event("keys", burst)
        return Event("scan", self._rest_of_scan(burst))

    def _looks_scanned(self, burst: str) -> bool:
        """A scanner ends its payload with Enter. A long ASCII burst without one is a
        scanner set to send no suffix; a long non-ASCII burst without one is a phrase
        that the Japanese input method committed, i.e. a person typing a note."""
        if burst.endswith(("\n", "\r")):
            return len(burst.strip()) >= self.min_scan_length
        return len(burst) >= 8 and burst.isascii()

    def _rest_of_scan(self, text: str) -> str:
        """Further lines of the same scan: bursts within `line_gap`, and everything up to
        END:VCARD once a vCard has begun (scanners pause mid-card on long payloads)."""
        deadline = time.monotonic() + self.vcard_wait
        while True:
            wait = self.line_gap
            if vcard_open(text):
                wait = max(self.line_gap, deadline - time.monotonic())
            more = self._read(wait) if wait > 0 else None
            if not more:
                break
            text += self._burst(more)
        return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


# A card longer than this is cut (saved raw and flagged) so that one broken card cannot
# swallow the rest of a file. Real cards are a few hundred bytes; a QR code holds < 3 KB; a
# contact exported with a photo may reach some hundred KB.
MAX_VCARD_CHARS = 1_000_000
CUT_NESTED = "vCard cut off: a new BEGIN:VCARD came before its END:VCARD"
CUT_OTHER = "vCard cut off: another payload came before its END:VCARD"
CUT_SIZE = f"vCard cut off: longer than {MAX_VCARD_CHARS:,} characters without END:VCARD"
CUT_EOF = "vCard cut off: the input ended before its END:VCARD"
CUT_REST = "rest of a vCard that was cut off for its size"
# Lines no vCard contains but other payloads start with.
_OTHER_PAYLOAD = re.compile(r"(?i)^(?:mecard:|bizcard:|leadcap:|memory:|matmsg:|https?://|\{)")
_CONTENT_LINE = re.compile(r"^(?:[\w-]+\.)?[\w-]+(?:;[^:]*)?:")
_BASE64_PARAM = re.compile(r"(?i);(?:encoding=)?(?:b|base64)(?:;|:)")
_QUOTED_PRINTABLE = re.compile(r"(?i);(?:encoding=)?quoted-printable(?:;|:)")
_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/=]+$")


class Payload(str):
    """One piped payload. `cut_reason` is set when it is part of a vCard that had to be cut
    off: capture saves it raw and flags it for review with that reason."""

    cut_reason: str | None = None

    @classmethod
    def cut(cls, text: str, reason: str) -> Payload:
        payload = cls(text)
        payload.cut_reason = reason
        return payload


class _OpenCard:
    """A vCard being read line by line. Each line is looked at once (linear time)."""

    def __init__(self, first: str | None, *, rest: bool = False, base64: bool = False):
        self.lines: list[str] = []
        self.size = 0
        self.rest = rest  # the continuation of a card cut off for its size
        self.base64 = base64  # inside vCard 2.1 base64 data
        self.soft_break = False  # a quoted-printable line ended with "="
        if first is not None:
            self.add(first)

    def text(self) -> str:
        return "\n".join(self.lines)

    def belongs(self, line: str) -> bool:
        """Whether a line can be part of this card; a line that clearly is another payload
        (another code's prefix, or a bare line a vCard never has) cannot."""
        if _OTHER_PAYLOAD.match(line):
            return False
        if not line.strip() or line[0] in " \t" or self.soft_break:
            return True  # blank, folded, or a quoted-printable soft line break
        if self.base64 and _BASE64_TEXT.match(line):
            return True  # vCard 2.1 base64 data need not be indented
        return bool(_CONTENT_LINE.match(line))

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line) + 1
        if self.soft_break:
            self.soft_break = line.endswith("=")
            return
        found = _CONTENT_LINE.match(line)
        if found:
            self.base64 = bool(_BASE64_PARAM.search(found.group()))
            self.soft_break = bool(_QUOTED_PRINTABLE.search(found.group())) and line.endswith("=")


def payloads_from_lines(lines: Iterable[str]) -> Iterator[str]:
    """Piped input: each line is one payload, except that a vCard runs to END:VCARD.

    A vCard is bounded: a new BEGIN:VCARD, a line that is clearly another payload, a size
    limit or the end of input ends it, and it is then yielded as a `Payload` with a
    `cut_reason`. Every line is handled once, so a broken card costs linear time and every
    payload after it is still read on its own."""
    card: _OpenCard | None = None
    for line in lines:
        line = line.rstrip("\r\n")
        if card is not None:
            if _VCARD_END.match(line):
                card.add(line)
                text = card.text()
                yield Payload.cut(text, CUT_REST) if card.rest else text
                card = None
                continue
            if _VCARD_BEGIN.match(line):
                yield Payload.cut(card.text(), CUT_REST if card.rest else CUT_NESTED)
                card = _OpenCard(line)
                continue
            if not card.belongs(line):
                yield Payload.cut(card.text(), CUT_REST if card.rest else CUT_OTHER)
                card = None
            else:
                card.add(line)
                if card.size > MAX_VCARD_CHARS:
                    yield Payload.cut(card.text(), CUT_REST if card.rest else CUT_SIZE)
                    card = _OpenCard(None, rest=True, base64=card.base64)
                continue
        if not line.strip():
            continue
        if _VCARD_BEGIN.match(line):
            card = _OpenCard(line)
            continue
        yield line
    if card is not None and card.lines:
        yield Payload.cut(card.text(), CUT_REST if card.rest else CUT_EOF)
