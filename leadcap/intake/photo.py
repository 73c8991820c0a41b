"""Read badge codes from photos: for staff whose scanner is flat or who got a picture of a badge.

Pure core: returns what was found per file and never raises for a bad file, so one broken photo
in a folder does not stop the others. zxing-cpp and Pillow are imported inside the functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from leadcap.intake.parse import decode_payload
from leadcap.intake.parse.decoding import candidates

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
# The symbologies found on event badges; limiting the search keeps big photos fast.
FORMATS = "QRCode,MicroQRCode,DataMatrix,PDF417,Aztec,Code128,Code39"
# The second pass works on a copy no larger than this: enough for a badge, and fast.
FALLBACK_SIZE = 1600

# C1 control characters (or U+FFFD) never appear in real text: they are what Shift_JIS or UTF-8
# bytes look like when a code marked "binary" or Latin-1 is read as Latin-1.
_MOJIBAKE = re.compile("[\x80-\x9f\ufffd]")
_VCARD = re.compile(r"\s*BEGIN:VCARD", re.IGNORECASE)
_CHARSET = re.compile(r";\s*CHARSET=", re.IGNORECASE)

Point = tuple[int, int]


@dataclass
class DecodedCode:
    """One code found in a photo.

    `payload` is what to hand to `parse_payload`; `text` is the code's content as text; `raw` the
    bytes exactly as stored in the code (keep them as the captured raw payload).
    """

    payload: bytes | str
    text: str
    format: str
    raw: bytes = b""
    # Corners top-left, top-right, bottom-right, bottom-left in image pixels.
    position: tuple[Point, Point, Point, Point] | None = None


@dataclass
class PhotoResult:
    """What one image file gave: its codes (maybe none), or why it could not be read."""

    path: Path
    codes: list[DecodedCode] = field(default_factory=list)
    error: str | None = None


def image_files(folder: Path) -> list[Path]:
    """The image files directly in `folder`, sorted by name; hidden files (macOS `._x.jpg`) are
    left out because they are metadata, not photos."""
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
        ),
        key=lambda p: p.name,
    )


def decode_images(paths: Iterable[Path]) -> list[PhotoResult]:
    """Decode every code in the given image files and folders (folders: not recursive).

    A folder without any image file gives one result with an error, so the caller can say so.
    """
    results: list[PhotoResult] = []
    for path in map(Path, paths):
        if path.is_dir():
            try:
                files = image_files(path)
            except OSError as error:
                results.append(PhotoResult(path, error=f"cannot read ({error.strerror})"))
                continue
            if not files:
                results.append(PhotoResult(path, error="no image files in this folder"))
            results.extend(decode_image(file) for file in files)
        else:
            results.append(decode_image(path))
    return results


def decode_image(path: Path) -> PhotoResult:
    """Decode one image file; errors are returned, never raised."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = _greyscale(opened)
    except UnidentifiedImageError:
        return PhotoResult(path, error="not an image")
    except FileNotFoundError:
        return PhotoResult(path, error="cannot read (no such file)")
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        return PhotoResult(path, error=f"cannot read ({error})")
    try:
        return PhotoResult(path, codes=find_codes(image))
    except Exception as error:  # noqa: BLE001 - a decoder failure must not stop a folder
        return PhotoResult(path, error=f"cannot decode ({type(error).__name__}: {error})")


def find_codes(image: PILImage) -> list[DecodedCode]:
    """Decode a greyscale PIL image; if nothing is found, try twice more on a copy at most
    FALLBACK_SIZE wide (photos of badges are often large, grey or printed on textures)."""
    import zxingcpp
    from PIL import ImageOps

    formats = zxingcpp.barcode_formats_from_str(FORMATS)
    found = zxingcpp.read_barcodes(image, formats=formats, text_mode=zxingcpp.TextMode.Plain)
    scale = 1.0
    if not found:
        small = image.copy()
        small.thumbnail((FALLBACK_SIZE, FALLBACK_SIZE))
        scale = image.width / small.width
        # Equalised + one global threshold reads codes printed over pictures or textures;
        # stretched contrast + local thresholds reads faint prints on a coloured background.
        for variant, binarizer in (
            (ImageOps.equalize(small), zxingcpp.Binarizer.GlobalHistogram),
            (ImageOps.autocontrast(small, cutoff=2), zxingcpp.Binarizer.LocalAverage),
        ):
            found = zxingcpp.read_barcodes(
                variant, formats=formats, text_mode=zxingcpp.TextMode.Plain, binarizer=binarizer
            )
            if found:
                break
    return [_decoded(barcode, scale) for barcode in found]


def best_text(text: str, raw: bytes) -> str:
    """zxing's text, unless it is mojibake: then the bytes read as UTF-8, else as cp932.

    zxing-cpp guesses Shift_JIS well by itself; it goes wrong when a generator flagged the bytes as
    binary or Latin-1 (ECI), which turns Japanese into C1 control characters.
    """
    if not raw or not _MOJIBAKE.search(text):
        return text
    for _codec, candidate in candidates(raw, ("utf-8", "cp932")):
        if not _MOJIBAKE.search(candidate):
            return candidate
    return text


def payload_for_parser(text: str, raw: bytes) -> bytes | str:
    """The raw bytes for a vCard (its parser honours each property's CHARSET itself), as long as
    reading them alone gives the same text or the card declares a CHARSET; otherwise the text:
    zxing already applied what the bytes do not tell (ECI, Kanji/Hanzi mode, GB2312...)."""
    if raw and _VCARD.match(text):
        if _CHARSET.search(text) or decode_payload(raw) == decode_payload(text):
            return raw
    return text


def _greyscale(image: PILImage) -> PILImage:
    """Load the image as 8-bit grey; transparency becomes white (a code drawn on a transparent
    background would otherwise turn black on black). Multi-frame files: the first frame."""
    from PIL import Image

    image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image)
    return image.convert("L")


def _decoded(barcode, scale: float) -> DecodedCode:  # barcode: a zxingcpp.Barcode
    raw = bytes(barcode.bytes)
    text = best_text(barcode.text, raw)
    at = barcode.position
    position = tuple(
        (round(point.x * scale), round(point.y * scale))
        for point in (at.top_left, at.top_right, at.bottom_right, at.bottom_left)
    )
    return DecodedCode(
        payload=payload_for_parser(text, raw),
        text=text,
        format=str(barcode.format),
        raw=raw,
        position=position,  # type: ignore[arg-type]
    )
