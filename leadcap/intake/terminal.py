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


def payloads_from_lines(lines: Iterable[str]) -> Iterator[str]:
    """Piped input: each line is one payload, except that a vCard runs to END:VCARD."""
    pending: list[str] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if pending:
            pending.append(line)
            if not vcard_open("\n".join(pending)):
                yield "\n".join(pending)
                pending = []
            continue
        if not line.strip():
            continue
        if vcard_open(line):
            pending = [line]
            continue
        yield line
    if pending:
        yield "\n".join(pending)  # a vCard without END is still read
