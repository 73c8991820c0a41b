"""The lead score, 0-100, computed when read (never stored), so that changing a question's
points or the rating points re-scores every lead at once.

score = rating points (event settings score.hot/warm/cold, default 50/25/0)
      + the points of each chosen answer of each question that is not removed
      + score.visit (default 10) for every return visit (visits beyond the first)
      then held between 0 and 100."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadcap.store.database import Store

DEFAULT_RATING_POINTS = {"hot": 50, "warm": 25, "cold": 0}
DEFAULT_VISIT_POINTS = 10
SETTING_PREFIX = "score."
LOWEST, HIGHEST = 0, 100


@dataclass
class Scorer:
    rating_points: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RATING_POINTS))
    visit_points: int = DEFAULT_VISIT_POINTS
    questions: list = field(default_factory=list)  # active Question objects

    def terms(self, lead: Mapping[str, Any]) -> list[tuple[str, int]]:
        """The score term by term: (what, points), the cap included when it applies."""
        found: list[tuple[str, int]] = []
        rating = lead.get("rating")
        if rating:
            found.append((f"rating {rating}", self.rating_points.get(rating, 0)))
        answers = lead.get("answers") or {}
        for question in self.questions:
            value = answers.get(question.name)
            values = value if isinstance(value, list) else [value]
            for item in values:
                choice = question.choice(str(item)) if item is not None else None
                if choice and choice.get("points"):
                    found.append((f"{question.name} = {choice['value']}", choice["points"]))
        returns = max((lead.get("visits") or 1) - 1, 0)
        if returns and self.visit_points:
            what = "return visit" if returns == 1 else "return visits"
            found.append((f"{returns} {what} x {self.visit_points}", returns * self.visit_points))
        total = sum(points for _what, points in found)
        if total > HIGHEST:
            found.append((f"capped at {HIGHEST}", HIGHEST - total))
        elif total < LOWEST:
            found.append((f"raised to {LOWEST}", LOWEST - total))
        return found

    def score(self, lead: Mapping[str, Any]) -> int:
        """The same sum as `terms`, without the words: it runs for every lead read."""
        if not hasattr(self, "_points"):
            self._points = {
                q.name: {c["value"]: c.get("points", 0) for c in q.choices} for q in self.questions
            }
        total = self.rating_points.get(lead.get("rating") or "", 0)
        total += max((lead.get("visits") or 1) - 1, 0) * self.visit_points
        answers = lead.get("answers") or {}
        for name, points in self._points.items():
            value = answers.get(name)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                found = points.get(item) if isinstance(item, str) else None
                if found is None and item is not None:
                    choice = self._question(name).choice(str(item))  # spelt another way
                    found = choice.get("points", 0) if choice else 0
                total += found or 0
        return max(LOWEST, min(HIGHEST, total))

    def _question(self, name: str):
        return next(q for q in self.questions if q.name == name)


def scorer(store: Store) -> Scorer:
    """The event's scoring rules: settings and the questions' points."""
    from leadcap.store.questions import list_questions

    points = dict(DEFAULT_RATING_POINTS)
    for rating in points:
        value = store.setting(f"{SETTING_PREFIX}{rating}")
        if value is not None:
            points[rating] = int(value)
    visit = store.setting(f"{SETTING_PREFIX}visit")
    questions = [q for q in list_questions(store) if any(c.get("points") for c in q.choices)]
    return Scorer(
        rating_points=points,
        visit_points=DEFAULT_VISIT_POINTS if visit is None else int(visit),
        questions=questions,
    )


def _setting_sql(key: str, default: int) -> str:
    return (
        "coalesce((SELECT CAST(json_extract(value, '$') AS INTEGER) FROM settings"
        f" WHERE key = '{SETTING_PREFIX}{key}'), {int(default)})"
    )


def score_sql(table: str = "leads") -> str:
    """The score as an SQL expression over `table` (the leads table or its alias), for
    filtering and sorting in the database (exports stream, so they cannot sort in Python).
    The same sum as `Scorer.terms`, settings read in SQL too; a test holds the two together."""
    rating = " ".join(
        f"WHEN '{name}' THEN {_setting_sql(name, points)}"
        for name, points in DEFAULT_RATING_POINTS.items()
    )
    answers = (
        "(SELECT sum(json_extract(c.value, '$.points')) FROM lead_answers a"
        " JOIN questions q ON q.name = a.question AND q.removed = 0,"
        " json_each(a.value) v, json_each(q.choices) c"
        f" WHERE a.lead_id = {table}.id AND json_extract(c.value, '$.value') = v.value)"
    )
    total = (
        f"(CASE {table}.rating {rating} ELSE 0 END"
        f" + {_setting_sql('visit', DEFAULT_VISIT_POINTS)} * max({table}.visits - 1, 0)"
        f" + coalesce({answers}, 0))"
    )
    return f"max({LOWEST}, min({HIGHEST}, {total}))"


def score_order(*, hot_first: bool = False) -> str:
    """ORDER BY for highest score first (newest first among equals); with `hot_first`,
    hot leads first, then warm, cold, unrated, each by score."""
    rank = "CASE leads.rating WHEN 'hot' THEN 0 WHEN 'warm' THEN 1 WHEN 'cold' THEN 2 ELSE 3 END"
    first = f"{rank}, " if hot_first else ""
    return f"{first}{score_sql()} DESC, captured_utc DESC, leads.id DESC"
