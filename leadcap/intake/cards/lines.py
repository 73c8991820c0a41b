"""What field extraction works on: the lines of one card with their geometry, the fields
with their confidence, and the text repairs PP-OCR's output needs (NFKC, ß, kanji variants)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from leadcap.intake.cards.engine import OcrLine
from leadcap.store import model

FIELDS = (
    "family_name",
    "given_name",
    "name_reading",
    "company",
    "department",
    "title",
    "email",
    "phone",
    "mobile",
    "fax",
    "postal_code",
    "address",
    "region",
    "country",
    "website",
)
# Card fields that are lead columns of the same name (fax and the one-line address are not).
LEAD_COLUMNS = tuple(name for name in FIELDS if name in model.LEAD_FIELDS)

# A field read with less confidence than this is marked for review.
REVIEW_BELOW = 0.9


@dataclass
class CardFields:
    """Fields read from one card: value and confidence (0..1) per field."""

    values: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    layout: str = "horizontal"
    source: str = "ocr"

    def set(self, name: str, value: str | None, confidence: float) -> None:
        value = (value or "").strip(" ,;:·|")
        if value and name not in self.values:
            self.values[name] = value
            self.confidence[name] = round(max(0.0, min(1.0, confidence)), 2)

    def low_confidence(self, below: float = REVIEW_BELOW) -> list[str]:
        return [name for name, score in self.confidence.items() if score < below]


CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
KANA_ONLY = re.compile(r"^[\u3040-\u30ff\s・]+$")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def plain(text: str) -> str:
    """Without diacritics, for matching words that OCR read without their umlauts."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def fix_case(text: str) -> str:
    """A word printed in capitals that OCR read with a stray lower-case letter."""
    words = []
    for word in text.split(" "):
        letters = [c for c in word if c.isalpha()]
        upper = sum(c.isupper() for c in letters)
        if len(letters) >= 4 and upper >= len(letters) - 2 and upper >= 0.6 * len(letters):
            word = word.upper()
        words.append(word)
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


# Chinese glyph variants that PP-OCR returns for Japanese kanji
JP_VARIANTS = str.maketrans(
    {"查": "査", "產": "産", "惠": "恵", "爱": "愛", "现": "現", "儿": "ル"}
)


def fix_latin(text: str) -> str:
    """Undo PP-OCR's usual misreadings of ß (as B, lB, lS or ßB) inside a word."""
    if CJK.search(text):
        text = text.translate(JP_VARIANTS)
        # 一 (one) between kanji is often read as a dash
        return re.sub(r"(?<=[\u4e00-\u9fff])[—\-－―](?=[\u4e00-\u9fff])", "一", text)
    if "@" in text or "www" in text or "http" in text:
        return text
    return re.sub(r"(?<=[a-zäöü])(?:ßB|lB|lS|B)(?=[a-zäöü])", "ß", text)


@dataclass
class CardLine:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float
    tall: bool
    kind: str | None = None

    @property
    def size(self) -> float:
        """Print size: the box's short side."""
        return (self.x1 - self.x0) if self.tall else (self.y1 - self.y0)


def card_lines(ocr: list[OcrLine]) -> list[CardLine]:
    out = []
    for line in ocr:
        xs = [p[0] for p in line.box]
        ys = [p[1] for p in line.box]
        text = fix_latin(line.text.strip())
        if not text:
            continue
        out.append(CardLine(text, line.score, min(xs), min(ys), max(xs), max(ys), line.tall))
    return out
