"""Property tests for answers on two simulated laptops: random answering and merging, then
both laptops agree, merging again changes nothing, the order of merges does not matter,
a multi-choice removal that nothing re-added stays removed, and the latest free-text
version always survives."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_merge_properties import Clock, copy_of

from leadcap.laptops import merge
from leadcap.laptops.replay import change_key
from leadcap.store import answers as answering
from leadcap.store import leads
from leadcap.store import questions as q
from leadcap.store.database import open_store

CHOICES = ["R&D", "Distribution", "Job"]

operation = st.one_of(
    st.tuples(st.just("multi"), st.sampled_from(CHOICES), st.booleans()),
    st.tuples(st.just("single"), st.sampled_from(["soon", "later", None])),
    st.tuples(st.just("text"), st.sampled_from(["cells", "fuel", "robots", None])),
    st.tuples(st.just("merge")),
)
# Steps of at least a second: two laptops' changes within one second are ordered by device
# name, not by who saw whose (a limitation of the change-log order shared with every
# field, reported separately), which is not what is under test here.
history = st.lists(
    st.tuples(st.integers(0, 1), st.integers(1, 5), st.integers(0, 1), operation),
    min_size=1,
    max_size=30,
)


def play(folder: Path, steps) -> list:
    clock = Clock()
    a = open_store(folder / "a.db", staff="a", device="laptop-a")
    b = open_store(folder / "b.db", staff="b", device="laptop-b")
    for store in (a, b):
        store.now = clock
        store.conn.execute("PRAGMA synchronous = OFF")
    q.add_question(a, "Cooperation", "multi", choices=CHOICES)
    q.add_question(a, "Timeframe", "single", choices=["soon", "later"])
    q.add_question(a, "Application", "text")
    for badge in ("B-1", "B-2"):
        leads.add_lead(a, {"badge_id": badge})
    merge.merge_file(b, a.path)
    for who, seconds, pick, op in steps:
        store, other = (a, b) if who == 0 else (b, a)
        clock.step(seconds)
        lead = sorted(r[0] for r in store.conn.execute("SELECT uuid FROM leads"))[pick]
        if op[0] == "merge":
            merge.merge_file(store, other.path)
        elif op[0] == "multi":
            answering.answer(store, lead, "Cooperation", [op[1]], remove=op[2])
        elif op[0] == "single":
            answering.answer(store, lead, "Timeframe", [op[1]] if op[1] else [], clear=not op[1])
        else:
            answering.answer(store, lead, "Application", [op[1]] if op[1] else [], clear=not op[1])
    return [a, b]


def answers(store) -> dict:
    return {lead["badge_id"]: lead["answers"] for lead in leads.iter_leads(store)}


def answer_changes(store) -> list[tuple]:
    rows = store.conn.execute(
        "SELECT l.badge_id, c.uid, c.device, c.changed_at, c.seq, c.field, c.old_value,"
        " c.new_value FROM changes c JOIN leads l ON l.uuid = c.lead_uuid"
        " WHERE c.field LIKE 'answer:%'"
    )
    return sorted(((r[0], *r[1:]) for r in rows), key=lambda r: change_key(r[1:]))


def exchange(a, b, tmp: Path) -> None:
    a_copy = copy_of(a, tmp / "a-copy.db")
    merge.merge_file(a, b.path)
    merge.merge_file(b, a_copy.path)
    a_copy.close()


@settings(max_examples=40, deadline=None)
@given(history)
def test_both_laptops_agree_and_merging_again_changes_nothing(steps):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = play(Path(tmp), steps)
        exchange(a, b, Path(tmp))
        assert answers(a) == answers(b)
        state = answers(a)
        assert not merge.merge_file(a, b.path).changed
        assert not merge.merge_file(b, a.path).changed
        assert answers(a) == state
        a.close(), b.close()


@settings(max_examples=40, deadline=None)
@given(history)
def test_removed_choices_stay_removed_and_the_latest_text_survives(steps):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = play(Path(tmp), steps)
        exchange(a, b, Path(tmp))
        final = answers(a)
        last_event: dict[tuple, bool] = {}
        last_text: dict[str, str | None] = {}
        for badge, *_key, field, old, new in answer_changes(a):
            if field == "answer:Cooperation":
                before, after = set(json.loads(old or "[]")), set(json.loads(new or "[]"))
                for choice in after - before:
                    last_event[(badge, choice)] = True
                for choice in before - after:
                    last_event[(badge, choice)] = False
            elif field == "answer:Application":
                last_text[badge] = json.loads(new) if new else None
        for (badge, choice), present in last_event.items():
            chosen = final[badge].get("Cooperation", [])
            assert (choice in chosen) == present
        for badge, text in last_text.items():
            if text is not None:
                assert text in final[badge]["Application"].split(q.TEXT_CONFLICT_SEPARATOR)
        a.close(), b.close()
