"""Character classes for writing systems (kana, Han, Hangul), compiled on first use.

A regular expression over the Han block takes a few milliseconds to compile, on every start
of every command; most fields are plain ASCII and never need it. These classes match no
ASCII character, so ASCII text is answered without compiling anything."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable


class ScriptClass:
    """A `[...]` class of non-ASCII ranges with the two regex methods the code uses."""

    def __init__(self, ranges: str) -> None:
        self.ranges = ranges

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(f"[{self.ranges}]")

    def search(self, text: str) -> re.Match[str] | None:
        if text.isascii():
            return None
        return self.pattern.search(text)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
        if text.isascii():
            return text
        return self.pattern.sub(replacement, text)
