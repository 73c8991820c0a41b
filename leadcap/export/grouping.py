"""Which group a lead belongs to when an export is split: one sheet per group in one
workbook, or one workbook per group (`--files`). Both use these functions, so a lead lands
in the same group either way, and spelling variants of one co-exhibitor ("ACME GmbH",
"acme  gmbh") make one sheet and one file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from leadcap.store import model

SPLIT_KEYS = ("tag", "exhibitor", "staff", "rating")
ANSWER_PREFIX = "answer:"  # --split-by answer:QUESTION: a group per chosen choice


def exhibitor_key(name: str | None) -> str:
    """One key for the spellings of one exhibitor: case-folded, spaces collapsed."""
    return " ".join(model.fold(name).split())


def exhibitor_spellings(names: Iterable[str]) -> dict[str, str]:
    """Exhibitor key -> the name to show: the first spelling given wins."""
    spellings: dict[str, str] = {}
    for name in names:
        cleaned = model.clean(name)
        if cleaned:
            spellings.setdefault(exhibitor_key(cleaned), cleaned)
    return spellings


def lead_groups(
    lead: Mapping[str, Any],
    split_by: str,
    words: dict[str, str],
    exhibitors: dict[str, str] | None = None,
    *,
    shared: bool = False,
) -> list[str]:
    """The groups a lead goes to. `exhibitors` maps `exhibitor_key`s to the name shown; an
    exhibitor not in it yet is added with this lead's spelling, so later variants join it.

    With `shared` (one file per co-exhibitor, the pavilion privacy rule): a co-exhibitor's
    lead goes only to its own file; the organiser's leads (no exhibitor) go to the
    organiser's file ("(none)") and also to a co-exhibitor's file when the visitor granted
    `share` consent AND the lead carries a tag with that co-exhibitor's name (the booth
    staff's way of saying "this visitor asked about ACME")."""
    if split_by.startswith(ANSWER_PREFIX):
        return answer_groups(lead.get(split_by), words)
    if split_by == "tag":
        tags = [t.strip() for t in lead.get("tags") or [] if t and t.strip()]
        return list(dict.fromkeys(tags)) or [words["no_tag"]]
    if split_by == "rating":
        return [lead.get("rating") or words["no_rating"]]
    if split_by == "staff":  # who follows up: the owner once assigned, else the capturer
        return [model.clean(lead.get("owner") or lead.get("captured_by")) or words["none"]]
    names = {} if exhibitors is None else exhibitors
    own = model.clean(lead.get("exhibitor"))
    if own:
        return [names.setdefault(exhibitor_key(own), own)]
    groups = [words["none"]]
    if shared and (lead.get("consent") or {}).get("share") == "granted":
        for tag in lead.get("tags") or []:
            name = names.get(exhibitor_key(tag))
            if name and name not in groups:
                groups.append(name)
    return groups


def answer_groups(value: object, words: dict[str, str]) -> list[str]:
    """The groups an answer (`answer:<question>` key of an exported lead) puts a lead in:
    one per chosen choice, else "(no answer)"."""
    values = value if isinstance(value, list) else [value]
    found = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return list(dict.fromkeys(found)) or [words["no_answer"]]


def group_order(groups: Iterable[str], split_by: str | None, words: dict[str, str]) -> list:
    """Sheets and files in reading order: ratings hot to cold, else alphabetical, with the
    "no tag" / "(none)" / "(no answer)" groups last."""
    fallbacks = {words["no_tag"], words["none"], words["no_rating"], words["no_answer"]}
    if split_by == "rating":
        rank = {r: i for i, r in enumerate(model.RATINGS)}
        return sorted(groups, key=lambda g: (rank.get(g, len(rank)), g))
    return sorted(groups, key=lambda g: (g in fallbacks, g.casefold()))
