"""Turn the OCR lines of one card into lead fields, each with a confidence.

Pure Python (no numpy): the lines come in as `OcrLine`s with boxes in card pixels. The
rules follow how Japanese, English and German cards are printed: labelled numbers
(TEL/FAX/携帯/Mobile, or the single letters T/F/M/E/W), a 〒 postal code before the address,
the legal form (株式会社, GmbH, Co., Ltd.) marking the company, the largest print being the
name, and the department and title lines near it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from leadcap.intake.cards.engine import OcrLine
from leadcap.intake.cards.lines import (
    CJK,
    FIELDS,
    REVIEW_BELOW,
    CardFields,
    CardLine,
    card_lines,
    fix_case,
    nfkc,
)
from leadcap.intake.cards.person import person

__all__ = ["FIELDS", "REVIEW_BELOW", "CardFields", "detect_layout", "extract_fields"]


EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
WEBSITE = re.compile(
    r"(?:https?://)?(?:www\.)?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\."
    r"(?:jp|de|com|net|org|eu|io|info|biz|co|at|ch)(?:/[A-Za-z0-9_\-./]*)?",
    re.IGNORECASE,
)
DASH = "\\-‐‑‒–—―－ー─"
POSTAL_MARK = "〒T亍=テ干千于"
JP_POSTAL = re.compile(
    rf"(?<![\d{DASH}+])[{POSTAL_MARK}]?\s*(\d{{3}})\s*[{DASH}]\s*(\d{{4}})(?![\d{DASH}])"
)
JP_POSTAL_LEAD = re.compile(rf"^[{POSTAL_MARK}]\s*(\d{{3}})\s*[{DASH}1]?\s*(\d{{4}})(?!\d)")
DE_POSTAL = re.compile(r"(?<![\d\-+])(\d{5})\s+(?=[A-ZÄÖÜ][a-zäöüß])")
LABELS = [
    ("mobile", r"携帯電話|攜帯電話|携帯|Mobile|Mobil|Handy|Cell|Mob\.?|M\.?"),
    ("fax", r"Telefax|FA[X×]|Fax|ファクス|ファックス|F\.?"),
    ("phone", r"Telefon|Phone|TEL|Tel\.?|電話|T\.?"),
]
LABEL_RE = "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in LABELS)
NUMBER = re.compile(
    rf"(?:(?<![A-Za-z])(?:{LABEL_RE})\s*[:：.]?\s*)?(?P<number>\+?\(?\d[\d\s(){DASH}./]{{5,}}\d)"
)
LEGAL_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|(?:一般|公益)?(?:社団|財団)法人|独立行政法人|研究開発法人"
    r"|\bGmbH\b|\bAG\b|\bKG\b|\bSE\b|\bInc\b\.?|\bLtd\b\.?|\bLTD\b\.?|\bCorp\b\.?|Corporation"
    r"|CORPORATION|\bLLC\b|\bK\.K\.",
)
JP_REGION = re.compile(r"^(北海道|東京都|京都府|大阪府|[\u4e00-\u9fff]{2,3}県)")
ADDRESS_WORDS = re.compile(
    r"Bldg|Building|Floor|-ku\b|-shi\b|-cho\b|Japan|Germany|Deutschland|Straße|Strasse|"
    r"Str\.|straße|strasse|Chaussee|Allee|Platz|Weg\b|Ring\b|ビル|階|丁目|番地|[都道府県市区町村]",
)
COUNTRIES = {
    "japan": "Japan",
    "日本": "Japan",
    "germany": "Germany",
    "deutschland": "Germany",
    "österreich": "Austria",
    "austria": "Austria",
    "schweiz": "Switzerland",
    "switzerland": "Switzerland",
}
PHONE_COUNTRY = {"+81": "Japan", "+49": "Germany", "+43": "Austria", "+41": "Switzerland"}


def _jp_phone(digits: str) -> str | None:
    """Restore the hyphens of a Japanese number read from a vertical column as '1'.

    The last group always has four digits; the area code two to five.
    """
    if len(digits) != 12 or not digits.startswith("0") or digits[-5] != "1":
        return None
    head = digits[:-5]
    for cut in (2, 3, 4, 5):
        if cut < len(head) and head[cut] == "1" and len(head) - cut - 1 in range(1, 5):
            if cut + len(head) - cut - 1 == 6:
                return f"{head[:cut]}-{head[cut + 1 :]}-{digits[-4:]}"
    return None


def detect_layout(ocr: list[OcrLine], width: float, height: float) -> str:
    """'vertical' for a portrait card whose text runs in columns (tategaki)."""
    long_lines = [line for line in ocr if max(line.width, line.height) > 60]
    tall = sum(line.tall for line in long_lines)
    return "vertical" if height > width and tall > len(long_lines) / 2 else "horizontal"


def _reading_order(lines: list[CardLine], layout: str) -> list[CardLine]:
    if layout == "vertical":
        # columns from right to left, each from top to bottom; horizontal lines after them
        return sorted(lines, key=lambda ln: (not ln.tall, -ln.x1 // 20, ln.y0))
    return sorted(lines, key=lambda ln: (ln.y0 // 12, ln.x0))


@dataclass
class _Card:
    """What the line-by-line pass shares: the fields so far and the card's conventions."""

    result: CardFields
    layout: str
    letter_labels: bool  # T/F/M/E/W labels glued to the value (T+81..., Ek-ikeda@...)
    address_lines: list[CardLine] = field(default_factory=list)


def extract_fields(ocr: list[OcrLine], width: float, height: float) -> CardFields:
    """Read the lead fields from the OCR lines of one straightened card."""
    layout = detect_layout(ocr, width, height)
    lines = _reading_order(card_lines(ocr), layout)
    letter_labels = any(re.match(r"^[TF]\s*[.:]?\s*\+?\d", ln.text) for ln in lines)
    card = _Card(CardFields(layout=layout), layout, letter_labels)
    steps = (_website, _postal_line, _vertical_postal_line, _company_line, _address_line)
    for ln in lines:
        folded = nfkc(ln.text)
        if _email(card, ln, folded):
            continue
        folded = re.sub(r"^(?:URL|Web|Website|HP)\s*[:：]?\s*", "", folded.strip())
        folded = re.sub(r"https?:/(?=[^/])", lambda m: m.group(0) + "/", folded)
        if not any(step(card, ln, folded) for step in steps):
            if _numbers(card.result, ln, folded, layout):
                ln.kind = "phone"
    result = card.result
    _address(result, lines, card.address_lines, layout)
    if "postal_code" not in result.values and "address" in result.values:
        post = DE_POSTAL.search(result.values["address"])
        if post:
            result.set("postal_code", post.group(1), result.confidence["address"])
    japanese = any(CJK.search(ln.text) for ln in lines)
    _company(result, lines, japanese)
    email = result.values.get("email", "")
    jp_person = japanese or email.endswith(".jp") or "+81" in result.values.get("phone", "")
    person(result, lines, layout, japanese, jp_person)
    _region_country(result, lines)
    return result


def _email(card: _Card, ln: CardLine, folded: str) -> bool:
    """An e-mail address; a line like `M +49 170 ... · E a@b.de · W b.de` gives all three."""
    if "@" not in folded:
        return False
    match = EMAIL.search(re.sub(r"\s*([@.])\s*", r"\1", folded))
    if not match:
        return False
    email = match.group(0)
    if card.letter_labels and re.match(r"^E[a-z0-9]", folded.strip()) and email[0] == "E":
        email = email[1:]
    email = re.sub(r"^(?:E-?mail|Email|Mail|E\.|[Xx]-)[:.]?", "", email)
    card.result.set("email", email, ln.score)
    ln.kind = "email"
    before = folded[: folded.find("@")]
    before = before[: before.rfind(email.split("@")[0][:3])] if before else ""
    _numbers(card.result, ln, before, card.layout)
    web = WEBSITE.search(folded.split("@", 1)[1][len(email.split("@")[1]) :])
    if web:
        card.result.set("website", web.group(0), ln.score)
    return True


def _website(card: _Card, ln: CardLine, folded: str) -> bool:
    web = WEBSITE.search(folded)
    if not web or not ("www" in folded or "http" in folded or not CJK.search(folded)):
        return False
    if re.search(r"\d{3,}", web.group(0)) or LEGAL_FORMS.search(folded):
        return False
    site = web.group(0)
    if card.letter_labels and folded.strip().startswith("W") and site.startswith("W"):
        site = site[1:]
    card.result.set("website", site, ln.score)
    ln.kind = "website"
    return True


def _postal_line(card: _Card, ln: CardLine, folded: str) -> bool:
    """A line that starts with the postal code (〒 123-4567 ..., 〒 read as T, 亍 or =)."""
    compact = folded.replace(" ", "")
    marked = JP_POSTAL_LEAD.match(compact)
    lead = marked or JP_POSTAL.match(folded.strip())
    if not lead:
        return False
    card.result.set("postal_code", f"{lead.group(1)}-{lead.group(2)}", ln.score)
    rest = compact[lead.end() :] if marked else folded.strip()[lead.end() :]
    ln.kind = "address"
    if rest.strip():
        ln.text = rest.strip()
        card.address_lines.append(ln)
    return True


def _vertical_postal_line(card: _Card, ln: CardLine, folded: str) -> bool:
    """A vertical card's 〒 column read without the mark: 7301001 1広島県... (hyphen as 1)."""
    compact = folded.replace(" ", "")
    bare = re.match(r"^(\d{3})1?(\d{4})(?=[^\d\s])", compact)
    if card.layout != "vertical" or not bare or not JP_REGION.search(compact[bare.end() :]):
        return False
    card.result.set("postal_code", f"{bare.group(1)}-{bare.group(2)}", ln.score * 0.85)
    ln.text = compact[bare.end() :]
    ln.kind = "address"
    card.address_lines.append(ln)
    return True


def _company_line(card: _Card, ln: CardLine, folded: str) -> bool:
    if LEGAL_FORMS.search(folded) and len(folded) > 3:
        ln.kind = "company"
        return True
    return False


def _address_line(card: _Card, ln: CardLine, folded: str) -> bool:
    if re.match(rf"^(?:{LABEL_RE})\s*[:：.]?\s*\+?\d", folded):
        return False  # a labelled number, even if it looks like an address
    if not (
        JP_REGION.search(folded)
        or (ADDRESS_WORDS.search(folded) and re.search(r"\d", folded) and len(folded) > 8)
        or DE_POSTAL.search(folded)
    ):
        return False
    ln.kind = "address"
    card.address_lines.append(ln)
    post = JP_POSTAL.search(folded) or DE_POSTAL.search(folded)
    if post:
        code = f"{post.group(1)}-{post.group(2)}" if post.re is JP_POSTAL else post.group(1)
        card.result.set("postal_code", code, ln.score)
    return True


def _numbers(result: CardFields, ln: CardLine, text: str, layout: str) -> bool:
    found = False
    for match in NUMBER.finditer(text):
        number = match.group("number").strip(" .()/")
        digits = re.sub(r"\D", "", number)
        if len(digits) < 7:
            continue
        kind = next((k for k, _ in LABELS if match.group(k)), None)
        if kind is None:
            prefix = text[: match.start("number")]
            if re.search(r"携帯|Mobile|Mobil|Handy", prefix):
                kind = "mobile"
            elif re.search(r"FAX|Fax|ファ", prefix):
                kind = "fax"
            else:
                kind = "phone"
        confidence = ln.score
        if layout == "vertical" and re.fullmatch(r"\d{12}", number):
            fixed = _jp_phone(number)
            if fixed:
                number, confidence = fixed, ln.score * 0.85
        if kind == "phone" and "phone" in result.values and "mobile" not in result.values:
            if re.match(r"^(?:0[789]0|\+81\s*[789]0|\+49\s*1[5-7])", number):
                kind = "mobile"
        result.set(kind, number, confidence)
        found = True
    return found


def _same_column(a: CardLine, b: CardLine, layout: str) -> bool:
    if layout == "vertical":
        return abs(a.y0 - b.y0) < 25 and -0.5 * a.size < a.x0 - b.x1 < 2.5 * a.size
    aligned = abs(a.x0 - b.x0) < 30 or abs(a.x1 - b.x1) < 30
    return aligned and -0.5 * a.size <= b.y0 - a.y1 < 1.5 * a.size


def _address(result: CardFields, lines: list[CardLine], found: list[CardLine], layout: str) -> None:
    if not found:
        return
    first = found[0]
    parts, scores, last = [first.text], [first.score], first
    for ln in lines:
        if ln is first or ln.kind not in (None, "address"):
            continue
        if _same_column(last, ln, layout) and (
            ln.kind == "address" or ADDRESS_WORDS.search(ln.text) or re.search(r"\d", ln.text)
        ):
            parts.append(ln.text)
            scores.append(ln.score)
            ln.kind = "address"
            last = ln
    result.set("address", " ".join(parts), min(scores) * (0.95 if len(parts) == 1 else 0.9))


def _company(result: CardFields, lines: list[CardLine], japanese: bool) -> None:
    candidates = [ln for ln in lines if ln.kind == "company"]
    if japanese:
        local = [ln for ln in candidates if CJK.search(ln.text)]
        candidates = local or candidates
    if not candidates:
        return
    best = max(candidates, key=lambda ln: (ln.size, ln.score))
    text = best.text if CJK.search(best.text) else fix_case(best.text)
    if text.startswith("般社団法人") or text.startswith("般財団法人"):
        text = "一" + text
    result.set("company", text, best.score)
    for ln in candidates:
        if ln is not best:
            ln.kind = "company-other"


def _region_country(result: CardFields, lines: list[CardLine]) -> None:
    address = result.values.get("address", "")
    region = JP_REGION.search(address)
    if region:
        result.set("region", region.group(1), result.confidence["address"])
        result.set("country", "Japan", 0.95)
    low = address.lower()
    for word, country in COUNTRIES.items():
        if word in low:
            result.set("country", country, result.confidence.get("address", 0.9))
    for kind in ("phone", "fax", "mobile"):
        number = result.values.get(kind, "").replace(" ", "")
        for prefix, country in PHONE_COUNTRY.items():
            if number.startswith(prefix):
                result.set("country", country, 0.9)
    if "country" not in result.values and any(CJK.search(ln.text) for ln in lines):
        result.set("country", "Japan", 0.8)
