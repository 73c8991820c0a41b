"""Bytes to text, in one place, for everything leadcap reads: scans, vCard values, barcode
photos and attendee lists.

Short payloads (a scan, one vCard value, a barcode) are decoded by a fixed order: the declared
charset, UTF-8, cp932 (what Japanese phones and scanners write; Python's `shift_jis` lacks the
NEC/IBM extensions such as ①, ㈱, 髙), latin-1 (never fails). cp932 is only taken when it gives
no private-use characters: Python maps stray 0xFD-0xFF bytes there, and they are not Japanese.

Whole files (attendee lists) are too long for that order: a German Excel CSV in cp1252 is also
valid cp932 (`Jäger` reads `J臠er`). After a byte-order mark and UTF-8, charset-normalizer
decides between cp932 and cp1252 (the code pages Japanese and German Excel save CSV in) and
says when its guess is uncertain."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

CP932_NAMES = {"SHIFT_JIS", "SHIFT-JIS", "SJIS", "X-SJIS", "CP932", "WINDOWS-31J", "MS932"}
SHORT_CODECS = ("utf-8", "cp932", "latin-1")
# The code pages Excel saves "CSV" in on Japanese and on German/Western Windows.
DOCUMENT_GUESSES = ("cp932", "cp1252")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


def codec_for(charset: str | None) -> str:
    """A declared CHARSET as a Python codec name: every Shift_JIS spelling means cp932."""
    name = (charset or "").strip().strip('"').upper()
    return "cp932" if name in CP932_NAMES else name.lower()


def candidates(data: bytes, codecs_: tuple[str, ...] = SHORT_CODECS) -> Iterator[tuple[str, str]]:
    """(codec, text) for each codec that decodes `data` cleanly, in order."""
    for codec in codecs_:
        try:
            text = data.decode(codec)
        except (LookupError, UnicodeError, ValueError):
            continue
        if codec == "cp932" and PRIVATE_USE.search(text):
            continue
        yield codec, text


def decode_short(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, codec) of a short payload: the declared charset, else UTF-8, cp932, latin-1."""
    order = ((codec_for(declared),) if declared else ()) + SHORT_CODECS
    for codec, text in candidates(data, order):
        return text, codec
    return data.decode("latin-1"), "latin-1"  # not reached: latin-1 takes any byte


@dataclass
class Decoded:
    """A file's text, the encoding used, and whether that was a guess that may be wrong."""

    text: str
    encoding: str
    certain: bool = True


def decode_document(data: bytes, encoding: str | None = None) -> Decoded:
    """A whole text file: `encoding` when given (ValueError if it does not fit), else a
    byte-order mark, else UTF-8, else the better of cp932 and cp1252 by charset-normalizer;
    `certain` is False when both read the file without errors, so the guess may be wrong.
    ValueError when nothing reads it."""
    if encoding:
        codec = codec_for(encoding)
        try:
            return Decoded(data.decode(codec), codec)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        except UnicodeError:
            raise ValueError(f"the file is not valid {encoding}") from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(codec, errors="replace"), codec)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_isolation=list(DOCUMENT_GUESSES))
    best = matches.best()
    if best is None:
        raise ValueError("the file is not UTF-8, Shift_JIS (cp932) or Windows-1252 text")
    codec = codec_for(best.encoding)
    return Decoded(data.decode(codec), codec, certain=len(matches) == 1)
