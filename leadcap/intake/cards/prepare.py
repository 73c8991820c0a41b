"""Image preparation: load, find the card in a photo, straighten it, downscale for storage."""

from __future__ import annotations

import re
from typing import Any

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")

# A card is 91 x 55 mm (Japan) or 85 x 55 mm (Europe); 300 dpi is about 1075 px long.
WORK_LONG_SIDE = 1075
STORE_LONG_SIDE = 1200
STORE_MAX_BYTES = 300_000


def to_bgr(pil_image: Any) -> Any:
    """Convert a PIL image (any mode, EXIF rotation applied) to an OpenCV BGR array."""
    import numpy as np
    from PIL import ImageOps

    image = ImageOps.exif_transpose(pil_image).convert("RGB")
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


def _order_corners(points: Any) -> Any:
    import numpy as np

    pts = np.asarray(points, dtype="float32").reshape(4, 2)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]],
        dtype="float32",
    )


def find_card(image: Any) -> Any | None:
    """Return the four corners of the card in a photo, or None when the card fills the image.

    The card is the largest bright, roughly rectangular region that covers between a
    tenth and 95% of the picture.
    """
    import cv2
    import numpy as np

    h, w = image.shape[:2]
    scale = 800 / max(h, w)
    small = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = np.ones((15, 15), np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    total = small.shape[0] * small.shape[1]
    if not 0.1 * total < area < 0.95 * total:
        return None
    hull = cv2.convexHull(contour)
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(approx) == 4:
        corners = approx.reshape(4, 2)
    else:
        corners = cv2.boxPoints(cv2.minAreaRect(hull))
    return _order_corners(corners) / scale


def straighten(image: Any) -> Any:
    """Cut the card out of a photo and undo perspective and small rotations.

    A scan (no background found) is only resized. The result keeps the card's own
    orientation: landscape for horizontal cards, portrait for vertical ones; turning an
    upside-down card is left to `turn_upright`, which needs the OCR's line classifier.
    """
    import cv2
    import numpy as np

    corners = find_card(image)
    if corners is not None:
        tl, tr, br, bl = corners
        width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
        height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
        target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype="float32")
        matrix = cv2.getPerspectiveTransform(corners.astype("float32"), target)
        image = cv2.warpPerspective(image, matrix, (int(width), int(height)), flags=cv2.INTER_CUBIC)
    h, w = image.shape[:2]
    scale = WORK_LONG_SIDE / max(h, w)
    if abs(scale - 1) > 0.05:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=interpolation)
    return image


def rotate(image: Any, quarter_turns: int) -> Any:
    """Rotate a BGR image by 90 degrees clockwise `quarter_turns` times."""
    import numpy as np

    return np.ascontiguousarray(np.rot90(image, k=-quarter_turns))


def to_pil(image: Any) -> Any:
    """An OpenCV BGR array as a PIL RGB image."""
    from PIL import Image

    return Image.fromarray(image[:, :, ::-1].copy())


def store_jpeg(image: Any, long_side: int = STORE_LONG_SIDE, limit: int = STORE_MAX_BYTES) -> bytes:
    """Encode a PIL image as a JPEG readable on screen and small enough for the database
    (Pillow only, so cards are kept even without the OCR extra)."""
    import io

    from PIL import ImageOps

    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((long_side, long_side))
    data = b""
    for quality in (85, 75, 65, 50, 35):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        data = buffer.getvalue()
        if len(data) <= limit:
            break
    return data


def upright_lines(image: Any, engine: Any) -> tuple[Any, list]:
    """OCR the card; if most lines were read upside down, turn the card and its boxes."""
    from leadcap.intake.cards.engine import OcrLine

    lines = engine.read(image)
    if lines and sum(line.flipped for line in lines) > len(lines) / 2:
        h, w = image.shape[:2]
        image = rotate(image, 2)
        lines = [
            OcrLine(
                line.text,
                line.score,
                tuple((w - x, h - y) for x, y in (line.box[2:] + line.box[:2])),
                not line.flipped,
            )
            for line in lines
        ]
    long_lines = [line for line in lines if max(line.width, line.height) > 60]
    tall = sum(line.tall for line in long_lines)
    latin_only = not any(_CJK.search(line.text) for line in lines)
    if long_lines and latin_only and tall > len(long_lines) / 2:
        # A Latin card photographed sideways (there are no vertical Latin cards): its lines
        # now read top to bottom, so a quarter turn back makes it a landscape card.
        h, w = image.shape[:2]
        image = rotate(image, -1)
        lines = [
            OcrLine(
                line.text,
                line.score,
                tuple((y, w - x) for x, y in line.box),
                line.flipped,
            )
            for line in lines
        ]
    return image, lines


def split_name_gap(image: Any, line: Any) -> Any:
    """Insert a space where a printed name has a wide gap (岡田　真由美 read as 岡田真由美).

    Japanese names are printed with a gap between family and given name; OCR drops it.
    The gap is the widest run of blank columns inside the line's box.
    """
    import numpy as np

    from leadcap.intake.cards.engine import OcrLine

    text = line.text.strip()
    if " " in text or not 3 <= len(text) <= 6:
        return line
    x0, y0 = (int(max(0, min(p[i] for p in line.box))) for i in (0, 1))
    x1, y1 = (int(max(p[i] for p in line.box)) for i in (0, 1))
    crop = image[y0:y1, x0:x1]
    if crop.size == 0:
        return line
    gray = crop.mean(axis=2)
    ink = gray < (gray.max() + gray.min()) / 2
    profile = ink.sum(axis=0 if not line.tall else 1)
    blank = profile <= max(1, profile.max() * 0.02)
    inked = np.flatnonzero(~blank)
    if len(inked) < 2:
        return line
    first, last = int(inked[0]), int(inked[-1])
    best, best_start, run = 0, 0, 0
    for i in range(first, last + 1):
        run = run + 1 if blank[i] else 0
        if run > best:
            best, best_start = run, i - run + 1
    pitch = (last - first + 1 - best) / len(text)
    if best < 0.5 * pitch:
        return line
    cut = int(np.clip(round((best_start - first) / pitch), 1, len(text) - 1))
    return OcrLine(text[:cut] + " " + text[cut:], line.score, line.box, line.flipped)
