"""The person on a card: the name (largest print), its reading (kana beside it), and the
department and title lines near it."""

from __future__ import annotations

import re

from leadcap.intake.cards.lines import (
    CJK,
    KANA_ONLY,
    CardFields,
    CardLine,
    fix_case,
    plain,
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


def _split_title(text: str) -> tuple[str, str]:
    """Split 'department title' printed on one line; returns (department, title)."""
    compact = text.strip()
    bare = plain(compact)
    for title in JP_TITLES:
        if compact.endswith(title) and len(compact) > len(title):
            return compact[: -len(title)].strip(), title
        if compact == title:
            return "", title
    if "," in compact and LATIN_TITLE.search(bare):
        head, tail = (part.strip() for part in compact.split(",", 1))
        return (tail, head) if LATIN_TITLE.search(plain(head)) else (head, tail)
    if LATIN_TITLE.search(bare) or any(compact.endswith(t) for t in JP_TITLES):
        return "", compact
    return compact, ""


def _is_romaji_name(text: str) -> bool:
    words = NAME_PREFIX.sub("", text).split()
    return 2 <= len(words) <= 3 and all(re.fullmatch(r"[A-Za-zÄÖÜäöüßéè'\-]+", w) for w in words)


def person(
    result: CardFields, lines: list[CardLine], layout: str, japanese: bool, jp_person: bool
) -> None:
    """Name, reading, department and title from the lines no other field took."""
    rest = [
        ln
        for ln in lines
        if ln.kind is None
        and (ln.score >= 0.6 or CJK.search(ln.text))
        and (len(ln.text) > 1 or CJK.search(ln.text))
    ]
    if not rest:
        return
    sizes = sorted(ln.size for ln in lines)
    median = sizes[len(sizes) // 2]
    names = _name_lines(rest, median, layout, japanese)
    score = min(ln.score for ln in names)
    if len(names) >= 2:
        family, given = names[0].text, "".join(ln.text for ln in names[1:])
    else:
        family, given, sure = _split_name(names[0].text, jp_person)
        score *= 1.0 if sure else 0.8
    result.set("family_name", family, score)
    result.set("given_name", given, score)
    _reading(result, rest, names[0], layout)
    for ln in rest:
        if ln.kind is None and _is_romaji_name(ln.text) and japanese:
            ln.kind = "romaji"  # the name again in Latin letters: not a reading
    _roles(result, rest, median, japanese)


def _name_lines(rest: list[CardLine], median: float, layout: str, japanese: bool) -> list[CardLine]:
    """The largest print: on Japanese cards the kanji name (maybe family and given name
    as two boxes), else a two- or three-word Latin name, else the largest line."""
    found: list[CardLine] = []
    if japanese:
        big = [ln for ln in rest if CJK.search(ln.text) and not KANA_ONLY.match(ln.text)]
        big = [ln for ln in big if ln.size > 1.6 * median]
        if big:
            top = max(ln.size for ln in big)
            found = [ln for ln in big if ln.size > 0.7 * top]
    if not found:
        latin = [ln for ln in rest if _is_romaji_name(ln.text)]
        found = [max(latin or rest, key=lambda ln: ln.size)]
    vertical = layout == "vertical" or all(ln.tall for ln in found)
    found.sort(key=(lambda ln: ln.y0) if vertical else (lambda ln: ln.x0))
    for ln in found:
        ln.kind = "name"
    return found


def _reading(result: CardFields, rest: list[CardLine], name: CardLine, layout: str) -> None:
    """Kana beside the name; vertical furigana may come character by character."""
    kana = [ln for ln in rest if ln.kind is None and KANA_ONLY.match(ln.text)]
    if layout == "vertical":
        near = [
            ln
            for ln in kana
            if ln.x0 >= name.x0 and ln.x0 - name.x1 < name.size and ln.size < 0.5 * name.size
        ]
        near.sort(key=lambda ln: ln.y0)
    else:
        near = [
            ln
            for ln in kana
            if abs(ln.y1 - name.y0) < 1.5 * name.size or abs(ln.y0 - name.y1) < name.size
        ]
        near = sorted(near, key=lambda ln: abs(ln.y0 - name.y0))[:1]
    if near:
        for ln in near:
            ln.kind = "reading"
        reading = "".join(ln.text for ln in near)
        result.set("name_reading", reading, min(ln.score for ln in near) * 0.95)


def _roles(result: CardFields, rest: list[CardLine], median: float, japanese: bool) -> None:
    """Department and title: the remaining lines of ordinary size."""
    departments, titles, scores = [], [], []
    for ln in rest:
        if ln.kind is not None or (ln.size > 1.4 * median and not japanese):
            continue
        if ln.score < 0.6 or len(ln.text) < 2 or (japanese and not CJK.search(ln.text)):
            continue
        department, title = _split_title(ln.text)
        if department:
            departments.append(department)
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
    words = [fix_case(w) for w in words]
    caps = [w for w in words if w.isupper() and len(w) > 1]
    if caps:
        family = caps[0]
        return family, " ".join(w for w in words if w is not family), True
    if japanese:
        return words[0], " ".join(words[1:]), False
    return words[-1], " ".join(words[:-1]), True
