"""QR codes leadcap draws: the booth's contact card, a printable sheet of the scan loop's command
codes; test badges live in leadcap.output.badges.

Pure core: builds payloads and images and returns warnings; never prints. qrcode and Pillow are
imported inside the functions. Codes are drawn from qrcode's module matrix (dark = True) with a
4-module quiet zone, so the terminal, PNG, PDF and HTML renderings are the same code.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from leadcap.errors import LeadcapError, UsageError
from leadcap.intake.capture import COMMAND_PREFIX
from leadcap.store import model

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

CARD_KEYS = (
    "name",
    "name-ja",
    "company",
    "company-ja",
    "title",
    "title-ja",
    "email",
    "phone",
    "website",
)
CODE_SUFFIXES = (".png", ".svg")
SHEET_SUFFIXES = (".pdf", ".png", ".html")
QUIET_ZONE = 4  # modules of white around every code, as the QR standard asks
CARD_BOX_SIZE = 10  # pixels per module in `qr card -o card.png`

# An A4 page at 150 dpi; every code's symbol is at least MIN_CODE_MM wide, aiming at TARGET_MM.
DPI = 150
PAGE_SIZE = (1240, 1754)
MARGIN = 70
MIN_CODE_MM = 30
TARGET_CODE_MM = 35
HEADING_SIZE, LINE_SIZE = 22, 30  # label font sizes in pixels (3.7 and 5 mm)

# Half-block characters: one character cell holds two modules stacked (top, bottom), so a
# terminal cell about twice as tall as wide shows square modules.
HALF_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}

CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
    "C:/Windows/Fonts/meiryo.ttc",
    "C:/Windows/Fonts/msgothic.ttc",
)
LATIN_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
NO_CJK_FONT = (
    "no Japanese font found (install fonts-noto-cjk): the sheet has Latin labels only;"
    " use -o sheet.html for Japanese labels"
)


# -- codes ----------------------------------------------------------------------------


def qr_matrix(payload: str, *, error_correction: str = "M") -> list[list[bool]]:
    """The code's modules, quiet zone included; text goes in as UTF-8 (no ECI, as badges do)."""
    import qrcode
    from qrcode import constants

    levels = {"L": constants.ERROR_CORRECT_L, "M": constants.ERROR_CORRECT_M}
    code = qrcode.QRCode(error_correction=levels[error_correction], border=QUIET_ZONE)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


def terminal_lines(matrix: Sequence[Sequence[bool]]) -> list[str]:
    """Half-block text of the code: a full block is two dark modules, a space two light ones."""
    rows = [list(row) for row in matrix]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [
        "".join(HALF_BLOCKS[pair] for pair in zip(rows[i], rows[i + 1], strict=True))
        for i in range(0, len(rows), 2)
    ]


def matrix_image(matrix: Sequence[Sequence[bool]], box_size: int) -> PILImage:
    """Black modules on white, `box_size` pixels each, as an 8-bit grey PIL image."""
    from PIL import Image

    size = len(matrix)
    image = Image.new("L", (size, size), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    return image.resize((size * box_size, size * box_size), Image.Resampling.NEAREST)


def save_code(payload: str, path: Path) -> None:
    """One code as PNG (10 px a module) or SVG (vector, for print shops)."""
    suffix = check_suffix(path, CODE_SUFFIXES)
    if suffix == ".svg":
        import qrcode
        import qrcode.image.svg

        code = qrcode.QRCode(border=QUIET_ZONE, image_factory=qrcode.image.svg.SvgPathImage)
        code.add_data(payload)
        data = code.make_image().to_string()
    else:
        buffer = io.BytesIO()
        matrix_image(qr_matrix(payload), CARD_BOX_SIZE).save(buffer, format="PNG")
        data = buffer.getvalue()
    _write(path, data)


def check_suffix(path: Path, allowed: Sequence[str]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise UsageError(
            f"cannot write {path.name!r}: use a file ending in"
            f" {', '.join(allowed[:-1])} or {allowed[-1]}"
        )
    return suffix


def _write(path: Path, data: bytes | str) -> None:
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as error:
        raise LeadcapError(f"cannot write {path} ({error.strerror}). Choose another path") from None


# -- the contact card ---------------------------------------------------------------------


def card_details(settings: Mapping[str, object], prefix: str) -> dict[str, str]:
    """The card values set under `prefix` (`card.` for the booth, `my-card.` for one person)."""
    details = {}
    for key in CARD_KEYS:
        value = settings.get(prefix + key)
        if isinstance(value, str) and value.strip():
            details[key] = value.strip()
    if not details:
        raise LeadcapError(
            f"no card details set. Set them with leadcap config set {prefix}name 'Anna Schmidt'"
            f" (and {prefix}company, {prefix}email, {prefix}phone, {prefix}website;"
            f" {prefix}name-ja etc. for Japanese)"
        )
    return details


def card_vcard(details: Mapping[str, str]) -> str:
    """A vCard 3.0 in UTF-8 without CHARSET parameters, which phone cameras import as a contact.

    Name, company and title are the Latin values where given, else the Japanese ones. When both
    are given, the Japanese ones go into NOTE (氏名/会社/役職 lines): vCard 3.0 allows one FN,
    and phones ignore a second name in another language. A card with only a company is an
    organisation's card. Written by the one vCard writer (export/vcard.py)."""
    from leadcap.export.vcard import card_text

    name = details.get("name") or details.get("name-ja") or ""
    family, given = model.split_name(name)
    notes = []
    for key, label in (("name", "氏名"), ("company", "会社"), ("title", "役職")):
        japanese = details.get(f"{key}-ja")
        if details.get(key) and japanese and japanese != details[key]:
            notes.append(f"{label}: {japanese}")
    card = {
        "family_name": family,
        "given_name": given,
        "full_name": name,
        "company": details.get("company") or details.get("company-ja"),
        "title": details.get("title") or details.get("title-ja"),
        "email": details.get("email"),
        "phone": details.get("phone"),
        "website": details.get("website"),
        "notes": "\n".join(notes) or None,
    }
    return card_text(card)


# -- printable sheets ---------------------------------------------------------------------


@dataclass
class SheetItem:
    """One code on a sheet: a small heading above the big label lines, one per language."""

    payload: str
    heading: list[str]
    lines: list[str]


@dataclass
class SheetResult:
    paths: list[Path]
    pages: int
    min_code_mm: float
    warnings: list[str] = field(default_factory=list)


RATING_LABELS = {
    "hot": ("Heiß", "Hot", "ホット"),
    "warm": ("Warm", "Warm", "ウォーム"),
    "cold": ("Kalt", "Cold", "コールド"),
}
CONSENT_LABELS = {
    "followup": ("Nachfassen", "Follow-up", "フォローアップ"),
    "marketing": ("Werbung", "Marketing", "マーケティング"),
    "share": ("Weitergabe", "Sharing", "情報共有"),
}


COMMANDS_HOW_TO = (
    "Scan a badge, then a code: it applies to that lead. · Erst das Badge scannen, dann den Code."
)


def command_items(tags: Sequence[str], questions: Sequence[Mapping] = ()) -> list[SheetItem]:
    """Every command code the scan loop knows: each interest tag, each choice of each
    choice question (`questions` as Question.as_dict(), single/multi/yes-no), rating,
    consent purpose, undo."""
    items = [
        SheetItem(f"{COMMAND_PREFIX}TAG:{tag}", ["Interesse", "Interest", "関心"], [tag])
        for tag in tags
    ]
    for question in questions:
        name, labels = question["name"], question.get("labels") or {}
        heading = [labels.get("de") or name, name, labels.get("ja") or name]
        for choice in question.get("choices") or []:
            value = choice["value"]
            words = (choice.get("de") or value, value, choice.get("ja") or value)
            payload = f"{COMMAND_PREFIX}ANSWER:{name}:{value}"
            items.append(SheetItem(payload, heading, _langs(words)))
    for rating in model.RATINGS:
        labels = _langs(RATING_LABELS.get(rating, (rating,) * 3))
        heading = ["Bewertung", "Rating", "評価"]
        items.append(SheetItem(f"{COMMAND_PREFIX}RATE:{rating}", heading, labels))
    for purpose in model.CONSENT_PURPOSES:
        labels = _langs(CONSENT_LABELS.get(purpose, (purpose,) * 3))
        heading = ["Einwilligung", "Consent", "同意"]
        items.append(SheetItem(f"{COMMAND_PREFIX}CONSENT:{purpose}", heading, labels))
    items.append(
        SheetItem(
            f"{COMMAND_PREFIX}UNDO",
            ["Befehl", "Command", "操作"],
            _langs(("Rückgängig", "Undo", "取り消し")),
        )
    )
    return items


def _langs(labels: Sequence[str]) -> list[str]:
    """German / English on one line (once if the same), Japanese on the next."""
    german, english, japanese = labels
    return [german if german == english else f"{german} / {english}", japanese]


def save_sheet(
    items: Sequence[SheetItem], path: Path, title: str, subtitle: str = ""
) -> SheetResult:
    """Write an A4 sheet: PDF (all pages), PNG (page 2 on goes to name-2.png...) or HTML."""
    suffix = check_suffix(path, SHEET_SUFFIXES)
    if suffix == ".html":
        _write(path, sheet_html(items, title, subtitle))
        return SheetResult([path], 1, float(TARGET_CODE_MM))
    pages, min_mm, warnings = sheet_pages(items, title, subtitle)
    if suffix == ".pdf":
        buffer = io.BytesIO()
        first, *rest = [page.convert("RGB") for page in pages]
        first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=DPI)
        _write(path, buffer.getvalue())
        return SheetResult([path], len(pages), min_mm, warnings)
    more = range(2, len(pages) + 1)
    paths = [path] + [path.with_name(f"{path.stem}-{n}{path.suffix}") for n in more]
    for page, page_path in zip(pages, paths, strict=True):
        buffer = io.BytesIO()
        page.save(buffer, format="PNG", dpi=(DPI, DPI))
        _write(page_path, buffer.getvalue())
    return SheetResult(paths, len(pages), min_mm, warnings)


def sheet_pages(
    items: Sequence[SheetItem], title: str, subtitle: str = ""
) -> tuple[list[PILImage], float, list[str]]:
    """A4 pages at 150 dpi with the codes in a grid; the smallest code's width in mm; warnings."""
    from PIL import Image, ImageDraw

    warnings: list[str] = []
    cjk_font = find_cjk_font()
    font_path = cjk_font or find_latin_font()
    if cjk_font is None and any(
        model.JAPANESE_SCRIPT.search(" ".join(i.heading + i.lines)) for i in items
    ):
        warnings.append(NO_CJK_FONT)
    matrices = [qr_matrix(item.payload) for item in items]
    width = PAGE_SIZE[0] - 2 * MARGIN
    largest = max(len(m) for m in matrices)
    columns = _columns(width, largest)
    cell_width = width // columns
    boxes = [_box_size(cell_width, len(m)) for m in matrices]
    code_height = max(len(m) * box for m, box in zip(matrices, boxes, strict=True))
    label_height = HEADING_SIZE + 6 + 2 * (LINE_SIZE + 6)
    cell_height = code_height + label_height + 16
    top = MARGIN + 80
    rows = max(1, (PAGE_SIZE[1] - top - MARGIN) // cell_height)
    per_page = rows * columns
    pages: list[PILImage] = []
    for start in range(0, len(items), per_page):
        page = Image.new("L", PAGE_SIZE, 255)
        draw = ImageDraw.Draw(page)
        shown_title = title if cjk_font else latin_only(title) or "leadcap"
        header = f"{shown_title}   ({len(pages) + 1}/{math.ceil(len(items) / per_page)})"
        draw.text((MARGIN, MARGIN), header, fill=0, font=_font(font_path, 34))
        if subtitle:
            shown = subtitle if cjk_font else latin_only(subtitle)
            draw.text((MARGIN, MARGIN + 46), shown, fill=90, font=_font(font_path, 20))
        for index in range(start, min(start + per_page, len(items))):
            row, column = divmod(index - start, columns)
            x, y = MARGIN + column * cell_width, top + row * cell_height
            code = matrix_image(matrices[index], boxes[index])
            page.paste(code, (x + (cell_width - code.width) // 2, y))
            label_at = (x, y + code_height)
            label = sheet_label(items[index], index + 1, has_cjk=cjk_font is not None)
            _draw_labels(draw, label, font_path, label_at, cell_width)
        pages.append(page)
    symbol_px = min((len(m) - 2 * QUIET_ZONE) * b for m, b in zip(matrices, boxes, strict=True))
    return pages, round(symbol_px * 25.4 / DPI, 1), warnings


def _px(mm: float) -> int:
    return math.ceil(mm * DPI / 25.4)


def _columns(width: int, modules: int) -> int:
    """As many columns as still leave every code's symbol at least MIN_CODE_MM wide."""
    for columns in (4, 3, 2, 1):
        box = (width // columns) // modules
        if box >= 1 and box * (modules - 2 * QUIET_ZONE) >= _px(MIN_CODE_MM):
            return columns
    return 1


def _box_size(cell_width: int, modules: int) -> int:
    """Pixels per module: aim at TARGET_CODE_MM for the symbol, never wider than the cell."""
    target = math.ceil(_px(TARGET_CODE_MM) / (modules - 2 * QUIET_ZONE))
    return max(1, min(target, cell_width // modules))


def latin_only(text: str) -> str:
    """`text` without its Japanese script, for a font that has no Japanese glyphs."""
    return " ".join(model.JAPANESE_SCRIPT.sub(" ", text).split()).strip(" ·-")


def sheet_label(item: SheetItem, number: int, *, has_cjk: bool) -> SheetItem:
    """What is printed under code `number`: its number first, so every code on the sheet can
    be told apart and matched with the list `qr commands` prints. Without a Japanese font the
    Japanese words go (they would print as boxes) and a label that was only Japanese becomes
    its Latin letters or "code N", never nothing."""
    heading = item.heading if has_cjk else [latin_only(h) for h in item.heading]
    lines = item.lines if has_cjk else [latin_only(line) for line in item.lines]
    lines = [line for line in lines if line]
    if not lines:
        lines = [f"code {number}"]
    heading = [f"{number}."] + [h for h in heading if h]
    return SheetItem(item.payload, heading, lines)


def _draw_labels(draw, item: SheetItem, font_path, at, width) -> None:
    x, y = at
    heading = item.heading[:1] + [" · ".join(item.heading[1:])] if item.heading else []
    texts = [(" ".join(heading), HEADING_SIZE, 90)] + [(line, LINE_SIZE, 0) for line in item.lines]
    for text, size, grey in texts:
        font = _font(font_path, size)
        while size > 12 and draw.textlength(text, font=font) > width - 16:
            size -= 2
            font = _font(font_path, size)
        draw.text((x + width / 2, y), text, fill=grey, font=font, anchor="ma")
        y += size + 6


def _font(path: str | None, size: int):
    from PIL import ImageFont

    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size)


def find_cjk_font() -> str | None:
    """A font with Japanese glyphs: a well-known path, else the first one fontconfig lists."""
    for path in CJK_FONT_PATHS:
        if os.path.exists(path):
            return path
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            found = subprocess.run(
                [fc_list, ":lang=ja", "file"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in sorted(found.splitlines()):
            path = line.strip().rstrip(":")
            if path.lower().endswith((".ttf", ".ttc", ".otf")):
                return path
    return None


def find_latin_font() -> str | None:
    return next((p for p in LATIN_FONT_PATHS if os.path.exists(p)), None)


def sheet_html(items: Sequence[SheetItem], title: str, subtitle: str = "") -> str:
    """A self-contained page (codes as inline PNG) that prints on A4; browsers bring the fonts."""
    cells = []
    for item in items:
        buffer = io.BytesIO()
        matrix_image(qr_matrix(item.payload), 8).save(buffer, format="PNG")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        lines = "".join(f"<div class=line>{html.escape(line)}</div>" for line in item.lines)
        cells.append(
            f'<figure><img alt="{html.escape(item.payload)}" src="data:image/png;base64,{data}">'
            f"<figcaption><div class=heading>{html.escape(' · '.join(item.heading))}</div>"
            f"{lines}</figcaption></figure>"
        )
    # Each image is 4.7 cm with its quiet zone, so the symbol is at least 3.5 cm wide.
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: "Noto Sans", "Noto Sans CJK JP", "Hiragino Sans", Meiryo, sans-serif; }}
h1 {{ font-size: 14pt; }}
main {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 4mm; }}
figure {{ margin: 0; text-align: center; break-inside: avoid; }}
img {{ width: 47mm; image-rendering: pixelated; }}
.heading {{ font-size: 8pt; color: #555; }}
.line {{ font-size: 11pt; }}
</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p><main>
{chr(10).join(cells)}
</main></body></html>
"""
