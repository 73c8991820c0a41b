"""Turn the OCR lines of one card into lead fields, each with a confidence.

Pure Python (no numpy): the lines come in as `OcrLine`s with boxes in card pixels. The
rules follow how Japanese, English and German cards are printed: labelled numbers
(TEL/FAX/携帯/Mobile, or the single letters T/F/M/E/W), a 〒 postal code before the address,
the legal form (株式会社, GmbH, Co., Ltd.) marking the company, the largest print being the
name, and the department and title lines near it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from leadcap.intake.cards.engine import OcrLine

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
JP_TITLES = [
    "代表取締役社長",
    "代表取締役会長",
    "代表取締役",
    "取締役社長",
    "常務取締役",
    "専務取締役",
    "取締役",
    "執行役員",
    "副社長",
    "社長",
    "会長",
    "顧問",
    "監査役",
    "理事長",
    "理事",
    "事務局長",
    "本部長",
    "副本部長",
    "事業部長",
    "担当部長",
    "部長代理",
    "副部長",
    "部長",
    "次長",
    "担当課長",
    "課長代理",
    "課長補佐",
    "課長",
    "係長",
    "室長補佐",
    "室長",
    "所長",
    "センター長",
    "工場長",
    "支店長",
    "グループリーダー",
    "チームリーダー",
    "リーダー",
    "マネージャー",
    "マネジャー",
    "主任研究員",
    "上席研究員",
    "主席研究員",
    "研究員",
    "主任技師",
    "技師",
    "主任",
    "主査",
    "主幹",
    "エンジニア",
    "コンサルタント",
    "スペシャリスト",
    "担当",
]
LATIN_TITLE = re.compile(
    r"Manager|Managerin|Director|President|CEO|CTO|COO|CFO|Chairman|Engineer|[Ii]ngenieur"
    r"|Leiter|Leiterin|Geschaftsfuhrer|Head\b|Officer|Chief|Scientist|Specialist|Consultant"
    r"|Representative|Vice|Berater|Beraterin|Referent|Professor|Vorstand|Prokurist|Partner"
    r"|Lead\b|Researcher|Assistant|Coordinator|Executive|Sales Rep",
)
NAME_PREFIX = re.compile(r"^(?:(?:Prof|Dr|rer|nat|Ing|med|phil|Dipl)\.?(?:-\w+\.?)?\s*)+")
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


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _plain(text: str) -> str:
    """Without diacritics, for matching words that OCR read without their umlauts."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _fix_case(text: str) -> str:
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


def _fix_latin(text: str) -> str:
    """Undo PP-OCR's usual misreadings of ß (as B, lB, lS or ßB) inside a word."""
    if CJK.search(text):
        text = text.translate(JP_VARIANTS)
        # 一 (one) between kanji is often read as a dash
        return re.sub(r"(?<=[\u4e00-\u9fff])[—\-－―](?=[\u4e00-\u9fff])", "一", text)
    if "@" in text or "www" in text or "http" in text:
        return text
    return re.sub(r"(?<=[a-zäöü])(?:ßB|lB|lS|B)(?=[a-zäöü])", "ß", text)


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


@dataclass
class _Line:
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


def _lines(ocr: list[OcrLine]) -> list[_Line]:
    out = []
    for line in ocr:
        xs = [p[0] for p in line.box]
        ys = [p[1] for p in line.box]
        text = _fix_latin(line.text.strip())
        if not text:
            continue
        out.append(_Line(text, line.score, min(xs), min(ys), max(xs), max(ys), line.tall))
    return out


def detect_layout(ocr: list[OcrLine], width: float, height: float) -> str:
    """'vertical' for a portrait card whose text runs in columns (tategaki)."""
    long_lines = [line for line in ocr if max(line.width, line.height) > 60]
    tall = sum(line.tall for line in long_lines)
    return "vertical" if height > width and tall > len(long_lines) / 2 else "horizontal"


def _reading_order(lines: list[_Line], layout: str) -> list[_Line]:
    if layout == "vertical":
        # columns from right to left, each from top to bottom; horizontal lines after them
        return sorted(lines, key=lambda ln: (not ln.tall, -ln.x1 // 20, ln.y0))
    return sorted(lines, key=lambda ln: (ln.y0 // 12, ln.x0))


def extract_fields(ocr: list[OcrLine], width: float, height: float) -> CardFields:
    """Read the lead fields from the OCR lines of one straightened card."""
    layout = detect_layout(ocr, width, height)
    result = CardFields(layout=layout)
    lines = _reading_order(_lines(ocr), layout)
    japanese = any(CJK.search(ln.text) for ln in lines)
    letter_labels = sum(bool(re.match(r"^[TF]\s*[.:]?\s*\+?\d", ln.text)) for ln in lines) >= 1
    address_lines: list[_Line] = []

    for ln in lines:
        text = ln.text
        folded = _fold(text)
        # e-mail
        match = None
        if "@" in folded:
            match = EMAIL.search(re.sub(r"\s*([@.])\s*", r"\1", folded))
        if match:
            email = match.group(0)
            if letter_labels and re.match(r"^E[a-z0-9]", folded.strip()) and email[0] == "E":
                email = email[1:]
            email = re.sub(r"^(?:E-?mail|Email|Mail|E\.|[Xx]-)[:.]?", "", email)
            result.set("email", email, ln.score)
            ln.kind = "email"
            rest = folded[: folded.find("@")]
            rest = rest[: rest.rfind(email.split("@")[0][:3])] if rest else ""
            _numbers(result, ln, rest, layout)
            after = folded.split("@", 1)[1]
            web = WEBSITE.search(after[len(email.split("@")[1]) :])
            if web:
                result.set("website", web.group(0), ln.score)
            continue
        # website
        folded = re.sub(r"^(?:URL|Web|Website|HP)\s*[:：]?\s*", "", folded.strip())
        folded = re.sub(r"https?:/(?=[^/])", lambda m: m.group(0) + "/", folded)
        web = WEBSITE.search(folded)
        if web and ("www" in folded or "http" in folded or not CJK.search(folded)):
            if not re.search(r"\d{3,}", web.group(0)) and not LEGAL_FORMS.search(folded):
                site = web.group(0)
                if letter_labels and folded.strip().startswith("W") and site.startswith("W"):
                    site = site[1:]
                result.set("website", site, ln.score)
                ln.kind = "website"
                continue
        # postal code at the start of a line (〒 123-4567 ..., or as read vertically)
        lead = JP_POSTAL_LEAD.match(folded.replace(" ", "")) or JP_POSTAL.match(folded.strip())
        if lead:
            result.set("postal_code", f"{lead.group(1)}-{lead.group(2)}", ln.score)
            rest = (
                folded.replace(" ", "")[lead.end() :]
                if JP_POSTAL_LEAD.match(folded.replace(" ", ""))
                else folded.strip()[lead.end() :]
            )
            ln.kind = "address"
            if rest.strip():
                ln.text = rest.strip()
                address_lines.append(ln)
            continue
        bare = re.match(r"^(\d{3})1?(\d{4})(?=[^\d\s])", folded.replace(" ", ""))
        if (
            layout == "vertical"
            and bare
            and JP_REGION.search(folded.replace(" ", "")[bare.end() :])
        ):
            result.set("postal_code", f"{bare.group(1)}-{bare.group(2)}", ln.score * 0.85)
            ln.text = folded.replace(" ", "")[bare.end() :]
            ln.kind = "address"
            address_lines.append(ln)
            continue
        if LEGAL_FORMS.search(folded) and len(folded) > 3:
            ln.kind = "company"
            continue
        labelled = re.match(rf"^(?:{LABEL_RE})\s*[:：.]?\s*\+?\d", folded)
        if not labelled and (
            JP_REGION.search(folded)
            or (ADDRESS_WORDS.search(folded) and re.search(r"\d", folded) and len(folded) > 8)
            or DE_POSTAL.search(folded)
        ):
            ln.kind = "address"
            address_lines.append(ln)
            post = JP_POSTAL.search(folded) or DE_POSTAL.search(folded)
            if post:
                code = f"{post.group(1)}-{post.group(2)}" if post.re is JP_POSTAL else post.group(1)
                result.set("postal_code", code, ln.score)
            continue
        # phone numbers
        if _numbers(result, ln, folded, layout):
            ln.kind = "phone"
            continue

    _address(result, lines, address_lines, layout)
    if "postal_code" not in result.values and "address" in result.values:
        post = DE_POSTAL.search(result.values["address"])
        if post:
            result.set("postal_code", post.group(1), result.confidence["address"])
    _company(result, lines, japanese)
    email = result.values.get("email", "")
    jp_person = japanese or email.endswith(".jp") or "+81" in result.values.get("phone", "")
    _person(result, lines, layout, japanese, jp_person)
    _region_country(result, lines)
    return result


def _numbers(result: CardFields, ln: _Line, text: str, layout: str) -> bool:
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


def _same_column(a: _Line, b: _Line, layout: str) -> bool:
    if layout == "vertical":
        return abs(a.y0 - b.y0) < 25 and -0.5 * a.size < a.x0 - b.x1 < 2.5 * a.size
    aligned = abs(a.x0 - b.x0) < 30 or abs(a.x1 - b.x1) < 30
    return aligned and -0.5 * a.size <= b.y0 - a.y1 < 1.5 * a.size


def _address(result: CardFields, lines: list[_Line], found: list[_Line], layout: str) -> None:
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


def _company(result: CardFields, lines: list[_Line], japanese: bool) -> None:
    candidates = [ln for ln in lines if ln.kind == "company"]
    if japanese:
        local = [ln for ln in candidates if CJK.search(ln.text)]
        candidates = local or candidates
    if not candidates:
        return
    best = max(candidates, key=lambda ln: (ln.size, ln.score))
    text = best.text if CJK.search(best.text) else _fix_case(best.text)
    if text.startswith("般社団法人") or text.startswith("般財団法人"):
        text = "一" + text
    result.set("company", text, best.score)
    for ln in candidates:
        if ln is not best:
            ln.kind = "company-other"


def _split_title(text: str) -> tuple[str, str]:
    """Split 'department title' printed on one line; returns (department, title)."""
    compact = text.strip()
    plain = _plain(compact)
    for title in JP_TITLES:
        if compact.endswith(title) and len(compact) > len(title):
            return compact[: -len(title)].strip(), title
        if compact == title:
            return "", title
    if "," in compact and LATIN_TITLE.search(plain):
        head, tail = (part.strip() for part in compact.split(",", 1))
        return (tail, head) if LATIN_TITLE.search(_plain(head)) else (head, tail)
    if LATIN_TITLE.search(plain) or any(compact.endswith(t) for t in JP_TITLES):
        return "", compact
    return compact, ""


def _is_romaji_name(text: str) -> bool:
    words = NAME_PREFIX.sub("", text).split()
    return 2 <= len(words) <= 3 and all(re.fullmatch(r"[A-Za-zÄÖÜäöüßéè'\-]+", w) for w in words)


def _person(
    result: CardFields, lines: list[_Line], layout: str, japanese: bool, jp_person: bool
) -> None:
    rest = [
        ln
        for ln in lines
        if ln.kind is None and (ln.score >= 0.6 or CJK.search(ln.text)) and len(ln.text) >= 1
    ]
    rest = [ln for ln in rest if not (len(ln.text) == 1 and not CJK.search(ln.text))]
    if not rest:
        return
    sizes = sorted(ln.size for ln in lines)
    median = sizes[len(sizes) // 2]
    name_lines: list[_Line] = []
    if japanese:
        big = [ln for ln in rest if CJK.search(ln.text) and not KANA_ONLY.match(ln.text)]
        big = [ln for ln in big if ln.size > 1.6 * median]
        if big:
            top = max(ln.size for ln in big)
            name_lines = [ln for ln in big if ln.size > 0.7 * top]
    if not name_lines:
        latin = [ln for ln in rest if _is_romaji_name(ln.text)]
        if latin:
            name_lines = [max(latin, key=lambda ln: ln.size)]
    if not name_lines:
        name_lines = [max(rest, key=lambda ln: ln.size)]
    vertical_name = layout == "vertical" or all(ln.tall for ln in name_lines)
    key = (lambda ln: ln.y0) if vertical_name else (lambda ln: ln.x0)
    name_lines.sort(key=key)
    for ln in name_lines:
        ln.kind = "name"
    score = min(ln.score for ln in name_lines)
    if len(name_lines) >= 2:
        family, given = name_lines[0].text, "".join(ln.text for ln in name_lines[1:])
    else:
        family, given, sure = _split_name(name_lines[0].text, jp_person)
        score *= 1.0 if sure else 0.8
    result.set("family_name", family, score)
    result.set("given_name", given, score)

    # reading: kana line(s) next to the name; vertical furigana may come char by char
    name = name_lines[0]
    kana = [ln for ln in rest if ln.kind is None and KANA_ONLY.match(ln.text)]
    if layout == "vertical":
        near = [
            ln
            for ln in kana
            if ln.x0 >= name.x0 and ln.x0 - name.x1 < name.size and ln.size < 0.5 * name.size
        ]
        near.sort(key=lambda ln: ln.y0)
        reading = "".join(ln.text for ln in near)
    else:
        near = [
            ln
            for ln in kana
            if abs(ln.y1 - name.y0) < 1.5 * name.size or abs(ln.y0 - name.y1) < name.size
        ]
        near.sort(key=lambda ln: abs(ln.y0 - name.y0))
        near = near[:1]
        reading = near[0].text if near else ""
    if reading:
        for ln in near:
            ln.kind = "reading"
        result.set("name_reading", reading, min(ln.score for ln in near) * 0.95)
    for ln in rest:
        if ln.kind is None and _is_romaji_name(ln.text) and japanese:
            ln.kind = "romaji"

    # department and title: the remaining lines
    departments, titles, scores = [], [], []
    for ln in rest:
        if ln.kind is not None or ln.size > 1.4 * median and not japanese:
            continue
        if ln.score < 0.6 or len(ln.text) < 2:
            continue
        if japanese and not CJK.search(ln.text):
            continue
        dept, title = _split_title(ln.text)
        if dept:
            departments.append(dept)
        if title:
            titles.append(title)
        scores.append(ln.score)
        ln.kind = "role"
    if departments:
        result.set("department", " ".join(departments), min(scores))
    if titles:
        result.set("title", " ".join(titles), min(scores))


def _split_name(text: str, japanese: bool) -> tuple[str, str, bool]:
    """(family, given, sure) from a one-line name."""
    text = NAME_PREFIX.sub("", text.strip()).strip()
    words = text.replace("\u3000", " ").split()
    if CJK.search(text):
        if len(words) >= 2:
            return words[0], "".join(words[1:]), True
        if len(text) <= 2:
            return text[:1], text[1:], False
        return text[:2], text[2:], False  # most family names have two kanji
    if len(words) < 2:
        return text, "", False
    words = [_fix_case(w) for w in words]
    caps = [w for w in words if w.isupper() and len(w) > 1]
    if caps:
        family = caps[0]
        return family, " ".join(w for w in words if w is not family), True
    if japanese:
        return words[0], " ".join(words[1:]), False
    return words[-1], " ".join(words[:-1]), True


def _region_country(result: CardFields, lines: list[_Line]) -> None:
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
