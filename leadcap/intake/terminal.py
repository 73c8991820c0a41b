"""Telling a barcode scanner from a person at the keyboard.

A scanner in keyboard mode types a whole payload a few milliseconds per character, then
Enter; a vCard's line breaks arrive as Enter presses within a fraction of a second. A person
presses one key at a time. So input is read in bursts: characters that arrive close together
form one burst, and bursts that follow each other within `line_gap` form one scan.

Keys are decoded by prompt_toolkit's parsers (arrow keys, Home/End, bracketed paste) on
every platform; only waiting for input differs: `select` on a POSIX file descriptor, the
console handle on Windows. Nothing here needs termios, tty or fcntl except raw mode on a
POSIX terminal, which prompt_toolkit provides."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

_VCARD_BEGIN = re.compile(r"(?im)^(?:[\w-]+\.)?begin:vcard\s*$")
_VCARD_END = re.compile(r"(?im)^(?:[\w-]+\.)?end:vcard\s*$")

# Key tokens: a typed character is itself ("a", "佐", "\r"); other keys have names.
LEFT, RIGHT, HOME, END, UP, DOWN = "<left>", "<right>", "<home>", "<end>", "<up>", "<down>"
BACKSPACE, DELETE, ESCAPE, TAB = "<backspace>", "<delete>", "<escape>", "<tab>"
CTRL_C, CTRL_D, PASTE = "<c-c>", "<c-d>", "<paste>"


@dataclass
class Event:
    """`scan` (text is the payload), `keys` (what a person typed, in order; `keys` holds
    every key including arrows, `text` only the characters), `paste` (a bracketed paste:
    text, never a scan) or `eof`."""

    kind: str
    text: str = ""
    keys: list[str] = field(default_factory=list)


def vcard_open(text: str) -> bool:
    """A BEGIN:VCARD still waiting for its END:VCARD."""
    return len(_VCARD_BEGIN.findall(text)) > len(_VCARD_END.findall(text))


def collapse_repeats(text: str) -> str:
    """A scanner that reads one badge twice within its repeat window types the payload
    twice in a row: keep one copy instead of a garbled two-line payload."""
    lines = text.split("\n")
    for size in range(1, len(lines) // 2 + 1):
        if len(lines) % size:
            continue
        block = lines[:size]
        if block * (len(lines) // size) == lines:
            return "\n".join(block)
    return text


class KeySource(Protocol):
    """Where keys come from: `wait` until input is ready (False on time-out), `read` what
    is there as key tokens, `flush` a lone Escape the parser was holding back."""

    closed: bool

    def wait(self, timeout: float | None) -> bool: ...

    def read(self) -> list: ...

    def flush(self) -> list: ...


def _tokens(presses: Iterable) -> list:
    """prompt_toolkit KeyPresses as tokens; a bracketed paste as (PASTE, text)."""
    from prompt_toolkit.keys import Keys

    named = {
        Keys.ControlM: "\r",
        Keys.ControlJ: "\n",
        Keys.ControlI: TAB,
        Keys.ControlH: BACKSPACE,
        Keys.Delete: DELETE,
        Keys.Left: LEFT,
        Keys.Right: RIGHT,
        Keys.Home: HOME,
        Keys.End: END,
        Keys.Up: UP,
        Keys.Down: DOWN,
        Keys.Escape: ESCAPE,
        Keys.ControlC: CTRL_C,
        Keys.ControlD: CTRL_D,
        Keys.ControlA: HOME,
        Keys.ControlE: END,
    }
    tokens: list = []
    for press in presses:
        key = press.key
        if key == Keys.BracketedPaste:
            tokens.append((PASTE, press.data.replace("\r\n", "\n").replace("\r", "\n")))
        elif key in named:
            tokens.append(named[key])
        elif isinstance(key, Keys):
            continue  # function keys, mouse, CPR answers: nothing the loop uses
        elif key:
            tokens.append(key)
    return tokens


class FdKeySource:
    """A POSIX terminal or pipe read through a file descriptor."""

    def __init__(self, fd: int):
        from prompt_toolkit.input.vt100_parser import Vt100Parser

        self.fd = fd
        self.closed = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._presses: list = []
        self._parser = Vt100Parser(self._presses.append)

    def wait(self, timeout: float | None) -> bool:
        import select

        if self.closed:
            return True
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return bool(ready)

    def read(self) -> list:
        data = os.read(self.fd, 4096)
        if not data:
            self.closed = True
            self._parser.feed(self._decoder.decode(b"", final=True))
            self._parser.flush()
        else:
            self._parser.feed(self._decoder.decode(data))
        return self._take()

    def flush(self) -> list:
        self._parser.flush()
        return self._take()

    def _take(self) -> list:
        presses, self._presses[:] = list(self._presses), []
        return _tokens(presses)


class Win32KeySource:  # pragma: no cover - runs on Windows consoles only
    """The Windows console, through prompt_toolkit's console reader."""

    def __init__(self) -> None:
        from prompt_toolkit.input.win32 import Win32Input  # type: ignore[attr-defined]

        self.input = Win32Input()
        self.closed = False

    def wait(self, timeout: float | None) -> bool:
        from prompt_toolkit.eventloop.win32 import (  # type: ignore[attr-defined]
            INFINITE,
            wait_for_handles,
        )

        limit = INFINITE if timeout is None else int(timeout * 1000)
        return wait_for_handles([self.input.handle], limit) is not None

    def read(self) -> list:
        return _tokens(self.input.read_keys())

    def flush(self) -> list:
        return _tokens(self.input.flush_keys())


@contextlib.contextmanager
def console_keys() -> Iterator[KeySource]:
    """The keyboard of this terminal in raw mode (no echo, Ctrl-C is a key), with
    bracketed paste on, restored on exit."""
    if sys.platform == "win32":  # pragma: no cover
        source = Win32KeySource()
        with source.input.raw_mode():
            yield source
        return
    from prompt_toolkit.input.vt100 import raw_mode

    fd = sys.stdin.fileno()
    with raw_mode(fd):
        _write("\x1b[?2004h")
        try:
            yield FdKeySource(fd)
        finally:
            _write("\x1b[?2004l")


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _is_char(token) -> bool:
    return isinstance(token, str) and (len(token) == 1 or not token.startswith("<"))


class BurstReader:
    """Reads keys from a KeySource (or a file descriptor) and yields Events."""

    def __init__(
        self,
        source: KeySource | int,
        *,
        line_gap: float = 0.2,
        burst_gap: float = 0.05,
        vcard_wait: float = 3.0,
        min_scan_length: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.source = FdKeySource(source) if isinstance(source, int) else source
        self.clock = clock  # injectable, so tests replay timed keys without sleeping
        self.line_gap = line_gap
        self.burst_gap = burst_gap
        self.vcard_wait = vcard_wait
        self.min_scan_length = min_scan_length
        self._queue: list[Event] = []

    def _read(self, timeout: float | None) -> list | None:
        """Tokens available within `timeout` ([] at end of input, None on time-out)."""
        deadline = None if timeout is None else self.clock() + timeout
        while True:
            if self.source.closed:
                return []
            left = None if deadline is None else max(0.0, deadline - self.clock())
            if not self.source.wait(left):
                return self.source.flush() or None
            tokens = self.source.read()
            if tokens or self.source.closed:
                return tokens
            # Half an escape sequence or a multi-byte character: wait for the rest.

    def _burst(self, first: list) -> list:
        """Keep reading while keys arrive within `burst_gap` of each other."""
        tokens = list(first)
        while True:
            more = self._read(self.burst_gap)
            if not more:
                return tokens
            tokens += more

    def next_event(self, timeout: float | None = None) -> Event | None:
        if self._queue:
            return self._queue.pop(0)
        first = self._read(timeout)
        if first is None:
            return None
        if not first:
            return Event("eof")
        runs: list[list] = [[]]
        for token in self._burst(first):
            if isinstance(token, tuple):
                runs += [[token], []]
            else:
                runs[-1].append(token)
        runs = [run for run in runs if run]
        for number, run in enumerate(runs):
            self._queue.append(self._classify(run, last=number == len(runs) - 1))
        return self._queue.pop(0)

    def _classify(self, run: list, *, last: bool) -> Event:
        if isinstance(run[0], tuple):
            return Event("paste", run[0][1])
        text = "".join(token for token in run if _is_char(token))
        if CTRL_D in run and not text.strip():
            return Event("eof")  # Ctrl-D on its own
        if len(text) != len(run) or not self._looks_scanned(text):
            return Event("keys", text, run)  # special keys only come from a person
        return Event("scan", self._rest_of_scan(text) if last else _clean(text))

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
        deadline = self.clock() + self.vcard_wait
        while True:
            wait = self.line_gap
            if vcard_open(text):
                wait = max(self.line_gap, deadline - self.clock())
            more = self._read(wait) if wait > 0 else None
            if not more:
                break
            for token in self._burst(more):
                if isinstance(token, tuple):
                    self._queue.append(Event("paste", token[1]))
                elif _is_char(token):
                    text += token
        return _clean(text)


def _clean(text: str) -> str:
    return collapse_repeats(text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n"))


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
