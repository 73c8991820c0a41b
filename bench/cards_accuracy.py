"""Business-card accuracy on ../shared/corpus/meishi (run by hand, not in CI).

    python bench/cards_accuracy.py [CORPUS_DIR] [--json]

Reads every NN-scan.png and NN-photo.jpg through leadcap's own card reader (QR, card
finding, OCR, field extraction) and prints, per field type and per layout, the share of
printed fields read exactly (after NFKC and whitespace removal), seconds per card and
peak memory. tests/test_cards_accuracy.py checks the same numbers against thresholds."""

from __future__ import annotations

import collections
import json
import os
import re
import resource
import sys
import time
import unicodedata
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
# shared/ lies beside the repository (a worktree one level deeper), else the copy in
# tests/data/meishi; $LEADCAP_MEISHI overrides.
CORPUS = next(
    (
        path
        for path in (
            Path(os.environ.get("LEADCAP_MEISHI", "/nonexistent")),
            _REPO.parent / "shared" / "corpus" / "meishi",
            _REPO.parent.parent / "shared" / "corpus" / "meishi",
            _REPO / "tests" / "data" / "meishi",  # the copy that ships with the tests
        )
        if path.is_dir()
    ),
    _REPO.parent / "shared" / "corpus" / "meishi",
)
GROUPS = {
    "name": ("family_name", "given_name"),
    "reading": ("name_reading",),
    "company": ("company",),
    "department": ("department",),
    "title": ("title",),
    "email": ("email",),
    "phone": ("phone", "mobile", "fax"),
    "postal_code": ("postal_code",),
    "address": ("address",),
    "website": ("website",),
}
LAYOUTS = ("ja-horizontal", "vertical", "en", "de")


def fold(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def layout_of(truth: dict) -> str:
    if truth["layout"] == "vertical":
        return "vertical"
    return {"ja": "ja-horizontal"}.get(truth["language"], truth["language"])


def evaluate(corpus: Path = CORPUS, numbers: list[str] | None = None) -> dict:
    """{(kind, group): [exact, total]} plus timing, over the corpus (or some card numbers)."""
    from PIL import Image

    from leadcap.intake.cards.engine import load_engine
    from leadcap.intake.cards.reader import read_card

    engine = load_engine()
    stats: dict = collections.defaultdict(lambda: [0, 0])
    misses, seconds = [], []
    for truth_path in sorted(corpus.glob("*.json")):
        number = truth_path.stem
        if numbers and number not in numbers:
            continue
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        for kind, suffix in (("scan", "-scan.png"), ("photo", "-photo.jpg")):
            with Image.open(corpus / f"{number}{suffix}") as image:
                image.load()
                start = time.perf_counter()
                values = read_card(image, engine=engine).fields.values
                seconds.append(time.perf_counter() - start)
            for group, names in GROUPS.items():
                for name in names:
                    if truth[name] is None:
                        continue
                    ok = fold(truth[name]) == fold(values.get(name))
                    for key in ((kind, group), (kind, layout_of(truth)), (kind, "all")):
                        stats[key][0] += ok
                        stats[key][1] += 1
                    if not ok:
                        misses.append((f"{number}{suffix}", name, truth[name], values.get(name)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stats": stats, "misses": misses, "seconds": seconds, "peak_mb": peak}


def share(stats: dict, kind: str, group: str) -> float | None:
    exact, total = stats.get((kind, group), (0, 0))
    return exact / total if total else None


def table(result: dict) -> str:
    stats = result["stats"]
    lines = ["| field | scans | photos |", "| --- | ---: | ---: |"]
    for group in (*GROUPS, *LAYOUTS, "all"):
        cells = []
        for kind in ("scan", "photo"):
            exact, total = stats.get((kind, group), (0, 0))
            cells.append(f"{exact / total:.0%} ({exact}/{total})" if total else "-")
        label = {"vertical": "**vertical cards**", "all": "**all fields**"}.get(group, group)
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    corpus = Path(args[0]) if args else CORPUS
    result = evaluate(corpus)
    seconds = result["seconds"]
    print(table(result))
    print(
        f"\n{len(seconds)} images, {sum(seconds) / len(seconds):.2f} s per card"
        f" (max {max(seconds):.2f}), peak memory {result['peak_mb']:.0f} MB"
    )
    if "--misses" in sys.argv:
        for miss in result["misses"]:
            print(miss)


if __name__ == "__main__":
    main()
