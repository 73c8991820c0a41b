"""Property tests for merging: random edit histories on 2-4 simulated laptops, then
idempotence, order independence, symmetry, no lost notes and no double visits."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcap.laptops import merge
from leadcap.laptops.replay import note_entries
from leadcap.store import backups as backup
from leadcap.store import leads, model
from leadcap.store.database import open_store
from leadcap.store.health import check_search_index

BADGES = ["B-1", "B-2", "B-3", None, None]
EMAILS = ["ken@acme.jp", "sato@beta.jp", None, None]
TAGS = ["AI", "Vision", "IoT"]


class Clock:
    """One fake clock for all laptops: steps of 0-90 s, so many changes share a second
    (ties broken by device, then the device's own order) and many notes share a minute."""

    def __init__(self):
        self.moment = datetime.fromisoformat("2026-12-09T10:00:00+09:00")

    def step(self, seconds: int) -> None:
        self.moment += timedelta(seconds=seconds)

    def __call__(self):
        return self.moment


operation = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(BADGES), st.sampled_from(EMAILS), st.text("xyz")),
    st.tuples(st.just("edit"), st.sampled_from(["company", "title", "city"]), st.text("ab")),
    st.tuples(st.just("tag"), st.sampled_from(TAGS), st.booleans()),
    st.tuples(st.just("note"), st.sampled_from(["call", "demo", "price"])),
    st.tuples(st.just("rate"), st.sampled_from(["hot", "warm", "cold"])),
    st.tuples(st.just("delete"), st.booleans()),
    st.tuples(st.just("merge"), st.integers(0, 3)),
)
history = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 90), st.integers(0, 20), operation),
    min_size=1,
    max_size=25,
)


def dump(store) -> dict:
    # Merges write search texts and the full-text index in batches (merge.finish_step):
    # each lead's search text must be its fields', and the index must match the leads.
    rows = store.conn.execute("SELECT * FROM leads")
    names = [d[0] for d in rows.description]
    for row in (dict(zip(names, r, strict=True)) for r in rows):
        assert row["search_text"] == model.search_text(row), row["uuid"]
    search_index = check_search_index(store)
    assert search_index.ok, search_index.detail
    found = {}
    for deleted in (False, True):
        for lead in leads.iter_leads(store, leads.LeadFilter(deleted=deleted)):
            found[lead["uuid"]] = (
                tuple((k, lead[k]) for k in ("company", "title", "city", "rating", "badge_id")),
                lead["email"],
                lead["deleted"],
                tuple(sorted(t.casefold() for t in lead["tags"])),
                tuple(note_entries(lead["notes"])) if lead["notes"] else (),
                lead["visits"],
                lead["updated_at"],
                lead["needs_review"],
            )
    return found


def act(stores: list, clock: Clock, step, *, rescans_count: bool = False) -> None:
    """One step of a laptop's day. With `rescans_count`, a laptop that already captured a
    badge or e-mail does not add that person again (as the scan loop counts a visit)."""
    who, seconds, pick, op = step
    store = stores[who % len(stores)]
    clock.step(seconds)
    if op[0] == "add":
        if rescans_count and captured_here(store, op[1], op[2]):
            return
        leads.add_lead(store, {"badge_id": op[1], "email": op[2], "company": op[3] or None})
        return
    if op[0] == "merge":
        other = stores[op[1] % len(stores)]
        if other is not store:
            merge.merge_file(store, other.path)
        return
    uuids = [row[0] for row in store.conn.execute("SELECT uuid FROM leads ORDER BY id")]
    if not uuids:
        return
    lead = uuids[pick % len(uuids)]
    if op[0] == "edit":
        leads.update_lead(store, lead, {op[1]: op[2] or None}, command="edit")
    elif op[0] == "tag":
        leads.add_tags(store, lead, [op[1]], remove=op[2])
    elif op[0] == "note":
        leads.append_note(store, lead, op[1])
    elif op[0] == "rate":
        leads.update_lead(store, lead, {"rating": op[1]}, command="rate")
    elif op[0] == "delete":
        leads.update_lead(store, lead, {"deleted": op[1]}, command="delete")


def captured_here(store, badge: str | None, email: str | None) -> bool:
    found = store.conn.execute(
        "SELECT COUNT(*) FROM leads WHERE device = ? AND (badge_norm = lower(?)"
        " OR email_norm = lower(?))",
        [store.device, badge, email],
    )
    return found.fetchone()[0] > 0


def play(folder: Path, laptops: int, steps) -> list:
    clock = Clock()
    stores = []
    for n in range(laptops):
        store = open_store(folder / f"laptop-{n}.db", staff=f"staff{n}", device=f"laptop-{n}")
        store.now = clock
        store.conn.execute("PRAGMA synchronous = OFF")  # durability is not under test here
        stores.append(store)
    for step in steps:
        act(stores, clock, step)
    return stores


def copy_of(store, path: Path):
    backup.snapshot(store, path)
    twin = open_store(path, staff=store.staff, device=store.device)
    twin.now = store.now
    return twin


def close(*stores) -> None:
    for store in stores:
        store.close()


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 4), history)
def test_merging_everything_twice_changes_nothing_the_second_time(laptops, steps):
    with tempfile.TemporaryDirectory() as tmp:
        stores = play(Path(tmp), laptops, steps)
        first, others = stores[0], stores[1:]
        for other in others:
            merge.merge_file(first, other.path)
        state = dump(first)
        again = [merge.merge_file(first, other.path) for other in others]
        assert not any(report.changed for report in again)
        assert dump(first) == state
        close(*stores)


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 4), history)
def test_the_order_of_merges_does_not_matter(laptops, steps):
    with tempfile.TemporaryDirectory() as tmp:
        stores = play(Path(tmp), laptops, steps)
        forward = copy_of(stores[0], Path(tmp) / "forward.db")
        backward = copy_of(stores[0], Path(tmp) / "backward.db")
        for other in stores[1:]:
            merge.merge_file(forward, other.path)
        for other in reversed(stores[1:]):
            merge.merge_file(backward, other.path)
        assert dump(forward) == dump(backward)
        close(*stores, forward, backward)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 4), history)
def test_both_directions_give_the_same_leads_without_losing_notes_or_doubling_visits(
    laptops, steps
):
    with tempfile.TemporaryDirectory() as tmp:
        stores = play(Path(tmp), laptops, steps)
        a, b = stores[0], stores[1]
        notes_before = {
            entry
            for store in (a, b)
            for deleted in (False, True)
            for lead in leads.iter_leads(store, leads.LeadFilter(deleted=deleted))
            for entry in note_entries(lead["notes"])
            if lead["notes"]
        }
        a_copy = copy_of(a, Path(tmp) / "a-copy.db")
        merge.merge_file(a, b.path)
        merge.merge_file(b, a_copy.path)
        assert dump(a) == dump(b)
        notes_after = {entry for lead in dump(a).values() for entry in lead[4]}
        assert notes_before <= notes_after
        captured = a.conn.execute("SELECT COUNT(DISTINCT lead_uuid) FROM visits").fetchone()[0]
        assert sum(lead[5] for lead in dump(a).values()) == captured
        close(*stores, a_copy)
