"""Benchmark what qualifying questions cost when leads are read: answers and score on every
lead, export order by score, the --min-score and --answer filters.

Run by hand:  python bench/questions.py [--leads 42000]

One database with the German Pavilion's four questions, most leads answered. The baseline
is the same read as leadcap did before questions (leads and tags only, hot first then
newest) in the same run; each line gives seconds and the ratio to that baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadcap.store import leads  # noqa: E402
from leadcap.store import questions as q  # noqa: E402
from leadcap.store.database import open_store  # noqa: E402
from leadcap.store.score import score_order  # noqa: E402

BASELINE = (
    "SELECT leads.*, (SELECT json_group_array(t.name) FROM lead_tags lt JOIN tags t"
    " ON t.id = lt.tag_id WHERE lt.lead_id = leads.id) AS tags FROM leads"
    " WHERE deleted_at IS NULL ORDER BY CASE rating WHEN 'hot' THEN 0 WHEN 'warm' THEN 1"
    " WHEN 'cold' THEN 2 ELSE 3 END, captured_utc DESC, id DESC"
)


def fill(store, n: int) -> None:
    rnd = random.Random(13)
    q.add_question(
        store, "Cooperation", "multi",
        choices=["R&D", "Distribution", "Supplier", "Investment", "Job"],
        points="R&D=30,Distribution=20,Supplier=15,Investment=25",
    )  # fmt: skip
    q.add_question(store, "Application area", "text")
    q.add_question(
        store, "Timeframe", "single", choices=["<6 months", "6-12 months", "later"],
        points="<6 months=20,6-12 months=10",
    )  # fmt: skip
    q.add_question(store, "Decision maker", "yesno", points="yes=15")
    with store.transaction():
        for i in range(n):
            at = f"2026-12-{9 + i % 3:02d}T{9 + i % 9:02d}:{i % 60:02d}:00+09:00"
            lead_id = store.conn.execute(
                "INSERT INTO leads (uuid, family_name, rating, visits, captured_at,"
                " captured_utc, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [uuid.uuid4().hex, f"Lead {i}", rnd.choice(["hot", "warm", "cold", None]),
                 rnd.choice([1, 1, 1, 2, 3]), at, at, at],
            ).lastrowid  # fmt: skip
            answers = {
                "Cooperation": rnd.sample(["R&D", "Distribution", "Supplier", "Job"], 2),
                "Application area": rnd.choice(["battery cells", "sensors", "robots"]),
                "Timeframe": rnd.choice(["<6 months", "6-12 months", "later"]),
                "Decision maker": rnd.choice(["yes", "no"]),
            }
            for question, value in answers.items():
                if rnd.random() < 0.8:
                    store.conn.execute(
                        "INSERT INTO lead_answers (lead_id, question, value) VALUES (?, ?, ?)",
                        [lead_id, question, json.dumps(value)],
                    )


def timed(label: str, run, baseline: float | None = None) -> float:
    start = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - start
    ratio = f"  x{seconds / baseline:.2f}" if baseline else ""
    print(f"{label:<46} {seconds:6.2f} s  {count:>6} leads{ratio}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=42_000)
    n = parser.parse_args().leads
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db", staff="bench", device="bench")
        fill(store, n)

        def before() -> int:
            cursor = store.conn.cursor()
            cursor.row_factory = sqlite3.Row
            return len([leads.row_to_lead(row) for row in cursor.execute(BASELINE)])

        base = timed("baseline: leads + tags, hot first (before)", before)
        timed(
            "list: answers + score on every lead", lambda: len(list(leads.iter_leads(store))), base
        )
        timed(
            "export order: hot first, then by score",
            lambda: len(list(leads.iter_leads(store, order=score_order(hot_first=True)))),
            base,
        )
        flt = leads.LeadFilter(min_score=60)
        timed("--min-score 60", lambda: len(list(leads.iter_leads(store, flt))), base)
        flt = leads.LeadFilter(answers=[("Cooperation", "R&D", False)])
        timed('--answer "Cooperation=R&D"', lambda: len(list(leads.iter_leads(store, flt))), base)
        store.close()


if __name__ == "__main__":
    main()
