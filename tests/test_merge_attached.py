"""A first merge copies a closed file's change rows and new leads with INSERT ... SELECT
from the attached file (issue 15's speed target). It must write exactly what the rows read
through Python would have written: the same rows, in the same order, none set aside, and
never from a file that changed after it was read."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from test_merge_properties import history, play

from leadcap.laptops import merge, source
from leadcap.store import leads
from leadcap.store.database import open_store


def contents(store) -> dict:
    """Every row merging writes, in id order (ids included: lead numbers must not differ)."""
    conn = store.conn
    return {
        "leads": conn.execute("SELECT * FROM leads ORDER BY id").fetchall(),
        "changes": conn.execute("SELECT * FROM changes ORDER BY id").fetchall(),
        "tags": conn.execute("SELECT * FROM lead_tags ORDER BY lead_id, tag_id").fetchall(),
        "aliases": conn.execute("SELECT * FROM lead_aliases ORDER BY alias_uuid").fetchall(),
        "visits": conn.execute("SELECT * FROM visits ORDER BY lead_uuid, device").fetchall(),
    }


def attached_names(store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT name FROM pragma_database_list")} - {"temp"}


@pytest.fixture
def attach_spy(monkeypatch):
    """Whether each merge's write copied from the attached file."""
    seen: list[bool] = []
    original = merge._Merge._attach

    def spy(self):
        seen.append(original(self))
        return seen[-1]

    monkeypatch.setattr(merge._Merge, "_attach", spy)
    return seen


def closed_laptop(path: Path, companies: list[str], device: str) -> Path:
    store = open_store(path, staff="kenji", device=device)
    for n, company in enumerate(companies):
        lead = leads.add_lead(store, {"company": company, "email": f"p{n}@x.jp"}, tags=["AI"])
        leads.update_lead(store, lead["id"], {"title": "CTO"}, command="edit")
    store.close()
    return path


def merged(target: Path, files: list[Path], *, attach: bool, monkeypatch=None):
    store = open_store(target, staff="hq", device="hq")
    store.now = lambda: __import__("datetime").datetime(2026, 12, 9, 18, 0)
    if not attach:
        monkeypatch.setattr(merge.FileStamp, "of", classmethod(lambda cls, path: None))
    for path in files:
        merge.merge_file(store, path)
    if not attach:
        monkeypatch.undo()
    return store


@settings(max_examples=25, deadline=None)
@given(history)
def test_copying_from_the_file_writes_what_reading_it_writes(steps):
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        folder = Path(tmp)
        stores = play(folder, 3, steps)
        for store in stores:
            store.close()
        files = [store.path for store in stores]
        copied = merged(folder / "copied.db", files, attach=True)
        read = merged(folder / "read.db", files, attach=False, monkeypatch=patch)
        assert contents(copied) == contents(read)
        copied.close()
        read.close()


def test_a_closed_file_is_copied_and_an_open_one_is_read(tmp_path, attach_spy):
    closed = closed_laptop(tmp_path / "b.db", ["ACME", "Beta"], "laptop-b")
    target = open_store(tmp_path / "a.db", staff="a", device="laptop-a")
    merge.merge_file(target, closed)
    in_use = open_store(tmp_path / "c.db", staff="c", device="laptop-c")
    leads.add_lead(in_use, {"company": "Gamma"})
    merge.merge_file(target, in_use.path)  # a -wal file beside it: someone may write it
    assert attach_spy == [True, False]
    assert sorted(lead["company"] for lead in leads.iter_leads(target, leads.LeadFilter())) == [
        "ACME",
        "Beta",
        "Gamma",
    ]
    assert attached_names(target) == {"main"}
    in_use.close()
    target.close()


def test_rows_set_aside_are_not_copied_from_the_file(tmp_path, attach_spy):
    bad = closed_laptop(tmp_path / "b.db", ["ACME", "Beta"], "laptop-b")
    conn = sqlite3.connect(bad)
    conn.execute("UPDATE changes SET changed_at = 'garbage' WHERE field = 'title'")
    conn.commit()
    conn.close()
    target = open_store(tmp_path / "a.db", staff="a", device="laptop-a")
    report = merge.merge_file(target, bad)
    assert attach_spy == [True]
    assert len(report.rejected) == 2
    count = "SELECT COUNT(*) FROM changes WHERE changed_at = 'garbage'"
    assert target.conn.execute(count).fetchone()[0] == 0
    assert {lead["title"] for lead in leads.iter_leads(target, leads.LeadFilter())} == {"CTO"}
    target.close()


def test_a_file_changed_after_it_was_read_is_written_from_what_was_read(
    tmp_path, attach_spy, monkeypatch
):
    path = closed_laptop(tmp_path / "b.db", ["ACME"], "laptop-b")
    original = merge.read_rows

    def read_then_another_laptop_writes(*args, **kwargs):
        found = original(*args, **kwargs)
        other = open_store(path, staff="kenji", device="laptop-b")
        leads.add_lead(other, {"company": "Written after reading"})
        other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        other.close()
        return found

    monkeypatch.setattr(merge, "read_rows", read_then_another_laptop_writes)
    target = open_store(tmp_path / "a.db", staff="a", device="laptop-a")
    merge.merge_file(target, path)
    assert attach_spy == [False]
    companies = [lead["company"] for lead in leads.iter_leads(target, leads.LeadFilter())]
    assert companies == ["ACME"]
    monkeypatch.setattr(merge, "read_rows", original)
    merge.merge_file(target, path)  # the next merge takes the rest
    assert len(list(leads.iter_leads(target, leads.LeadFilter()))) == 2
    target.close()


def test_the_file_is_detached_after_a_failed_write(tmp_path, monkeypatch):
    path = closed_laptop(tmp_path / "b.db", ["ACME"], "laptop-b")
    target = open_store(tmp_path / "a.db", staff="a", device="laptop-a")

    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(merge._Merge, "write_chunk", fail)
    with pytest.raises(sqlite3.OperationalError):
        merge.merge_file(target, path)
    assert attached_names(target) == {"main"}
    assert target.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 0
    target.close()


def test_the_stamp_is_none_while_a_wal_file_is_beside_the_source(tmp_path):
    path = closed_laptop(tmp_path / "b.db", ["ACME"], "laptop-b")
    assert source.FileStamp.of(path) is not None
    (tmp_path / "b.db-wal").write_bytes(b"")
    assert source.FileStamp.of(path) is None


def test_a_file_that_cannot_be_attached_is_written_from_what_was_read(
    tmp_path, attach_spy, monkeypatch
):
    path = closed_laptop(tmp_path / "b.db", ["ACME", "Beta"], "laptop-b")
    monkeypatch.setattr(merge, "ATTACHED", "main")  # ATTACH ... AS main always fails
    target = open_store(tmp_path / "a.db", staff="a", device="laptop-a")
    merge.merge_file(target, path)
    assert attach_spy == [False]
    assert len(list(leads.iter_leads(target, leads.LeadFilter()))) == 2
    target.close()
