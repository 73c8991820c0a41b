"""Read one business card: QR code first, then OCR; and the image to keep.

Pillow and zxing-cpp (core dependencies) load and decode; numpy, OpenCV and the OCR
engine (the `ocr` extra) are imported only when a card is read with OCR.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadcap.errors import CardError
from leadcap.intake.cards.fields import CardFields
from leadcap.intake.cards.lines import LEAD_COLUMNS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")
HEIC_SUFFIXES = (".heic", ".heif")
PDF_SUFFIXES = (".pdf",)
CARD_SUFFIXES = IMAGE_SUFFIXES + HEIC_SUFFIXES + PDF_SUFFIXES
PDF_DPI = 300
# Fields a QR code gives that the card's fields take as they are (its region is not used).
QR_FIELDS = tuple(name for name in LEAD_COLUMNS if name != "region")


@dataclass
class CardReading:
    """What one card image gave: fields with confidence, and the JPEG to keep."""

    fields: CardFields
    image: bytes
    width: int
    height: int
    source: str  # "qr", "ocr", "qr+ocr" or "none" (nothing read: type from card)
    qr_text: str | None = None
    engine: str | None = None
    warnings: list[str] = field(default_factory=list)


def card_files(paths: list[Path]) -> list[Path]:
    """The card files among these paths; folders give their card files, sorted by name."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in CARD_SUFFIXES and not p.name.startswith(".")
            )
        elif not path.exists():
            raise CardError(f"{path} does not exist. Check the path")
        else:
            found.append(path)
    return found


def load_pages(path: Path) -> Iterator[Any]:
    """The card images in a file as PIL images: one for a photo, one per page of a PDF."""
    from PIL import Image, UnidentifiedImageError

    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        yield from _pdf_pages(path)
        return
    if suffix in HEIC_SUFFIXES:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            raise CardError(
                f"{path.name} is HEIC; install pillow-heif to read it"
                " (pip install pillow-heif), or export the photo as JPEG"
            ) from None
        register_heif_opener()
    try:
        with Image.open(path) as image:
            image.load()
            yield image.copy()
    except UnidentifiedImageError:
        raise CardError(f"{path.name} is not an image leadcap can read (JPEG, PNG)") from None
    except OSError as error:
        raise CardError(f"cannot read {path.name} ({error})") from None


def _pdf_pages(path: Path) -> Iterator[Any]:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise CardError(
            f"{path.name} is a PDF; install the OCR extra to read PDF pages"
            " (pip install 'leadcap[ocr]')"
        ) from None
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise CardError(f"cannot read {path.name} as PDF ({error})") from None
    try:
        for page in pdf:
            yield page.render(scale=PDF_DPI / 72).to_pil()
    finally:
        pdf.close()


def read_qr(image: Any) -> tuple[dict[str, str], str | None]:
    """Contact fields from a vCard/MECARD/URL QR code on the card, and its text."""
    from leadcap.intake.parse import parse_payload
    from leadcap.intake.photo import find_codes

    grey = image.convert("L")
    for code in find_codes(grey):
        result = parse_payload(code.payload)
        contact = result.contacts[0] if result.contacts else None
        if contact is None or result.source in ("unknown", "badge"):
            continue
        found = {name: getattr(contact, name, None) for name in QR_FIELDS}
        values: dict[str, str] = {k: v.strip() for k, v in found.items() if v and v.strip()}
        if contact.street or contact.city:
            values["address"] = " ".join(p for p in (contact.street, contact.city) if p)
        if contact.extra_phones:
            values.setdefault("fax", contact.extra_phones[0])
        if values:
            return values, code.text
    return {}, None


def read_card(image: Any, *, ocr: bool = True, engine: Any = None) -> CardReading:
    """Read a card from a PIL image. QR fields win; OCR fills the rest when available."""
    from leadcap.intake.cards.engine import load_engine, ocr_available
    from leadcap.intake.cards.prepare import store_jpeg

    qr_values, qr_text = read_qr(image)
    fields = CardFields(source="qr" if qr_values else "none")
    for name, value in qr_values.items():
        fields.set(name, value, 1.0)
    warnings: list[str] = []
    kept = image
    engine_name = None
    if ocr and (engine is not None or ocr_available()):
        from leadcap.intake.cards.fields import extract_fields
        from leadcap.intake.cards.prepare import (
            split_name_gap,
            straighten,
            to_bgr,
            to_pil,
            upright_lines,
        )

        engine = engine or load_engine()
        engine_name = engine.name
        card = straighten(to_bgr(image))
        card, lines = upright_lines(card, engine)
        lines = [split_name_gap(card, line) if _big(line, lines) else line for line in lines]
        height, width = card.shape[:2]
        read = extract_fields(lines, width, height)
        fields.layout = read.layout
        for name, value in read.values.items():
            fields.set(name, value, read.confidence[name])
        fields.source = "qr+ocr" if qr_values else "ocr"
        kept = to_pil(card)
    elif ocr:
        warnings.append("no OCR engine installed: type from card")
    data = store_jpeg(kept)
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as stored:
        width, height = stored.size
    return CardReading(fields, data, width, height, fields.source, qr_text, engine_name, warnings)


def _big(line: Any, lines: list) -> bool:
    """The line printed largest on the card: where the name usually is."""
    size = min(line.width, line.height)
    return size >= 0.8 * max(min(other.width, other.height) for other in lines)
